"""Narratives learning from analysts' corrections (#19): what a verdict implies in the
two-level taxonomy, the corrected articles of a database, and the head refitted on them.

Used by `narrascope train narratives --corrections DB` (`training.narratives.train`) and by
`benchmarks/learning_curve.py`, which retrains after every batch of simulated corrections.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from narrascope.analyzers.domain import article_features
from narrascope.analyzers.narratives import OTHER, NarrativeAnalyzer, is_subnarrative, parent_of
from narrascope.encode import Encoder
from narrascope.model import Annotation, Document, Layer
from narrascope.store import Store
from narrascope.training.corrections import (
    ANCHORS,
    WEIGHT,
    CorrectedSet,
    Implied,
    corrected_examples,
    weighted_in,
)
from narrascope.training.fit import fit_logistic

LAYERS = (Layer.NARRATIVE, Layer.SUBNARRATIVE)
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
        LAYERS,
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
    weight: int = WEIGHT,
) -> tuple[np.ndarray, np.ndarray]:
    """The head's weights (dim, k) and bias (k,) on every training article, with an analyst's
    verdicts weighted in.

    `weight`: the training rows one verdict counts as. With `base`, the same fit without corrections, only the labels a verdict covers are fitted
    again, starting from `base`: the head is one-vs-rest, so the others come out the same.
    """
    if corrected is None or not len(corrected.x):
        return base if base is not None else fit_logistic(x, y, c=c, seed=seed)
    x_all, y_all, cells = weighted_in(x, y.astype(np.float32), corrected, weight)
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


class ArticleLabeller(Protocol):
    def analyze(self, doc: Document, vectors: np.ndarray) -> list[Annotation]: ...


@dataclass(frozen=True, slots=True)
class CorpusShift:
    """How a refit would relabel the corpus's uncorrected articles: how many carry a narrative
    (other than Other) now, and how many would under the refitted head."""

    articles: int
    before: int
    after: int

    @property
    def sweeping(self) -> bool:
        """More than twice the articles with a narrative, and at least 10 more: look first."""
        return self.after > 2 * self.before and self.after - self.before >= 10

    def line(self) -> str:
        """The card's and the CLI's line on it."""
        said = (
            f"- On the corpus's {self.articles} uncorrected analyzed articles, the refitted head "
            f"gives a narrative to {self.after} (the stored labels: {self.before})."
        )
        if self.sweeping:
            said += (
                " WARNING: it labels far more of the corpus than before; check a sample of"
                " the articles it newly labels before analyzing with this model."
            )
        return said


def corpus_shift(
    db: str, analyzer: ArticleLabeller, encoder: Encoder, *, limit: int = ANCHORS
) -> CorpusShift:
    """What `analyzer` (the refitted head) says of the uncorrected articles of `db` that the
    narratives analyzer ran on, against what is stored for them now (at most `limit` articles).

    A few corrections in a language the training data lacks can carry the whole language across
    the cuts (#19): the analyst sees it here, in numbers, before using the model."""
    articles = before = after = 0
    with Store.open(db, create=False, readonly=True) as store:
        # uncorrected as the anchors count it: no standing verdict on its narratives
        corrected = {c.doc_id for c in store.corrections.of() if c.layer in LAYERS}
        for doc_id in store.analyzed_ids(NarrativeAnalyzer.name, encoder=encoder.name, limit=limit):
            if doc_id in corrected:
                continue
            vectors = store.vectors(doc_id, encoder=encoder.name)
            doc = store.document(doc_id) if vectors is not None else None
            if doc is None or vectors is None or len(vectors) != len(doc.sentences):
                continue
            articles += 1
            stored = store.annotations(doc_id, layer=Layer.NARRATIVE)
            before += any(ann.label != OTHER for ann in stored)
            labelled = analyzer.analyze(doc, vectors)
            after += any(a.layer is Layer.NARRATIVE and a.label != OTHER for a in labelled)
    return CorpusShift(articles, before, after)
