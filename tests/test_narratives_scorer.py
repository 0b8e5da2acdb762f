"""The T10-ST2 metric and the label decision, on hand-made cases (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers.narratives import decide, read_taxonomy
from narrascope.training.narratives import (
    instance_f1,
    official_classes,
    samples_f1,
    score_decisions,
)
from narrascope.training.semeval2025 import NarrativeLabels

WEST = "URW: Discrediting the West, Diplomacy"
WEAK = "URW: Discrediting the West, Diplomacy: The West is weak"
MEDIA = "URW: Distrust towards Media"
CLASSES = ["Other", WEST, MEDIA]


def test_narratives_instance_f1_is_per_article_f1():
    assert instance_f1([WEST, MEDIA], [WEST], CLASSES) == pytest.approx(2 / 3)
    assert instance_f1(["Other"], ["Other"], CLASSES) == 1.0
    assert instance_f1([WEST], [MEDIA], CLASSES) == 0.0


def test_narratives_instance_f1_ignores_labels_outside_the_list_like_the_official_scorer():
    assert instance_f1(["Not a label"], [], CLASSES) == 0.0  # nothing left on either side
    assert instance_f1([WEST, "Not a label"], [WEST], CLASSES) == 1.0


def test_narratives_samples_f1_pairs_by_article_id_not_row_order():
    gold = {"a.txt": [WEST], "b.txt": [MEDIA], "c.txt": ["Other"]}
    predicted = {"c.txt": ["Other"], "b.txt": [MEDIA, WEST], "a.txt": [WEST]}
    mean, std = samples_f1(gold, predicted, CLASSES)
    assert mean == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert std == pytest.approx(np.std([1, 2 / 3, 1]))


def test_narratives_samples_f1_counts_a_missing_article_as_empty():
    assert samples_f1({"a.txt": [WEST], "b.txt": [MEDIA]}, {"a.txt": [WEST]}, CLASSES)[0] == 0.5


def test_narratives_scores_reported_with_official_and_extended_lists():
    missing = "CC: Climate change is beneficial: Temperature increase is beneficial"
    taxonomy = read_taxonomy()
    assert missing not in official_classes(taxonomy, extended=False)[1]
    assert missing in official_classes(taxonomy, extended=True)[1]
    gold = {"a.txt": NarrativeLabels("a.txt", ("CC: Climate change is beneficial",), (missing,))}
    scores = score_decisions(gold, dict(gold), taxonomy)
    assert scores["f1_coarse_official"] == scores["f1_coarse_extended"] == 1.0
    assert scores["f1_fine_official"] == 0.0 and scores["f1_fine_extended"] == 1.0


def test_narratives_decide_keeps_the_hierarchy():
    labels = ["Other", WEST, WEAK, MEDIA]
    cut = np.array([0.5, 0.5, 0.5, 0.5])
    only_sub = decide(np.array([0.1, 0.2, 0.9, 0.1]), labels, cut)
    assert set(only_sub.narratives) == {WEST} and set(only_sub.subnarratives) == {WEAK}
    only_narrative = decide(np.array([0.1, 0.1, 0.2, 0.8]), labels, cut)
    assert only_narrative.subnarratives == {f"{MEDIA}: Other": pytest.approx(0.8)}


def test_narratives_decide_other_wins_or_the_best_narrative_is_kept():
    labels = ["Other", WEST, WEAK, MEDIA]
    cut = np.array([0.5, 0.5, 0.5, 0.5])
    other = decide(np.array([0.7, 0.9, 0.2, 0.3]), labels, cut)
    assert other.narratives == {"Other": pytest.approx(0.7)} and set(other.subnarratives) == {
        "Other"
    }
    weak = decide(np.array([0.2, 0.1, 0.2, 0.3]), labels, cut)
    assert set(weak.narratives) == {MEDIA} and set(weak.subnarratives) == {f"{MEDIA}: Other"}


def test_narratives_decide_keeps_one_domain():
    climate = "CC: Criticism of climate movement"
    labels = ["Other", WEST, climate]
    decision = decide(np.array([0.1, 0.8, 0.7]), labels, np.full(3, 0.5))
    assert set(decision.narratives) == {WEST}


def test_narratives_decide_keeps_the_best_narrative_beside_one_brought_by_a_subnarrative():
    labels = ["Other", WEST, WEAK, MEDIA]
    cut = np.array([0.5, 0.5, 0.4, 0.5])
    decision = decide(np.array([0.1, 0.3, 0.45, 0.49]), labels, cut)
    assert set(decision.narratives) == {WEST, MEDIA}
    assert set(decision.subnarratives) == {WEAK, f"{MEDIA}: Other"}
