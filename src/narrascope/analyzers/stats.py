"""A trivial analyzer that proves the seam: word and sentence counts as one document label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from narrascope.model import Annotation, Document, Layer


class StatsAnalyzer:
    """Counts words, sentences and paragraphs; evidence is the whole text's first sentence."""

    name: ClassVar[str] = "stats"
    version: ClassVar[str] = "stats-v1"
    layer: ClassVar[Layer] = Layer.STATS
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = None

    @classmethod
    def load(
        cls, encoder: object = None, *, models: object = None
    ) -> StatsAnalyzer:  # reads no vectors: any encoder
        return cls()

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences:
            return []
        counts = {
            "words": doc.word_count,
            "sentences": len(doc.sentences),
            "paragraphs": len(doc.paragraphs),
        }
        return [
            Annotation(
                doc_id=doc.id,
                layer=self.layer,
                label="counts",
                model=self.version,
                evidence=[doc.sentences[0]],
                attrs=counts,
            )
        ]
