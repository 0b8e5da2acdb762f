"""Calibrated probabilities and precision-first operating points for every trained head.

A head's raw score is not a probability an analyst can read: techniques-v1 put most of its
cuts at 0.02-0.04. Here the out-of-fold scores of a head's cross-validation are mapped to
probabilities, per label, and folded back into the head's own weights, so analysis costs
nothing more and a stored score means "this often right":

- sigmoid heads (multi-label): Platt scaling per label, `p = sigmoid(a * logit + b)`; for a
  linear head that is `weights * a`, `bias * a + b` (`fold_platt`);
- softmax heads (one label of k): one temperature, `softmax(logits / t)` (`fold_temperature`).

`expected_calibration_error` measures what is left (equal-width bins, weighted by their
size); model cards report it, cross-validated. `operating_points` picks, per label, the cut on
the calibrated out-of-fold probabilities that maximises F-beta with beta < 1 (precision counts
more than recall), never below `floor`: an analyst prefers a short list that holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from narrascope.heads import EPS, apply_platt, logit

ECE_BINS = 10
PRECISION_BETA = 0.5  # F0.5: precision weighs four times as much as recall
OPERATING_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_platt(
    scores: np.ndarray,
    y: np.ndarray,
    *,
    iterations: int = 50,
    weights: np.ndarray | None = None,
) -> tuple[float, float]:
    """Platt's (a, b) for one label from its out-of-fold probabilities and 0/1 truth.

    Newton's method on the log loss, with Platt's smoothed targets so that a label with few
    positives does not get a slope that promises certainty. `weights` (one per row, optional)
    weigh the loss, e.g. to calibrate for a stated class mix; they are scaled to sum to the
    number of rows they count, so the smoothing counts stay in rows.
    """
    z = logit(scores)
    y = np.asarray(y, dtype=np.float64)
    row_weights = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(y):
        row_weights = row_weights * np.sum(row_weights > 0) / max(row_weights.sum(), EPS)
    positives = float(np.sum(row_weights * (y > 0)))
    negatives = float(np.sum(row_weights * (y <= 0)))
    if positives == 0 or negatives == 0:
        return 1.0, 0.0
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = _sigmoid(a * z + b)
        grad = np.array(
            [np.sum(row_weights * (p - target) * z), np.sum(row_weights * (p - target))]
        )
        w = row_weights * p * (1 - p) + 1e-12
        hess = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]])
        hess += np.eye(2) * 1e-9
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    return float(a), float(b)


def fit_platt_all(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Platt's (a, b) for every column of (n, k) out-of-fold scores."""
    pairs = [fit_platt(scores[:, j], y[:, j]) for j in range(scores.shape[1])]
    return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])


