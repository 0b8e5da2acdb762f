"""The shared body of document-level heads over sentence vectors (genre and frames).

Such an analyzer pools an article's sentence vectors into one row of features, scores it with a
linear head, and gives each label it keeps as evidence the sentences whose vectors point most
towards that label. Subclasses say only how the row is built (`features`), which labels are
kept (`choose`) and which direction in sentence space speaks for a label (`direction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from narrascope.analyzers import cannot_read, not_analyzed
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead, float32, head_path
from narrascope.model import Annotation, Document, Layer

T3_LANGUAGES: frozenset[str] = frozenset({"en", "fr", "de", "it", "pl", "ru"})
"""The six languages of the SemEval-2023 Task 3 train split (ISO codes): the genre and frame
heads' training languages."""


def supporting_sentences(
    doc: Document, vectors: np.ndarray, direction: np.ndarray, k: int, *, min_words: int = 4
) -> list[int]:
    """Indices (in text order) of the `k` sentences whose vectors point most along `direction`.

    Sentences shorter than `min_words` (datelines, bylines, captions) are passed over while
    longer ones remain, so that the evidence is prose a reader can judge.
    """
    push = float32(vectors) @ direction
    texts = doc.sentence_texts()
    long_enough = np.array([len(t.split()) >= min_words for t in texts])
    if long_enough.any():
        push = np.where(long_enough, push, -np.inf)
    best = np.argsort(-push, kind="stable")[: min(k, int(np.isfinite(push).sum()) or k)]
    return sorted(int(i) for i in best)


class DocumentHeadAnalyzer:
    """Document labels from one linear head over pooled sentence vectors, with evidence sentences.

    The head file is `<version>.safetensors` (shipped, or in a model folder); it must have been trained on the encoder
    given to `load`, whose languages become the analyzer's.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    layer: ClassVar[Layer]
    requires: ClassVar[tuple[Layer, ...]] = ()
    min_words: ClassVar[int] = 2  # an empty or one-word article has no genre or frame; a head
    # trained on longer articles sets its own floor and notes "not analyzed" below it
    trained_languages: ClassVar[frozenset[str] | None] = None
    """The only languages the head may read, where its features need them (None: every
    language the encoder reads, the multilingual vectors carrying the head across)."""
    evidence_sentences: ClassVar[int] = 3

    def __init__(
        self, head: LinearHead, *, dim: int, languages: frozenset[str] | None = None
    ) -> None:
        self.head, self.dim, self.languages = head, dim, languages

    @staticmethod
    def features(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """The head's input for one document, shape (1, width), from its sentence vectors (and,
        for a head that reads them, its sentence texts)."""
        raise NotImplementedError

    def choose(self, scores: np.ndarray) -> list[int]:
        """The label columns to emit for one document's scores, best first."""
        raise NotImplementedError

    def direction(self, column: int) -> np.ndarray:
        """A vector in sentence space along which sentences speak for label `column`."""
        raise NotImplementedError

    def attrs(self, scores: np.ndarray) -> dict[str, Any]:
        """Extra detail stored with each label (none by default)."""
        return {}

    def label_score(self, scores: np.ndarray, column: int) -> float:
        """The score stored with label `column`: its probability unless a head says otherwise."""
        return float(scores[column])

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> DocumentHeadAnalyzer:
        width = cls.features(np.zeros((0, encoder.dim), dtype=np.float32), []).shape[1]
        head = LinearHead.from_file(
            head_path(RESOURCES / f"{cls.version}.safetensors", models),
            inputs=width,
            encoder=encoder,
        )
        languages = encoder.languages
        if cls.trained_languages is not None:
            languages = cls.trained_languages & (languages or cls.trained_languages)
        return cls(head, dim=encoder.dim, languages=languages)

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if cannot_read(doc, min_words=2, languages=self.languages):
            return []
        if doc.word_count < self.min_words:
            # Shorter than the articles the head learnt from: say so rather than guess.
            reason = f"{doc.word_count} words, shorter than the articles it was trained on"
            return [not_analyzed(doc, self.name, f"{reason} (≥ {self.min_words})")]
        scores = self.head.score(self.features(vectors, doc.sentence_texts()))[0]
        anns = []
        for j in self.choose(scores):
            chosen = supporting_sentences(doc, vectors, self.direction(j), self.evidence_sentences)
            anns.append(
                Annotation(
                    doc_id=doc.id,
                    layer=self.layer,
                    label=self.head.labels[j],
                    model=self.version,
                    score=self.label_score(scores, j),
                    evidence=[doc.sentences[i] for i in chosen],
                    attrs=self.attrs(scores),
                )
            )
        return anns
