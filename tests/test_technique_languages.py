"""The rule that keeps a language's own technique head (pre-registered in benchmarks/RESULTS.md)."""

from __future__ import annotations

import pytest

from narrascope.training.technique_languages import Comparison


@pytest.mark.parametrize(
    ("own", "own_v1", "kept"),
    [
        ([0.31, 0.31, 0.31, 0.20, 0.20], [0.40] * 5, True),  # +0.016, 3 of 5 folds ahead
        ([0.30, 0.30, 0.21, 0.21, 0.21], [0.40] * 5, False),  # +0.026 but 2 of 5 ahead
        ([0.255, 0.255, 0.255, 0.245, 0.245], [0.40] * 5, False),  # 3 ahead, +0.001 only
        ([0.31, 0.31, 0.31, 0.20, 0.20], [0.39] * 5, False),  # behind under the v1 rule
    ],
)
def test_technique_languages_keep_an_own_head_only_by_the_rule(own, own_v1, kept):
    pooled, pooled_v1 = [0.25] * 5, [0.40] * 5
    comparison = Comparison("ge", pooled, own, pooled_v1, own_v1)
    assert comparison.kept() is kept
    assert ("own head kept" in comparison.line()) is kept
