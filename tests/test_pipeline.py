"""The whole `analyze` on real inputs: stored once, re-runs double nothing, bad input is skipped."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import narrascope
from narrascope import pipeline
from narrascope.cli import app
from narrascope.run import DocumentAnalysis, LocalExecutor, RunLoop
from narrascope.store import Store

FAST = ["stats"]  # the pipeline's own behaviour does not depend on which analyzers run


def _analyze(sources, db, only=FAST):
    with Store.open(db) as store:
        return pipeline.analyze([str(s) for s in sources], store, only=only)


@pytest.fixture(scope="module")
def example_db(tmp_path_factory, examples_dir):
    db = tmp_path_factory.mktemp("db") / "k.db"
    report = _analyze([examples_dir], db, only=None)
    return db, report


def test_pipeline_stores_the_five_examples(example_db):
    db, report = example_db
    assert report.counts["inputs"] == 5 and report.counts["stored"] == 5
    assert report.problems == []
    with Store.open(db) as store:
        docs = list(store.documents())
        assert len(docs) == 5
        for doc in docs:
            assert doc.language == "en" and doc.sentences and doc.paragraphs
            assert doc.source.raw_sha256 and doc.source.location.endswith(".txt")
            assert "Leave a Reply" not in doc.text
            assert any(a.layer == "stats" for a in store.annotations(doc.id))


def test_pipeline_rerun_adds_nothing(example_db, examples_dir):
    db, _ = example_db
    with Store.open(db) as store:
        before = (len(list(store.documents())), len(list(store.annotations())))
    report = _analyze([examples_dir], db, only=None)
    assert report.counts["already stored"] == 5 and report.counts["stored"] == 0
    with Store.open(db) as store:
        assert (len(list(store.documents())), len(list(store.annotations()))) == before


def test_pipeline_skips_bad_input_and_goes_on(tmp_path, examples_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    (folder / "truncated.html.gz").write_bytes(gzip.compress(b"<html><body>" + b"x" * 5000)[:40])
    (folder / "lines.jsonl").write_text(
        json.dumps(
            {"text": "A real article about the unrest in Almaty. " * 20, "url": "https://e.kz/a"}
        )
        + "\n{not json\n"
    )
    good = folder / "good.txt"
    good.write_text((examples_dir / "002_74977be9488212fe.txt").read_text(encoding="utf-8"))
    db = tmp_path / "bad.db"
    report = _analyze([folder], db)
    assert report.counts["stored"] == 2
    skipped = {Path(source.split("#")[0]).name for source, _ in report.problems}
    assert {"empty.txt", "binary.txt", "truncated.html.gz", "lines.jsonl"} <= skipped
    with Store.open(db) as store:
        assert len(store.problems()) == len(report.problems)


def test_pipeline_interrupted_run_resumes_without_doubling(tmp_path, examples_dir):
    from narrascope.analyzers import select
    from narrascope.ingest import iter_inputs

    db = tmp_path / "resume.db"

    def interrupted(stream, after):
        for i, item in enumerate(stream):
            if i == after:
                raise KeyboardInterrupt
            yield item

    with Store.open(db) as store:
        run = store.begin_run(sources=[str(examples_dir)], settings={})
        analysis = DocumentAnalysis([c.load() for c in select(FAST)])
        runner = RunLoop(store, LocalExecutor(analysis))
        with pytest.raises(KeyboardInterrupt):
            runner.run(interrupted(iter_inputs([examples_dir]), 2), run_id=run)
        assert len(list(store.documents())) == 2
    report = _analyze([examples_dir], db)
    assert report.counts["already stored"] == 2 and report.counts["stored"] == 3
    with Store.open(db) as store:
        assert len(list(store.documents())) == 5


def test_pipeline_resumes_after_sigkill(tmp_path, examples_dir):
    folder = tmp_path / "many"
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(examples_dir.glob("*.txt"))]
    for i in range(40):  # distinct texts: each article with its own sentence mid-body
        lines = texts[i % 5].split("\n")
        lines[len(lines) // 2] += f" The editors counted {i} protests in the region that week."
        (folder / f"{i:03}.txt").write_text("\n".join(lines))
    db = tmp_path / "killed.db"
    cmd = [
        sys.executable,
        "-m",
        "narrascope",
        "analyze",
        str(folder),
        "--db",
        str(db),
        "--only",
        "stats",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.5)
        if db.exists():
            with Store.open(db) as store:
                if store.stats().documents >= 3:
                    break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    report = _analyze([folder], db)
    assert report.counts["already stored"] >= 3
    with Store.open(db) as store:
        assert store.stats().documents == 40


def test_cli_show_list_stats_and_export(example_db, tmp_path):
    from typer.testing import CliRunner

    db, _ = example_db
    runner = CliRunner()
    listing = runner.invoke(app, ["list", "--db", str(db)])
    assert listing.exit_code == 0, listing.output
    ids = [line.split()[0] for line in listing.output.splitlines() if line.strip()]
    assert len(ids) == 5
    shown = runner.invoke(app, ["show", ids[0][:8], "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    removed = runner.invoke(app, ["show", ids[0], "--db", str(db), "--removed"])
    assert removed.exit_code == 0 and "lines removed" in removed.output
    stats = runner.invoke(app, ["stats", "--db", str(db)])
    assert stats.exit_code == 0 and "5" in stats.output
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"docs.{fmt}"
        result = runner.invoke(app, ["export", str(out), "--db", str(db), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("5 rows")
    frame = pd.read_parquet(tmp_path / "docs.parquet")
    assert sorted(frame["id"]) == sorted(ids)
    missing = runner.invoke(app, ["show", "zzzz", "--db", str(db)])
    assert missing.exit_code == 1 and "no document" in missing.output


def test_python_api_returns_dataframes(example_db):
    db, _ = example_db
    with narrascope.open(db) as corpus:
        docs = corpus.documents()
        anns = corpus.annotations(layer="stats")
    assert len(docs) == 5 and set(anns["doc_id"]) == set(docs["id"])


def test_pipeline_links_syndicated_and_edited_copies(tmp_path, examples_dir):
    original = (examples_dir / "002_74977be9488212fe.txt").read_text(encoding="utf-8")
    folder = tmp_path / "copies"
    folder.mkdir()
    (folder / "a_original.txt").write_text(original)
    (folder / "b_syndicated.jsonl").write_text(
        json.dumps({"text": original, "url": "https://mirror.example/kz", "outlet": "Mirror"})
        + "\n"
    )
    edited = original.replace("Kazakhstan", "Kazakstan", 3).replace("this week", "these days", 1)
    (folder / "c_edited.txt").write_text(edited)
    report = _analyze([folder], tmp_path / "copies.db")
    assert report.counts["stored"] == 2
    assert report.counts["exact copies"] == 1 and report.counts["near copies"] == 1
    with Store.open(tmp_path / "copies.db") as store:
        assert store.stats().documents == 2 and store.stats().publications == 3
        assert any(edge.kind == "near" for edge in store.copies())


def test_pipeline_stops_on_a_full_disk_and_resumes(tmp_path, examples_dir):
    """A failing database stops the run (no half-stored documents); the same command resumes."""
    from sqlalchemy import event

    db = tmp_path / "full.db"
    with Store.open(db) as store:
        with store.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(store.engine, "connect")
        def _cap(dbapi_connection, _record):  # SQLite's page cap stands in for a full disk
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 40}")

        store.engine.dispose()
        with pytest.raises(pipeline.RunStopped, match="disk full"):
            pipeline.analyze([str(examples_dir)], store, only=FAST)
    with Store.open(db) as store:
        stored = list(store.documents())
        assert len(stored) < 5
        assert all(store.analyzers_run(doc.id) for doc in stored)
    _analyze([examples_dir], db)
    with Store.open(db) as store:
        assert store.stats().documents == 5


def _events(db: Path) -> dict[tuple, float]:
    with Store.open(db) as store:
        return {
            (a.doc_id, a.label, a.start, a.end): a.score
            for doc in store.documents()
            for a in store.annotations(doc.id)
            if a.layer == "event"
        }


def _run_settings(db: Path) -> list[dict]:
    import sqlite3

    with sqlite3.connect(db) as conn:  # any SQLite tool reads the run record
        return [json.loads(row[0]) for row in conn.execute("SELECT settings FROM runs")]


@pytest.fixture(scope="module")
def events_db(tmp_path_factory, examples_dir):
    db = tmp_path_factory.mktemp("events") / "all.db"
    _analyze([examples_dir], db, only=["stats", "events"])
    return db


def test_cli_min_confidence_stores_only_labels_above_it(events_db, examples_dir, tmp_path):
    """#15: `analyze --min-confidence P` drops labels below P, keeps stats, records P."""
    from typer.testing import CliRunner

    every = _events(events_db)
    assert min(every.values()) < 0.9 <= max(every.values())
    db = tmp_path / "high.db"
    args = ["analyze", str(examples_dir), "--db", str(db), "--only", "stats", "--only", "events"]
    result = CliRunner().invoke(app, [*args, "--min-confidence", "0.9"])
    assert result.exit_code == 0, result.output
    assert _events(db) == {k: v for k, v in every.items() if v >= 0.9}
    with Store.open(db) as store:
        assert all(
            any(a.layer == "stats" for a in store.annotations(doc.id)) for doc in store.documents()
        )
    assert _run_settings(db)[-1]["min_confidence"] == {"*": 0.9}
    bad = CliRunner().invoke(app, [*args, "--min-confidence", "event=2"])
    assert bad.exit_code == 1 and "between 0 and 1" in bad.output


