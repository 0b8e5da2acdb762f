"""The shipped models keep their measured scores: one floor file, checked on every CI run.

A split named `cv-LANG` is not a split of the data: it is the cross-validated (out-of-fold)
score that `narrascope train TASK` reports when trained on LANG's train articles alone, for the
tasks whose dev and test splits are kept apart for blind evaluation.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from narrascope.training import evaluate, train

FLOORS = tomllib.loads((Path(__file__).parent / "score_floors.toml").read_text())
CASES = [
    (task, split, metric, floor)
    for task, entry in FLOORS.items()
    for split, metrics in entry.items()
    if split != "data"
    for metric, floor in metrics.items()
]


@pytest.fixture(scope="module")
def reports(shared_data, tmp_path_factory):
    cache: dict[tuple[str, str], dict[str, float]] = {}

    def scores(task: str, split: str) -> dict[str, float]:
        if (task, split) not in cache:
            data = shared_data / FLOORS[task]["data"]
            if split.startswith("cv-"):
                out = tmp_path_factory.mktemp(f"{task}-heads")
                report = train(task, data, out=out, languages=[split.removeprefix("cv-")])
            else:
                report = evaluate(task, data, split=split)
            cache[task, split] = report.scores
        return cache[task, split]

    return scores


@pytest.mark.parametrize(("task", "split", "metric", "floor"), CASES)
def test_score_floors_hold(reports, task, split, metric, floor):
    assert reports(task, split)[metric] >= floor
