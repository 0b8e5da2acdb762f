"""Check-worthy claims: a score per sentence for how much it states a checkable fact.

Trained on CLEF CheckThat! 2024 Task 1 (English debate and speech sentences labelled
check-worthy or not; see `training/claims.py`). The head is linear over the shared sentence
vector, concatenated with cheap features of the sentence text when cross-validation showed
that they help: hashed word unigrams and bigrams (no vocabulary to store) and a few surface
cues (numbers, dates, quantities, comparatives, hedges, persons, questions). Which blocks the
head uses is stored in the head file (`info["words"]`, `info["features"]`).

The score is a calibrated probability (Platt scaling folded into the head), so it orders an
article's sentences: a ranked list, not a yes/no (#15). Sentences at or above the head's
precision-first operating point become `Layer.CLAIM` span annotations with their score;
`attrs["rank"]` is the sentence's place among the article's `attrs["sentences"]` scored
sentences (1 = the most check-worthy), and `attrs["features"]` names the surface cues that
fired, so an analyst sees why.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.encode import Encoder
from narrascope.heads import (
    RESOURCES,
    LinearHead,
    ModelFileError,
    check_encoder,
    float32,
    head_path,
)
from narrascope.model import Annotation, Document, Layer
from narrascope.text.timewords import MONTHS_EN

HEAD_FILE = RESOURCES / "claims-v2.safetensors"
LABEL = "check-worthy"

# Month names from the one month table; of the abbreviations only those a dot marks as one
# (the head was trained with exactly this cue).
_MONTHS = (
    "|".join(name.capitalize() for name in MONTHS_EN)
    + r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\."
)
_NUMBER_WORDS = (
    r"hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|twice|double[ds]?|tripled?"
)
# Each cue: name -> pattern. Patterns are English: the head is trained on English debates.
CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE),
    "percent": re.compile(r"%|\bper ?cent\b|\bpercentage\b", re.IGNORECASE),
    "money": re.compile(r"[$€£]|\b(?:dollars?|cents?|budget|deficit|debt|tax(?:es)?)\b", re.I),
    "date": re.compile(rf"\b(?:{_MONTHS})\b|\b(?:1[89]|20)\d\d\b|\b(?:19|20)\d0s\b"),
    "quantity": re.compile(
        r"\b(?:jobs|people|Americans|workers|families|children|troops|soldiers|lives"
        r"|votes?|voted|unemployment|inflation|rates?|prices?|costs?|income|spending"
        r"|wages?|growth|deaths?|killed|crime|murders?)\b",
        re.IGNORECASE,
    ),
    "comparative": re.compile(
        r"\b(?:more|less|fewer|higher|lower|larger|smaller|bigger|greater|than|most|least"
        r"|largest|biggest|highest|lowest|best|worst|record|ever|increased?|decreased?"
        r"|rose|risen|fell|fallen|cut|raised?|doubled|dropped|grew|grown)\b",
        re.IGNORECASE,
    ),
    "hedge": re.compile(
        r"\b(?:I think|I believe|I feel|I hope|maybe|perhaps|probably|might|I guess"
        r"|in my opinion|seems?|I'm sure|let me|I want|we need|we must|we should|we will"
        r"|we're going to|I will|I'm going to)\b",
        re.IGNORECASE,
    ),
    "first_singular": re.compile(r"\b(?:I|me|my|mine|I'm|I've|I'd|I'll)\b"),
    "first_plural": re.compile(r"\b(?:we|us|our|ours|we're|we've|we'd|we'll)\b", re.I),
    "second_person": re.compile(r"\b(?:you|your|yours|you're|you've|you'd|you'll)\b", re.I),
    "question": re.compile(r"\?"),
    "exclamation": re.compile(r"!"),
    "negation": re.compile(r"\b(?:not|never|no|nothing|none|n't)\b|n't\b", re.IGNORECASE),
    "proper_noun": re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+"),
}
FEATURES: tuple[str, ...] = (*CUES, "length")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:'\w+)?|[$%?!]")


def claim_features(text: str) -> np.ndarray:
    """Surface cues of one sentence, in `FEATURES` order: 0/1 per cue, then scaled length."""
    cues = [1.0 if pattern.search(text) else 0.0 for pattern in CUES.values()]
    words = len(text.split())
    return np.array([*cues, min(np.log1p(words) / np.log(60.0), 1.5)], dtype=np.float32)


def fired(text: str) -> list[str]:
    """Names of the surface cues found in `text` (for an analyst reading a score)."""
    return [name for name, pattern in CUES.items() if pattern.search(text)]


def cue_matrix(texts: Sequence[str], features: Sequence[str]) -> np.ndarray:
    """The named surface features of each text, shape (len(texts), len(features))."""
    index = [FEATURES.index(name) for name in features]
    if not texts or not index:
        return np.zeros((len(texts), len(index)), dtype=np.float32)
    return np.stack([claim_features(t)[index] for t in texts])


def word_hashes(text: str, dim: int) -> tuple[np.ndarray, float]:
    """Hashed word unigrams and bigrams of `text` (numbers folded to `#`), and their common value.

    The hash (CRC-32 modulo `dim`) needs no stored vocabulary; the value L2-normalises the row.
    """
    tokens = ["#" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]
    grams = set(tokens) | {f"{a} {b}" for a, b in pairwise(tokens)}
    index = np.array(sorted({zlib.crc32(g.encode("utf-8")) % dim for g in grams}), dtype=np.int64)
    return index, (1.0 / float(np.sqrt(len(index))) if len(index) else 0.0)


class ClaimAnalyzer:
    """Scores each sentence for check-worthiness (CheckThat! 2024 labels)."""

    name: ClassVar[str] = "claims"
    version: ClassVar[str] = "claims-v2"
    head_files: ClassVar[tuple[str, ...]] = (HEAD_FILE.name,)  # what `load` reads
    layer: ClassVar[Layer] = Layer.CLAIM
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = frozenset({"en"})

    def __init__(self, head: LinearHead, *, threshold: float | None = None) -> None:
        self.head = head
        cut = head.thresholds[0] if head.thresholds is not None else 0.5
        self.threshold = float(cut if threshold is None else threshold)
        self.words, self.features = _blocks(head)  # hashed word columns (0: none), cue names
        # Weight rows: sentence vector, then hashed words, then surface cues.
        self.vector_dim = head.weights.shape[0] - self.words - len(self.features)

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> ClaimAnalyzer:
        path = head_path(HEAD_FILE, models)
        head = LinearHead.from_file(path)
        words, features = _blocks(head)
        unknown = [f for f in features if f not in FEATURES]
        if unknown or head.labels != [LABEL] or head.weights.shape[0] - words - len(features) <= 0:
            raise ModelFileError(
                f"{path}: head does not match this version of the claims analyzer "
                f"(labels {head.labels}, unknown features {unknown}); rebuild it with "
                "`narrascope train claims`"
            )
        check_encoder(head, encoder, inputs=encoder.dim + words + len(features), path=path)
        return cls(head)

    def scores(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Check-worthiness in [0, 1] for each sentence (one row of `vectors` per text)."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float32)
        if vectors.shape[1] != self.vector_dim:
            raise ValueError(f"head expects {self.vector_dim}-d vectors, got {vectors.shape[1]}")
        weights = self.head.weights[:, 0].astype(np.float32)
        logits = float32(vectors) @ weights[: self.vector_dim] + self.head.bias[0]
        if self.words:
            block = weights[self.vector_dim : self.vector_dim + self.words]
            for i, text in enumerate(texts):
                index, value = word_hashes(text, self.words)
                logits[i] += value * float(block[index].sum())
        if self.features:
            logits += cue_matrix(texts, self.features) @ weights[self.vector_dim + self.words :]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences:
            return []
        texts = doc.sentence_texts()
        scores = self.scores(texts, vectors)
        scored = [i for i, text in enumerate(texts) if text.strip()]
        # Rank by score, ties in reading order: the same article always gets the same ranks.
        order = sorted(scored, key=lambda i: (-float(scores[i]), i))
        anns = []
        for rank, i in enumerate(order, start=1):
            if scores[i] < self.threshold:
                break
            start, end = doc.sentences[i]
            anns.append(
                Annotation(
                    doc_id=doc.id,
                    layer=self.layer,
                    label=LABEL,
                    model=self.version,
                    start=start,
                    end=end,
                    score=float(scores[i]),
                    attrs={"rank": rank, "sentences": len(order), "features": fired(texts[i])},
                )
            )
        return sorted(anns, key=lambda a: a.start or 0)


def _blocks(head: LinearHead) -> tuple[int, list[str]]:
    """The feature blocks a head was trained with, read from its metadata."""
    words, features = head.info.get("words", 0), head.info.get("features", [])
    if not isinstance(words, int) or not isinstance(features, list):
        raise ModelFileError(
            f"{HEAD_FILE}: unreadable feature metadata; rebuild it with `narrascope train claims`"
        )
    return words, [str(f) for f in features]