def test_python_api_min_confidence_per_layer(events_db, examples_dir, tmp_path):
    every = _events(events_db)
    db = tmp_path / "api.db"
    narrascope.analyze(examples_dir, db=db, only=["stats", "events"], min_confidence={"event": 0.7})
    assert _events(db) == {k: v for k, v in every.items() if v >= 0.7}
    assert _run_settings(db)[-1]["min_confidence"] == {"*": 0.0, "event": 0.7}


# A real page's body (date-extraction benchmark 1721965295) under its template's `lang="en"`.
SPANISH_PAGE_DECLARED_ENGLISH = """<html lang="en"><head><title>Gestionan crías de peces</title>
</head><body><article><h1>Gestionan crías de peces para la presa Constitución de 1917</h1>
<p>Con el objetivo de fortalecer la actividad pesquera y acuícola en las comunidades de Arcila,
Galindo y La Estancia, se proyecta gestionar ante el gobierno federal 100 mil crías de peces
para repoblar la presa Constitución de 1917, informó el secretario general de la Cooperativa
Río Los Sabinos, José Fernando Gudiño Bautista.</p>
<p>Mencionó que esta gestión se pretende realizar mediante el Programa de Apoyo para el
Bienestar de Pescadores y Acuicultores, a fin de mejorar la producción de peces en la zona y
con ello obtener mejores ganancias durante el 2021.</p>
<p>Refirió que este año ha sido complicado para los 14 socios de esta agrupación por la
pandemia Covid-19, por ello la mayoría se ha dedicado a realizar labores de repoblamiento y
con ello mejorar la productividad de peces el siguiente año.</p>
</article></body></html>"""


def test_pipeline_stores_the_language_the_text_reads_not_the_template_declares(tmp_path):
    page = tmp_path / "pesca.html"
    page.write_text(SPANISH_PAGE_DECLARED_ENGLISH, encoding="utf-8")
    _analyze([page], tmp_path / "t.db", only=["stats", "genre"])
    with Store.open(tmp_path / "t.db") as store:
        (doc,) = store.documents()
        assert doc.language == "es"
        # so the English-trained heads stay silent rather than read Spanish as English
        (note,) = [a for a in store.annotations(doc.id) if a.attrs.get("analyzer") == "genre"]
        assert "'es'" in note.attrs["reason"]
