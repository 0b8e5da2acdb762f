"""The on-disk cache of encoder vectors for training data, shared by every trainer.

Encoding tens of thousands of labelled sentences takes minutes; their vectors are kept in one
npz file per data set and encoder (`<cache>/<prefix><encoder name>.npz`), keyed by a hash of
the sentence text, so a second training run encodes nothing. Only `keys` and `vectors` arrays
are stored: nothing is unpickled when the file is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CHUNK = 4000  # sentences encoded between saves: an interrupted run keeps its work


class VectorCache:
    """Encoder vectors of training sentences, read from and added to one npz file."""

    def __init__(self, cache: Path, encoder, *, prefix: str = "") -> None:
        self.path = cache / f"{prefix}{encoder.name}.npz"
        self.encoder = encoder
        self._known: dict[str, np.ndarray] | None = None

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]

    def _load(self) -> dict[str, np.ndarray]:
        if self._known is None:
            self._known = {}
            if self.path.is_file():
                with np.load(self.path, allow_pickle=False) as stored:
                    pairs = zip(stored["keys"].tolist(), stored["vectors"], strict=True)
                    self._known = dict(pairs)
        return self._known

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, shape (len(texts), dim), encoding only what the cache lacks."""
        known = self._load()
        keys = [self._key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i : i + CHUNK]
            fresh = self.encoder.encode([t for _, t in chunk])
            known.update({k: v for (k, _), v in zip(chunk, fresh, strict=True)})
            self._save(known)
        if not keys:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.stack([known[k] for k in keys]).astype(np.float32)

    def _save(self, known: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(self.path)  # atomic: a reader never sees half a file
