"""The public entry of an analysis: `analyze(sources, store)`, in this process or on a cluster.

The flow is ingest → clean → language → segment → fingerprint → dedup → encode → analyzers →
store. `narrascope.run.loop.RunLoop` drives it; this module only picks the executor (this
process, or Dask with `workers`/`scheduler`/`client`), opens the run record and closes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narrascope.heads import model_folder_id
from narrascope.model import BadInput, PassedOver, RawDocument
from narrascope.run.analysis import ConfidenceSpec, MinConfidence, load_analysis
from narrascope.run.executor import Executor, RunStopped, WorkerCosts
from narrascope.run.local import LocalExecutor
from narrascope.run.loop import ProgressCallback, RunLoop, RunReport
from narrascope.store import Store

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ProgressCallback", "RunReport", "RunStopped", "analyze", "named_outlet"]


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
    batch_size: int | None = None,
    costs: WorkerCosts | None = None,
    analyze_all: bool = False,
    min_confidence: ConfidenceSpec | MinConfidence = None,
    outlet: str | None = None,
    models: Path | None = None,
    profile: str = "fast",
) -> RunReport:
    """Analyze every article under `sources` (files, folders, globs, URLs) into `store`.

    In this process, unless `workers` (a local Dask cluster of that many processes),
    `scheduler` (the address of an existing Dask cluster) or `client` (a Dask client) says
    otherwise. `costs`, when given, receives each worker's peak memory and batch count.
    Pages that are not articles are stored with their page type but not analyzed, unless
    `analyze_all`. `min_confidence` raises every head's operating point: `0.7`,
    `{"technique": 0.8}`, or the CLI's strings (`["0.7", "technique=0.8"]`); labels scored
    below it are not stored. `outlet` names the publisher of every input (a folder of text
    files from one site); it outranks what the pages say, and a date or headline is refused.
    `models`: a model folder (a per-corpus model, `narrascope train TASK --corrections DB
    --out DIR`) whose heads replace the shipped ones. `profile` "accurate" runs the fine-tuned
    models where there are any (techniques in English), here or on a cluster.
    """
    from narrascope.ingest import iter_inputs

    bar = MinConfidence.parse(min_confidence)  # a bad value fails before any input
    outlet = named_outlet(outlet)
    settings: dict[str, Any] = {"dedup_threshold": dedup_threshold}
    if analyze_all:
        settings["analyze_all"] = True
    if bar:
        settings["min_confidence"] = bar.setting()
    if outlet:
        settings["outlet"] = outlet
    if models is not None:  # a per-corpus model: the run says which heads labelled it (#19)
        settings["models"] = str(models)
        settings["model_id"] = model_folder_id(models) if models.is_dir() else None
    if profile != "fast":
        settings["profile"] = profile
    if workers or scheduler or client:
        settings["cluster"] = scheduler or ("client" if client else f"local:{max(1, workers)}")
    with _executor(
        only, skip, workers, scheduler, client, batch_size, analyze_all, bar, models, profile
    ) as executor:
        loop = RunLoop(store, executor, dedup_threshold=dedup_threshold, costs=costs)
        run_id = store.begin_run(
            sources=[str(s) for s in sources],
            settings={"analyzers": executor.analyzer_versions, **settings},
        )
        inputs = iter_inputs(sources, allow_private=allow_private, exclude=own_files(store))
        if outlet:
            inputs = (_from(item, outlet) for item in inputs)
        report = loop.run(inputs, run_id=run_id, on_progress=on_progress)
        store.finish_run(run_id, counts=dict(report.counts))
        return report


def named_outlet(outlet: str | None) -> str | None:
    """The outlet the caller named, or ValueError when it cannot name a publisher (#17)."""
    from narrascope.clean.metadata import publisher_name

    if outlet is None:
        return None
    name = publisher_name(outlet)
    if name is None:
        raise ValueError(f"outlet {outlet!r} is not a publisher's name (a date, a byline…?)")
    return name


def _from(
    item: RawDocument | BadInput | PassedOver, outlet: str
) -> RawDocument | BadInput | PassedOver:
    if not isinstance(item, RawDocument):  # a bad input, or a file not read (the run's database)
        return item
    item.outlet = outlet
    return item


OWN_DATABASE = "the run's own database"


def own_files(store: Store) -> dict[Path, str]:
    """The files of the run's own database, never read as inputs: the database gets one note
    line when a folder or pattern holds it; its sidecar files (write-ahead log, shared memory,
    journal), which come and go with it, are passed over without a word."""
    database, *sidecars = store.files or (None,)
    if database is None:
        return {}
    return {database: OWN_DATABASE, **dict.fromkeys(sidecars, "")}


@contextmanager
def _executor(
    only: Sequence[str] | None,
    skip: Sequence[str],
    workers: int,
    scheduler: str | None,
    client: Client | None,
    batch_size: int | None,
    analyze_all: bool,
    min_confidence: MinConfidence,
    models: Path | None = None,
    profile: str = "fast",
) -> Iterator[Executor]:
    """The executor the caller chose; models load now, so a missing one fails before any input."""
    if not (workers or scheduler or client):
        analysis = load_analysis(
            only,
            skip,
            analyze_all=analyze_all,
            min_confidence=min_confidence,
            models=models,
            profile=profile,
        )
        yield LocalExecutor(analysis, batch_size=batch_size or 1)
        return
    from narrascope.run.dask import dask_executor

    with dask_executor(
        only=only,
        skip=skip,
        workers=workers,
        scheduler=scheduler,
        client=client,
        batch_size=batch_size or 16,
        analyze_all=analyze_all,
        min_confidence=min_confidence,
        models=models,
        profile=profile,
    ) as executor:
        yield executor
