"""Frames of an article (SemEval-2023 Task 3 subtask 2): any of 14 framing dimensions.

Multi-label document labels, each with a score and the sentences that carry that frame most.
The head is linear (one sigmoid per frame) over the mean sentence vector, with per-frame
thresholds chosen by grouped cross-validation on the training articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from narrascope.analyzers.genre import supporting_sentences
from narrascope.encode import UniversalSentenceEncoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Annotation, Document, Layer

EVIDENCE_SENTENCES = 3


def document_features(vectors: np.ndarray) -> np.ndarray:
    """One row for a document: its mean sentence vector."""
    if len(vectors) == 0:
        return np.zeros((1, UniversalSentenceEncoder.dim), dtype=np.float32)
    return vectors.astype(np.float32).mean(axis=0)[None, :]


class FrameAnalyzer:
    """Labels the frames a document uses, each with the sentences that carry it."""

    name: ClassVar[str] = "frames"
    version: ClassVar[str] = "frames-v1"
    layer: ClassVar[Layer] = Layer.FRAME
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = UniversalSentenceEncoder.languages
    min_words: ClassVar[int] = 2

    def __init__(self, head: LinearHead) -> None:
        self.head = head

    @classmethod
    def load(cls) -> FrameAnalyzer:
        head = LinearHead.from_file(
            RESOURCES / f"{cls.version}.safetensors", inputs=UniversalSentenceEncoder.dim
        )
        return cls(head)

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences or doc.word_count < self.min_words:
            return []
        if doc.language and self.languages and doc.language not in self.languages:
            return []
        scores = self.head.score(document_features(vectors))[0]
        passed = self.head.decide(scores[None, :])[0]
        anns = []
        for j in np.argsort(-scores):
            if not passed[j]:
                continue
            chosen = supporting_sentences(doc, vectors, self.head.weights[:, j], EVIDENCE_SENTENCES)
            anns.append(
                Annotation(
                    doc_id=doc.id,
                    layer=self.layer,
                    label=self.head.labels[j],
                    model=self.version,
                    score=float(scores[j]),
                    evidence=[doc.sentences[i] for i in chosen],
                )
            )
        return anns