def fold_platt(
    weights: np.ndarray, bias: np.ndarray, a: np.ndarray | float, b: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """A linear sigmoid head's weights and bias with Platt scaling folded in (per label, or
    one float pair for a one-label head)."""
    return (weights * a).astype(np.float32), (bias * a + b).astype(np.float32)


def fit_temperature(
    probabilities: np.ndarray, y: np.ndarray, *, weights: np.ndarray | None = None
) -> float:
    """The temperature that minimises the log loss of one-of-k out-of-fold probabilities.

    `y` holds the true class index per row; `weights` (one per row, optional) weigh the loss,
    e.g. to calibrate for balanced classes. Golden-section search over log t in [-3, 3].
    """
    z = np.log(np.clip(probabilities, EPS, 1.0))
    rows = np.arange(len(y))
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()

    def loss(log_t: float) -> float:
        scaled = z / np.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float(np.sum(w * (log_norm - scaled[rows, y])))

    lo, hi = -3.0, 3.0
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(80):
        m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if loss(m1) < loss(m2):
            hi = m2
        else:
            lo = m1
    return float(np.exp((lo + hi) / 2))


def apply_temperature(probabilities: np.ndarray, t: float) -> np.ndarray:
    """One-of-k probabilities rescaled by temperature `t` (rows sum to 1)."""
    z = np.log(np.clip(probabilities, EPS, 1.0)) / t
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fold_temperature(
    weights: np.ndarray, bias: np.ndarray, t: float
) -> tuple[np.ndarray, np.ndarray]:
    """A linear softmax head's weights and bias with temperature `t` folded in."""
    return (weights / t).astype(np.float32), (bias / t).astype(np.float32)


def expected_calibration_error(
    probabilities: np.ndarray,
    y: np.ndarray,
    *,
    bins: int = ECE_BINS,
    weights: np.ndarray | None = None,
) -> float:
    """ECE over every (row, label) probability: |accuracy - confidence| per bin, by bin size.

    `weights` (one per row of `probabilities`, optional) measure it on a reweighted mix, e.g.
    with every class equally likely: each row counts that much in every bin it falls into.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    truth = np.asarray(y, dtype=np.float64).ravel()
    if weights is None:
        w = np.ones(p.size)
    else:
        w = np.asarray(weights, dtype=np.float64)
        w = np.repeat(w, p.size // max(len(w), 1)) if p.ndim > 1 else w
    p = p.ravel()
    if len(p) == 0 or w.sum() <= 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for k in range(bins):
        inside = which == k
        mass = w[inside].sum()
        if mass > 0:
            gap = np.sum(w[inside] * (truth[inside] - p[inside])) / mass
            error += mass / w.sum() * abs(gap)
    return float(error)


def ece_noise_floor(
    probabilities: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    draws: int = 200,
    seed: int = 0,
) -> float:
    """The ECE that scores calibrated by construction would show on these rows: the mean over
    `draws` of the ECE with each 0/1 outcome drawn from its own probability. Below it, a
    measured ECE is noise; few rows or heavy weights raise it."""
    p = np.asarray(probabilities, dtype=np.float64)
    rng = np.random.default_rng(seed)
    return float(
        np.mean(
            [
                expected_calibration_error(p, rng.random(p.shape) < p, weights=weights)
                for _ in range(draws)
            ]
        )
    )


def operating_points(
    probabilities: np.ndarray,
    y: np.ndarray,
    *,
    beta: float = PRECISION_BETA,
    floor: float = 0.5,
    min_precision: float = 0.0,
    never: float = 1.01,
) -> np.ndarray:
    """Per label, the cut >= `floor` maximising F-beta on calibrated out-of-fold probabilities.

    A cut whose precision on these rows is under `min_precision` is not a candidate. A label
    whose best F-beta is 0 (never right at any candidate cut) is silenced with `never`, a cut
    no probability reaches.
    """
    grid = OPERATING_GRID[floor <= OPERATING_GRID]
    if len(grid) == 0:
        return np.full(probabilities.shape[1], never, dtype=np.float32)
    b2 = beta * beta
    cuts = []
    for j in range(probabilities.shape[1]):
        tp, predicted, positives = _counts_at(probabilities[:, j], y[:, j] > 0, grid)
        precision = tp / np.maximum(predicted, 1.0)
        recall = tp / max(positives, 1.0)
        score = (1 + b2) * precision * recall / np.maximum(b2 * precision + recall, 1e-12)
        score[(tp == 0) | (precision < min_precision)] = 0.0
        best = int(np.argmax(score))  # the first (lowest) cut of the best score
        cuts.append(float(grid[best]) if score[best] > 0 else never)
    return np.array(cuts, dtype=np.float32)


def _counts_at(
    p: np.ndarray, truth: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """True positives and predicted positives at each cut of `grid` (p >= cut), and positives."""
    order = np.sort(p)
    hits = np.sort(p[truth])
    predicted = len(order) - np.searchsorted(order, grid, side="left")
    tp = len(hits) - np.searchsorted(hits, grid, side="left")
    return tp.astype(np.float64), predicted.astype(np.float64), float(len(hits))


@dataclass(frozen=True)
class Rule:
    """How a layer's operating points are chosen: per label, the cut at or above `floor` (on
    the calibrated probability) maximising F-`beta`, among cuts with precision >= `min_precision`."""

    beta: float
    floor: float
    min_precision: float = 0.0

    def cuts(self, probabilities: np.ndarray, y: np.ndarray) -> np.ndarray:
        return operating_points(
            probabilities, y, beta=self.beta, floor=self.floor, min_precision=self.min_precision
        )

    def describe(self) -> str:
        text = f"F{self.beta:g} per label, floor {self.floor:g}"
        return text + (f", label precision >= {self.min_precision:g}" if self.min_precision else "")


# The rules nested CV chooses from (issue 15): F0.5 or F1 per label, a floor from 0.2 to 0.5
# on the calibrated probability, and a precision floor of 0.4 or 0.5 per label. Without the
# precision floor the choice fell to F1 with floor 0.25 for techniques: micro precision 0.36
# (recall 0.20), a list mostly wrong; with it, 0.40 (recall 0.15) at almost the same F0.5.
RULES = tuple(
    Rule(beta, floor, min_precision)
    for beta in (0.5, 1.0)
    for floor in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
    for min_precision in (0.4, 0.5)
)
# What the rules are judged by: micro F0.5 over every (row, label) decision. Precision still
# weighs four times recall, but a layer that shows almost nothing scores almost nothing.
RULE_OBJECTIVE_BETA = 0.5


def micro_f_beta(shown: np.ndarray, y: np.ndarray, beta: float = RULE_OBJECTIVE_BETA) -> float:
    """Micro F-beta of (row, label) decisions `shown` against 0/1 truth `y`."""
    truth = np.asarray(y) > 0
    tp = float(np.sum(shown & truth))
    if tp == 0:
        return 0.0
    precision, recall = tp / float(shown.sum()), tp / float(truth.sum())
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def choose_rule(
    probabilities: np.ndarray,
    y: np.ndarray,
    held_out: Sequence[np.ndarray],
    rules: Sequence[Rule] = RULES,
) -> Rule:
    """The rule whose cuts, chosen on the other folds, give the best micro F-beta over the
    folds `held_out` of calibrated out-of-fold `probabilities` (ties: the earlier rule)."""
    everything = np.arange(len(y))
    best, best_score = rules[0], -1.0
    for rule in rules:
        shown = np.zeros(y.shape, dtype=bool)
        for held in held_out:
            rest = np.setdiff1d(everything, held)
            shown[held] = probabilities[held] >= rule.cuts(probabilities[rest], y[rest])
        score = micro_f_beta(shown, y)
        if score > best_score:
            best, best_score = rule, score
    return best


@dataclass(frozen=True)
class Reliability:
    """What a model card says about a head's calibration, measured out of fold."""

    ece: float  # over every (row, label) probability
    ece_shown: float  # over the labels that pass their operating point
    shown_precision: float  # micro precision of the labels that pass
    shown_recall: float  # micro recall of the labels that pass

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": round(v, 4) for k, v in self.__dict__.items()}


