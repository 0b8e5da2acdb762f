"""Persuasion techniques, accurate profile: a fine-tuned MiniLM run with ONNX Runtime (English).

The fine-tuned model (`pair_model`: its one run per document, shared with the role analyzer)
reads each sentence with its previous sentence as context and gives a logit per technique;
Platt scaling per technique turns it into a calibrated probability, and a label is stored only
at or above that technique's precision-first operating point, as in the fast profile.

Phrase spans (#16): the same run gives the last layer's token states, and the span head
(`technique_spans`, `techniques-spans-v1`) finds the phrases of a sentence. A sentence's
technique label is stored on the phrases of that sentence (the words an analyst expects, as
Prta marks them), with the sentence as evidence; a labelled sentence with no such phrase keeps
the whole sentence. The phrase head (`techniques-tc-accurate-v1`, `phrase_techniques`) ranks
the techniques of each phrase from the same run, and a phrase keeps the one of its sentence's
shown techniques that it ranks highest. Phrase-first: the span head also reads the sentences
without a shown technique, and such a phrase is stored with the phrase head's own best
technique when phrase × technique × sentence probability of it reaches `PHRASE_FIRST_POINT`
(`rule` "phrase-first" in its attributes; `FineTunedTechniques.stored` is the one place that
decides what is stored). Phrase-first is off in analysis (`phrase_first=False`): its labels are
right at sentence level ~23% of the time, under the techniques layer's precision floor (0.4),
and on 40 real web pages they were two labels in three (#15).

The model reads English only. Any other language the fast head reads falls back to the fast
technique head (`techniques-v2`), and the document gets a `not-analyzed` note saying so.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers import Analyzer, cannot_read, load_analyzer, not_analyzed
from narrascope.analyzers.pair_model import (
    ACCURATE_VERSION,
    model_files,
    sentence_pairs,
    shared_pair_model,
)

# Re-exported: tests import the shared model's reader and graph surgery from here.
from narrascope.analyzers.pair_model import PairModel as PairModel
from narrascope.analyzers.pair_model import with_outputs as with_outputs
from narrascope.analyzers.phrase_techniques import (
    PHRASE_TC_VERSION,
    PhraseTechniqueHead,
    SentenceTokens,
)
from narrascope.analyzers.technique_spans import SPANS_VERSION, SpanHead, decode_spans
from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, ModelFileError, apply_platt, sigmoid
from narrascope.model import Annotation, Document, Layer

# Phrase-first (#16): a phrase of a sentence without a shown label is stored with the phrase
# head's technique j when phrase probability × technique probability × the sentence head's
# probability of j reaches this. Chosen on the held-out fold 0 of `techniques-accurate-v1` for
# these three heads (best SI F1 with technique-aware precision no lower than without it;
# benchmarks/RESULTS.md, "Phrase-first"); a retrained head needs it chosen again.
PHRASE_FIRST_POINT = 0.0105196
# The analyzer's version: techniques-accurate-v1's model, phrase-first off (#15), so that
# `reanalyze` replaces the labels v1 stored with it on.
ANALYZER_VERSION = f"{ACCURATE_VERSION}.1"


def overlapped(
    starts: Sequence[int], ends: Sequence[int], spans: Sequence[tuple[int, int]]
) -> set[int]:
    """The indexes of the sentences [starts[i], ends[i]) (in text order, not overlapping) that
    some span overlaps: a bisection a span, not a scan of every sentence (every sentence of a
    long document has phrases)."""
    found: set[int] = set()
    for start, end in spans:
        found.update(range(bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)))
    return found


class FineTunedTechniques:
    """The ONNX model, its vocabulary and its calibration: calibrated probabilities per sentence."""

    def __init__(self, directory: Path, *, threads: int = 1, phrase_first: bool = False) -> None:
        from safetensors import safe_open

        self.phrase_first = phrase_first  # store phrase-first labels too (`stored`)

        files = model_files(directory)
        missing = [str(p) for key, p in files.items() if key != "card" and not p.is_file()]
        if missing:
            raise ModelFileError(f"accurate technique model missing: {', '.join(missing)}")
        self.model = shared_pair_model(directory, threads=threads)  # the role analyzer's too
        with safe_open(str(files["head"]), "numpy") as head:
            meta = head.metadata() or {}
            self.a, self.b = head.get_tensor("platt_a"), head.get_tensor("platt_b")
            self.thresholds = head.get_tensor("thresholds")
        self.labels: list[str] = json.loads(meta["labels"])
        self.info: dict = json.loads(meta.get("info", "{}"))
        spans = model_files(directory, SPANS_VERSION)["head"]
        # A model without the token output, or without a span head beside it, marks sentences.
        self.span_head = (
            SpanHead.from_file(spans) if spans.is_file() and self.model.has_tokens else None
        )
        phrase = model_files(directory, PHRASE_TC_VERSION)["head"]
        # Without it (or the token output) a phrase carries its sentence's shown techniques.
        self.phrase_head = (
            PhraseTechniqueHead.from_file(phrase)
            if phrase.is_file() and self.model.has_tokens
            else None
        )
        if self.phrase_head is not None and self.phrase_head.labels != self.labels:
            raise ModelFileError(f"{phrase}: its techniques are not the sentence model's")

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits (len(pairs), labels)."""
        if not pairs:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.model.logits(pairs)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of every technique for the sentences of one document, in order."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.calibrated(self.logits(sentence_pairs(texts)))

    def read_scores(self, texts: Sequence[str]) -> np.ndarray:
        """`scores(texts)` from the run the model keeps (`PairModel.read`), so that
        `span_techniques` of the same sentences after it costs no second run."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.calibrated(self.model.read(sentence_pairs(texts)).logits)

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the model's raw logits (Platt per technique)."""
        return apply_platt(sigmoid(logits), self.a, self.b)

    def scores_and_phrases(
        self, texts: Sequence[str], *, labelled_only: bool = True
    ) -> tuple[np.ndarray, list[list[tuple[int, int, float]]]]:
        """`scores(texts)` and each sentence's phrase spans (start, end, calibrated probability;
        character offsets into the sentence's text), from one run of the model; no phrases
        when there is no span head. With `labelled_only`, only sentences with a technique at
        its operating point get phrases (the only ones that show them; it saves ~90% of the
        phrase work)."""
        if not texts or self.span_head is None:
            return self.scores(texts), [[] for _ in texts]
        reading = self.model.read(sentence_pairs(texts))
        scores = self.calibrated(reading.logits)
        wanted = (scores >= self.thresholds).any(1) if labelled_only else np.ones(len(texts))
        head = self.span_head
        phrases: list[list[tuple[int, int, float]]] = []
        for text, found, pieces, want in zip(
            texts, reading.states, reading.offsets, wanted, strict=True
        ):
            if not want or not len(pieces):
                phrases.append([])
                continue
            probabilities = head.probabilities(found)
            phrases.append(decode_spans(probabilities, pieces, text, cut=head.cut, gap=head.gap))
        return scores, phrases

    def span_techniques(
        self, texts: Sequence[str], starts: Sequence[int], spans: Sequence[tuple[int, int]]
    ) -> np.ndarray:
        """Probabilities (len(spans), techniques) of the technique of each span, character
        offsets into the document whose sentences `texts` start at `starts`, from the phrase
        head (zeros without it, or for a span no word piece overlaps)."""
        out = np.zeros((len(spans), len(self.labels)), dtype=np.float32)
        if not spans or not texts or self.phrase_head is None:
            return out
        reading = self.model.read(sentence_pairs(texts))  # the run `scores_and_phrases` made
        scores = self.calibrated(reading.logits)
        ends = [start + len(text) for text, start in zip(texts, starts, strict=True)]
        asked = overlapped(starts, ends, spans)
        sentences = []
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if i not in asked or not len(reading.states[i]):
                continue
            pieces = reading.offsets[i]
            lower = reading.lower[i] if reading.lower else np.zeros((0, 0), dtype=np.float32)
            sentences.append(
                SentenceTokens(reading.states[i], lower, pieces + start, (start, end), scores[i])
            )
        return self.phrase_head.probabilities(sentences, spans)

    def stored(self, texts: Sequence[str], starts: Sequence[int]) -> list[StoredLabel]:
        """What the analyzer stores for the sentences `texts` of a document (at `starts`), from
        one run of the model: each sentence's shown techniques (precision-first operating
        points) on its phrases, a phrase keeping the shown technique the phrase head ranks
        highest (all of them without that head), a shown sentence without a phrase whole; and
        (phrase-first, #16, only with `self.phrase_first`) a phrase of a sentence with no shown
        technique where the heads agree (`phrase_first`; not without the phrase head)."""
        first = self.phrase_first and self.phrase_head is not None
        scores, phrases = self.scores_and_phrases(texts, labelled_only=not first)
        passed = scores >= self.thresholds
        asked = [
            (start + s, start + e)
            for start, found in zip(starts, phrases, strict=True)
            for s, e, _ in found
        ]
        ranked = dict(zip(asked, self.span_techniques(texts, starts, asked), strict=True))
        out: list[StoredLabel] = []
        for text, start, row, keep, found in zip(
            texts, starts, scores, passed, phrases, strict=True
        ):
            end = start + len(text)
            shown = np.flatnonzero(keep)
            if not found:  # no phrase: the sentence whole, with every technique it shows
                out += [StoredLabel(int(j), start, end, _probability(row[j]), {}) for j in shown]
            for s, e, p in found:
                attrs: dict = {
                    "sentence": [start, end],
                    "phrase_probability": round(p, 4),
                    "phrase_model": SPANS_VERSION,
                }
                span = (start + s, start + e)
                techniques = ranked.get(span)
                if not len(shown):
                    out += phrase_first(span, p, row, techniques, attrs)
                    continue
                # The phrase is where the sentence's words are (#16); of the techniques the
                # sentence shows (precision-first), it keeps the one the phrase head ranks
                # highest, or all of them without that head.
                chosen = shown
                if techniques is not None and techniques.any():
                    best = int(shown[np.argmax(techniques[shown])])
                    chosen = np.array([best])
                    attrs["technique_probability"] = round(float(techniques[best]), 4)
                    attrs["technique_model"] = PHRASE_TC_VERSION
                out += [StoredLabel(int(j), *span, _probability(row[j]), attrs) for j in chosen]
        return out


