"""Persuasion techniques (SemEval-2023 Task 3, 23 techniques), sentence by sentence.

Each sentence gets the techniques whose calibrated probability reaches that technique's
operating point (chosen for precision when the head was trained), as a span annotation over
that sentence; a technique below it is not stored. The score stored with a shown technique is
the probability that it is right in the document's language: the head's probability through a
Platt scaling per language fitted on the shown labels (`head.info["shown_platt_by_language"]`;
the pooled pair `*` for a language the head was not trained on). It moves the score, never
which techniques are shown. German and Italian documents are read by a head fitted on their
language alone (its own cuts and score map; `info["languages"]`), which beat the pooled head
on them out of fold; every other language by the pooled head. Each head is linear over
features built from the shared sentence vectors: the sentence's own vector, the mean of its
two neighbours, the mean of the document, how closely it repeats another sentence, and a few
surface cues. `features` below is the one definition of them, used both here and by
`narrascope train techniques`.

The paragraph-level view of subtask 3 (one line of the article = one paragraph) is the union of
its sentences' techniques: `paragraph_techniques` derives it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers import cannot_read
from narrascope.encode import Encoder
from narrascope.heads import (
    BLOCK_ROWS,
    RESOURCES,
    LinearHead,
    ModelFileError,
    apply_platt,
    float32,
    head_path,
    row_blocks,
)
from narrascope.model import Annotation, Document, Layer, Span

_QUOTED = re.compile(r"[\"“«„‘'][^\"”»“'’\n]{1,30}[\"”»“'’]")
_CAPS = re.compile(r"\b[A-ZА-ЯЁ]{3,}\b")
_WHATABOUT = re.compile(
    r"\b(what about|and yet|but when|hypocri\w*|double standards?|а как же|а что же|лицемер\w*|"
    r"двойн\w+ стандарт\w*)",
    re.IGNORECASE,
)
N_CUES = 7


def cue_features(texts: Sequence[str]) -> np.ndarray:
    """Surface cues per sentence the encoder tends to miss: ?, !, scare quotes, capitals,
    whataboutism markers, log length."""
    rows = []
    for text in texts:
        rows.append(
            [
                "?" in text,
                "!" in text,
                bool(_QUOTED.search(text)),
                bool(_CAPS.search(text)),
                bool(_WHATABOUT.search(text)),
                np.log1p(len(text)) / 6.0,
                np.log1p(len(text.split())) / 4.0,
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), N_CUES)


def features(texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """The head's input for the sentences of one document, in order: shape (n, 3 * dim + 1 + cues)."""
    return DocumentFeatures(texts, vectors).rows(slice(0, len(texts)))


