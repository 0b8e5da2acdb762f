"""Operating rules of the narrative heads (issue 15): level cuts on the calibrated probability
or on the uncalibrated blend, and a floor on the calibrated probability; `Decider`, `decide`
vectorised over articles, and the nested cross-validation that measures the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrascope.analyzers.narratives import (
    OTHER,
    NarrativeLabel,
    is_subnarrative,
    parent_of,
)
from narrascope.training.calibrate import (
    apply_platt,
    cross_calibrated,
    expected_calibration_error,
    fit_platt_all,
)
from narrascope.training.narrative_scoring import (
    LEVEL_GRID,
    Example,
    level_thresholds,
    official_classes,
)

# --- operating rules: level cuts on the calibrated probability or on the blend, and a floor ---


@dataclass(frozen=True, slots=True)
class CutRule:
    """How labels are shown: three level cuts (narrative, subnarrative, "Other") applied to the
    calibrated probabilities or to the uncalibrated blend (`space`), and a `floor` that every
    shown label's calibrated probability reaches (`decide`)."""

    space: str  # "calibrated" | "blend"
    floor: float
    narrative: float
    subnarrative: float
    other: float

    def thresholds(self, labels: Sequence[str]) -> np.ndarray:
        return level_thresholds(labels, self.narrative, self.subnarrative, self.other)

    def describe(self) -> str:
        cuts = f"{self.narrative:g}/{self.subnarrative:g}/{self.other:g}"
        return f"cuts {cuts} on the {self.space}, floor {self.floor:g}"


# Candidates nested CV chooses among (issue 15). On the calibrated probability the cut is the
# floor too, so the floors add nothing there but what the forced best narrative must reach.
CUT_SPACES = ("calibrated", "blend")
FLOORS = (0.15, 0.2, 0.25, 0.3, 0.35)
BLEND_GRID = {
    "narrative": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "subnarrative": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "other": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
}


V2_RULES = "calibrated, no floor (narratives-v2)"
CHOSEN = "chosen: both spaces, floors 0.15-0.35, shown precision >= 0.44"


def cut_rules(space: str, floor: float) -> list[CutRule]:
    """Every level-cut combination of one cut space at one floor."""
    grid = LEVEL_GRID if space == "calibrated" else BLEND_GRID
    return [
        CutRule(space, floor, n, s, o)
        for n in grid["narrative"]
        for s in grid["subnarrative"]
        for o in grid["other"]
    ]


@dataclass
class Shown:
    """`decide` over many articles at once: what each article shows."""

    narratives: np.ndarray  # (n, narratives) bool: narrative kept
    subnarratives: np.ndarray  # (n, subnarratives) bool: listed subnarrative kept
    by_sub: np.ndarray  # (n, narratives) bool: narrative brought by a kept subnarrative
    passed: np.ndarray  # (n, narratives) bool: narrative over its own cut and the floor
    other: np.ndarray  # (n,) bool: "Other" (nothing shown)


@dataclass
class Scores:
    """One article matrix's scores, split the way `Decider.decide` reads them."""

    pn: np.ndarray  # calibrated, narratives
    ps: np.ndarray  # calibrated, subnarratives
    cn: np.ndarray  # what the cuts apply to, narratives
    cs: np.ndarray  # what the cuts apply to, subnarratives
    c_other: np.ndarray
    best: np.ndarray  # the best narrative per article
    best_p: np.ndarray
    domain_n: np.ndarray  # (n, narratives) bool: of the best narrative's domain
    domain_s: np.ndarray


