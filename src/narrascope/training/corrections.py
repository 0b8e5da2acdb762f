"""Analysts' corrections as training examples: `narrascope train TASK --corrections DB` (#19).

A document with at least one standing correction in a layer becomes one example of that
layer's document-level head: its stored sentence vectors (from the encoder the head is
trained on) as features, and the labels it now has, corrections applied, as truth. Repeating
it `weight` times is how it is weighted in (the heads' fitters take no sample weights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from narrascope.model import Layer
from narrascope.store import Store

WEIGHT = 5
"""How many times a corrected document counts against one training article."""


@dataclass(slots=True)
class CorrectedSet:
    """The corrected documents of one database as feature rows and label rows."""

    x: np.ndarray  # (n, features)
    y: np.ndarray  # (n, labels), 0/1
    corrections: int  # standing corrections in the layer
    documents: int  # documents they make examples of
    skipped: int  # corrected documents without vectors from this encoder
    source: str  # the database, as given

    def card_line(self, weight: int) -> str:
        """The model card's line on what went in."""
        return (
            f"- Corrections: {self.corrections} analyst corrections on {self.documents} "
            f"documents of `{self.source}`, each document weighted {weight}x"
            + (
                f" ({self.skipped} corrected documents had no vectors and were left out)."
                if self.skipped
                else "."
            )
        )


def corrected_documents(
    db: str,
    layer: Layer,
    labels: Sequence[str],
    features: Callable[[np.ndarray], np.ndarray],
    *,
    encoder: str,
) -> CorrectedSet:
    """Every document with a standing correction in `layer`, as (features, corrected labels)."""
    index = {label: j for j, label in enumerate(labels)}
    rows_x: list[np.ndarray] = []
    rows_y: list[np.ndarray] = []
    with Store.open(db) as store:
        done = [c for c in store.corrections.of() if c.layer is layer]
        doc_ids = list(dict.fromkeys(c.doc_id for c in done))
        skipped = 0
        for doc_id in doc_ids:
            vectors = store.vectors(doc_id, encoder=encoder)
            if vectors is None or not store.has_document(doc_id):
                skipped += 1
                continue
            truth = np.zeros(len(labels), dtype=np.float32)
            for ann in store.annotations(doc_id, layer=layer):
                if ann.label in index:
                    truth[index[ann.label]] = 1.0
            rows_x.append(features(vectors)[0])
            rows_y.append(truth)
    dim = rows_x[0].shape[0] if rows_x else 0
    return CorrectedSet(
        np.array(rows_x, dtype=np.float32).reshape(len(rows_x), dim),
        np.array(rows_y, dtype=np.float32).reshape(len(rows_y), len(labels)),
        len(done),
        len(rows_x),
        skipped,
        db,
    )


def weighted_in(
    x: np.ndarray, y: np.ndarray, corrected: CorrectedSet, weight: int = WEIGHT
) -> tuple[np.ndarray, np.ndarray]:
    """The training rows with each corrected document appended `weight` times."""
    if not corrected.documents:
        return x, y
    return (
        np.vstack([x, np.repeat(corrected.x, weight, axis=0)]),
        np.vstack([y, np.repeat(corrected.y, weight, axis=0)]),
    )
