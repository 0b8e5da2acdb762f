"""Small trained heads over sentence vectors, stored as versioned safetensors files.

A head is a linear layer (weights, bias) with one decision threshold per label, chosen by
cross-validation when it was trained. Labels, model id and encoder name travel in the file's
metadata, so a head never needs pickle. A head is read for the encoder it will be fed:
`from_file(..., encoder=...)` refuses a head trained on another encoder (name or width).
Heads are read from the package (`RESOURCES`) or from a model folder (`head_path`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from narrascope.encode import Encoder

RESOURCES = Path(__file__).parent / "resources"


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Independent probabilities per label (multi-label heads)."""
    return 1.0 / (1.0 + np.exp(-logits))


EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """The log-odds of probabilities, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p / (1 - p))


def apply_platt(scores: np.ndarray, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Calibrated probabilities of raw scores with Platt's per-label `a`, `b` (fitted in
    `training.calibrate`; one pair for all, as floats, when the scores are of one label), for
    a score that is not a linear head's own output."""
    return sigmoid(logit(scores) * a + b)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the labels of each row (one-of-k heads), computed stably."""
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


BLOCK_ROWS = 4096
"""Rows a head scores at once. A document of tens of thousands of tiny sentences (the size cap
allows 60,000) would otherwise build its whole feature matrix and its temporaries at once:
hundreds of MB (issue 18). An article of real sentences (a maximal one has 4,000) is one block."""


def float32(array: np.ndarray) -> np.ndarray:
    """`array` as float32: itself when it is already (a document's vectors are not copied for
    each analyzer: 127 MB for 60,000 sentences), else a copy, as `astype` makes it."""
    return array if array.dtype == np.float32 else array.astype(np.float32)


def row_blocks(n: int, rows: int = BLOCK_ROWS) -> Iterator[slice]:
    """Slices cutting `n` rows into near-equal blocks of at most `rows` rows.

    Near-equal, never a short tail: a head's product is rounded from float64
    (`LinearHead.score`), so scores and labels are the same whether a document is scored at once
    or in blocks (tests/test_heads.py), and no block is a product of a few rows only.
    """
    if n <= 0:
        return
    count = -(-n // max(1, rows))
    size, longer = divmod(n, count)  # the first `longer` blocks take one row more
    lo = 0
    for i in range(count):
        hi = lo + size + (i < longer)
        yield slice(lo, hi)
        lo = hi


class ModelFileError(RuntimeError):
    """A head file is missing or unreadable; the message says how to rebuild it."""


class EncoderMismatch(ModelFileError):
    """A head was trained on another sentence encoder (name or dimension) than the one given."""


def head_path(shipped: Path, models: Path | None = None) -> Path:
    """Where a head is read from: the file of the same name in the model folder `models` (a
    per-corpus model, `narrascope ... --model DIR`), else the `shipped` one (in the package).

    A model folder stands for the whole model: a head it lacks is an error, not a silent
    fall-back to the shipped one (#19).
    """
    if models is None:
        return shipped
    if not models.is_dir():
        raise ModelFileError(f"{models}: no such model folder")
    path = models / shipped.name
    if not path.is_file():
        raise ModelFileError(
            f"{models}: the model folder has no {shipped.name}; write it there with "
            f"`narrascope train {_task(path)} --out {models}`"
        )
    return path


def changed_heads(models: Path, names: Iterable[str] | None = None) -> list[Path]:
    """The head files of model folder `models` (of `names` only, when given) that differ from
    the shipped ones: what a per-corpus model changes (#19)."""
    paths = sorted(models.glob("*.safetensors")) if names is None else [models / n for n in names]
    changed = []
    for path in paths:
        shipped = RESOURCES / path.name
        if path.is_file() and not (shipped.is_file() and shipped.read_bytes() == path.read_bytes()):
            changed.append(path)
    return changed


def model_folder_id(models: Path) -> str | None:
    """The id of the per-corpus model in folder `models`: `m` and a hash of the heads it
    changes (None when it changes none: its labels are the shipped model's)."""
    changed = changed_heads(models) if models.is_dir() else []
    if not changed:
        return None
    digest = hashlib.sha256()
    for path in changed:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return f"m{digest.hexdigest()[:10]}"


SAFETENSORS_DTYPES = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """A safetensors file whose bytes depend only on `tensors` and `metadata`: header keys
    sorted, tensors stored in name order.

    safetensors' own writer keeps the metadata in a Rust HashMap, whose order is random in
    every process (PYTHONHASHSEED does not reach it): two trainings that gave the same tensors
    and metadata wrote different files, so a retrained per-corpus model folder got a new
    `model_folder_id` and re-analysis replaced labels that had not changed.
    """
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[array.dtype.newbyteorder("=")],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))


HEAD_TENSORS = ("weights", "bias", "thresholds")