class DocumentFeatures:
    """`features` of one document, a block of rows at a time: what a row needs of the whole
    document (its mean, each sentence's nearest other sentence) is computed once; the rest only
    reads the block's rows and their two neighbours, so a block's rows are those of the whole
    matrix, bit for bit (issue 18)."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.texts, self.n, self.dim = texts, *vectors.shape
        self.vectors = float32(vectors)
        if self.n:
            self.mean = self.vectors.mean(axis=0, keepdims=True)
            one = np.zeros((1, 1), dtype=np.float32)
            self.repeats = _nearest_other(self.vectors) if self.n > 1 else one

    def rows(self, block: slice) -> np.ndarray:
        """The feature rows of the sentences in `block` (a step-1 slice)."""
        lo, hi, _ = block.indices(self.n)
        if hi <= lo:
            return np.zeros((0, 3 * self.dim + 1 + N_CUES), dtype=np.float32)
        v, zero = self.vectors, np.zeros((1, self.dim), dtype=np.float32)
        before = v[lo - 1 : hi - 1] if lo else np.vstack([zero, v[: hi - 1]])
        after = v[lo + 1 : hi + 1] if hi < self.n else np.vstack([v[lo + 1 : hi], zero])
        neighbours = (before + after) / 2
        document = np.repeat(self.mean, hi - lo, axis=0)
        cues = cue_features(self.texts[lo:hi])
        return np.hstack([v[lo:hi], neighbours, document, self.repeats[lo:hi], cues])


def _nearest_other(vectors: np.ndarray) -> np.ndarray:
    """Each sentence's highest similarity to another sentence of the document, shape (n, 1).

    Computed a block of rows at a time (at most 32 MB; all 1,024 rows of most articles at
    once): the whole n × n matrix of a document of 20,000 short sentences (the cap allows it)
    would take 1.6 GB (issue 18)."""
    n = len(vectors)
    rows = max(128, min(1024, (1 << 23) // n))
    out = np.empty((n, 1), dtype=np.float32)
    for lo in range(0, n, rows):
        similarity = vectors[lo : lo + rows] @ vectors.T
        similarity[np.arange(len(similarity)), np.arange(lo, lo + len(similarity))] = -1.0
        out[lo : lo + rows, 0] = similarity.max(axis=1)
    return out


def paragraph_techniques(doc: Document, anns: Sequence[Annotation]) -> list[set[str]]:
    """The subtask-3 view: for each of `doc.paragraphs`, the techniques of its sentences."""
    starts = [start for start, _ in doc.paragraphs]
    out: list[set[str]] = [set() for _ in doc.paragraphs]
    for ann in anns:
        if ann.layer is Layer.TECHNIQUE and ann.start is not None:
            index = int(np.searchsorted(starts, ann.start, side="right")) - 1
            if 0 <= index < len(out):
                out[index].add(ann.label)
    return out


class TechniqueAnalyzer:
    """Marks each sentence with the persuasion techniques it uses, with a score per technique."""

    name: ClassVar[str] = "techniques"
    version: ClassVar[str] = "techniques-v5"
    head_files: ClassVar[tuple[str, ...]] = (f"{version}.safetensors",)  # what `load` reads
    layer: ClassVar[Layer] = Layer.TECHNIQUE
    requires: ClassVar[tuple[Layer, ...]] = ()
    min_words: ClassVar[int] = 2  # an empty or one-word article carries no technique
    block_rows: int = BLOCK_ROWS  # sentences scored at once (issue 18)

    def __init__(self, head: LinearHead, *, languages: frozenset[str] | None = None) -> None:
        self.head, self.languages = head, languages

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> TechniqueAnalyzer:
        head = LinearHead.from_file(
            head_path(RESOURCES / f"{cls.version}.safetensors", models),
            inputs=features([], np.zeros((0, encoder.dim), dtype=np.float32)).shape[1],
            encoder=encoder,
        )
        return cls(head, languages=encoder.languages)

    def head_for(self, language: str | None) -> LinearHead:
        """The head that reads `language` (ISO code): the one fitted on that language alone
        where training kept one (`info["languages"]`), else the pooled head."""
        info = self.head.info.get("languages", {}).get(language or "")
        if info is None:
            return self.head
        try:
            return self.head.variant(str(language), info)
        except KeyError as exc:
            raise ModelFileError(
                f"technique head for {language!r} incomplete ({exc}); rebuild with "
                "`narrascope train techniques`"
            ) from exc

    def thresholds(self, language: str | None = None) -> np.ndarray:
        """Per-technique operating points on the calibrated probability (1.01: never shown),
        of the head that reads `language`."""
        head = self.head_for(language)
        if head.thresholds is not None:
            return head.thresholds
        return np.full(len(head.labels), 0.5, dtype=np.float32)

    def scores(self, doc: Document, vectors: np.ndarray) -> np.ndarray:
        """Calibrated probability of every technique for every sentence, shape (sentences, 23);
        the head's weights carry the Platt scaling, so this is one linear layer. Scored
        `block_rows` sentences at a time: the scores of one pass, in bounded memory (issue 18)."""
        head = self.head_for(doc.language)
        document = DocumentFeatures(doc.sentence_texts(), vectors)
        out = np.empty((document.n, len(head.labels)), dtype=np.float32)
        for block in row_blocks(document.n, self.block_rows):
            out[block] = head.score(document.rows(block))
        return out

    def shown_scores(self, scores: np.ndarray, language: str | None) -> np.ndarray:
        """The scores to store for shown techniques: `scores` through the Platt pair of
        `language` (ISO code), or the pooled one; unchanged for a head without them. A
        language with its own head has its own pair, fitted on that head's shown labels."""
        own = self.head.info.get("languages", {}).get(language or "")
        if own is not None:
            return apply_platt(scores, *own["shown_platt"]).astype(np.float32)
        pairs = self.head.info.get("shown_platt_by_language")
        if not pairs:
            return scores
        a, b = pairs.get(language or "", pairs["*"])
        return apply_platt(scores, a, b).astype(np.float32)

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if cannot_read(doc, min_words=self.min_words, languages=self.languages):
            return []
        scores = self.scores(doc, vectors)
        passed = scores >= self.thresholds(doc.language)
        stored = self.shown_scores(scores, doc.language)
        anns = []
        for (start, end), row, keep in zip(doc.sentences, stored, passed, strict=True):
            for j in np.flatnonzero(keep):
                anns.append(self._annotation(doc, (start, end), self.head.labels[j], row[j]))
        return anns

    def _annotation(self, doc: Document, span: Span, label: str, score: float) -> Annotation:
        return Annotation(
            doc_id=doc.id,
            layer=self.layer,
            label=label,
            model=self.version,
            start=span[0],
            end=span[1],
            score=float(min(max(score, 0.0), 1.0)),
        )
