"""Persuasion techniques, accurate profile: a fine-tuned MiniLM run with ONNX Runtime (English).

all-MiniLM-L6-v2 fine-tuned on the SemEval-2023 Task 3 English train sentences
(`narrascope train techniques --profile accurate`) reads each sentence with its previous
sentence as context (`sentence_pairs`, the one definition, used by training too) and gives a
logit per technique; Platt scaling per technique turns it into a calibrated probability, and a
label is stored only at or above that technique's precision-first operating point, as in the
fast profile. No torch at analysis: ONNX Runtime runs the int8 model, and `text.wordpiece` reads
the vocabulary shipped beside it.

Phrase spans (#16): the same ONNX run gives the last layer's token states (`token_states`), and
a small token head (`techniques-spans-v1`) gives each word piece a calibrated probability of
lying inside a technique span. A sentence's technique label is stored on the phrases of that
sentence whose pieces pass the span head's cut (the words an analyst expects, as Prta marks
them), with the sentence as evidence; a labelled sentence with no such phrase keeps the whole
sentence. The phrase head (`techniques-tc-accurate-v1`, `phrase_techniques`) ranks the
techniques of each phrase from the same run, and a phrase keeps the one of its sentence's shown
techniques that it ranks highest. Phrase-first: the span head also reads the sentences without a
shown technique, and such a phrase is stored with the phrase head's own best technique when
phrase × technique × sentence probability of it reaches `PHRASE_FIRST_POINT` (`rule`
"phrase-first" in its attributes; `FineTunedTechniques.stored` is the one place that decides
what is stored). Each sentence is tokenized once (`PairModel.run`): its pieces' offsets come
with the run.

Entity roles (#16): the accurate role analyzer (`roles_accurate`) reads the same run too, the
token states of the layer below the last (`LOWER_OUTPUT`, asked of the graph in memory at load)
beside the last layer's. One shared model per process (`shared_pair_model`) keeps the reading
of the last document (`PairModel.read`), so the two analyzers cost one run of the model.

The model reads English only. Any other language the fast head reads falls back to the fast
technique head (`techniques-v2`), and the document gets a `not-analyzed` note saying so.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers import Analyzer, cannot_read, load_analyzer, not_analyzed
from narrascope.analyzers.phrase_techniques import (
    PHRASE_TC_VERSION,
    PhraseTechniqueHead,
    SentenceTokens,
)
from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, ModelFileError, apply_platt, sigmoid
from narrascope.model import Annotation, Document, Layer
from narrascope.text.wordpiece import WordPiece, pad

MAX_TOKENS = 128  # word pieces of [CLS] sentence [SEP] context [SEP]
ACCURATE_VERSION = "techniques-accurate-v1"
SPANS_VERSION = "techniques-spans-v1"
STATES_OUTPUT = "token_states"  # the ONNX output the span head reads: the last layer's states
# The layer below the last (5 of 6, all-MiniLM-L6-v2's own: fine-tuning trained the top one
# only), added as an output at load (`with_outputs`); the entity roles read it (#16).
LOWER_OUTPUT = "/layers.4/output_norm/LayerNormalization_output_0"
BATCH = 32
WINDOW = 2  # word pieces each side that the span head's first layer reads
# Phrase-first (#16): a phrase of a sentence without a shown label is stored with the phrase
# head's technique j when phrase probability × technique probability × the sentence head's
# probability of j reaches this. Chosen on the held-out fold 0 of `techniques-accurate-v1` for
# these three heads (best SI F1 with technique-aware precision no lower than without it;
# benchmarks/RESULTS.md, "Phrase-first"); a retrained head needs it chosen again.
PHRASE_FIRST_POINT = 0.0105196


def sentence_pairs(texts: Sequence[str]) -> list[tuple[str, str]]:
    """(sentence, context) for the sentences of one document in order: the context is the
    previous sentence ("" for the first)."""
    return [(text, texts[i - 1] if i else "") for i, text in enumerate(texts)]


def model_files(directory: Path, version: str = ACCURATE_VERSION) -> dict[str, Path]:
    """Where the accurate technique model's files live in `directory`."""
    return {
        "onnx": directory / f"{version}.onnx",
        "vocab": directory / f"{version}-vocab.txt",
        "head": directory / f"{version}.safetensors",
        "card": directory / f"{version}.md",
    }


