"""Calibration, operating points and scores of the fine-tuned model on its held-out articles,
and the fast head's scores on the very same articles, so the two profiles compare like with like.

The held-out English articles never trained the model. Their sentence logits are calibrated
(Platt per technique, or one scaling shared by all) and decided (operating points by the rule nested
CV chooses, as the fast head ships them since techniques-v3; techniques-v2's fixed rule, F0.5
with floor 0.5; and F1-optimal cuts, as techniques-v1 chose them) cross-fitted over five folds of
those articles: each fold is judged by what the other four chose. Scores are the official T3
subtask-3 micro/macro-F1 over the held-out articles' lines. The fast head is fitted as
`narrascope train techniques` fits it, on the other folds of the same CV, and judged the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.heads import apply_platt, sigmoid
from narrascope.training import semeval2023
from narrascope.training.calibrate import (
    RULES,
    Rule,
    choose_rule,
    cross_calibrated,
    cross_fit_platt,
    expected_calibration_error,
    fit_platt,
    fit_platt_all,
)
from narrascope.training.fit import grouped_folds, rest_of, tune_thresholds
from narrascope.training.semeval2023 import TECHNIQUES, Sentence


@dataclass(frozen=True)
class HeldOutScores:
    """What a model scores on the held-out articles (official T3-ST3 line F1s and calibration)."""

    micro_shipped: float  # operating points by the nested-CV rule (techniques-v3's)
    macro_shipped: float
    micro_f1_rule: float  # per-technique cuts tuned for F1
    macro_f1_rule: float
    micro_v2_rule: float = float("nan")  # F0.5 per technique, floor 0.5 (techniques-v2's)
    macro_v2_rule: float = float("nan")
    ece: float = float("nan")
    ece_temperature: float = float("nan")
    shown_precision: float = float("nan")
    shown_recall: float = float("nan")

    def lines(self, name: str) -> list[str]:
        return [
            f"{name}: micro-F1 {self.micro_shipped:.3f} (macro {self.macro_shipped:.3f}) at the "
            f"operating points of the nested-CV rule, {self.micro_f1_rule:.3f} "
            f"(macro {self.macro_f1_rule:.3f}) at F1-tuned cuts, {self.micro_v2_rule:.3f} "
            f"(macro {self.macro_v2_rule:.3f}) at techniques-v2's F0.5 cuts >= 0.5",
            f"{name}: ECE {self.ece:.4f} (Platt per technique), {self.ece_temperature:.4f} (one "
            f"scaling for all); shown precision {self.shown_precision:.3f}, recall "
            f"{self.shown_recall:.3f}",
        ]


def line_scores(
    sentences: Sequence[Sentence],
    passed: np.ndarray,
    gold: dict[tuple[str, int], list[str]],
    articles: set[str],
) -> tuple[float, float]:
    """Official micro/macro-F1 over the lines of `articles`, a line taking its sentences' union."""
    rows: dict[tuple[str, int], set[str]] = defaultdict(set)
    for sentence, keep in zip(sentences, passed, strict=True):
        rows[(sentence.article, sentence.line)].update(TECHNIQUES[j] for j in np.flatnonzero(keep))
    predicted: dict[object, list[str]] = {key: sorted(v) for key, v in rows.items()}
    scoped: dict[object, list[str]] = {k: v for k, v in gold.items() if k[0] in articles}
    return semeval2023.multilabel_f1(scoped, predicted, TECHNIQUES)


def sub_folds(sentences: Sequence[Sentence], seed: int, folds: int = 5) -> list[np.ndarray]:
    """Folds of the held-out rows, grouped by article."""
    return grouped_folds([s.article for s in sentences], folds, seed)


def f1_cuts_cross_fitted(scores: np.ndarray, y: np.ndarray, held: list[np.ndarray]) -> np.ndarray:
    """Decisions at per-technique F1-tuned cuts, each fold cut by the other folds' choice."""
    passed = np.zeros(y.shape, dtype=bool)
    for rows in held:
        rest = rest_of(rows, len(y))
        passed[rows] = scores[rows] >= tune_thresholds(y[rest], scores[rest])
    return passed


