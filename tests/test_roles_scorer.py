"""The T10-ST1 measures and the role decision, on hand-made cases (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers.roles import decide_roles
from narrascope.training.roles import role_scores

A = ("x.txt", "NATO", "10", "13")
B = ("x.txt", "Kyiv", "40", "43")
C = ("y.txt", "Putin", "5", "9")


def test_roles_emr_is_exact_and_ordered_like_the_official_scorer():
    gold = {A: ("Antagonist", ("Deceiver", "Corrupt")), B: ("Innocent", ("Victim",))}
    predicted = {B: ("Innocent", ("Victim",)), A: ("Antagonist", ("Corrupt", "Deceiver"))}
    scores = role_scores(gold, predicted)
    assert scores["emr"] == 0.5  # same roles in another order do not match officially
    assert scores["emr_set"] == 1.0
    assert scores["main_accuracy"] == 1.0


def test_roles_main_accuracy_and_micro_f1_by_key():
    gold = {
        A: ("Antagonist", ("Deceiver",)),
        B: ("Innocent", ("Victim",)),
        C: ("Protagonist", ("Guardian",)),
    }
    predicted = {
        C: ("Antagonist", ("Tyrant",)),
        A: ("Antagonist", ("Deceiver", "Spy")),
    }  # B missing
    scores = role_scores(gold, predicted)
    assert scores["main_accuracy"] == pytest.approx(1 / 3)
    assert scores["emr"] == 0.0
    # tp = 1 (Deceiver), fp = 2 (Spy, Tyrant), fn = 2 (Victim, Guardian)
    assert scores["fine_micro_precision"] == pytest.approx(1 / 3)
    assert scores["fine_micro_recall"] == pytest.approx(1 / 3)
    assert scores["fine_micro_f1"] == pytest.approx(1 / 3)


def test_roles_decide_keeps_fine_roles_under_the_main_role():
    parents = {"Guardian": "Protagonist", "Deceiver": "Antagonist", "Tyrant": "Antagonist"}
    fine = ["Guardian", "Deceiver", "Tyrant"]
    main = ["Protagonist", "Antagonist", "Innocent"]
    d = decide_roles(
        np.array([0.2, 0.7, 0.1]), np.array([0.9, 0.3, 0.4]), main, fine, np.full(3, 0.5), parents
    )
    assert d.main == "Antagonist" and [r for r, _ in d.fine] == [
        "Tyrant"
    ]  # best child, none passed
    d = decide_roles(
        np.array([0.2, 0.7, 0.1]), np.array([0.9, 0.8, 0.6]), main, fine, np.full(3, 0.5), parents
    )
    assert [r for r, _ in d.fine] == ["Deceiver", "Tyrant"]
