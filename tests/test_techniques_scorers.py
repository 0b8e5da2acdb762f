"""The official SemEval-2023 Task 3 and PTC metrics, reimplemented, on hand-made cases."""

from __future__ import annotations

import pytest

from narrascope.training.ptc import labelled_si_scores, merge_spans, si_scores, tc_micro_f1
from narrascope.training.semeval2023 import genre_macro_f1, multilabel_f1, per_label_f1

LABELS = ["A", "B", "C"]


def test_semeval2023_micro_f1_counts_label_pairs():
    gold = {("1", 1): ["A", "B"], ("1", 3): [], ("2", 1): ["C"]}
    predicted = {("1", 1): ["A"], ("1", 3): ["B"], ("2", 1): ["C"]}
    micro, _ = multilabel_f1(gold, predicted, LABELS)
    # tp = 2 (A, C), fp = 1 (B on line 3), fn = 1 (B on line 1): F1 = 4 / 6
    assert micro == pytest.approx(4 / 6)


def test_semeval2023_macro_f1_credits_labels_absent_everywhere():
    gold = {("1", 1): ["A"], ("1", 2): []}
    predicted = {("1", 1): ["A"], ("1", 2): ["B"]}
    _, macro = multilabel_f1(gold, predicted, LABELS)
    # A: F1 1; B: predicted, never gold, F1 0; C: absent from both, F1 1 (zero_division=1)
    assert macro == pytest.approx(2 / 3)


def test_semeval2023_f1_matches_rows_by_key_not_order():
    gold = {("1", 1): ["A"], ("1", 2): ["B"]}
    predicted = {("1", 2): ["B"], ("1", 1): ["A"]}
    assert multilabel_f1(gold, predicted, LABELS)[0] == 1.0
    assert multilabel_f1(gold, {}, LABELS)[0] == 0.0
    assert per_label_f1(gold, predicted, LABELS) == {"A": 1.0, "B": 1.0}


def test_semeval2023_f1_ignores_unknown_labels():
    assert multilabel_f1({"x": ["A"]}, {"x": ["A", "Bogus"]}, LABELS)[0] == 1.0


def test_semeval2023_genre_macro_f1():
    gold = {"1": "opinion", "2": "opinion", "3": "reporting", "4": "satire"}
    predicted = {"1": "opinion", "2": "reporting", "3": "reporting", "4": "opinion"}
    # opinion: tp1 gold2 pred2 -> .5; reporting: tp1 gold1 pred2 -> 2/3; satire: 0
    assert genre_macro_f1(gold, predicted) == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_ptc_si_partial_overlap():
    gold = {"1": [(0, 10)]}
    # predicted span covers half of the gold span and is twice as long as the overlap
    precision, recall, f1 = si_scores(gold, {"1": [(5, 15)]})
    assert (precision, recall) == (pytest.approx(0.5), pytest.approx(0.5))
    assert f1 == pytest.approx(0.5)
    assert si_scores(gold, {"1": [(0, 10)]})[2] == pytest.approx(1.0)
    assert si_scores(gold, {"2": [(0, 10)]})[2] == 0.0
    assert si_scores(gold, {})[2] == 0.0


def test_ptc_si_merges_overlapping_spans_first():
    assert merge_spans([(5, 9), (0, 6), (20, 30)]) == [(0, 9), (20, 30)]
    # two overlapping predictions over one gold span count as one perfect span
    assert si_scores({"1": [(0, 9)]}, {"1": [(0, 6), (5, 9)]})[2] == pytest.approx(1.0)


def test_ptc_tc_micro_f1_multiset_per_span():
    gold = {"1": [("Doubt", 0, 5), ("Slogans", 0, 5), ("Repetition", 10, 20)]}
    predicted = {"1": [("Doubt", 0, 5), ("Doubt", 0, 5), ("Repetition", 10, 20)]}
    # the second Doubt on (0, 5) is not a second right answer: 2 of 3
    assert tc_micro_f1(gold, predicted) == pytest.approx(2 / 3)


def test_ptc_labelled_si_credits_a_span_only_with_its_own_technique():
    gold = {"1": [("Doubt", 0, 10), ("Slogans", 20, 30)]}
    # right words, wrong technique: no credit; the Slogans span half right
    predicted = {"1": [("Loaded_Language", 0, 10), ("Slogans", 25, 35)]}
    precision, recall, f1 = labelled_si_scores(gold, predicted)
    assert (precision, recall) == (pytest.approx(0.5 / 2), pytest.approx(0.5 / 2))
    assert f1 == pytest.approx(0.25)
    assert labelled_si_scores(gold, gold)[2] == pytest.approx(1.0)
    # with one technique it is the SI score
    doubt = {"1": [("Doubt", 0, 10)]}
    assert labelled_si_scores(doubt, {"1": [("Doubt", 5, 15)]}) == si_scores(
        {"1": [(0, 10)]}, {"1": [(5, 15)]}
    )
