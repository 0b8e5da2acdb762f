# ruff: noqa: F811  (the shared fixtures of test_distributed are imported, then requested)
"""PostgreSQL as the store of a cluster run: same results as SQLite, dropped connections retried,
concurrent writers doubling nothing. Starts its own server (tests/postgres.py); skips without one.
"""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("distributed")
pytest.importorskip("psycopg")

from postgres import PostgresServer, PostgresUnavailable
from test_distributed import ANALYZERS, _cluster_analyze, snapshot

from narrascope.run.dask import DaskExecutor
from narrascope.run.executor import RunStopped
from narrascope.run.loop import RunLoop
from narrascope.store import Store

# The shared fixtures of test_distributed (corpus, client, local_run).
from test_distributed import client, corpus, local_run  # noqa: F401  # isort: skip


@pytest.fixture(scope="module")
def server():
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def database(server):
    url = server.create()
    yield url
    server.drop(url)


def _comparable(snap: dict) -> dict:
    """Copy edges' similarity is a float: PostgreSQL and SQLite agree to 6 places."""
    snap["copies"] = [(c.copy_id, c.original_id, c.kind, round(c.similarity, 6), c.spans)
                      for c in snap["copies"]]  # fmt: skip
    return snap


def test_postgres_cluster_run_stores_what_sqlite_stores(corpus, local_run, client, database):
    report = _cluster_analyze(corpus, database, client)
    assert report.counts == local_run[0].counts
    assert _comparable(snapshot(database)) == _comparable(dict(local_run[1]))


def test_postgres_dropped_connection_is_retried(
    corpus, local_run, client, server, database, monkeypatch
):
    commit = RunLoop._store_one
    calls = {"n": 0}

    def cut_then_commit(self, slot, report):
        calls["n"] += 1
        if calls["n"] in (7, 20):  # the network drops mid-batch, twice
            assert server.terminate_connections(database) >= 1
        return commit(self, slot, report)

    monkeypatch.setattr(RunLoop, "_store_one", cut_then_commit)
    with Store.open(database) as store:
        executor = DaskExecutor(client, only=ANALYZERS, batch_size=4)
        run = RunLoop(store, executor, retry_wait=0.1)
        from narrascope.ingest import iter_inputs

        run_id = store.begin_run(sources=corpus, settings={})
        report = run.run(iter_inputs(corpus), run_id=run_id)
    assert calls["n"] > 20
    assert report.counts == local_run[0].counts
    assert _comparable(snapshot(database)) == _comparable(dict(local_run[1]))


def test_postgres_connection_that_stays_down_stops_the_run(
    corpus, client, server, database, monkeypatch
):
    commit = RunLoop._store_one
    calls = {"n": 0}

    def always_cut(self, slot, report):
        calls["n"] += 1
        if calls["n"] > 10:
            server.terminate_connections(database)
        return commit(self, slot, report)

    monkeypatch.setattr(RunLoop, "_store_one", always_cut)
    with Store.open(database) as store:
        executor = DaskExecutor(client, only=ANALYZERS, batch_size=4)
        run = RunLoop(store, executor, retries=2, retry_wait=0.05)
        from narrascope.ingest import iter_inputs

        run_id = store.begin_run(sources=corpus, settings={})
        with pytest.raises(RunStopped, match=r"connection lost.*after 3 attempt"):
            run.run(iter_inputs(corpus), run_id=run_id)
    partial = snapshot(database)
    assert partial["docs"]
    for doc_id, versions in partial["analyzers"].items():  # whole batches only
        assert versions and partial["sources"][doc_id], doc_id


def test_postgres_concurrent_runs_double_nothing(corpus, local_run, client, database):
    """Two drivers on the same inputs and database at once: upserts keep one copy of each."""
    errors = []

    def run():
        try:
            _cluster_analyze(corpus, database, client)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    snap = _comparable(snapshot(database))
    expected = _comparable(dict(local_run[1]))
    assert snap["docs"] == expected["docs"]
    assert snap["annotations"] == expected["annotations"]
    assert snap["sources"] == expected["sources"]
