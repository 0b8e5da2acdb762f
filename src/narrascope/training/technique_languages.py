"""A technique head per language, kept only where it beats the pooled head out of fold.

`narrascope train techniques` fits the pooled head over all languages; then, for each
language, the same whole recipe (head, Platt, operating rule chosen by nested CV, cuts) on
that language's sentences alone, over the pooled head's outer folds restricted to it. The own
head is kept when, by official T3-ST3 micro-F1 by line on that language's held-out articles,
it leads the pooled head by `MIN_GAIN` on the mean over folds, in at least `FOLDS_AHEAD`
folds, under the shipped rule, and is not behind under techniques-v1's F1-tuned cuts: the
rule pre-registered in benchmarks/RESULTS.md ("Techniques: a head per language vs the pooled
head"), which kept German and Italian. Kept heads are stored beside the pooled one as extra
tensors `weights.<iso>`, `bias.<iso>`, `thresholds.<iso>`, their facts in `info["languages"]`.
A refit with an analyst's corrections (#19) chooses the heads as without them (the comparison,
rule, Platt and cuts are the labelled data's) and fits each kept head with the corrections of
documents in its language, as narratives do (`training.narrative_languages`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from narrascope.training import semeval2023
from narrascope.training.calibrate import (
    RULES,
    CrossFit,
    apply_platt,
    choose_rule,
    cross_fit_platt,
    cross_fit_shown_platt_by_group,
    fit_platt_all,
    fit_shown_platt_by_group,
    fold_platt,
)
from narrascope.training.corrections import WEIGHT, CorrectedSet
from narrascope.training.fit import cross_validate_sigmoid
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.technique_corpus import Corpus, f1_rule, fit_head, line_predictions

MIN_GAIN = 0.01  # the own head's lead in mean micro-F1 over folds, shipped rule
FOLDS_AHEAD = 3  # outer folds (of 5) in which the own head must be strictly ahead


@dataclass
class Decisions:
    """A head's out-of-fold (sentence, technique) decisions on a corpus, by both rules."""

    raw: np.ndarray  # (n, 23) out-of-fold probabilities before Platt
    crossed: CrossFit  # Platt and the nested-CV rule cross-fitted: the shipped rule
    v1: np.ndarray  # (n, 23) bool: techniques-v1's cuts tuned for micro-F1 per language


def decide(corpus: Corpus, held_out: list[np.ndarray], l2: float) -> Decisions:
    """`train`'s measured path on `corpus` over the folds `held_out`."""
    raw, _ = cross_validate_sigmoid(corpus.x, corpus.y, held_out, l2=l2)
    crossed = cross_fit_platt(raw, corpus.y, held_out, rules=RULES)
    return Decisions(raw, crossed, f1_rule(corpus, raw, held_out))


def subset(corpus: Corpus, rows: np.ndarray, folder: str) -> Corpus:
    """The rows of one language folder as a corpus of its own, in the same order."""
    return Corpus(
        [corpus.sentences[i] for i in rows],
        [corpus.folders[i] for i in rows],
        corpus.x[rows],
        corpus.y[rows],
        {folder: corpus.line_labels[folder]},
    )


def fold_micro_f1(corpus: Corpus, shown: np.ndarray, rows: np.ndarray, folder: str) -> float:
    """Official T3-ST3 micro-F1 over the `folder` lines of the articles of `rows`."""
    articles = {corpus.sentences[i].article for i in rows if corpus.folders[i] == folder}
    gold = {k: v for k, v in corpus.line_labels[folder].items() if k[0] in articles}
    predicted = line_predictions(corpus, shown, folder)
    return semeval2023.multilabel_f1(gold, predicted, TECHNIQUES)[0]


@dataclass
class Comparison:
    """Own head vs pooled head on one language's held-out lines, per outer fold."""

    folder: str
    pooled: list[float]  # shipped rule, micro-F1 per outer fold
    own: list[float]
    pooled_v1: list[float]  # techniques-v1's rule
    own_v1: list[float]

    @property
    def gain(self) -> float:
        return float(np.mean(self.own) - np.mean(self.pooled))

    @property
    def gain_v1(self) -> float:
        return float(np.mean(self.own_v1) - np.mean(self.pooled_v1))

    @property
    def ahead(self) -> int:
        return sum(o > p for o, p in zip(self.own, self.pooled, strict=True))

    def kept(self) -> bool:
        """The pre-registered rule: ahead by `MIN_GAIN` in `FOLDS_AHEAD` folds, v1 not behind."""
        return self.gain >= MIN_GAIN and self.ahead >= FOLDS_AHEAD and self.gain_v1 >= 0

    def line(self) -> str:
        verdict = "own head kept" if self.kept() else "pooled head kept"
        return (
            f"- {self.folder.upper()}: {verdict}; micro-F1 mean over folds own "
            f"{np.mean(self.own):.4f} vs pooled {np.mean(self.pooled):.4f} ({self.gain:+.4f}, "
            f"{self.ahead}/{len(self.own)} folds ahead); v1 rule own {np.mean(self.own_v1):.4f} "
            f"vs pooled {np.mean(self.pooled_v1):.4f}"
        )


