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
from dataclasses import dataclass

import numpy as np

from narrascope.heads import EPS, apply_platt, logit

ECE_BINS = 10
PRECISION_BETA = 0.5  # F0.5: precision weighs four times as much as recall
OPERATING_GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_platt(scores: np.ndarray, y: np.ndarray, *, iterations: int = 50) -> tuple[float, float]:
    """Platt's (a, b) for one label from its out-of-fold probabilities and 0/1 truth.

    Newton's method on the log loss, with Platt's smoothed targets so that a label with few
    positives does not get a slope that promises certainty.
    """
    z = logit(scores)
    y = np.asarray(y, dtype=np.float64)
    positives, negatives = y.sum(), len(y) - y.sum()
    if positives == 0 or negatives == 0:
        return 1.0, 0.0
    target = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = _sigmoid(a * z + b)
        grad = np.array([np.sum((p - target) * z), np.sum(p - target)])
        w = p * (1 - p) + 1e-12
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
    weights: np.ndarray, bias: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A linear sigmoid head's weights and bias with Platt scaling folded in."""
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
    probabilities: np.ndarray, y: np.ndarray, *, bins: int = ECE_BINS
) -> float:
    """ECE over every (row, label) probability: |accuracy - confidence| per bin, by bin size."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    truth = np.asarray(y, dtype=np.float64).ravel()
    if len(p) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for k in range(bins):
        inside = which == k
        if inside.any():
            error += inside.mean() * abs(truth[inside].mean() - p[inside].mean())
    return float(error)


def shown_calibration_error(
    probabilities: np.ndarray, y: np.ndarray, thresholds: np.ndarray, *, bins: int = ECE_BINS
) -> float:
    """ECE over the labels that pass their cut: is a shown 0.8 right 80% of the time?"""
    shown = np.asarray(probabilities) >= np.asarray(thresholds)[None, :]
    return expected_calibration_error(
        np.asarray(probabilities)[shown], np.asarray(y)[shown], bins=bins
    )


def operating_points(
    probabilities: np.ndarray,
    y: np.ndarray,
    *,
    beta: float = PRECISION_BETA,
    floor: float = 0.5,
    never: float = 1.01,
) -> np.ndarray:
    """Per label, the cut >= `floor` maximising F-beta on calibrated out-of-fold probabilities.

    A label whose best F-beta is 0 (never right at any cut at or above the floor) is silenced
    with `never`, a cut no probability reaches.
    """
    cuts = []
    grid = OPERATING_GRID[floor <= OPERATING_GRID]
    b2 = beta * beta
    for j in range(probabilities.shape[1]):
        truth = y[:, j] > 0
        best, best_cut = 0.0, never
        for cut in grid:
            predicted = probabilities[:, j] >= cut
            tp = float(np.sum(predicted & truth))
            if tp == 0:
                continue
            precision, recall = tp / predicted.sum(), tp / truth.sum()
            score = (1 + b2) * precision * recall / (b2 * precision + recall)
            if score > best:
                best, best_cut = score, float(cut)
        cuts.append(best_cut)
    return np.array(cuts, dtype=np.float32)


@dataclass(frozen=True)
class Reliability:
    """What a model card says about a head's calibration, measured out of fold."""

    ece: float  # over every (row, label) probability
    ece_shown: float  # over the labels that pass their operating point
    shown_precision: float  # micro precision of the labels that pass
    shown_recall: float  # micro recall of the labels that pass

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": round(v, 4) for k, v in self.__dict__.items()}


def reliability(probabilities: np.ndarray, y: np.ndarray, thresholds: np.ndarray) -> Reliability:
    """Calibration and the precision/recall of what is shown, from out-of-fold probabilities."""
    shown = probabilities >= thresholds[None, :]
    truth = y > 0
    tp = float(np.sum(shown & truth))
    return Reliability(
        ece=expected_calibration_error(probabilities, y),
        ece_shown=shown_calibration_error(probabilities, y, thresholds),
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

    def reliability(self, y: np.ndarray) -> Reliability:
        """ECE over all probabilities and over the shown ones; precision/recall of the shown."""
        truth = y > 0
        tp = float(np.sum(self.shown & truth))
        return Reliability(
            ece=expected_calibration_error(self.calibrated, y),
            ece_shown=expected_calibration_error(self.calibrated[self.shown], y[self.shown]),
            shown_precision=tp / max(float(self.shown.sum()), 1.0),
            shown_recall=tp / max(float(truth.sum()), 1.0),
        )


def cross_fit_platt(
    scores: np.ndarray,
    y: np.ndarray,
    held_out: Sequence[np.ndarray],
    *,
    beta: float = PRECISION_BETA,
    floor: float = 0.5,
) -> CrossFit:
    """Platt scaling and operating points cross-fitted over the folds `held_out` of (n, k) scores."""
    calibrated = np.zeros(scores.shape, dtype=np.float64)
    shown = np.zeros(scores.shape, dtype=bool)
    platt = []
    everything = np.arange(len(y))
    for held in held_out:
        rest = np.setdiff1d(everything, held)
        a, b = fit_platt_all(scores[rest], y[rest])
        platt.append((a, b))
        calibrated[held] = apply_platt(scores[held], a, b)
    for held in held_out:
        rest = np.setdiff1d(everything, held)
        cuts = operating_points(calibrated[rest], y[rest], beta=beta, floor=floor)
        shown[held] = calibrated[held] >= cuts
    return CrossFit(calibrated, shown, platt)


def platt_info(a: np.ndarray, b: np.ndarray, unit: str) -> dict[str, object]:
    """What a head file records of its folded Platt scaling and its operating points."""
    return {
        "calibration": f"platt per {unit}, folded into weights and bias",
        "platt_a": [round(float(v), 6) for v in a],
        "platt_b": [round(float(v), 6) for v in b],
        "operating_points": "F0.5 on calibrated out-of-fold probabilities, floor 0.5",
    }


def cross_fitted_platt(scores: np.ndarray, y: np.ndarray, held_out: list[np.ndarray]) -> np.ndarray:
    """Calibrated out-of-fold scores for reporting: each fold mapped by Platt fitted on the others."""
    return cross_fit_platt(scores, y, held_out).calibrated
