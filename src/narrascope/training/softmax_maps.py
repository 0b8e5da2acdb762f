"""Calibration maps for one-of-k (softmax) heads that fold into a linear head's weights.

`calibrate.py` gives a softmax head one temperature. With unequal classes (English role
mentions are 70% Antagonist) one slope for every class can leave the chosen class's
probability off (#15), so here a map is `softmax(slope * logits + bias)` with a slope and a
bias per class, fitted by maximum likelihood on out-of-fold logits:

- `temperature`: one slope for every class, no bias (what `fit_temperature` fits);
- `temperature+bias`: one slope, a bias per class;
- `vector`: a slope and a bias per class (vector scaling, Guo et al. 2017).

Biases are gauge-fixed (the first class's is 0). On logits `x @ w + b` a map is
`x @ (w * slope) + (b * slope + bias)`, so the head stays one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrascope.heads import softmax
from narrascope.training.calibrate import fit_temperature

MAP_KINDS = ("temperature", "temperature+bias", "vector")


@dataclass(frozen=True)
class SoftmaxMap:
    """`softmax(slope * logits + bias)`; slope and bias per class, (k,) each."""

    kind: str
    slope: np.ndarray
    bias: np.ndarray

    def apply(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (rows sum to 1) of (n, k) logits."""
        return softmax(np.asarray(logits, dtype=np.float64) * self.slope + self.bias)

    def fold(self, weights: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A linear softmax head's weights (dim, k) and bias (k,) with this map folded in."""
        return (
            (weights * self.slope).astype(np.float32),
            (bias * self.slope + self.bias).astype(np.float32),
        )

    def info(self) -> dict[str, object]:
        """What a head file records of its folded map."""
        if self.kind == "temperature":  # as the heads calibrated by `fit_temperature` say it
            return {"temperature": float(1.0 / self.slope[0])}
        return {
            "calibration": f"{self.kind} (softmax map, folded into weights and bias)",
            "calibration_slope": [round(float(v), 6) for v in self.slope],
            "calibration_bias": [round(float(v), 6) for v in self.bias],
        }


def _unpack(kind: str, params: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Slope and bias per class from the fitted parameters (one log-slope for
    `temperature+bias`; the first class's bias fixed at 0)."""
    bias = np.concatenate([[0.0], params[-(k - 1) :]])
    if kind == "vector":
        return params[:k].copy(), bias
    return np.full(k, np.exp(params[0])), bias


def fit_softmax_map(logits: np.ndarray, y: np.ndarray, kind: str) -> SoftmaxMap:
    """The map of `kind` minimising the log loss of (n, k) out-of-fold `logits` against the true
    class index per row (L-BFGS; no penalty: at most 2k parameters on hundreds of rows)."""
    from scipy.optimize import minimize

    if kind not in MAP_KINDS:
        raise ValueError(f"unknown softmax map {kind!r}; one of {', '.join(MAP_KINDS)}")
    z = np.asarray(logits, dtype=np.float64)
    n, k = z.shape
    if kind == "temperature":  # the one-slope map the other softmax heads fold in
        inverse_temperature = 1.0 / fit_temperature(softmax(z), np.asarray(y))
        return SoftmaxMap(kind, np.full(k, inverse_temperature), np.zeros(k))
    truth = np.eye(k)[np.asarray(y)]
    start = np.zeros(k) if kind == "temperature+bias" else np.r_[np.ones(k), np.zeros(k - 1)]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        slope, bias = _unpack(kind, params, k)
        scaled = z * slope + bias
        scaled -= scaled.max(axis=1, keepdims=True)
        log_p = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        error = (np.exp(log_p) - truth) / n  # d loss / d scaled logit
        by_slope = (error * z).sum(axis=0)
        by_bias = error.sum(axis=0)[1:]
        if kind == "vector":
            grad = np.concatenate([by_slope, by_bias])
        else:  # one slope exp(u): d/du = sum over classes of d/d slope * slope
            grad = np.concatenate([[float(by_slope.sum() * slope[0])], by_bias])
        return float(-(truth * log_p).sum() / n), grad

    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    slope, bias = _unpack(kind, result.x, k)
    return SoftmaxMap(kind, slope, bias)


def cross_fitted_map(
    logits: np.ndarray, y: np.ndarray, held_out: Sequence[np.ndarray], kind: str
) -> np.ndarray:
    """Calibrated out-of-fold probabilities: each fold's logits mapped by the map of `kind`
    fitted on the other folds' logits."""
    calibrated = np.zeros(logits.shape, dtype=np.float64)
    everything = np.arange(len(y))
    for held in held_out:
        rest = np.setdiff1d(everything, held)
        calibrated[held] = fit_softmax_map(logits[rest], y[rest], kind).apply(logits[held])
    return calibrated
