"""Genre of an article (SemEval-2023 Task 3 subtask 1): opinion, reporting or satire.

One document label with a score; its evidence is the sentences that push the article most
towards that genre. The head is a softmax over the mean of the sentence vectors and the vector
of the first sentence (usually the title), trained with balanced class weights so that the
mostly-opinion English training prior does not decide the answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narrascope.analyzers.document_head import DocumentHeadAnalyzer
from narrascope.model import Layer


def document_features(vectors: np.ndarray) -> np.ndarray:
    """One row for a document: mean sentence vector, then the first sentence's vector."""
    if len(vectors) == 0:
        return np.zeros((1, 2 * vectors.shape[1]), dtype=np.float32)
    vectors = vectors.astype(np.float32)
    return np.hstack([vectors.mean(axis=0), vectors[0]])[None, :]


class GenreAnalyzer(DocumentHeadAnalyzer):
    """Labels a document opinion, reporting or satire, with the sentences that earned it."""

    name: ClassVar[str] = "genre"
    version: ClassVar[str] = "genre-v1"
    layer: ClassVar[Layer] = Layer.GENRE
    features = staticmethod(document_features)

    def choose(self, scores: np.ndarray) -> list[int]:
        return [int(np.argmax(scores))]  # one genre per article

    def direction(self, column: int) -> np.ndarray:
        # The sentence-mean half of the weights, against the other genres' average.
        mean_half = self.head.weights[: self.dim]
        others = np.delete(mean_half, column, axis=1).mean(axis=1)
        return mean_half[:, column] - others

    def attrs(self, scores: np.ndarray) -> dict[str, Any]:
        return {
            "scores": {k: round(float(p), 4) for k, p in zip(self.head.labels, scores, strict=True)}
        }