@dataclass(frozen=True)
class PairReading:
    """One run of a `PairModel` over (sentence, context) pairs: the raw logits (pairs, labels)
    and, per pair, the token states (pieces, width) of its sentence (segment A, without [CLS]
    and [SEP]): `states` the last layer's (empty without the `token_states` output or when not
    asked), `lower` the layer below's (empty unless the model was loaded with `lower`), and
    `offsets` (pieces, 2) the character offsets of those pieces in the sentence (empty when
    token states were not asked)."""

    logits: np.ndarray
    states: list[np.ndarray]
    lower: list[np.ndarray]
    offsets: list[np.ndarray]


class PairModel:
    """An ONNX sentence-pair model and its WordPiece vocabulary: the one place its session is
    built and run. `lower` adds the layer below the last as an output (`LOWER_OUTPUT`)."""

    def __init__(self, onnx: Path, vocab: Path, *, threads: int = 1, lower: bool = False) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        graph = with_outputs(onnx.read_bytes(), [LOWER_OUTPUT]) if lower else str(onnx)
        self.session = onnxruntime.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"]
        )
        self.vocab = WordPiece.from_file(vocab)
        self.lower = lower
        # the reading of the last document `read` (its pairs, the reading): bounded to one
        self._kept: tuple[tuple[tuple[str, str], ...], PairReading] | None = None

    @property
    def has_tokens(self) -> bool:
        """Whether the model gives the last layer's token states (`STATES_OUTPUT`)."""
        return STATES_OUTPUT in {o.name for o in self.session.get_outputs()}

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits (len(pairs), labels), in batches of similar length."""
        return self.run(pairs).logits

    def read(self, pairs: Sequence[tuple[str, str]]) -> PairReading:
        """`run(pairs)` with every token output the model has, kept for the next `read` of the
        same pairs: the technique and role analyzers read a document's pairs in turn, and the
        second finds the first one's run (the same outputs: a run depends on its pairs only)."""
        key = tuple(pairs)
        kept = self._kept
        if kept is not None and kept[0] == key:
            return kept[1]
        reading = self.run(pairs, tokens=self.has_tokens)
        self._kept = (key, reading)
        return reading

    def run(self, pairs: Sequence[tuple[str, str]], *, tokens: bool = False) -> PairReading:
        """Raw logits of every pair and, with `tokens`, its sentence's token states (the last
        layer's, and the lower layer's if loaded with `lower`), in batches of similar length
        (the int8 model quantizes activations per batch: the batches are part of the result)."""
        encoded, offsets = self._encode(pairs, with_offsets=tokens)
        order = np.argsort([len(ids) for ids, _ in encoded], kind="stable")
        outputs = ["logits"]
        if tokens:
            outputs += [STATES_OUTPUT, *([LOWER_OUTPUT] if self.lower else [])]
        out = None
        empty = np.zeros((0, 0), dtype=np.float32)
        states: list[np.ndarray] = [empty] * (len(pairs) if tokens else 0)
        lower: list[np.ndarray] = [empty] * (len(pairs) if tokens and self.lower else 0)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            batch = pad([encoded[i] for i in rows], self.vocab.pad)
            feed = {
                "input_ids": batch.input_ids,
                "attention_mask": batch.attention_mask,
                "token_type_ids": batch.token_type_ids,
            }
            found = self.session.run(outputs, feed)
            if out is None:
                out = np.zeros((len(pairs), found[0].shape[1]), dtype=np.float32)
            out[rows] = found[0]
            if tokens:
                for k, i in enumerate(rows):
                    pieces = encoded[i][1].count(0) - 2  # segment A less [CLS] and [SEP]
                    # copies of the sentence's pieces only: a kept reading holds no padding
                    states[i] = found[1][k, 1 : 1 + pieces].copy()
                    if self.lower:
                        lower[i] = found[2][k, 1 : 1 + pieces].copy()
        logits = out if out is not None else empty
        kept = [o[: len(s)] for o, s in zip(offsets, states, strict=True)] if tokens else []
        return PairReading(logits, states, lower, kept)

    def _encode(
        self, pairs: Sequence[tuple[str, str]], *, with_offsets: bool
    ) -> tuple[list[tuple[list[int], list[int]]], list[np.ndarray]]:
        """Every pair's ids (`WordPiece.pair_ids`) and, `with_offsets`, its sentence's piece
        offsets (pieces, 2). Each distinct text is tokenized once: a document's sentences are
        each the next one's context, and the phrases need the offsets of the same pieces."""
        found: dict[str, tuple[list[int], np.ndarray]] = {}

        def pieces(text: str) -> list[int]:
            if text not in found:
                if with_offsets:
                    ids, spans = self.vocab.tokenize_with_offsets(text)
                    found[text] = (ids, np.asarray(spans, dtype=np.int64).reshape(-1, 2))
                else:
                    found[text] = (self.vocab.tokenize(text), np.zeros((0, 2), dtype=np.int64))
            return found[text][0]

        encoded = [
            self.vocab.join_pair(pieces(a), pieces(b) if b else None, MAX_TOKENS) for a, b in pairs
        ]
        offsets = [found[a][1] for a, _ in pairs] if with_offsets else []
        return encoded, offsets