def reliability(
    probabilities: np.ndarray,
    y: np.ndarray,
    thresholds: np.ndarray,
    cut_scores: np.ndarray | None = None,
    floor: float = 0.0,
) -> Reliability:
    """Calibration and the precision/recall of what is shown, from out-of-fold probabilities:
    a label passes when its `cut_scores` (default: the probabilities) reach its threshold and
    its probability reaches `floor`."""
    cut_on = probabilities if cut_scores is None else cut_scores
    shown = (cut_on >= thresholds[None, :]) & (probabilities >= floor)
    truth = y > 0
    tp = float(np.sum(shown & truth))
    return Reliability(
        ece=expected_calibration_error(probabilities, y),
        ece_shown=expected_calibration_error(probabilities[shown], y[shown]),
        shown_precision=tp / max(float(shown.sum()), 1.0),
        shown_recall=tp / max(float(truth.sum()), 1.0),
    )


@dataclass(frozen=True)
class CrossFit:
    """Out-of-fold probabilities calibrated and decided as a model card must report them.

    Each fold's rows go through the Platt scaling fitted on the other folds' out-of-fold scores
    (`calibrated`) and are decided by the operating points chosen on the other folds' calibrated
    scores (`shown`), so neither the calibration nor the cut ever saw the rows it is judged on.
    """

    calibrated: np.ndarray  # (n, k)
    shown: np.ndarray  # (n, k) bool
    platt: list[tuple[np.ndarray, np.ndarray]]  # per fold: (a, b), each (k,)
    rules: list[Rule] = field(default_factory=list)  # per fold, when chosen by nested CV

    def reliability(self, y: np.ndarray, rows: np.ndarray | None = None) -> Reliability:
        """ECE over all probabilities and over the shown ones; precision/recall of the shown
        (of `rows` only, if given: e.g. one language's)."""
        calibrated, shown = self.calibrated, self.shown
        if rows is not None:
            calibrated, shown, y = calibrated[rows], shown[rows], y[rows]
        truth = y > 0
        tp = float(np.sum(shown & truth))
        return Reliability(
            ece=expected_calibration_error(calibrated, y),
            ece_shown=expected_calibration_error(calibrated[shown], y[shown]),
            shown_precision=tp / max(float(shown.sum()), 1.0),
            shown_recall=tp / max(float(truth.sum()), 1.0),
        )


