"""The shipped models keep their measured scores: one floor file, checked on every CI run.

A split named `cv-LANG` is not a split of the data: it is the cross-validated (out-of-fold)
score that `narrascope train TASK` reports when trained on LANG's train articles alone, for the
tasks whose dev and test splits are kept apart for blind evaluation. An entry with a `profile`
scores that profile's model of `task` (its section's name when `task` is not given); the
accurate profile's split `heldout-en` is the English train articles its model never trained on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from narrascope.training import evaluate, train

FLOORS = tomllib.loads((Path(__file__).parent / "score_floors.toml").read_text())
SETTINGS = {"data", "task", "profile"}  # the keys of an entry that are not splits
CASES = [
    (name, split, metric, floor)
    for name, entry in FLOORS.items()
    for split, metrics in entry.items()
    if split not in SETTINGS
    for metric, floor in metrics.items()
]


@pytest.fixture(scope="module")
def reports(shared_data, tmp_path_factory):
    cache: dict[tuple[str, str], dict[str, float]] = {}

    def scores(name: str, split: str) -> dict[str, float]:
        if (name, split) not in cache:
            entry = FLOORS[name]
            task, profile = entry.get("task", name), entry.get("profile", "fast")
            data = shared_data / entry["data"]
            if split.startswith("cv-"):
                out = tmp_path_factory.mktemp(f"{name}-heads")
                report = train(task, data, out=out, languages=[split.removeprefix("cv-")])
            else:
                report = evaluate(task, data, split=split, profile=profile)
            cache[name, split] = report.scores
        return cache[name, split]

    return scores


@pytest.mark.parametrize(("name", "split", "metric", "floor"), CASES)
def test_score_floors_hold(reports, name, split, metric, floor):
    assert reports(name, split)[metric] >= floor
