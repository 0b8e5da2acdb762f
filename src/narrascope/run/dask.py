"""The Dask executor: the per-document phases run on a cluster's workers; the driver stores.

Each worker loads the analyzers and the encoder once (`AnalysisPlugin`, also on workers that
join later) and runs the two store-free phases of `narrascope.run.analysis` on the batches the
run loop submits. Phase 1 (prepare) goes ahead of phase 2 (analyze) on the workers, so the
driver's dedup of the next batch never waits behind a queue of analysis.

Faults: a worker that dies is replaced and its batch re-run by Dask; a batch that kills workers
again and again stops the run with `RunStopped` (the loop's other faults are its own).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from narrascope.analyzers import model_version, select
from narrascope.encode import default_encoder
from narrascope.model import DedupSettings, RawDocument
from narrascope.run.analysis import (
    Analyzed,
    DocumentAnalysis,
    Failed,
    MinConfidence,
    Prepared,
    ToAnalyze,
    load_analysis,
)
from narrascope.run.executor import BatchResult, RunStopped, finish_batch, prepare_batch

if TYPE_CHECKING:
    from distributed import Client, Future, Worker

PLUGIN = "narrascope-analysis"

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - the `scale` extra is not installed
    WorkerPlugin = object  # type: ignore[assignment,misc]


class AnalysisPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Loads the analysis once on every worker (also on workers that join later)."""

    name = PLUGIN

    def __init__(
        self,
        only: Sequence[str] | None,
        skip: Sequence[str],
        *,
        threads: int = 1,
        analyze_all: bool = False,
        min_confidence: MinConfidence | None = None,
        models: Path | None = None,
        profile: str = "fast",
    ) -> None:
        self.only, self.skip, self.threads = list(only) if only else None, list(skip), threads
        self.analyze_all, self.min_confidence = analyze_all, min_confidence
        self.models, self.profile = models, profile
        self._analyses: dict[str, DocumentAnalysis] = {}

    def setup(self, worker: Worker) -> None:
        self._analyses[worker.address] = load_analysis(
            self.only,
            self.skip,
            threads=self.threads,
            analyze_all=self.analyze_all,
            min_confidence=self.min_confidence,
            models=self.models,
            profile=self.profile,
        )

    def teardown(self, worker: Worker) -> None:
        self._analyses.pop(worker.address, None)

    def analysis(self, worker: Worker) -> DocumentAnalysis:
        return self._analyses[worker.address]


def _worker_analysis() -> tuple[Worker, DocumentAnalysis]:
    from distributed import get_worker

    worker = get_worker()
    plugin = cast(AnalysisPlugin, worker.plugins[PLUGIN])
    return worker, plugin.analysis(worker)


def prepare_on_worker(
    items: list[RawDocument], settings: DedupSettings
) -> BatchResult[Prepared | Failed]:
    """Worker side, phase 1: clean, segment and fingerprint one batch."""
    worker, analysis = _worker_analysis()
    return prepare_batch(analysis, items, settings, worker.address)


def finish_on_worker(items: list[ToAnalyze]) -> BatchResult[Analyzed | Failed]:
    """Worker side, phase 2: encode what is not reused and run the analyzers on one batch."""
    worker, analysis = _worker_analysis()
    return finish_batch(analysis, items, worker.address)


@dataclass(frozen=True, slots=True)
class DaskPending:
    """A phase submitted to the cluster; `result()` waits, and stops the run on a poison batch."""

    future: Future

    def result(self) -> BatchResult[Any]:
        from distributed import KilledWorker

        try:
            return cast(BatchResult[Any], self.future.result())
        except KilledWorker as exc:
            last = getattr(exc, "last_worker", None)
            worker = getattr(last, "address", last) or "its worker"
            raise RunStopped(
                f"a batch of inputs killed {worker} every time it ran (out of memory or a "
                f"crash in a model); what was stored stays stored — find the input with a "
                f"local run, or give workers more memory, then run the same command again"
            ) from exc


class DaskExecutor:
    """Runs the per-document phases on a Dask cluster through `client`.

    Registers the plugin at once, so a missing model file fails before any input is read.
    `depth` caps the batches being analyzed at once (default: two per worker, plus one).
    """

    def __init__(
        self,
        client: Client,
        *,
        only: Sequence[str] | None = None,
        skip: Sequence[str] = (),
        batch_size: int = 16,
        depth: int | None = None,
        analyze_all: bool = False,
        min_confidence: MinConfidence | None = None,
        models: Path | None = None,
        profile: str = "fast",
    ) -> None:
        self.client, self.batch_size = client, batch_size
        # The versions the workers' analyzers carry, as a local run's `analysis.analyzers` (#19).
        chosen = select(only, skip, profile=profile)
        self.analyzer_versions = [model_version(cls, models) for cls in chosen]
        self.encoder_name = default_encoder().name  # names it, loads nothing
        plugin = AnalysisPlugin(
            only,
            skip,
            analyze_all=analyze_all,
            min_confidence=min_confidence,
            models=models,
            profile=profile,
        )
        client.register_plugin(plugin, name=PLUGIN)
        workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        self.depth = depth or 2 * workers + 1

    def prepare(self, items: Sequence[RawDocument], settings: DedupSettings) -> DaskPending:
        # Ahead of queued analysis: the driver waits on this one to dedup the batch.
        future = self.client.submit(
            prepare_on_worker, list(items), settings, pure=False, priority=1
        )
        return DaskPending(future)

    def finish(self, items: Sequence[ToAnalyze], *, urgent: bool = False) -> DaskPending:
        future = self.client.submit(
            finish_on_worker, list(items), pure=False, priority=2 if urgent else 0
        )
        return DaskPending(future)


def open_client(*, workers: int = 0, scheduler: str | None = None) -> Client:
    """A client of an existing cluster (`scheduler` address) or of a new local one (`workers`)."""
    import dask
    from distributed import Client, LocalCluster

    # Dask keeps the last 1000 messages of every stream for debugging; here each holds a batch of
    # articles, so the driver grew by ~15 MB per 1000 documents until that log was full (#8).
    with dask.config.set({"distributed.admin.low-level-log-length": 16}):
        if scheduler:
            return Client(scheduler)
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            memory_limit="2GiB",
        )
        return Client(cluster)


@contextmanager
def dask_executor(
    *,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    workers: int = 0,
    scheduler: str | None = None,
    client: Client | None = None,
    batch_size: int = 16,
    analyze_all: bool = False,
    min_confidence: MinConfidence | None = None,
    models: Path | None = None,
    profile: str = "fast",
) -> Iterator[DaskExecutor]:
    """An executor on `client`, else on `scheduler`'s cluster, else on `workers` local processes.

    A client or cluster opened here is closed on the way out. `models`: a model folder every
    worker reads its heads from (it must see the same path); `profile`: the analysis profile
    every worker runs.
    """
    own = client is None
    client = client or open_client(workers=workers, scheduler=scheduler)
    try:
        yield DaskExecutor(
            client,
            only=only,
            skip=skip,
            batch_size=batch_size,
            analyze_all=analyze_all,
            min_confidence=min_confidence,
            models=models,
            profile=profile,
        )
    finally:
        if own:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
