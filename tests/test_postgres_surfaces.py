"""Every surface over a PostgreSQL store gives what it gives over SQLite: export, report, web, CLI.

The same hand-annotated example corpus (`web_corpus`) goes into a SQLite file and a PostgreSQL
database; exports, the static report, the JSON API and the CLI's search must come out the same.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import web_corpus
from postgres import scratch_database

from narrascope import export
from narrascope.cli import app
from narrascope.export.report import write_report
from narrascope.store import Store
from narrascope.web import create_app

KAZ = "000_8f4d98db21bab007"


@pytest.fixture(scope="module")
def databases(tmp_path_factory, examples_dir, postgres_server) -> Iterator[dict[str, str]]:
    with scratch_database(postgres_server) as url:
        urls = {"sqlite": str(tmp_path_factory.mktemp("surfaces") / "web.db"), "postgresql": url}
        for db in urls.values():
            web_corpus.build(db, examples_dir)
        yield urls


@pytest.fixture(scope="module")
def doc_id(databases) -> str:
    with Store.open(databases["sqlite"]) as store:
        return next(d.id for d in store.documents() if d.source.location.endswith(KAZ + ".txt"))


def _rows(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:  # when it was stored differs by design; everything else must not
        for key in ("stored_at", "created_at", "added_at"):
            row.pop(key, None)
    return rows


@pytest.mark.parametrize("table", ["documents", "annotations", "sentences", "publications"])
def test_postgres_exports_what_sqlite_exports(databases, tmp_path, table):
    out = {}
    for kind, url in databases.items():
        with Store.open(url) as store:
            export.write(store, tmp_path / f"{kind}.jsonl", format="jsonl", table=table)
        out[kind] = _rows(tmp_path / f"{kind}.jsonl")
    assert out["sqlite"]
    assert out["postgresql"] == out["sqlite"]


def _folders(databases: dict[str, str], tmp_path: Path, write) -> dict[str, dict]:
    """What `write(store, folder)` puts in a folder, per database: relative path -> bytes."""
    out = {}
    for kind, url in databases.items():
        with Store.open(url) as store:
            write(store, tmp_path / kind)
        files = (p for p in (tmp_path / kind).rglob("*") if p.is_file())
        out[kind] = {p.relative_to(tmp_path / kind): p.read_bytes() for p in files}
    assert out["sqlite"]
    return out


def test_postgres_semeval_export_matches_sqlite(databases, tmp_path):
    files = _folders(
        databases,
        tmp_path,
        lambda store, out: export.write(store, out, format="semeval", table="annotations"),
    )
    assert files["postgresql"] == files["sqlite"]


def test_postgres_report_matches_sqlite(databases, tmp_path):
    pages = _folders(databases, tmp_path, write_report)
    assert sum(1 for name in pages["sqlite"] if name.suffix == ".html") == 8  # index + 7 articles
    assert pages["postgresql"] == pages["sqlite"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/documents/{doc}",
        "/api/v1/search?q=Kazakhstan&limit=200",
        "/api/v1/search?q=%22security%20talks%22&limit=200",
        "/api/v1/outlets",
        "/api/v1/outlets/journal-neo.org",
        "/api/v1/dashboard",
    ],
)
def test_postgres_api_answers_what_sqlite_answers(databases, doc_id, path):
    answers = {}
    for kind, url in databases.items():
        with TestClient(create_app(url, analysis=web_corpus.stats_analysis)) as client:
            response = client.get(path.format(doc=doc_id))
            assert response.status_code == 200, response.text
            answers[kind] = response.json()
    if "search" in path:  # ranks differ by engine (BM25, ts_rank): the same hits, all on a page
        key = lambda page: sorted((h["doc_id"], h["sentence"]) for h in page["results"])  # noqa: E731
        assert key(answers["postgresql"]) == key(answers["sqlite"])
        assert answers["postgresql"]["total"] == answers["sqlite"]["total"]
    else:
        assert answers["postgresql"] == answers["sqlite"]


@pytest.mark.parametrize("path", ["/", "/search?q=CSTO", "/outlets", "/doc/{doc}"])
def test_postgres_web_pages_render(databases, doc_id, path):
    with TestClient(create_app(databases["postgresql"], analysis=web_corpus.stats_analysis)) as c:
        response = c.get(path.format(doc=doc_id))
    assert response.status_code == 200 and "Narrascope" in response.text


def test_postgres_cli_search_and_stats(databases):
    runner = CliRunner()
    found = runner.invoke(app, ["search", "Kazakhstan", "--db", databases["postgresql"]])
    assert found.exit_code == 0, found.output
    assert "Kazakhstan" in found.output
    stats = runner.invoke(app, ["stats", "--db", databases["postgresql"]])
    assert stats.exit_code == 0 and "7 documents" in stats.output


def test_postgres_cli_analyze_stores_and_resumes(postgres_server, examples_dir):
    runner = CliRunner()
    with scratch_database(postgres_server) as url:
        args = ["analyze", str(examples_dir), "--only", "stats", "--db", url]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, args)  # a re-run stores nothing twice
        assert again.exit_code == 0 and "0 new documents" in again.output
        with Store.open(url) as store:
            assert store.stats().documents == 5
