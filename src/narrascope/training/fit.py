"""The one place heads are fitted, and the one threshold search every trainer uses.

Fitters return a head's arrays, weights (dim, k) and bias (k,): `fit_logistic` (one-vs-rest,
balanced classes, scikit-learn), `fit_sigmoid` (all labels at once, deterministic L-BFGS) and
`fit_softmax` (one label of k); `fit_calibration` maps a raw score to a probability. Folds are
grouped by article (`grouped_folds`), so no article is in both the fitting and the scoring part
of a fold, and thresholds are chosen on the out-of-fold probabilities over one grid
(`THRESHOLD_GRID`): per label for F1 (`best_thresholds`), optionally refined for micro-F1 over
all labels (`micro_thresholds`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

from narrascope.encode import one_blas_thread
from narrascope.heads import sigmoid

P = ParamSpec("P")
R = TypeVar("R")

# The cuts a threshold may take. It reaches 0.02 because rare techniques find their best F1
# there (most technique-v1 cuts sit at 0.02-0.04). Chosen by nested cross-validation against
# the 0.05-0.95 grid (step 0.025) that claims, roles and narratives used before (issue 14):
# a tie within noise everywhere. Frames micro-F1 0.6128 both (per-label cuts alone 0.6033 vs
# 0.6045, 3 seeds); claims F1 0.6979/0.6985 vs 0.6982/0.6986 (2 seeds); techniques micro-F1
# equal in EN, FR, GE, RU, IT 0.4812 vs 0.4816, PO 0.3090 vs 0.3082. This grid reproduces the
# committed techniques and frames heads; claims-v1's cut (0.575) is from the former grid.
THRESHOLD_GRID = np.round(np.arange(0.02, 0.91, 0.02), 2)
NEVER = 1.01  # a cut no probability reaches: the label is silenced
UNSEEN = 0.99  # the cut of a label with no positive row


@dataclass
class CrossValidation:
    """Out-of-fold probabilities (n, k) and the per-label thresholds that maximise F1 on them."""

    probabilities: np.ndarray
    thresholds: np.ndarray


def grouped_folds(groups: Sequence[str], folds: int, seed: int) -> list[np.ndarray]:
    """Row indices of each fold; every group (article) lands in exactly one fold."""
    from sklearn.model_selection import GroupKFold

    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    rows = np.zeros(len(groups))
    return [held for _, held in splitter.split(rows, rows, groups=list(groups))]


def standardise(x_fit: np.ndarray, x_apply: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both feature matrices scaled by `x_fit`'s column means and spreads (spread + 1e-3)."""
    mean, scale = x_fit.mean(axis=0), x_fit.std(axis=0) + 1e-3
    return (x_fit - mean) / scale, (x_apply - mean) / scale


