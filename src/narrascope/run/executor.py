"""The seam between the run loop and what runs the per-document work (this process, or Dask).

An executor runs the two store-free phases of `narrascope.run.analysis` on a batch and hands
back something whose `result()` is the batch's `BatchResult`: one `Prepared`/`Analyzed` or
`Failed` per input, in input order, with what the batch cost. The loop (`narrascope.run.loop`)
does everything that touches the store; an executor never sees it.
"""

from __future__ import annotations

import resource
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from narrascope.model import DedupSettings, RawDocument
from narrascope.run.analysis import (
    Analyzed,
    DocumentAnalysis,
    Failed,
    Prepared,
    StageTimes,
    ToAnalyze,
    failed,
)

T = TypeVar("T", covariant=True)


class RunStopped(RuntimeError):
    """The run cannot go on (a batch that kills workers, a database refusing writes).

    Everything committed before it stays stored and consistent; the same command resumes.
    """


def stopping(exc: Exception) -> RunStopped | None:
    """What `exc` stops a run with when it is the database's fault (else None: one input's)."""
    from narrascope.store.faults import database_fault

    if isinstance(exc, RunStopped):
        return exc
    fault = database_fault(exc)
    return None if fault is None else RunStopped(f"the database refused a write: {fault}")


@dataclass
class BatchResult(Generic[T]):
    """What one phase gives back for one batch: a result per input, in order, and its costs."""

    results: list[T]
    stage_seconds: dict[str, float]
    worker: str
    peak_rss_mb: float
    cpu_seconds: float  # the process's CPU time so far (user + system)


def batch_result(results: list[T], times: StageTimes, worker: str) -> BatchResult[T]:
    """`results` with the stage times and the running process's peak memory and CPU time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return BatchResult(
        results, dict(times), worker, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    )


def prepare_batch(
    analysis: DocumentAnalysis,
    items: Sequence[RawDocument],
    settings: DedupSettings,
    worker: str,
) -> BatchResult[Prepared | Failed]:
    """Phase 1 over a batch; an input that fails becomes its `Failed` record, in its place."""
    times = StageTimes()
    out: list[Prepared | Failed] = []
    for raw in items:
        try:
            out.append(analysis.prepare(raw, settings, times))
        except Exception as exc:  # one article's bug must not fail the batch
            out.append(failed(raw.source, exc))
    return batch_result(out, times, worker)


def finish_batch(
    analysis: DocumentAnalysis, items: Sequence[ToAnalyze], worker: str
) -> BatchResult[Analyzed | Failed]:
    """Phase 2 over a batch; a document that fails becomes its `Failed` record, in its place."""
    times = StageTimes()
    out: list[Analyzed | Failed] = []
    for item in items:
        try:
            out.append(analysis.finish(item, times))
        except Exception as exc:  # one article's bug must not fail the batch
            out.append(failed(item.doc.source, exc))
    return batch_result(out, times, worker)


class Pending(Protocol[T]):
    """A phase submitted for one batch; `result()` waits for it."""

    def result(self) -> BatchResult[T]: ...


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """A phase that already ran (in this process)."""

    value: BatchResult[T]

    def result(self) -> BatchResult[T]:
        return self.value


class Executor(Protocol):
    """Runs the per-document phases; `depth` is how many batches may be analyzed at once."""

    depth: int
    batch_size: int
    encoder_name: str  # the encoder whose stored vectors a near copy may reuse
    analyzer_versions: list[str]

    def prepare(
        self, items: Sequence[RawDocument], settings: DedupSettings
    ) -> Pending[Prepared | Failed]: ...

    def finish(
        self, items: Sequence[ToAnalyze], *, urgent: bool = False
    ) -> Pending[Analyzed | Failed]:
        """Phase 2; `urgent` work goes ahead of queued batches (the loop waits on it)."""
        ...


@dataclass
class WorkerCosts:
    """Peak memory and CPU time per worker process, for benchmarks."""

    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)

    def add(self, batch: BatchResult[object]) -> None:
        rss = self.peak_rss_mb.get(batch.worker, 0.0)
        self.peak_rss_mb[batch.worker] = max(rss, batch.peak_rss_mb)
        cpu = self.cpu_seconds.get(batch.worker, 0.0)
        self.cpu_seconds[batch.worker] = max(cpu, batch.cpu_seconds)
        self.batches[batch.worker] = self.batches.get(batch.worker, 0) + 1
