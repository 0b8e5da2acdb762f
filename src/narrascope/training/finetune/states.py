"""Token states after the frozen lower layers, computed once and kept, for top-layer fine-tuning.

When only the top `top` of MiniLM's 6 layers train (`Settings.top`), the embeddings and the
layers below give every sentence pair the same token states in every epoch (eval mode: no
dropout there), so they are computed once (~20 minutes for the 20,277 English T3 train pairs on
a loaded 2-core machine) and each epoch runs only the trained layers and the head (4-6 minutes
instead of ~32-66). Measured in benchmarks/RESULTS.md ("A cheaper recipe").

The states are kept as float16 in one `.npz` (no pickle): `states` (all tokens, concatenated),
`ends` (where each pair's tokens end) and `fingerprint` (a digest of the word-piece pairs and
the weights below the cut, so a file made for other inputs is refused). Computing them writes a part file every `part_size` pairs, so an interrupted run resumes from its last
part; the parts are joined into the one file at the end and removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from narrascope.training.finetune.minilm import MiniLMClassifier
from narrascope.training.finetune.trainer import _inputs

Encoded = Sequence[tuple[list[int], list[int]]]


def fingerprint(model: MiniLMClassifier, encoded: Encoded, cut: int) -> str:
    """What the states depend on: the weights of the embeddings and the layers below `cut`,
    and the word-piece pairs."""
    digest = hashlib.sha256(f"cut={cut};".encode())
    layers = (f"layers.{k}." for k in range(cut))
    frozen = ("word.", "position.", "segment.", "embedding_norm.", *layers)
    for name, tensor in model.state_dict().items():
        if name.startswith(frozen):
            digest.update(name.encode())
            digest.update(tensor.detach().contiguous().numpy().tobytes())
    for ids, types in encoded:
        digest.update(np.asarray(ids, dtype=np.int32).tobytes())
        digest.update(np.asarray(types, dtype=np.int8).tobytes())
    return digest.hexdigest()[:16]


def cache_states(
    model: MiniLMClassifier, encoded: Encoded, cut: int, rows: Sequence[int], batch: int = 64
) -> list[np.ndarray]:
    """Token states after layer `cut` of the encoded pairs `rows`, float16, unpadded, in the
    order of `rows` (computed in batches of similar length)."""
    model.eval()
    order = np.argsort([len(encoded[i][0]) for i in rows], kind="stable")
    states: list[np.ndarray] = [np.empty(0)] * len(rows)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            picked = [rows[k] for k in chosen]
            found = model.hidden(*_inputs(encoded, picked), layers=cut).numpy()
            for k, (place, i) in enumerate(zip(chosen, picked, strict=True)):
                states[place] = found[k, : len(encoded[i][0])].astype(np.float16)
    return states


def _save(path: Path, states: Sequence[np.ndarray], stamp: str) -> None:
    ends = np.cumsum([len(s) for s in states])
    partial = path.with_name(path.name + ".tmp.npz")
    np.savez(partial, states=np.concatenate(states), ends=ends, fingerprint=np.array(stamp))
    partial.replace(path)


def _load(path: Path, stamp: str) -> list[np.ndarray] | None:
    with np.load(path) as kept:
        if str(kept["fingerprint"]) != stamp:
            return None
        flat, ends = kept["states"], kept["ends"]
    return np.split(flat, ends[:-1])


def load_or_cache_states(
    model: MiniLMClassifier,
    encoded: Encoded,
    cut: int,
    folder: Path,
    *,
    part_size: int = 2048,
    on_progress: Callable[[str], None] = lambda message: None,
) -> list[np.ndarray]:
    """The states after layer `cut` of every encoded pair, from `folder` if kept there, else
    computed (resuming from the part files of an interrupted run) and kept."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = fingerprint(model, encoded, cut)
    path = folder / f"states-cut{cut}-{stamp}.npz"
    if path.is_file():
        found = _load(path, stamp)
        if found is not None and len(found) == len(encoded):
            on_progress(f"token states after layer {cut}: reused {path.name}")
            return found
    states: list[np.ndarray] = []
    parts = [
        folder / f"states-cut{cut}-{stamp}.part{k}.npz" for k in range(0, len(encoded), part_size)
    ]
    for number, part in enumerate(parts):
        start = number * part_size
        rows = list(range(start, min(start + part_size, len(encoded))))
        kept = _load(part, stamp) if part.is_file() else None
        if kept is None or len(kept) != len(rows):
            kept = cache_states(model, encoded, cut, rows)
            _save(part, kept, stamp)
        states += kept
        on_progress(f"token states after layer {cut}: {len(states)}/{len(encoded)} pairs")
    _save(path, states, stamp)
    for part in parts:
        part.unlink(missing_ok=True)
    return states


def top_logits(
    model: MiniLMClassifier,
    states: Sequence[np.ndarray],
    encoded: Encoded,
    rows: Sequence[int] | np.ndarray,
    cut: int,
) -> torch.Tensor:
    """Logits of `rows` from their cached states (padded with zeros; the mask ignores them)."""
    ids, mask, types = _inputs(encoded, rows)
    x = np.zeros((len(rows), ids.shape[1], states[rows[0]].shape[1]), dtype=np.float32)
    for k, i in enumerate(rows):
        x[k, : len(states[i])] = states[i]
    return model.top(torch.from_numpy(x), mask, types, start=cut)