def cross_fit_platt(
    scores: np.ndarray,
    y: np.ndarray,
    held_out: Sequence[np.ndarray],
    *,
    beta: float = PRECISION_BETA,
    floor: float = 0.5,
    rules: Sequence[Rule] = (),
) -> CrossFit:
    """Platt scaling and operating points cross-fitted over the folds `held_out` of (n, k) scores.

    With `rules`, each fold's operating points follow the rule that nested CV chose on the
    other folds alone (`choose_rule` over them, their scores calibrated without this fold);
    otherwise F-`beta` per label with `floor`.
    """
    calibrated = cross_calibrated(scores, y, held_out)
    shown = np.zeros(scores.shape, dtype=bool)
    platt = []
    chosen = []
    everything = np.arange(len(y))
    for k, held in enumerate(held_out):
        rest = np.setdiff1d(everything, held)
        platt.append(fit_platt_all(scores[rest], y[rest]))
        if rules:
            inner = [np.searchsorted(rest, h) for i, h in enumerate(held_out) if i != k]
            inside = cross_calibrated(scores[rest], y[rest], inner)
            rule = choose_rule(inside, y[rest], inner, rules)
            chosen.append(rule)
            cuts = rule.cuts(inside, y[rest])
        else:
            cuts = operating_points(calibrated[rest], y[rest], beta=beta, floor=floor)
        shown[held] = calibrated[held] >= cuts
    return CrossFit(calibrated, shown, platt, chosen)


def cross_calibrated(
    scores: np.ndarray, y: np.ndarray, held_out: Sequence[np.ndarray]
) -> np.ndarray:
    """Each fold's scores mapped by the Platt scaling fitted on the other folds."""
    calibrated = np.zeros(scores.shape, dtype=np.float64)
    everything = np.arange(len(y))
    for held in held_out:
        rest = np.setdiff1d(everything, held)
        calibrated[held] = apply_platt(scores[held], *fit_platt_all(scores[rest], y[rest]))
    return calibrated


