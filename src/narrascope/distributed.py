"""Runs `analyze` on a Dask cluster: workers clean, segment, encode and analyze; the driver stores.

The driver streams the inputs (each file, WARC record or JSONL line is one unit), skips units
already stored (resume), and sends the rest to the workers in small batches. Each worker loads
the analyzers and the encoder once (`AnalysisPlugin`) and returns `Analyzed` documents. The
driver commits every batch in one transaction, in input order, through the same `Pipeline` a
local run uses (exact copies, dedup, storing), so a cluster run stores exactly what a local run
would. Batches in flight are capped, so neither the driver nor a worker grows with the corpus.

Faults: a worker that dies is replaced and its batch re-run by Dask; a batch that kills workers
again and again, or a database that keeps refusing writes, stops the run with `RunStopped`.
Committed batches stay whole (one transaction each), and re-running the same command resumes.
"""

from __future__ import annotations

import resource
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from narrascope.analyzers import select
from narrascope.dedup import DedupSettings, Fingerprinter
from narrascope.model import BadInput, RawDocument
from narrascope.pipeline import (
    Analyzed,
    DocumentAnalysis,
    Pipeline,
    ProgressCallback,
    RunReport,
    RunStopped,
)
from narrascope.store.faults import database_fault

if TYPE_CHECKING:
    from distributed import Client, Future, Worker

    from narrascope.store import Store

