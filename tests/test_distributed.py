"""Analysis on a Dask cluster stores exactly what a local run stores, resumes, and stops cleanly."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from distributed import Client, KilledWorker, LocalCluster

from narrascope import pipeline
from narrascope.run.dask import DaskPending
from narrascope.store import Store

ROOT = Path(__file__).resolve().parents[1]
ANALYZERS = ["stats", "events"]  # one that reads every language, one with a language set


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_corpus", ROOT / "benchmarks" / "generate_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, examples_dir) -> list[str]:
    """The five examples plus 40 generated articles in three JSONL parts, with planted copies."""
    out = tmp_path_factory.mktemp("corpus")
    _generator().generate(
        out, docs=40, copy_rate=0.15, near_rate=0.15, per_file=15, seed=3, material=None
    )
    (out / "truth.jsonl").unlink()
    with (out / "part-00001.jsonl").open("a") as part:  # a bad line among the good ones
        part.write("{not json\n")
    return [str(examples_dir), str(out)]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def snapshot(db: str | Path) -> dict:
    """Everything a run stores that a user can see, in a comparable form."""
    with Store.open(db) as store:
        docs = list(store.documents())
        out = {
            "docs": [
                (
                    d.id,
                    d.text,
                    d.title,
                    d.url,
                    d.language,
                    d.published,
                    d.source,
                    d.sentences,
                    d.paragraphs,
                    d.removed,
                )
                for d in docs
            ],
            "annotations": sorted(
                (
                    a.doc_id,
                    a.layer,
                    a.label,
                    a.start,
                    a.end,
                    round(a.score, 6),
                    json.dumps(a.evidence),
                    json.dumps(a.attrs, sort_keys=True),
                    a.model,
                )
                for a in store.annotations()
            ),
            "sources": {d.id: store.sources(d.id) for d in docs},
            "vectors": {
                d.id: hashlib.sha256(v.tobytes()).hexdigest()
                for d in docs
                if (v := store.vectors(d.id)) is not None
            },
            "analyzers": {d.id: store.analyzers_run(d.id) for d in docs},
            "copies": list(store.copies()),
            "clusters": list(store.clusters()),
            "problems": sorted(store.problems()),
        }
        stats = store.stats()
        stats.runs = 0  # resumed runs are runs too
        stats.unfinished = {}  # ...and a run killed or stopped on purpose stays unfinished
        out["stats"] = stats
    return out


@pytest.fixture(scope="module")
def local_run(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("local") / "local.db"
    with Store.open(db) as store:
        report = pipeline.analyze(corpus, store, only=ANALYZERS)
    return report, snapshot(db)


def _cluster_analyze(corpus, db, client, **kw):
    with Store.open(db) as store:
        return pipeline.analyze(corpus, store, only=ANALYZERS, client=client, batch_size=4, **kw)


def test_distributed_stores_what_a_local_run_stores(corpus, local_run, client, tmp_path):
    local_report, expected = local_run
    assert local_report.counts["exact copies"] and local_report.counts["near copies"]
    report = _cluster_analyze(corpus, tmp_path / "cluster.db", client)
    assert report.counts == local_report.counts
    assert report.problems == local_report.problems
    assert snapshot(tmp_path / "cluster.db") == expected


def run_analyzers(db: Path) -> list[list[str]]:
    """The analyzer versions each run recorded in its settings."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT settings FROM runs ORDER BY id").fetchall()
    return [json.loads(settings)["analyzers"] for (settings,) in rows]


def test_distributed_profile_and_model_folder_store_what_a_local_run_stores_issue_19(
    client, tmp_path, accurate_without_model
):
    """`--profile accurate --model DIR` on a cluster: the workers run that profile with the
    folder's heads, and the run records the versions a local run records."""
    from accurate_profile import RUSSIAN, sure_techniques_folder

    from narrascope.analyzers.techniques_accurate import ANALYZER_VERSION
    from narrascope.heads import model_folder_id

    folder = sure_techniques_folder(tmp_path / "corpus-model")
    source = tmp_path / "in"
    source.mkdir()
    (source / "ru-1.txt").write_text(RUSSIAN * 3, encoding="utf-8")
    other = "Правительство снова обманывает народ. Эти предатели продали страну врагам. "
    (source / "ru-2.txt").write_text(other * 6, encoding="utf-8")
    chosen = {"only": ["techniques"], "profile": "accurate", "models": folder}
    with Store.open(tmp_path / "local.db") as store:
        pipeline.analyze([source], store, **chosen)
    with Store.open(tmp_path / "cluster.db") as store:
        pipeline.analyze([source], store, client=client, batch_size=4, **chosen)
    expected = snapshot(tmp_path / "local.db")
    version = f"{ANALYZER_VERSION}-{model_folder_id(folder)}"
    assert expected["annotations"] and all(v == {version} for v in expected["analyzers"].values())
    assert snapshot(tmp_path / "cluster.db") == expected
    assert run_analyzers(tmp_path / "cluster.db") == run_analyzers(tmp_path / "local.db")
    assert run_analyzers(tmp_path / "local.db") == [[version]]


