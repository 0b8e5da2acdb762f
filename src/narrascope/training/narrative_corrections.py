"""Narratives learning from analysts' corrections (#19): what a verdict implies in the
two-level taxonomy, the corrected articles of a database, and the head refitted on them.

Used by `narrascope train narratives --corrections DB` (`training.narratives.train`) and by
`benchmarks/learning_curve.py`, which retrains after every batch of simulated corrections.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from narrascope.analyzers.domain import article_features
from narrascope.analyzers.narratives import NarrativeAnalyzer, is_subnarrative, parent_of
from narrascope.encode import Encoder
from narrascope.model import Layer
from narrascope.training.corrections import (
    WEIGHT,
    CorrectedSet,
    Implied,
    corrected_examples,
    weighted_in,
)
from narrascope.training.fit import fit_logistic

ANCHORED = True
"""Whether a refit is anchored in the corpus's uncorrected articles by default
(`training.corrections`; chosen on BG by `benchmarks/learning_curve.py --anchors`)."""


def read_corrections(
    db: str, labels: Sequence[str], encoder: Encoder, *, anchored: bool = ANCHORED
) -> CorrectedSet:
    """The narrative and subnarrative verdicts of database `db`, as weighted article rows;
    `anchored`: with the uncorrected articles at the stored decisions on the labels ruled on."""
    return corrected_examples(
        db,
        (Layer.NARRATIVE, Layer.SUBNARRATIVE),
        labels,
        lambda doc, vectors: article_features(vectors),
        encoder=encoder.name,
        implied=taxonomy_verdicts(labels),
        anchors=NarrativeAnalyzer.name if anchored else None,
    )


def taxonomy_verdicts(labels: Sequence[str]) -> Implied:
    """What a verdict implies in the two-level taxonomy: a subnarrative that holds brings its
    narrative; a narrative that does not hold takes its subnarratives with it."""
    children: dict[str, list[str]] = {}
    for label in labels:
        if is_subnarrative(label):
            children.setdefault(parent_of(label), []).append(label)

    def implied(label: str, truth: float) -> Iterator[tuple[str, float]]:
        if truth and is_subnarrative(label):
            yield parent_of(label), 1.0
        elif not truth and not is_subnarrative(label):
            yield from ((child, 0.0) for child in children.get(label, ()))

    return implied


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    corrected: CorrectedSet | None = None,
    *,
    c: float,
    seed: int,
    base: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The head's weights (dim, k) and bias (k,) on every training article, with an analyst's
    verdicts weighted in.

    With `base`, the same fit without corrections, only the labels a verdict covers are fitted
    again, starting from `base`: the head is one-vs-rest, so the others come out the same.
    """
    if corrected is None or not len(corrected.x):
        return base if base is not None else fit_logistic(x, y, c=c, seed=seed)
    x_all, y_all, cells = weighted_in(x, y.astype(np.float32), corrected, WEIGHT)
    if base is None:
        return fit_logistic(x_all, y_all, c=c, seed=seed, cell_weights=cells)
    touched = np.flatnonzero(corrected.ruled.any(axis=0))
    weights, bias = base[0].copy(), base[1].copy()
    refit_w, refit_b = fit_logistic(
        x_all,
        y_all[:, touched],
        c=c,
        seed=seed,
        cell_weights=cells[:, touched],
        start=(base[0][:, touched], base[1][touched]),
    )
    weights[:, touched], bias[touched] = refit_w, refit_b
    return weights, bias