@dataclass(frozen=True)
class StoredLabel:
    """One technique label the analyzer stores: the technique's index, document offsets, the
    score (the sentence head's calibrated probability; phrase-first: phrase × technique
    probability) and the annotation's attributes."""

    technique: int
    start: int
    end: int
    score: float
    attrs: dict


def _probability(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))


def phrase_first(
    span: tuple[int, int],
    phrase: float,
    row: np.ndarray,
    techniques: np.ndarray | None,
    attrs: dict,
) -> list[StoredLabel]:
    """A phrase of a sentence without a shown technique, with the phrase head's own technique
    j, when phrase probability × technique probability × the sentence head's probability of j
    (`row[j]`, under its operating point) reaches `PHRASE_FIRST_POINT`; none otherwise."""
    if techniques is None or not techniques.any():
        return []
    j = int(np.argmax(techniques))
    own = phrase * float(techniques[j])
    if own * float(row[j]) < PHRASE_FIRST_POINT:
        return []
    attrs = {
        **attrs,
        "technique_probability": round(float(techniques[j]), 4),
        "technique_model": PHRASE_TC_VERSION,
        "sentence_probability": round(float(row[j]), 4),
        "rule": "phrase-first",
    }
    return [StoredLabel(j, *span, _probability(own), attrs)]


