"""The accurate profile's fine-tuned MiniLM as ONNX Runtime runs it: one model, read by the
technique and the role analyzers alike (#16).

all-MiniLM-L6-v2 fine-tuned on the SemEval-2023 Task 3 English train sentences
(`narrascope train techniques --profile accurate`) reads each sentence with its previous
sentence as context (`sentence_pairs`, the one definition, used by training too). One run of
it (`PairModel.run`) gives each sentence's technique logits and, when asked, its word pieces'
token states and their character offsets: each sentence is tokenized once, its pieces' offsets
come with the run. No torch at analysis: ONNX Runtime runs the int8 model, and
`text.wordpiece` reads the vocabulary shipped beside it.

The entity roles (`roles_accurate`) read the token states of the layer below the last
(`LOWER_OUTPUT`, asked of the graph in memory at load, `with_outputs`) beside the last layer's
(`STATES_OUTPUT`) that the technique span and phrase heads read. One shared model per process
(`shared_pair_model`) keeps the reading of the last document (`PairModel.read`), so the two
analyzers cost one run of the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from narrascope.heads import ModelFileError
from narrascope.text.wordpiece import WordPiece, pad

MAX_TOKENS = 128  # word pieces of [CLS] sentence [SEP] context [SEP]
# The fine-tuned model's version: its ONNX file, its vocabulary and the sentence head trained
# with it (`techniques_accurate`) carry it; the heads that read its token states name it.
ACCURATE_VERSION = "techniques-accurate-v1"
STATES_OUTPUT = "token_states"  # the ONNX output the span head reads: the last layer's states
# The layer below the last (5 of 6, all-MiniLM-L6-v2's own: fine-tuning trained the top one
# only), added as an output at load (`with_outputs`); the entity roles read it (#16).
LOWER_OUTPUT = "/layers.4/output_norm/LayerNormalization_output_0"
BATCH = 32


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