def platt_info(
    a: np.ndarray, b: np.ndarray, unit: str, rule: Rule | None = None
) -> dict[str, object]:
    """What a head file records of its folded Platt scaling and its operating points."""
    chosen = (
        f"{rule.describe()} (chosen by nested CV) on calibrated out-of-fold probabilities"
        if rule
        else "F0.5 on calibrated out-of-fold probabilities, floor 0.5"
    )
    info: dict[str, object] = {
        "calibration": f"platt per {unit}, folded into weights and bias",
        "platt_a": [round(float(v), 6) for v in a],
        "platt_b": [round(float(v), 6) for v in b],
        "operating_points": chosen,
    }
    if rule:
        info["operating_rule"] = {
            "beta": rule.beta,
            "floor": rule.floor,
            "min_precision": rule.min_precision,
        }
    return info


def cross_fitted_platt(scores: np.ndarray, y: np.ndarray, held_out: list[np.ndarray]) -> np.ndarray:
    """Calibrated out-of-fold scores for reporting: each fold mapped by Platt fitted on the others."""
    return cross_fit_platt(scores, y, held_out).calibrated


# How much the other groups' shown cells count when one group's shown cells are calibrated:
# as this many cells in all. A group with few shown cells (Russian, Polish: 700-900) is pulled
# towards the pooled map; one with thousands keeps its own. Of 250 / 500 / 1000 / 2000 on the
# techniques head's out-of-fold cells, 1000 gave the lowest worst-language ECE (#15).
POOLED_CELLS = 1000.0
POOLED = "*"  # the key of the pooled pair: for rows of a group the fit never saw


def fit_shown_platt_by_group(
    probabilities: np.ndarray,
    y: np.ndarray,
    shown: np.ndarray,
    groups: Sequence[str],
    *,
    pooled_cells: float = POOLED_CELLS,
) -> dict[str, tuple[float, float]]:
    """Per group of rows (e.g. a language), Platt's (a, b) from the probabilities of the cells
    shown (`shown`, (n, k) bool) to whether they are right: what an analyst reads of a group is
    its shown labels, so that is what is calibrated. The other groups' shown cells join each
    fit, weighted to count as `pooled_cells` cells in all; `POOLED` holds the pair of all cells."""
    where = np.repeat(np.asarray(groups)[:, None], shown.shape[1], axis=1)[shown]
    scores, truth = probabilities[shown], y[shown]
    pairs = {POOLED: fit_platt(scores, truth)}
    for group in sorted(set(groups)):
        own = where == group
        weights = np.where(own, 1.0, pooled_cells / max(int((~own).sum()), 1))
        pairs[str(group)] = fit_platt(scores, truth, weights=weights)
    return pairs


def apply_shown_platt_by_group(
    probabilities: np.ndarray,
    shown: np.ndarray,
    groups: Sequence[str],
    pairs: dict[str, tuple[float, float]],
) -> np.ndarray:
    """`probabilities` with each shown cell mapped by its row's group's Platt pair (a group
    without one by the pooled pair)."""
    out = np.array(probabilities, dtype=np.float64, copy=True)
    for group in set(groups):
        a, b = pairs.get(group, pairs[POOLED])
        cells = shown & (np.asarray(groups) == group)[:, None]
        out[cells] = apply_platt(out[cells], a, b)
    return out


def cross_fit_shown_platt_by_group(
    crossed: CrossFit, y: np.ndarray, groups: Sequence[str], held_out: Sequence[np.ndarray]
) -> CrossFit:
    """`crossed` with each fold's shown cells mapped by the per-group Platt scaling fitted on
    the other folds' shown cells (decisions unchanged: only the scores of what is shown move)."""
    where = np.asarray(groups)
    mapped = np.array(crossed.calibrated, dtype=np.float64, copy=True)
    everything = np.arange(len(y))
    for held in held_out:
        rest = np.setdiff1d(everything, held)
        pairs = fit_shown_platt_by_group(
            crossed.calibrated[rest], y[rest], crossed.shown[rest], list(where[rest])
        )
        mapped[held] = apply_shown_platt_by_group(
            crossed.calibrated[held], crossed.shown[held], list(where[held]), pairs
        )
    return CrossFit(mapped, crossed.shown, crossed.platt, crossed.rules)