class AccurateTechniqueAnalyzer:
    """Techniques per sentence from the fine-tuned model (English); the fast head elsewhere."""

    name: ClassVar[str] = "techniques"
    version: ClassVar[str] = ANALYZER_VERSION
    # what `load` reads from a model folder: the fast fallback's head
    head_files: ClassVar[tuple[str, ...]] = TechniqueAnalyzer.head_files
    layer: ClassVar[Layer] = Layer.TECHNIQUE
    requires: ClassVar[tuple[Layer, ...]] = ()
    min_words: ClassVar[int] = 2
    reads: ClassVar[frozenset[str]] = frozenset({"en"})

    def __init__(self, model: FineTunedTechniques, fallback: Analyzer) -> None:
        self.model, self.fallback = model, fallback
        # What the run loop lets through: the fast head's languages, so that they fall back.
        self.languages = (fallback.languages or frozenset()) | self.reads

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> AccurateTechniqueAnalyzer:
        # A model folder (#19) holds fast heads only: it replaces the fallback's head, whose
        # labels then name the per-corpus model; the fine-tuned model is always the shipped
        # one until corrections can fine-tune it.
        fallback = load_analyzer(TechniqueAnalyzer, encoder, models=models)
        return cls(FineTunedTechniques(RESOURCES), fallback)

    def thresholds(self) -> np.ndarray:
        """Per-technique operating points on the calibrated probability (1.01: never shown)."""
        return self.model.thresholds

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if cannot_read(doc, min_words=self.min_words, languages=None):
            return []
        if doc.language not in self.reads:
            reason = (
                f"accurate profile reads {', '.join(sorted(self.reads))} only; "
                f"language {doc.language or 'unknown'!r} got the fast head "
                f"({self.fallback.version})"
            )
            return [
                *self.fallback.analyze(doc, vectors, prior),
                not_analyzed(doc, self.name, reason),
            ]
        texts = doc.sentence_texts()
        starts = [start for start, _ in doc.sentences]
        return [
            self._annotation(
                doc, self.model.labels[x.technique], x.start, x.end, x.score, dict(x.attrs)
            )
            for x in self.model.stored(texts, starts)
        ]

    def _annotation(
        self, doc: Document, label: str, start: int, end: int, score: float, attrs: dict
    ) -> Annotation:
        return Annotation(
            doc_id=doc.id,
            layer=self.layer,
            label=label,
            model=self.version,
            start=start,
            end=end,
            score=score,
            attrs=attrs,
        )