def test_distributed_resumes_after_the_driver_dies(
    corpus, local_run, client, tmp_path, monkeypatch
):
    import narrascope.ingest as ingest

    db = tmp_path / "resumed.db"
    real = ingest.iter_inputs

    def dying(sources, **kw):  # the driver is killed after reading 30 inputs
        for n, item in enumerate(real(sources, **kw)):
            if n == 30:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(ingest, "iter_inputs", dying)
    with pytest.raises(KeyboardInterrupt):
        _cluster_analyze(corpus, db, client)
    monkeypatch.setattr(ingest, "iter_inputs", real)
    with Store.open(db) as store:
        stored = store.stats().documents
    assert 0 < stored < len(local_run[1]["docs"])
    report = _cluster_analyze(corpus, db, client)
    assert report.counts["already stored"] > 0
    assert snapshot(db) == local_run[1]


def test_distributed_survives_a_worker_killed_mid_batch(corpus, local_run, tmp_path, monkeypatch):
    """A worker process killed while it analyzes: Dask re-runs its batch on the restarted one.

    Also the `--scheduler` path: the run connects to an existing cluster by its address.
    """
    killed = threading.Event()
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        import narrascope.ingest as ingest

        real = ingest.iter_inputs

        def killing(sources, **kw):
            for n, item in enumerate(real(sources, **kw)):
                if n == 40 and not killed.is_set():  # two batches of 16 are on the worker by now
                    for pid in client.run(os.getpid).values():
                        os.kill(pid, signal.SIGKILL)
                    killed.set()
                yield item

        monkeypatch.setattr(ingest, "iter_inputs", killing)
        with Store.open(tmp_path / "killed.db") as store:  # as `--scheduler tcp://…` does
            report = pipeline.analyze(
                corpus, store, only=ANALYZERS, scheduler=cluster.scheduler_address
            )
    assert killed.is_set()
    assert report.counts == local_run[0].counts
    assert snapshot(tmp_path / "killed.db") == local_run[1]


class LastWorker:
    address = "tcp://10.0.0.7:4000"


def test_distributed_stops_clearly_when_a_batch_keeps_killing_workers(client):
    def poisoned(_batch):
        raise KilledWorker("analyze_batch-1", LastWorker(), 3)

    future = client.submit(poisoned, [], pure=False)
    with pytest.raises(pipeline.RunStopped, match=r"killed tcp://10\.0\.0\.7:4000 every time"):
        DaskPending(future).result()


def test_distributed_stops_on_a_full_disk_and_keeps_what_it_stored(
    corpus, local_run, client, tmp_path
):
    """SQLite's page cap stands in for a full disk: the run stops, every stored batch is whole."""
    from sqlalchemy import event

    db = tmp_path / "full.db"
    with Store.open(db) as store:
        with store.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(store.engine, "connect")
        def _cap(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 300}")

        store.engine.dispose()
        with pytest.raises(pipeline.RunStopped, match="disk full"):
            pipeline.analyze(corpus, store, only=ANALYZERS, client=client, batch_size=4)
    partial = snapshot(db)
    assert 0 < len(partial["docs"]) < len(local_run[1]["docs"])
    for doc_id, versions in partial["analyzers"].items():  # nothing half-stored
        assert versions, doc_id
        assert partial["sources"][doc_id]
    _cluster_analyze(corpus, db, client)
    assert snapshot(db) == local_run[1]


def test_distributed_stops_early_when_every_document_fails_the_same_way(
    client, tmp_path, examples_dir, monkeypatch
):
    """A broken install fails every document alike on the workers too: the run stops with that
    error after a few batches instead of recording it for every input (#18)."""
    from narrascope.run import analysis as run_analysis
    from narrascope.run import loop as run_loop

    text = next(iter(sorted(examples_dir.glob("*.txt")))).read_text(encoding="utf-8")
    for i in range(24):
        (tmp_path / f"{i:02}.txt").write_text(f"{text}\nVariant {i}.", encoding="utf-8")

    def broken(self, raw, times):  # the workers run in this process (processes=False)
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(run_analysis.DocumentAnalysis, "clean", broken)
    with Store.open(tmp_path / "k.db") as store:
        with pytest.raises(pipeline.RunStopped, match="every document fails the same way"):
            pipeline.analyze([str(tmp_path)], store, only=ANALYZERS, client=client, batch_size=2)
        problems = store.problems()
    # Stopped at the first batch boundary past the limit: 24 inputs, far fewer recorded.
    assert run_loop.SAME_ERROR_STOP <= len(problems) <= run_loop.SAME_ERROR_STOP + 1
    assert all("lxml_html_clean" in reason for _, reason in problems)


def test_distributed_cli_runs_on_local_workers(tmp_path, examples_dir):
    from typer.testing import CliRunner

    from narrascope.cli import app

    db = tmp_path / "cli.db"
    result = CliRunner().invoke(
        app, ["analyze", str(examples_dir), "--db", str(db), "--only", "stats", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "5 new documents" in result.output