PLUGIN = "narrascope-analysis"
Item = RawDocument | BadInput


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input a worker could not read: which one and why (recorded by the driver in order)."""

    source: str
    reason: str


@dataclass
class BatchResult:
    """What a worker sends back for one batch: a result per input, in input order, and its costs."""

    results: list[Analyzed | Skipped]
    stage_seconds: dict[str, float]
    worker: str
    peak_rss_mb: float
    cpu_seconds: float  # the worker process's CPU time so far (user + system)


@dataclass
class WorkerCosts:
    """Peak memory and CPU time per worker process, for benchmarks."""

    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)

    def add(self, batch: BatchResult) -> None:
        rss = self.peak_rss_mb.get(batch.worker, 0.0)
        self.peak_rss_mb[batch.worker] = max(rss, batch.peak_rss_mb)
        cpu = self.cpu_seconds.get(batch.worker, 0.0)
        self.cpu_seconds[batch.worker] = max(cpu, batch.cpu_seconds)
        self.batches[batch.worker] = self.batches.get(batch.worker, 0) + 1


def build_analysis(
    only: Sequence[str] | None,
    skip: Sequence[str],
    *,
    threads: int = 1,
    dedup: dict[str, Any] | None = None,
) -> DocumentAnalysis:
    """The analyzers and the encoder one worker needs, loaded; `threads` caps the encoder's.

    `dedup` (the store's `DedupSettings` as a dict) makes the worker fingerprint documents too.
    """
    from narrascope.encode import Encoder, UniversalSentenceEncoder, default_encoder

    analyzers = [cls.load() for cls in select(only, skip)]
    encoder = default_encoder()
    if isinstance(encoder, UniversalSentenceEncoder):  # a worker per core: one thread each
        encoder = cast(Encoder, UniversalSentenceEncoder(threads=threads))
    fingerprinter = Fingerprinter(DedupSettings.from_dict(dedup)) if dedup else None
    return DocumentAnalysis(analyzers, encoder=encoder, fingerprinter=fingerprinter)


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
        dedup: dict[str, Any] | None = None,
    ) -> None:
        self.only, self.skip, self.threads = list(only) if only else None, list(skip), threads
        self.dedup = dedup
        self._analyses: dict[str, DocumentAnalysis] = {}

    def setup(self, worker: Worker) -> None:
        self._analyses[worker.address] = build_analysis(
            self.only, self.skip, threads=self.threads, dedup=self.dedup
        )

    def teardown(self, worker: Worker) -> None:
        self._analyses.pop(worker.address, None)

    def analysis(self, worker: Worker) -> DocumentAnalysis:
        return self._analyses[worker.address]


def analyze_batch(items: list[RawDocument | Skipped]) -> BatchResult:
    """Worker side: clean, segment, encode and analyze one batch with this worker's models."""
    from distributed import get_worker

    worker = get_worker()
    plugin = cast(AnalysisPlugin, worker.plugins[PLUGIN])
    analysis = plugin.analysis(worker)
    report = RunReport(run_id=0)
    results: list[Analyzed | Skipped] = []
    for item in items:
        if isinstance(item, Skipped):
            results.append(item)
            continue
        try:
            results.append(analysis.analyze(analysis.prepare(item, report), report))
        except BadInput as bad:
            results.append(Skipped(bad.source, bad.reason))
        except Exception as exc:  # one article's bug must not fail the batch
            results.append(
                Skipped(str(item.source), f"internal error: {type(exc).__name__}: {exc}")
            )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return BatchResult(
        results,
        dict(report.stage_seconds),
        worker.address,
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
    )


class ClusterRun:
    """Driver side: streams inputs to the workers and commits their results in input order."""

    def __init__(
        self,
        pipeline: Pipeline,
        client: Client,
        *,
        batch_size: int = 16,
        max_pending: int | None = None,
        retries: int = 3,
        retry_wait: float = 2.0,
    ) -> None:
        self.pipeline, self.client = pipeline, client
        self.batch_size, self.retries, self.retry_wait = batch_size, retries, retry_wait
        workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        self.max_pending = max_pending or 2 * workers + 1
        self.costs = WorkerCosts()

    def run(
        self, inputs: Iterable[Item], *, run_id: int, on_progress: ProgressCallback | None = None
    ) -> RunReport:
        """Analyze every input on the cluster and store the results; bad inputs are recorded."""
        report = RunReport(run_id)
        started = time.perf_counter()
        pending: deque[tuple[Future, int]] = deque()
        for batch, seen in self._batches(inputs, report):
            while len(pending) >= self.max_pending:
                self._commit(*pending.popleft(), report, on_progress)
            future = self.client.submit(analyze_batch, batch, pure=False)
            pending.append((future, seen))
        while pending:
            self._commit(*pending.popleft(), report, on_progress)
        report.seconds = time.perf_counter() - started
        return report

    def _batches(
        self, inputs: Iterable[Item], report: RunReport
    ) -> Iterator[tuple[list[RawDocument | Skipped], int]]:
        """Batches of inputs not stored yet, with how many inputs each one stands for."""
        store = self.pipeline.store
        batch: list[RawDocument | Skipped] = []
        seen = 0
        stream = iter(inputs)
        while True:
            with report.timing("ingest"):
                item = next(stream, None)
            if item is None:
                break
            report.counts["inputs"] += 1
            seen += 1
            if isinstance(item, RawDocument):
                with report.timing("store"):
                    if store.has_source(item.source):  # resume: stored by an earlier run
                        report.counts["already stored"] += 1
                        continue
            # Exceptions do not travel well between processes: a bad input goes as a record.
            batch.append(Skipped(item.source, item.reason) if isinstance(item, BadInput) else item)
            if len(batch) >= self.batch_size:
                yield batch, seen
                batch, seen = [], 0
        if batch or seen:
            yield batch, seen

    def _commit(
        self,
        future: Future,
        seen: int,
        report: RunReport,
        on_progress: ProgressCallback | None,
    ) -> None:
        batch = self._result(future)
        self.costs.add(batch)
        report.stage_seconds.update(batch.stage_seconds)  # workers' time, summed
        part = self._store(batch.results, report.run_id)
        report.counts.update(part.counts)
        report.problems.extend(part.problems)
        report.stage_seconds.update(part.stage_seconds)
        if on_progress:
            on_progress(seen)

    def _result(self, future: Future) -> BatchResult:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as exc:
            last = getattr(exc, "last_worker", None)
            worker = getattr(last, "address", last) or "its worker"
            raise RunStopped(
                f"a batch of inputs killed {worker} every time it ran (out of memory or a "
                f"crash in a model); what was stored stays stored — find the input with a "
                f"local run, or give workers more memory, then run the same command again"
            ) from exc

    def _store(self, results: list[Analyzed | Skipped], run_id: int) -> RunReport:
        """Commit one batch in one transaction; retried whole when the database drops out."""
        for attempt in range(self.retries + 1):
            part = RunReport(run_id)
            try:
                with self.pipeline.store.batch():
                    for result in results:
                        self._store_one(result, part)
                return part
            except Exception as exc:
                reason = database_fault(exc)
                if reason is None:
                    raise
                if reason.startswith("disk full") or attempt == self.retries:
                    raise RunStopped(
                        f"the database refused a batch ({reason}) after {attempt + 1} "
                        f"attempt(s); every batch before it is stored and consistent — "
                        f"fix the cause and run the same command again to resume"
                    ) from exc
                time.sleep(self.retry_wait * 2**attempt)
        raise AssertionError("unreachable")

    def _store_one(self, result: Analyzed | Skipped, part: RunReport) -> None:
        pipeline = self.pipeline
        if isinstance(result, Skipped):
            part.problems.append((result.source, result.reason))
            pipeline.store.record_problem(part.run_id, result.source, result.reason)
            return
        doc = result.doc
        try:
            with part.timing("store"):
                if pipeline.store.has_source(doc.source):  # the same input twice in one run
                    part.counts["already stored"] += 1
                    return
            # `add_copy` reads only the input's `source`, which the document carries unchanged.
            if not pipeline.add_copy(doc, doc, part):  # type: ignore[arg-type]
                pipeline.commit(result, part)
        except Exception as exc:
            if database_fault(exc) is not None:
                raise
            reason = f"internal error: {type(exc).__name__}: {exc}"
            part.problems.append((str(doc.source), reason))
            pipeline.store.record_problem(part.run_id, str(doc.source), reason)


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


def analyze(
    sources: Sequence[str | Path],
    store: Store,
    *,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    dedup_threshold: float = 0.8,
    allow_private: bool = False,
    on_progress: ProgressCallback | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    client: Client | None = None,
    batch_size: int = 16,
    costs: WorkerCosts | None = None,
) -> RunReport:
    """`pipeline.analyze` on a Dask cluster: `client`, else `scheduler`'s, else `workers` local.

    `costs`, when given, receives each worker's peak memory and batch count.
    """
    from narrascope.ingest import iter_inputs

    classes = select(only, skip)
    own = client is None
    client = client or open_client(workers=workers, scheduler=scheduler)
    try:
        # The driver's analysis loads nothing: it only names the encoder for stored vectors.
        pipeline = Pipeline(store, DocumentAnalysis([]), dedup_threshold=dedup_threshold)
        # Loads the models on every worker now: a missing model file fails before any input.
        # Workers fingerprint in the store's dedup settings (fixed by the Pipeline just made).
        dedup = pipeline.deduplicator.settings.as_dict()
        client.register_plugin(AnalysisPlugin(only, skip, dedup=dedup), name=PLUGIN)
        run_id = store.begin_run(
            sources=[str(s) for s in sources],
            settings={
                "analyzers": [cls.version for cls in classes],
                "dedup_threshold": dedup_threshold,
                "cluster": scheduler or f"local:{max(1, workers)}",
            },
        )
        cluster_run = ClusterRun(pipeline, client, batch_size=batch_size)
        if costs is not None:
            cluster_run.costs = costs
        inputs = iter_inputs(sources, allow_private=allow_private)
        report = cluster_run.run(inputs, run_id=run_id, on_progress=on_progress)
        store.finish_run(run_id, counts=dict(report.counts))
        return report
    finally:
        if own:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