def fold_standardise(
    weights: np.ndarray, bias: np.ndarray, mean: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A linear head fitted on (x - mean) / scale, as weights and bias on x itself."""
    folded = weights / scale[:, None]
    return folded.astype(np.float32), (bias - mean @ folded).astype(np.float32)


def rest_of(held: np.ndarray, n: int) -> np.ndarray:
    """The rows of `n` that a fold does not hold out: the ones to fit on."""
    return np.setdiff1d(np.arange(n), held)


def on_one_blas_thread(fit: Callable[P, R]) -> Callable[P, R]:
    """`fit` run on one BLAS thread whatever its caller's limit (`encode.one_blas_thread`).

    A fit's bytes depend on the BLAS thread count: OpenBLAS splits a product's sums across its
    threads above a size, and L-BFGS carries the last-bit differences into where it stops. The
    fast role head fitted with 2 threads moved its main weights by up to 0.005 from the same
    fit on 1 (roles-v3, trained with OPENBLAS_NUM_THREADS=1, vs roles-v4 with the default 2),
    and one fine cut (Conspirator 0.55 -> 0.50); a 4-core machine would give a third head.
    One thread is also the faster on this shared 2-core machine.
    """

    @functools.wraps(fit)
    def pinned(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread(rescan=True):
            return fit(*args, **kwargs)

    return pinned


@on_one_blas_thread
def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    c: float,
    seed: int,
    cell_weights: np.ndarray | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression; returns weights (dim, k) and bias (k,).

    `cell_weights` (n, k): how much each row counts for each label; a row weighted 0 for a
    label is left out of that label's fit (an analyst's verdict covers only its own label).
    `start`: weights and bias to start L-BFGS from (a head fitted on nearly the same rows): the
    problem is convex, so it ends where a cold start would, in far fewer steps.
    """
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    bias = np.full(y.shape[1], -10.0, dtype=np.float32)  # a label never seen is never predicted
    for j in range(y.shape[1]):
        rows = slice(None) if cell_weights is None else cell_weights[:, j] > 0
        if y[rows, j].min() == y[rows, j].max():
            continue
        model = LogisticRegression(
            C=c,
            class_weight="balanced",
            max_iter=2000,
            random_state=seed,
            warm_start=start is not None,
        )
        if start is not None:  # sklearn starts from coef_/intercept_ when warm_start is set
            model.coef_ = start[0][:, j][None, :].astype(np.float64)
            model.intercept_ = np.array([start[1][j]], dtype=np.float64)
        if cell_weights is None:
            model.fit(x, y[:, j])
        else:
            model.fit(x[rows], y[rows, j], sample_weight=cell_weights[rows, j])
        weights[:, j], bias[j] = model.coef_[0], model.intercept_[0]
    return weights, bias


@on_one_blas_thread
def fit_sigmoid(
    x: np.ndarray,
    y: np.ndarray,
    *,
    l2: float,
    max_iter: int = 300,
    cell_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-label logistic regression for all labels at once (L-BFGS, L2 on weights).

    Deterministic (zero start, full batch); returns weights (dim, k) and bias (k,). A label
    with no positive row gets a bias that never fires. `cell_weights` (n, k) scales each
    (row, label) term of the loss: 0 leaves a cell out (a label no verdict covers).
    """
    from scipy.optimize import minimize

    n, d = x.shape
    k = y.shape[1]
    xb = np.hstack([x, np.ones((n, 1), dtype=np.float32)]).astype(np.float32)
    y = y.astype(np.float32)
    cells = None if cell_weights is None else cell_weights.astype(np.float32)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d + 1, k).astype(np.float32)
        z = xb @ w
        p = 1.0 / (1.0 + np.exp(-z))
        if cells is None:
            value = np.logaddexp(0, z).sum() - (y * z).sum()
            grad = xb.T @ (p - y) / n
        else:
            value = (cells * (np.logaddexp(0, z) - y * z)).sum()
            grad = xb.T @ (cells * (p - y)) / n
        grad[:-1] += l2 * w[:-1]
        value = value / n + l2 * float((w[:-1] ** 2).sum()) / 2
        return float(value), grad.ravel().astype(np.float64)

    result = minimize(
        loss, np.zeros((d + 1) * k), jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    w = result.x.reshape(d + 1, k).astype(np.float32)
    weights, bias = w[:-1], w[-1]
    positives = y if cells is None else y * (cells > 0)
    bias[positives.sum(axis=0) == 0] = -20.0
    return weights, bias


@on_one_blas_thread
def fit_softmax(
    x: np.ndarray,
    labels: Sequence[Any] | np.ndarray,
    classes: Sequence[Any],
    *,
    c: float,
    seed: int,
    max_iter: int = 2000,
    absent_bias: float = -20.0,
    sample_weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; weights (dim, k) and bias (k,) in the order of `classes`.

    A class that `labels` never holds gets zero weights and `absent_bias`, so it is never chosen.
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed)
    model.fit(x, labels, sample_weight=sample_weight)
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: the second's logit
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    fitted = list(model.classes_)
    weights = np.zeros((x.shape[1], len(classes)), dtype=np.float32)
    bias = np.full(len(classes), absent_bias, dtype=np.float32)
    for j, name in enumerate(classes):
        if name in fitted:
            k = fitted.index(name)
            weights[:, j], bias[j] = coef[k], intercept[k]
    return weights, bias


@on_one_blas_thread
def fit_calibration(scores: np.ndarray, y: np.ndarray, *, seed: int) -> tuple[float, float]:
    """One slope and intercept turning a score into P(label present), fitted on all pairs
    (Platt scaling; `scores` and `y` of any shape, read element by element)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    model.fit(scores.reshape(-1, 1), y.reshape(-1))
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def best_thresholds(y: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per label, the cut of `THRESHOLD_GRID` on out-of-fold probabilities that maximises its F1."""
    cuts = np.full(y.shape[1], UNSEEN, dtype=np.float32)
    for j in range(y.shape[1]):
        truth = y[:, j] > 0
        if not truth.any():
            continue
        f1 = [
            2
            * float((probabilities[:, j] >= c)[truth].sum())
            / max(float((probabilities[:, j] >= c).sum() + truth.sum()), 1.0)
            for c in THRESHOLD_GRID
        ]
        cuts[j] = THRESHOLD_GRID[int(np.argmax(f1))]
    return cuts


def micro_thresholds(y: np.ndarray, probabilities: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per-label cuts that maximise the micro-F1 over all labels together (the official headline).

    Coordinate ascent from `start` (per-label F1 cuts): each label in turn takes the cut of
    `THRESHOLD_GRID`, or `NEVER`, that maximises micro-F1 with the others fixed; two passes.
    Unlike per-label F1 cuts, this silences a label whose best F1 comes from firing almost
    everywhere.
    """
    grid = [*THRESHOLD_GRID, NEVER]
    truth = y > 0
    cuts = start.astype(np.float32).copy()
    passed = probabilities >= cuts
    tp = (passed & truth).sum(axis=0).astype(float)
    fp = (passed & ~truth).sum(axis=0).astype(float)
    fn = (~passed & truth).sum(axis=0).astype(float)
    for _ in range(2):
        for j in range(y.shape[1]):
            rest_tp, rest_fp, rest_fn = tp.sum() - tp[j], fp.sum() - fp[j], fn.sum() - fn[j]
            best = (-1.0, cuts[j], tp[j], fp[j], fn[j])
            for cut in grid:
                fired = probabilities[:, j] >= cut
                a = float((fired & truth[:, j]).sum())
                b = float((fired & ~truth[:, j]).sum())
                c = float(truth[:, j].sum()) - a
                f1 = 2 * (rest_tp + a) / max(2 * (rest_tp + a) + rest_fp + b + rest_fn + c, 1.0)
                if f1 > best[0]:
                    best = (f1, cut, a, b, c)
            _, cuts[j], tp[j], fp[j], fn[j] = best
    return cuts


def tune_thresholds(y: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The cuts of micro-F1 heads: per-label F1 cuts, then refined for micro-F1."""
    return micro_thresholds(y, probabilities, best_thresholds(y, probabilities))


def cross_validate(
    x: np.ndarray, y: np.ndarray, groups: Sequence[str], *, c: float, seed: int, folds: int
) -> CrossValidation:
    """Out-of-fold probabilities of `fit_logistic` from `folds` group folds, and per-label F1
    thresholds tuned on them."""
    probabilities = np.zeros(y.shape, dtype=np.float32)
    for held in grouped_folds(groups, folds, seed):
        rest = rest_of(held, len(y))
        weights, bias = fit_logistic(x[rest], y[rest], c=c, seed=seed)
        probabilities[held] = sigmoid(x[held] @ weights + bias)
    return CrossValidation(probabilities, best_thresholds(y, probabilities))


def cross_validate_sigmoid(
    x: np.ndarray, y: np.ndarray, held_out: Sequence[np.ndarray], *, l2: float
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Out-of-fold probabilities of `fit_sigmoid` over the folds `held_out`, and each fold's model."""
    probabilities = np.zeros(y.shape, dtype=np.float32)
    models = []
    for held in held_out:
        rest = rest_of(held, len(y))
        weights, bias = fit_sigmoid(x[rest], y[rest], l2=l2)
        probabilities[held] = sigmoid(x[held] @ weights + bias)
        models.append((weights, bias))
    return probabilities, models