def shared_pair_model(directory: Path, *, threads: int = 1) -> PairModel:
    """The accurate MiniLM of `directory` with its lower layer's output, one per process,
    model file and thread count: the technique and role analyzers read each document through
    it in one run."""
    files = model_files(directory)
    onnx, vocab = files["onnx"].resolve(), files["vocab"].resolve()
    found = onnx.stat()
    # one key however the caller spells the folder or the threads (lru_cache keys on the
    # call), and a new key when the file is rewritten (a model trained into the same folder)
    return _load_shared(onnx, vocab, found.st_mtime_ns, found.st_size, threads)


@lru_cache(maxsize=2)
def _load_shared(onnx: Path, vocab: Path, mtime_ns: int, size: int, threads: int) -> PairModel:
    return PairModel(onnx, vocab, threads=threads, lower=True)


# --- asking an ONNX model for more outputs, without the onnx package ------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def with_outputs(model: bytes, names: Sequence[str]) -> bytes:
    """The serialized ONNX `model` with the intermediate values `names` added as graph outputs.

    ONNX is protobuf: `ModelProto.graph` is field 7 and `GraphProto.output` (repeated
    `ValueInfoProto`, whose field 1 is the name) field 12, so appending to the graph's bytes
    adds outputs; ONNX Runtime infers their types. The onnx package (a training extra) is not
    needed at analysis, and the model file stays as shipped.
    """
    pos, out = 0, bytearray()
    while pos < len(model):
        start = pos
        key, pos = _read_varint(model, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _read_varint(model, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, body = _read_varint(model, pos)
            pos = body + length
            if field == 7:
                graph = bytearray(model[body:pos])
                for name in names:
                    raw = name.encode("utf-8")
                    value_info = b"\x0a" + _varint(len(raw)) + raw
                    graph += b"\x62" + _varint(len(value_info)) + value_info
                out += _varint(key) + _varint(len(graph)) + graph
                continue
        else:
            raise ModelFileError(f"not an ONNX model (protobuf wire type {wire})")
        out += model[start:pos]
    return bytes(out)


@dataclass
class SpanHead:
    """A word piece's probability of lying inside a technique span, from the last layer's
    states of it and of its `WINDOW` neighbours each side: a 1-D convolution to `hidden`
    units (`w1` (2*WINDOW+1, width, hidden), `b1`), GELU, one logit (`w2` (hidden,), `b2`),
    then Platt scaling (`a`, `b`). Spans: runs of pieces at or above `cut`, gaps of at most
    `gap` pieces bridged."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    a: float = 1.0
    b: float = 0.0
    cut: float = 0.5
    gap: int = 1

    @classmethod
    def from_file(cls, path: Path) -> SpanHead:
        """Read the head's `.safetensors` (cut and gap in its metadata)."""
        from safetensors import safe_open

        with safe_open(str(path), "numpy") as found:
            meta = found.metadata() or {}
            tensors = {key: found.get_tensor(key) for key in found.keys()}  # noqa: SIM118
        return cls(
            tensors["w1"],
            tensors["b1"],
            tensors["w2"],
            float(tensors["b2"]),
            float(tensors["platt_a"]),
            float(tensors["platt_b"]),
            float(meta["cut"]),
            int(meta["gap"]),
        )

    def logits(self, states: np.ndarray) -> np.ndarray:
        """Raw logits (pieces,) of one sentence's states (pieces, width)."""
        n, width = states.shape
        padded = np.zeros((n + 2 * WINDOW, width), dtype=np.float32)
        padded[WINDOW : WINDOW + n] = states
        hidden: np.ndarray = np.repeat(self.b1.astype(np.float32)[None, :], n, 0)
        for k in range(2 * WINDOW + 1):
            hidden += padded[k : k + n] @ self.w1[k]
        hidden = 0.5 * hidden * (1.0 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden**3)))
        return hidden @ self.w2 + self.b2

    def probabilities(self, states: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (pieces,) of one sentence's pieces."""
        return apply_platt(sigmoid(self.logits(states)), self.a, self.b)


APOSTROPHES = "'’"


def _inside_word(text: str, k: int) -> bool:
    """Whether offset `k` falls inside a word of `text`: between two letters or digits, or
    beside an apostrophe within one (word pieces split "Tokayev's" at the apostrophe)."""
    if k <= 0 or k >= len(text):
        return False
    before, after = text[k - 1], text[k]
    if before in APOSTROPHES:
        return k >= 2 and text[k - 2].isalnum() and after.isalnum()
    if after in APOSTROPHES:
        return before.isalnum() and k + 1 < len(text) and text[k + 1].isalnum()
    return before.isalnum() and after.isalnum()


def decode_spans(
    probabilities: np.ndarray, offsets: np.ndarray, text: str, *, cut: float, gap: int
) -> list[tuple[int, int, float]]:
    """Phrase spans (start, end, mean probability) from one sentence's piece probabilities and
    their character offsets (pieces, 2) into `text`: runs of pieces at or above `cut`, gaps of
    at most `gap` pieces bridged, each run widened to whole words of `text`."""
    on = np.flatnonzero(probabilities >= cut)
    if not len(on):
        return []
    runs: list[list[int]] = [[int(on[0]), int(on[0])]]
    for k in on[1:]:
        if k - runs[-1][1] <= gap + 1:
            runs[-1][1] = int(k)
        else:
            runs.append([int(k), int(k)])
    out = []
    for first, last in runs:
        start, end = int(offsets[first, 0]), int(offsets[last, 1])
        while _inside_word(text, start):
            start -= 1
        while _inside_word(text, end):
            end += 1
        out.append((start, end, float(probabilities[first : last + 1].mean())))
    return out


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

    def __init__(self, directory: Path, *, threads: int = 1) -> None:
        from safetensors import safe_open

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
        (phrase-first, #16) a phrase of a sentence with no shown technique where the heads
        agree (`phrase_first`; not without the phrase head)."""
        first = self.phrase_head is not None
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
    version: ClassVar[str] = ACCURATE_VERSION
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
