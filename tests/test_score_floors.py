"""The shipped models keep their measured scores: one floor file, checked on every CI run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from narrascope.training import evaluate

FLOORS = tomllib.loads((Path(__file__).parent / "score_floors.toml").read_text())
CASES = [
    (task, split, metric, floor)
    for task, entry in FLOORS.items()
    for split, metrics in entry.items()
    if split != "data"
    for metric, floor in metrics.items()
]


@pytest.fixture(scope="module")
def reports(shared_data):
    cache: dict[tuple[str, str], dict[str, float]] = {}

    def scores(task: str, split: str) -> dict[str, float]:
        if (task, split) not in cache:
            data = shared_data / FLOORS[task]["data"]
            cache[task, split] = evaluate(task, data, split=split).scores
        return cache[task, split]

    return scores


@pytest.mark.parametrize(("task", "split", "metric", "floor"), CASES)
def test_score_floors_hold(reports, task, split, metric, floor):
    assert reports(task, split)[metric] >= floor