@dataclass
class LinearHead:
    """Scores vectors for k labels: sigmoid (multi-label) or softmax (one label of k)."""

    weights: np.ndarray  # (dim, k)
    bias: np.ndarray  # (k,)
    labels: list[str]
    model_id: str
    encoder: str
    thresholds: np.ndarray | None = None  # (k,); None means 0.5 for every label
    activation: str = "sigmoid"
    info: dict[str, Any] = field(default_factory=dict)  # the model card's facts, as JSON
    # Further named tensors stored beside the head (e.g. narratives' per-language heads)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def variant(self, key: str, info: dict[str, Any] | None = None) -> LinearHead:
        """The head stored beside this one as extra tensors `weights.KEY`, `bias.KEY` (and
        `thresholds.KEY` if stored): same labels, model and encoder. KeyError if incomplete."""
        return LinearHead(
            self.extra[f"weights.{key}"],
            self.extra[f"bias.{key}"],
            self.labels,
            self.model_id,
            self.encoder,
            thresholds=self.extra.get(f"thresholds.{key}"),
            activation=self.activation,
            info=info or {},
        )

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """Probabilities, shape (n, k)."""
        if len(vectors) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        # The product in float64, rounded once to float32: a float32 product's sums depend on the
        # BLAS kernel, which some CPUs (AMD EPYC's OpenBLAS path) choose by the number of rows, so
        # a document scored in blocks got other last bits than in one product; in float64 every
        # row's rounded sum is the same whatever the block (tests/test_heads.py).
        logits = (np.asarray(vectors, dtype=np.float64) @ self.weights.astype(np.float64)).astype(
            np.float32
        ) + self.bias
        return softmax(logits) if self.activation == "softmax" else sigmoid(logits)

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Boolean (n, k): which labels pass their threshold."""
        cut = self.thresholds if self.thresholds is not None else np.full(len(self.labels), 0.5)
        return scores >= cut

    def save(self, path: Path) -> None:
        """Write the head as safetensors with its labels and provenance in the metadata; the
        same head gives the same bytes (`write_safetensors`)."""
        # safetensors writes the raw buffer: a transposed (Fortran-ordered) array must be made
        # C-contiguous first or it reloads scrambled.
        tensors = {
            "weights": np.ascontiguousarray(self.weights, dtype=np.float32),
            "bias": np.ascontiguousarray(self.bias, dtype=np.float32),
        }
        if self.thresholds is not None:
            tensors["thresholds"] = np.ascontiguousarray(self.thresholds, dtype=np.float32)
        for name, tensor in self.extra.items():
            tensors[name] = np.ascontiguousarray(tensor, dtype=np.float32)
        metadata = {
            "labels": json.dumps(self.labels, ensure_ascii=False),
            "model_id": self.model_id,
            "encoder": self.encoder,
            "activation": self.activation,
            "info": json.dumps(self.info, ensure_ascii=False),
        }
        write_safetensors(path, tensors, metadata)

    @classmethod
    def from_file(
        cls, path: Path, *, inputs: int | None = None, encoder: Encoder | None = None
    ) -> LinearHead:
        """Read a head written by `save`; a missing or corrupt file names the command that rebuilds it.

        With `encoder`, the head must have been trained on that encoder and take `inputs`
        features built from its vectors, or `EncoderMismatch` says which encoder it needs.
        """
        from safetensors import safe_open

        task = _task(path)
        if not path.is_file():
            raise ModelFileError(
                f"{path}: model file missing; rebuild it with `narrascope train {task}`"
            )
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open is not a dict
            head = cls(
                weights=tensors["weights"],
                bias=tensors["bias"],
                thresholds=tensors.get("thresholds"),
                labels=json.loads(meta["labels"]),
                model_id=meta["model_id"],
                encoder=meta["encoder"],
                activation=meta.get("activation", "sigmoid"),
                info=json.loads(meta.get("info", "{}")),
                extra={k: v for k, v in tensors.items() if k not in HEAD_TENSORS},
            )
        except Exception as exc:  # safetensors raises several unrelated types on bad bytes
            raise ModelFileError(
                f"{path}: model file unreadable ({exc}); rebuild it with `narrascope train {task}`"
            ) from exc
        if encoder is not None:
            check_encoder(head, encoder, inputs=inputs, path=path)
        if inputs is not None and head.weights.shape[0] != inputs:
            raise ModelFileError(
                f"{path}: head takes {head.weights.shape[0]} features, not {inputs}; "
                f"rebuild it with `narrascope train {task}`"
            )
        return head


def check_encoder(
    head: LinearHead, encoder: Encoder, *, inputs: int | None, path: Path | None = None
) -> None:
    """Raise `EncoderMismatch` unless `head` was trained on `encoder` and takes `inputs` features.

    `inputs` is the width of the head's features when built from `encoder`'s vectors (None: not
    checked); the encoder a head was trained on is named in its metadata (`head.encoder`).
    """
    rows = head.weights.shape[0]
    if head.encoder == encoder.name and (inputs is None or rows == inputs):
        return
    where = f"{path}: " if path is not None else ""
    given = f"{encoder.name!r} ({encoder.dim}-d" + (f", {inputs} features)" if inputs else ")")
    raise EncoderMismatch(
        f"{where}head {head.model_id} was trained on encoder {head.encoder!r} ({rows} features); "
        f"the encoder given is {given}: analyze with {head.encoder!r}, or retrain the head "
        f"on the new encoder with `narrascope train {_task(path or Path(head.model_id))}`"
    )


def _task(path: Path) -> str:
    """The `narrascope train` task that writes a head file (`roles-v1-fine` -> `roles`)."""
    return path.stem.rsplit("-v", 1)[0]