@dataclass
class Gold:
    """Gold labels aligned with the decision's columns, for the official samples-F1."""

    narratives: np.ndarray  # (n, narratives) bool, official coarse classes only
    other_coarse: np.ndarray  # (n,) bool
    coarse_count: np.ndarray  # (n,) gold coarse classes
    subnarratives: np.ndarray  # (n, subnarratives) bool, official fine classes only
    catch: np.ndarray  # (n, narratives) bool: "<narrative>: Other"
    other_fine: np.ndarray
    fine_count: np.ndarray

    def rows(self, rows: np.ndarray) -> Gold:
        return Gold(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


class Decider:
    """`decide` vectorised over articles (for the cut search; a test holds it equal to `decide`),
    and the official samples-F1 of its decisions."""

    def __init__(self, labels: Sequence[str], taxonomy: Sequence[NarrativeLabel]) -> None:
        self.labels = list(labels)
        self.other = self.labels.index(OTHER)
        self.narr = np.array(
            [j for j, x in enumerate(labels) if x != OTHER and not is_subnarrative(x)]
        )
        self.sub = np.array([j for j, x in enumerate(labels) if is_subnarrative(x)])
        narr_labels = [self.labels[j] for j in self.narr]
        self.parent = np.array([narr_labels.index(parent_of(self.labels[j])) for j in self.sub])
        # subnarratives grouped by narrative, for "any kept subnarrative" per narrative
        self.by_parent = np.argsort(self.parent, kind="stable")
        parents = self.parent[self.by_parent]
        self.starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        self.with_subs = parents[self.starts]
        domains = sorted({x.split(": ", 1)[0] for x in narr_labels})
        self.narr_domain = np.array([domains.index(x.split(": ", 1)[0]) for x in narr_labels])
        self.sub_domain = self.narr_domain[self.parent]
        self.coarse, self.fine = official_classes(taxonomy, extended=False)
        c_at = {x: i for i, x in enumerate(self.coarse)}
        f_at = {x: i for i, x in enumerate(self.fine)}
        self.narr_coarse = np.array([c_at.get(x, -1) for x in narr_labels])
        self.sub_fine = np.array([f_at.get(self.labels[j], -1) for j in self.sub])
        self.catch_fine = np.array([f_at.get(f"{x}: Other", -1) for x in narr_labels])
        self.other_coarse, self.other_fine = c_at.get(OTHER, -1), f_at.get(OTHER, -1)

    def scores(self, probabilities: np.ndarray, cut_scores: np.ndarray) -> Scores:
        p, c = probabilities, cut_scores
        pn = p[:, self.narr]
        best = np.argmax(pn, axis=1)
        domain = self.narr_domain[best][:, None]
        return Scores(
            pn,
            p[:, self.sub],
            c[:, self.narr],
            c[:, self.sub],
            c[:, self.other],
            best,
            pn[np.arange(len(p)), best],
            self.narr_domain[None, :] == domain,
            self.sub_domain[None, :] == domain,
        )

    def decide(
        self, scores: Scores | np.ndarray, cut_scores: np.ndarray | None, cut, floor
    ) -> Shown:
        """`decide` for every row: `scores` the calibrated probabilities (or their `Scores`)."""
        if not isinstance(scores, Scores):
            scores = self.scores(scores, scores if cut_scores is None else cut_scores)
        s = scores
        passed = (s.cn >= cut[self.narr]) & (s.pn >= floor) & s.domain_n
        subs = (s.cs >= cut[self.sub]) & (s.ps >= floor) & s.domain_s
        by_sub = np.zeros_like(passed)
        if len(self.sub):
            grouped = np.logical_or.reduceat(subs[:, self.by_parent], self.starts, axis=1)
            by_sub[:, self.with_subs] = grouped
        narratives = passed | by_sub
        rows = np.arange(len(s.best))
        narratives[rows, s.best] |= s.best_p >= floor
        other = (s.c_other >= cut[self.other]) | ~narratives.any(axis=1)
        keep = ~other[:, None]
        return Shown(narratives & keep, subs & keep, by_sub & keep, passed & keep, other)

    def gold(self, examples: Sequence[Example]) -> Gold:
        """The examples' gold over the official coarse and fine classes, aligned."""
        c_at = {x: i for i, x in enumerate(self.coarse)}
        f_at = {x: i for i, x in enumerate(self.fine)}
        gc = np.zeros((len(examples), len(self.coarse) + 1), dtype=bool)  # last: never
        gf = np.zeros((len(examples), len(self.fine) + 1), dtype=bool)
        for row, ex in enumerate(examples):
            assert ex.gold is not None
            gc[row, [c_at[x] for x in ex.gold.narratives if x in c_at]] = True
            gf[row, [f_at[x] for x in ex.gold.subnarratives if x in f_at]] = True
        return Gold(
            gc[:, self.narr_coarse],
            gc[:, self.other_coarse],
            gc[:, :-1].sum(axis=1),
            gf[:, self.sub_fine],
            gf[:, self.catch_fine],
            gf[:, self.other_fine],
            gf[:, :-1].sum(axis=1),
        )

    def f1(self, shown: Shown, gold: Gold) -> tuple[np.ndarray, np.ndarray]:
        """Per article, the official coarse and fine F1 of `shown` (`instance_f1`)."""
        other = shown.other
        narr = shown.narratives[:, self.narr_coarse >= 0]
        tp = (narr & gold.narratives[:, self.narr_coarse >= 0]).sum(axis=1)
        predicted = narr.sum(axis=1)
        if self.other_coarse >= 0:
            tp, predicted = tp + (other & gold.other_coarse), predicted + other
        coarse = _f1(tp, predicted + gold.coarse_count)
        subs = shown.subnarratives[:, self.sub_fine >= 0]
        catch = (shown.narratives & ~shown.by_sub)[:, self.catch_fine >= 0]
        tp = (subs & gold.subnarratives[:, self.sub_fine >= 0]).sum(axis=1)
        tp += (catch & gold.catch[:, self.catch_fine >= 0]).sum(axis=1)
        predicted = subs.sum(axis=1) + catch.sum(axis=1)
        if self.other_fine >= 0:
            tp, predicted = tp + (other & gold.other_fine), predicted + other
        return coarse, _f1(tp, predicted + gold.fine_count)

    def shown_labels(
        self, shown: Shown, probabilities: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every shown (article, label) as a mask over the head's columns, and its stored score:
        a narrative brought by a subnarrative scores max(its own, its first kept one's)."""
        mask = np.zeros(probabilities.shape, dtype=bool)
        score = np.zeros(probabilities.shape, dtype=np.float64)
        pn, ps = probabilities[:, self.narr], probabilities[:, self.sub]
        narrative_scores = pn.copy()
        for k in np.flatnonzero((shown.by_sub & ~shown.passed).any(axis=0)):
            mine = np.flatnonzero(self.parent == k)
            first = mine[np.argmax(shown.subnarratives[:, mine], axis=1)]
            brought = shown.by_sub[:, k] & ~shown.passed[:, k]
            narrative_scores[brought, k] = np.maximum(pn[brought, k], ps[brought, first[brought]])
        mask[:, self.narr], score[:, self.narr] = shown.narratives, narrative_scores
        mask[:, self.sub], score[:, self.sub] = shown.subnarratives, ps
        return mask, score


def _f1(tp: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.where(size > 0, 2 * tp / np.maximum(size, 1), 0.0)


PRECISION_TARGET = 0.44  # narratives-v2's shown precision: a new rule must not show noisier labels


@dataclass
class RuleScore:
    """What one rule's decisions measure on some articles."""

    coarse: float
    fine: float
    precision: float
    recall: float

    @property
    def key(self) -> float:
        return self.fine + self.coarse / 100  # as `choose_thresholds`: fine first


def score_rules(
    decider: Decider,
    gold: Gold,
    y: np.ndarray,
    probabilities: np.ndarray,
    blended: np.ndarray,
    rules: Sequence[CutRule],
) -> dict[CutRule, RuleScore]:
    """What every rule's decisions measure on these rows (calibrated `probabilities`, and the
    uncalibrated `blended` scores that rules on the blend cut)."""
    spaces = {
        "calibrated": decider.scores(probabilities, probabilities),
        "blend": decider.scores(probabilities, blended),
    }
    yn, ys = y[:, decider.narr] > 0, y[:, decider.sub] > 0
    positives = float(yn.sum() + ys.sum())
    out = {}
    for rule in rules:
        shown = decider.decide(
            spaces[rule.space], None, rule.thresholds(decider.labels), rule.floor
        )
        coarse, fine = decider.f1(shown, gold)
        tp = float((shown.narratives & yn).sum() + (shown.subnarratives & ys).sum())
        count = float(shown.narratives.sum() + shown.subnarratives.sum())
        out[rule] = RuleScore(
            float(coarse.mean()), float(fine.mean()), tp / max(count, 1.0), tp / max(positives, 1.0)
        )
    return out


def pick_rule(
    scored: dict[CutRule, RuleScore], rules: Sequence[CutRule], min_precision: float = 0.0
) -> CutRule:
    """Of `rules`, the one of best samples-F1 (fine, then coarse) among those whose shown labels
    are right at least `min_precision` of the time (none such: the most precise)."""
    fit = [r for r in rules if scored[r].precision >= min_precision]
    if not fit:
        return max(rules, key=lambda r: scored[r].precision)
    return max(fit, key=lambda r: scored[r].key)


@dataclass
class NestedResult:
    """One candidate's decisions, each outer fold by the rule chosen on the other folds."""

    other: int  # the "Other" column
    passes: np.ndarray  # (article, label) over its cut and floor, before the decision
    rules: list[CutRule]
    probabilities: np.ndarray  # calibrated on the other folds
    mask: np.ndarray  # shown (article, label)
    score: np.ndarray  # stored score of what is shown
    coarse: np.ndarray  # per article F1
    fine: np.ndarray

    def per_label_precision(self, y: np.ndarray) -> float:
        return float((self.passes & (y > 0)).sum()) / max(float(self.passes.sum()), 1.0)

    def measures(self, y: np.ndarray, rows: np.ndarray | None = None) -> dict[str, float]:
        rows = np.arange(len(y)) if rows is None else rows
        mask, score, truth = self.mask[rows], self.score[rows], y[rows] > 0
        truth[:, self.other] = False  # "Other" is never shown: not a label to recall
        tp = float((mask & truth).sum())
        shown = score[mask]
        return {
            "f1_coarse": float(self.coarse[rows].mean()),
            "f1_fine": float(self.fine[rows].mean()),
            "precision": tp / max(float(mask.sum()), 1.0),
            "recall": tp / max(float(truth.sum()), 1.0),
            "ece_shown": expected_calibration_error(shown, truth[mask]),
            "lowest_shown": float(shown.min()) if len(shown) else 1.0,
            "shown_per_article": float(mask.sum()) / max(len(rows), 1),
        }


def nested_cut_rules(
    decider: Decider,
    examples: Sequence[Example],
    y: np.ndarray,
    blended: np.ndarray,
    folds: Sequence[np.ndarray],
    candidates: dict[str, tuple[list[CutRule], float]],
) -> dict[str, NestedResult]:
    """Per candidate (its rules and the shown precision they must keep), each outer fold decided
    by the rule chosen on the other folds alone: there calibrated by Platt cross-fitted over
    the inner folds, and the fold itself calibrated by Platt fitted on the other folds."""
    gold = decider.gold(examples)
    n = len(y)
    out = {
        name: NestedResult(
            decider.other,
            np.zeros(y.shape, dtype=bool),
            [],
            np.zeros(y.shape),
            np.zeros(y.shape, dtype=bool),
            np.zeros(y.shape),
            np.zeros(n),
            np.zeros(n),
        )
        for name in candidates
    }
    everything = np.arange(n)
    union = list(dict.fromkeys(r for rules, _ in candidates.values() for r in rules))
    for k, held in enumerate(folds):
        rest = np.setdiff1d(everything, held)
        inner = [np.searchsorted(rest, h) for i, h in enumerate(folds) if i != k]
        inside = cross_calibrated(blended[rest], y[rest], inner)
        held_p = apply_platt(blended[held], *fit_platt_all(blended[rest], y[rest]))
        inner_gold, held_gold = gold.rows(rest), gold.rows(held)
        scored = score_rules(decider, inner_gold, y[rest], inside, blended[rest], union)
        for name, (rules, min_precision) in candidates.items():
            rule = pick_rule(scored, rules, min_precision)
            cut_scores = blended[held] if rule.space == "blend" else held_p
            cut = rule.thresholds(decider.labels)
            shown = decider.decide(held_p, cut_scores, cut, rule.floor)
            out[name].passes[held] = (cut_scores >= cut) & (held_p >= rule.floor)
            mask, score = decider.shown_labels(shown, held_p)
            coarse, fine = decider.f1(shown, held_gold)
            result = out[name]
            result.rules.append(rule)
            result.probabilities[held] = held_p
            result.mask[held], result.score[held] = mask, score
            result.coarse[held], result.fine[held] = coarse, fine
    return out


def candidate_rules() -> dict[str, tuple[list[CutRule], float]]:
    """The candidates nested CV measures: name -> (rules, shown precision they must keep)."""
    out = {
        V2_RULES: (cut_rules("calibrated", 0.0), 0.0),
        "blend, no floor": (cut_rules("blend", 0.0), 0.0),
    }
    for space in CUT_SPACES:
        for floor in FLOORS:
            out[f"{space}, floor {floor:g}"] = (cut_rules(space, floor), 0.0)
    chosen = [r for space in CUT_SPACES for floor in FLOORS for r in cut_rules(space, floor)]
    out["both spaces, floors 0.15-0.35, best F1"] = (chosen, 0.0)
    out[CHOSEN] = (chosen, PRECISION_TARGET)
    return out


def nested_lines(
    results: dict[str, NestedResult], examples: Sequence[Example], y: np.ndarray
) -> list[str]:
    """The card's table of candidates: nested-CV samples-F1 (all, EN), what is shown, rules."""
    english = np.array([i for i, ex in enumerate(examples) if ex.language.upper() == "EN"])
    none = {"f1_coarse": 0.0, "f1_fine": 0.0, "precision": 0.0}
    lines = [
        "",
        "## Operating rules measured by nested CV",
        "",
        "Each outer fold (grouped by article) is decided by the rule its candidate chose on the",
        "other folds alone (level cuts for samples-F1, fine then coarse; calibrated there by",
        "Platt cross-fitted over the inner folds), and calibrated by Platt fitted on the other",
        "folds. Shown: the narratives and subnarratives an analyst sees (not `Other`, not",
        "`<narrative>: Other`); precision and recall micro over them; ECE and the lowest",
        "probability over their stored (calibrated) scores. `per label`: the precision of every",
        "(article, label) over its cut and floor, `Other` included, before the decision (the",
        "`cal_shown_precision` of narratives-v2's card).",
        "",
        "| candidate | coarse | fine | EN coarse | EN fine | precision | EN precision "
        "| per label | recall | ECE shown | lowest shown | shown per article | rules per fold |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        m = result.measures(y)
        en = result.measures(y, english) if len(english) else none
        rules = "; ".join(dict.fromkeys(r.describe() for r in result.rules))
        lines.append(
            f"| {name} | {m['f1_coarse']:.4f} | {m['f1_fine']:.4f} | {en['f1_coarse']:.4f} "
            f"| {en['f1_fine']:.4f} | {m['precision']:.3f} | {en['precision']:.3f} "
            f"| {result.per_label_precision(y):.3f} | {m['recall']:.3f} "
            f"| {m['ece_shown']:.4f} | {m['lowest_shown']:.3f} | {m['shown_per_article']:.2f} "
            f"| {rules} |"
        )
    return lines
