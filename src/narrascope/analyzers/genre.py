"""Genre of an article (SemEval-2023 Task 3 subtask 1): opinion, reporting or satire.

One document label with a score; its evidence is the sentences that push the article most
towards that genre. The head is a softmax over the mean of the sentence vectors and the vector
of the first sentence (usually the title), trained with balanced class weights so that the
mostly-opinion English training prior does not decide the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from narrascope.encode import UniversalSentenceEncoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Annotation, Document, Layer

EVIDENCE_SENTENCES = 3


def document_features(vectors: np.ndarray) -> np.ndarray:
    """One row for a document: mean sentence vector, then the first sentence's vector."""
    if len(vectors) == 0:
        return np.zeros((1, 2 * UniversalSentenceEncoder.dim), dtype=np.float32)
    vectors = vectors.astype(np.float32)
    return np.hstack([vectors.mean(axis=0), vectors[0]])[None, :]


def supporting_sentences(
    doc: Document, vectors: np.ndarray, direction: np.ndarray, k: int, *, min_words: int = 4
) -> list[int]:
    """Indices (in text order) of the `k` sentences whose vectors point most along `direction`.

    Sentences shorter than `min_words` (datelines, bylines, captions) are passed over while
    longer ones remain, so that the evidence is prose a reader can judge.
    """
    push = vectors.astype(np.float32) @ direction
    texts = doc.sentence_texts()
    long_enough = np.array([len(t.split()) >= min_words for t in texts])
    if long_enough.any():
        push = np.where(long_enough, push, -np.inf)
    best = np.argsort(-push, kind="stable")[: min(k, int(np.isfinite(push).sum()) or k)]
    return sorted(int(i) for i in best)


class GenreAnalyzer:
    """Labels a document opinion, reporting or satire, with the sentences that earned it."""

    name: ClassVar[str] = "genre"
    version: ClassVar[str] = "genre-v1"
    layer: ClassVar[Layer] = Layer.GENRE
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = UniversalSentenceEncoder.languages
    min_words: ClassVar[int] = 2

    def __init__(self, head: LinearHead) -> None:
        self.head = head

    @classmethod
    def load(cls) -> GenreAnalyzer:
        head = LinearHead.from_file(
            RESOURCES / f"{cls.version}.safetensors", inputs=2 * UniversalSentenceEncoder.dim
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
        best = int(np.argmax(scores))
        # The sentence-mean half of the weights, against the other genres' average.
        dim = UniversalSentenceEncoder.dim
        others = np.delete(self.head.weights[:dim], best, axis=1).mean(axis=1)
        direction = self.head.weights[:dim, best] - others
        chosen = supporting_sentences(doc, vectors, direction, EVIDENCE_SENTENCES)
        return [
            Annotation(
                doc_id=doc.id,
                layer=self.layer,
                label=self.head.labels[best],
                model=self.version,
                score=float(scores[best]),
                evidence=[doc.sentences[i] for i in chosen],
                attrs={
                    "scores": {
                        k: round(float(p), 4) for k, p in zip(self.head.labels, scores, strict=True)
                    }
                },
            )
        ]
