"""Fitting linear heads on sentence vectors, with thresholds chosen by grouped cross-validation.

Groups are article ids, so no article is in both the fitting and the scoring part of a fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrascope.heads import LinearHead, sigmoid


@dataclass
class CrossValidation:
    """Out-of-fold probabilities (n, k) and the per-label thresholds that maximise F1 on them."""

    probabilities: np.ndarray
    thresholds: np.ndarray


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, c: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regression; returns weights (dim, k) and bias (k,)."""
    from sklearn.linear_model import LogisticRegression

    weights = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    bias = np.full(y.shape[1], -10.0, dtype=np.float32)  # a label never seen is never predicted
    for j in range(y.shape[1]):
        if y[:, j].min() == y[:, j].max():
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit(x, y[:, j])
        weights[:, j], bias[j] = model.coef_[0], model.intercept_[0]
    return weights, bias


def fit_softmax(
    x: np.ndarray,
    labels: Sequence,
    classes: Sequence,
    *,
    c: float,
    seed: int,
    max_iter: int = 2000,
    absent_bias: float = -20.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression; weights (dim, k) and bias (k,) in the order of `classes`.

    A class that `labels` never holds gets zero weights and `absent_bias`, so it is never chosen.
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(x, labels)
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


def best_thresholds(y: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per label, the cut on out-of-fold probabilities that maximises that label's F1."""
    grid = np.linspace(0.05, 0.95, 37)
    cuts = np.full(y.shape[1], 0.5, dtype=np.float32)
    for j in range(y.shape[1]):
        truth = y[:, j].astype(bool)
        if not truth.any():
            continue
        f1s = []
        for cut in grid:
            pred = probabilities[:, j] >= cut
            tp = float((pred & truth).sum())
            f1s.append(2 * tp / max(pred.sum() + truth.sum(), 1))
        cuts[j] = grid[int(np.argmax(f1s))]
    return cuts


def cross_validate(
    x: np.ndarray, y: np.ndarray, groups: Sequence[str], *, c: float, seed: int, folds: int
) -> CrossValidation:
    """Out-of-fold probabilities from `folds` group folds, and thresholds tuned on them."""
    from sklearn.model_selection import GroupKFold

    probabilities = np.zeros(y.shape, dtype=np.float32)
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, score_rows in splitter.split(x, y, groups=list(groups)):
        weights, bias = fit_logistic(x[fit_rows], y[fit_rows], c=c, seed=seed)
        probabilities[score_rows] = sigmoid(x[score_rows] @ weights + bias)
    return CrossValidation(probabilities, best_thresholds(y, probabilities))


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[str],
    *,
    labels: list[str],
    model_id: str,
    encoder: str,
    c: float = 1.0,
    seed: int = 13,
    folds: int = 5,
) -> tuple[LinearHead, CrossValidation]:
    """A multi-label head fitted on all rows, with thresholds from grouped cross-validation."""
    cv = cross_validate(x, y, groups, c=c, seed=seed, folds=folds)
    weights, bias = fit_logistic(x, y, c=c, seed=seed)
    head = LinearHead(weights, bias, labels, model_id, encoder, thresholds=cv.thresholds)
    return head, cv