def compare(
    corpus: Corpus,
    pooled: Decisions,
    mine: Corpus,
    own: Decisions,
    outer: list[np.ndarray],
    local: list[np.ndarray],
    folder: str,
) -> Comparison:
    """Both heads' micro-F1 on `folder`'s lines of each outer fold (`local`: the same folds as
    rows of `mine`)."""

    def per_fold(c: Corpus, shown: np.ndarray, folds: list[np.ndarray]) -> list[float]:
        return [fold_micro_f1(c, shown, held, folder) for held in folds]

    return Comparison(
        folder,
        per_fold(corpus, pooled.crossed.shown, outer),
        per_fold(mine, own.crossed.shown, local),
        per_fold(corpus, pooled.v1, outer),
        per_fold(mine, own.v1, local),
    )


@dataclass
class LanguageHead:
    """A head fitted on one language alone, with how it compared with the pooled head."""

    code: str  # ISO code, as `Document.language`
    comparison: Comparison
    tensors: dict[str, np.ndarray]  # weights, bias (Platt folded in), thresholds
    info: dict[str, object]
    cv_ece_shown: float  # of the stored scores of its shown labels, cross-fitted
    cv_micro_f1: float = float("nan")  # T3-ST3 micro-F1 over all its articles, out of fold


def language_head(
    corpus: Corpus,
    pooled: Decisions,
    held_out: list[np.ndarray],
    folder: str,
    *,
    l2: float,
    corrected: CorrectedSet | None = None,
) -> LanguageHead:
    """The recipe on `folder`'s sentences alone over `held_out` restricted to them, compared
    with the pooled head's decisions there; fitted on all of them if the comparison keeps it.

    `corrected`: an analyst's corrections of documents in this language, weighed into that
    final fit only (the comparison, rule, Platt and cuts stay the labelled data's), as the
    pooled head's are (#19)."""
    code = semeval2023.LANGUAGE_CODES.get(folder, folder)
    rows = np.flatnonzero(np.array(corpus.folders) == folder)
    mine = subset(corpus, rows, folder)
    local = [np.searchsorted(rows, np.intersect1d(held, rows)) for held in held_out]
    own = decide(mine, local, l2)
    comparison = compare(corpus, pooled, mine, own, held_out, local, folder)
    if not comparison.kept():
        return LanguageHead(code, comparison, {}, {}, float("nan"))
    # As `train` does for the pooled head: the rule nested CV picks on all of this language's
    # folds, Platt on all its out-of-fold scores, cuts on the calibrated ones.
    rule = choose_rule(own.crossed.calibrated, mine.y, local)
    a, b = fit_platt_all(own.raw, mine.y)
    calibrated = apply_platt(own.raw, a, b)
    cuts = rule.cuts(calibrated, mine.y)
    # One group: its pair is the Platt of all its shown cells (no other language to lean on).
    pairs = fit_shown_platt_by_group(calibrated, mine.y, calibrated >= cuts, [code] * len(rows))
    stored = cross_fit_shown_platt_by_group(own.crossed, mine.y, [code] * len(rows), local)
    predicted = line_predictions(mine, own.crossed.shown, folder)
    micro, macro = semeval2023.multilabel_f1(mine.line_labels[folder], predicted, TECHNIQUES)
    weights, bias = fold_platt(*fit_head(mine.x, mine.y, corrected, l2=l2), a, b)
    info: dict[str, object] = {
        "sentences": len(rows),
        "operating_points": f"{rule.describe()} (chosen by nested CV on this language alone)",
        "platt_a": [round(float(v), 6) for v in a],
        "platt_b": [round(float(v), 6) for v in b],
        "shown_platt": [round(float(v), 6) for v in pairs[code]],
        "cv_st3_micro_f1": round(micro, 4),  # all the language's articles, out of fold
        "cv_st3_macro_f1": round(macro, 4),
        "cv_fold_mean_micro_f1": round(float(np.mean(comparison.own)), 4),
        "cv_fold_mean_micro_f1_pooled": round(float(np.mean(comparison.pooled)), 4),
    }
    if corrected is not None and len(corrected.x):
        info["corrections"] = corrected.info(WEIGHT)
    tensors = {"weights": weights, "bias": bias, "thresholds": cuts.astype(np.float32)}
    ece = stored.reliability(mine.y).ece_shown
    return LanguageHead(code, comparison, tensors, info, ece, round(micro, 4))