def shared_scaling_ece(raw: np.ndarray, y: np.ndarray, held: list[np.ndarray]) -> float:
    """ECE of one Platt scaling shared by every technique (a temperature with a shift),
    cross-fitted over `held`."""
    calibrated = np.zeros(y.shape)
    for rows in held:
        rest = rest_of(rows, len(y))
        a, b = fit_platt(raw[rest].ravel(), y[rest].ravel())
        calibrated[rows] = apply_platt(raw[rows], np.full(y.shape[1], a), np.full(y.shape[1], b))
    return expected_calibration_error(calibrated, y)


def score_held_out(
    logits: np.ndarray,
    y: np.ndarray,
    sentences: Sequence[Sentence],
    gold: dict[tuple[str, int], list[str]],
    *,
    seed: int,
) -> HeldOutScores:
    """Cross-fitted calibration, decisions and line scores of held-out logits (n, 23)."""
    held = sub_folds(sentences, seed)
    raw = sigmoid(logits)
    crossed = cross_fit_platt(raw, y, held, rules=RULES)
    articles = {s.article for s in sentences}
    shipped = line_scores(sentences, crossed.shown, gold, articles)
    tuned = line_scores(
        sentences, f1_cuts_cross_fitted(crossed.calibrated, y, held), gold, articles
    )
    v2 = line_scores(sentences, cross_fit_platt(raw, y, held).shown, gold, articles)
    fit = crossed.reliability(y)
    return HeldOutScores(
        *shipped,
        *tuned,
        *v2,
        ece=fit.ece,
        ece_temperature=shared_scaling_ece(raw, y, held),
        shown_precision=fit.shown_precision,
        shown_recall=fit.shown_recall,
    )


@dataclass(frozen=True)
class Calibration:
    """The shipped calibration of the fine-tuned model: Platt per technique and operating points,
    fitted on every held-out sentence, and the operating rule nested CV chose."""

    a: np.ndarray
    b: np.ndarray
    cuts: np.ndarray
    rule: Rule


def fit_calibration(
    logits: np.ndarray, y: np.ndarray, sentences: Sequence[Sentence], *, seed: int
) -> Calibration:
    """Platt per technique on the held-out logits, then operating points by the rule chosen,
    as the fast head's (`training.techniques.train`), by CV over folds of the held-out
    articles on their cross-calibrated probabilities."""
    raw = sigmoid(logits)
    held = sub_folds(sentences, seed)
    rule = choose_rule(cross_calibrated(raw, y, held), y, held)
    a, b = fit_platt_all(raw, y)
    return Calibration(a, b, rule.cuts(apply_platt(raw, a, b), y), rule)


def fast_on_held_out(t3: Path, articles: set[str], *, seed: int, folds: int) -> HeldOutScores:
    """The fast technique head on the held-out English `articles`, judged exactly as the
    fine-tuned model: fitted as `narrascope train techniques` fits it (all languages pooled) on
    the other folds of its grouped CV, then calibrated, cut and scored by `score_held_out`."""
    from narrascope.encode import default_encoder
    from narrascope.heads import logit
    from narrascope.training.fit import fit_sigmoid
    from narrascope.training.techniques import CACHE, L2, load_corpus
    from narrascope.training.vectors import VectorCache

    corpus = load_corpus(t3, "train", store=VectorCache(CACHE, default_encoder()))
    rows = np.array(
        [
            f == "en" and s.article in articles
            for f, s in zip(corpus.folders, corpus.sentences, strict=True)
        ]
    )
    held = grouped_folds(corpus.groups(), folds, seed)
    fold = next(k for k, h in enumerate(held) if rows[h].any())
    in_fold = np.zeros(len(rows), dtype=bool)
    in_fold[held[fold]] = True
    if (rows & ~in_fold).any():
        raise ValueError("the held-out articles are not one fold of the fast head's CV")
    fit = rest_of(held[fold], len(corpus.y))
    weights, bias = fit_sigmoid(corpus.x[fit], corpus.y[fit], l2=L2)
    raw = sigmoid(corpus.x[rows] @ weights + bias)
    sentences = [s for s, keep in zip(corpus.sentences, rows, strict=True) if keep]
    gold = corpus.line_labels["en"]
    return score_held_out(logit(raw), corpus.y[rows], sentences, gold, seed=seed)
