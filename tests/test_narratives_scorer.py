"""The T10-ST2 metric and the label decision, on hand-made cases (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers.narratives import decide, read_taxonomy
from narrascope.training.narrative_scoring import (
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


def test_narratives_decide_keeps_nothing_under_the_floor_and_cuts_where_told():
    labels = ["Other", WEST, WEAK, MEDIA]
    cut = np.array([0.5, 0.5, 0.5, 0.5])
    probabilities = np.array([0.1, 0.3, 0.2, 0.1])
    blend = np.array([0.1, 0.8, 0.9, 0.2])  # the cuts apply to the blend: WEST and WEAK pass
    decision = decide(probabilities, labels, cut, cut_scores=blend, floor=0.15)
    assert decision.narratives == {WEST: pytest.approx(0.3)} and set(decision.subnarratives) == {
        WEAK
    }
    decision = decide(probabilities, labels, cut, cut_scores=blend, floor=0.25)  # WEAK under it
    assert set(decision.narratives) == {WEST} and set(decision.subnarratives) == {f"{WEST}: Other"}
    silent = decide(probabilities, labels, cut, floor=0.35)  # not even the best narrative
    assert silent.narratives == {"Other": 1.0}


@pytest.mark.parametrize("floor", [0.0, 0.2, 0.35])
@pytest.mark.parametrize("space", ["calibrated", "blend"])
def test_narratives_decider_equals_decide_and_the_official_scores(floor, space):
    """The vectorised decision of the cut search is `decide`, article by article, and its F1
    is the official samples-F1."""
    from narrascope.analyzers.narratives import head_labels
    from narrascope.training.narrative_rules import CutRule, Decider
    from narrascope.training.narrative_scoring import Example

    taxonomy = read_taxonomy()
    labels = head_labels(taxonomy)
    rng = np.random.default_rng(7)
    n = 300
    probabilities = rng.random((n, len(labels))) ** 3
    blend = np.clip(probabilities + rng.normal(0, 0.2, probabilities.shape), 0, 1)
    rule = CutRule(space, floor, 0.3, 0.2, 0.6)
    cut = rule.thresholds(labels)
    cut_scores = blend if space == "blend" else probabilities
    decider = Decider(labels, taxonomy)
    shown = decider.decide(probabilities, cut_scores, cut, floor)
    mask, score = decider.shown_labels(shown, probabilities)
    gold, predicted, examples = {}, {}, []
    for row in range(n):
        d = decide(
            probabilities[row],
            labels,
            cut,
            cut_scores=blend[row] if space == "blend" else None,
            floor=floor,
        )
        stored = {**d.narratives, **d.subnarratives}
        expected = {x: s for x, s in stored.items() if x != "Other" and not x.endswith(": Other")}
        got = {labels[j]: score[row, j] for j in np.flatnonzero(mask[row])}
        assert got.keys() == expected.keys()
        assert all(got[x] == pytest.approx(expected[x]) for x in got)
        article = f"{row}.txt"
        picked = rng.choice(len(labels), 2, replace=False)
        truth = [labels[j] for j in picked if labels[j].count(": ") < 2]
        subs = [labels[j] for j in picked if labels[j].count(": ") >= 2]
        truth += [x.rsplit(": ", 1)[0] for x in subs] if subs else []
        gold[article] = NarrativeLabels(
            article, tuple(truth) or ("Other",), tuple(subs) or ("Other",)
        )
        predicted[article] = NarrativeLabels(article, tuple(d.narratives), tuple(d.subnarratives))
        examples.append(Example(None, gold[article]))  # type: ignore[arg-type]
    coarse, fine = decider.f1(shown, decider.gold(examples))
    official = score_decisions(gold, predicted, taxonomy)
    assert coarse.mean() == pytest.approx(official["f1_coarse_official"])
    assert fine.mean() == pytest.approx(official["f1_fine_official"])
