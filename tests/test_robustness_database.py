"""Issue #18: only `analyze`/`migrate` create or migrate a database; anything else refuses in a line.

Reading commands open read-only: another application's SQLite file keeps every byte, a
mistyped path creates nothing, and a cut, foreign or unreachable database is one `error:` line.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.store import DatabaseError, Store
from narrascope.store.access import revisions

READERS = [
    ["stats"],
    ["list"],
    ["show", "abc123"],
    ["search", "protest"],
    ["profile", "TASS"],
    ["export", "{out}/rows.jsonl"],
    ["storylines"],
    ["report", "--out", "{out}/report"],
    ["reanalyze"],
    ["serve", "--port", "0"],
]


def _run(args: list[str], db: str, out: Path):
    cli = [a.replace("{out}", str(out)) for a in args] + ["--db", db]
    return CliRunner().invoke(app, cli)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def foreign_db(tmp_path) -> Path:
    """Another application's SQLite file (rollback journal, one table of its own)."""
    path = tmp_path / "other-app.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bookmarks (url TEXT, title TEXT)")
    conn.execute("INSERT INTO bookmarks VALUES ('https://example.org', 'Example')")
    conn.commit()
    conn.close()
    return path


def _one_error_line(result, *words: str) -> None:
    assert result.exit_code != 0, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit
    )
    lines = [line for line in result.output.splitlines() if line.strip()]
    joined = " ".join(lines)
    assert joined.startswith("error:"), result.output
    for word in words:
        assert word in joined, result.output


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_reading_commands_leave_a_foreign_sqlite_file_unchanged(args, foreign_db, tmp_path):
    before = _digest(foreign_db)
    result = _run(args, str(foreign_db), tmp_path)
    _one_error_line(result, "not a Narrascope database")
    assert _digest(foreign_db) == before
    conn = sqlite3.connect(foreign_db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"bookmarks"}


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_reading_commands_create_nothing_at_a_mistyped_path(args, tmp_path):
    db = tmp_path / "no-such-folder" / "narrascope.db"
    result = _run(args, str(db), tmp_path)
    _one_error_line(result, "no such database")
    assert not db.parent.exists()


def test_analyze_refuses_a_foreign_sqlite_file(foreign_db, examples_dir):
    before = _digest(foreign_db)
    result = CliRunner().invoke(
        app, ["analyze", str(examples_dir), "--db", str(foreign_db), "--only", "stats"]
    )
    _one_error_line(result, "not a Narrascope database")
    assert _digest(foreign_db) == before


def _cut(tmp_path: Path, examples_dir: Path) -> Path:
    whole = tmp_path / "whole.db"
    with Store.open(whole) as store:
        store.begin_run(sources=[], settings={})
    cut = tmp_path / "cut.db"
    cut.write_bytes(whole.read_bytes()[:3000])
    return cut


@pytest.mark.parametrize("kind", ["text", "cut", "folder", "empty", "postgres-down"])
def test_bad_database_is_one_error_line(kind, tmp_path, examples_dir):
    if kind == "text":
        db = tmp_path / "notes.db"
        db.write_text("these are my notes, not a database\n")
        reason = "not a SQLite database"
    elif kind == "cut":
        db = _cut(tmp_path, examples_dir)
        reason = "malformed"
    elif kind == "folder":
        db = tmp_path / "folder.db"
        db.mkdir()
        reason = "is a folder"
    elif kind == "empty":
        db = tmp_path / "empty.db"
        db.touch()
        reason = "empty"
    else:
        db = "postgresql://narrascope:secret@127.0.0.1:9/none"  # port 9: nothing listens
        reason = "connection"
    for args in (["stats"], ["list"], ["analyze", str(examples_dir), "--only", "stats"]):
        if kind == "empty" and args[0] == "analyze":
            continue  # an empty file is a fine new database for analyze
        result = _run(args, str(db), tmp_path)
        _one_error_line(result, reason)
        assert "secret" not in result.output


def test_old_schema_needs_migrate_and_migrate_brings_it_up(tmp_path):
    db = tmp_path / "old.db"
    with Store.open(db) as store:
        store.begin_run(sources=[], settings={})
    known, head = revisions()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = ?", (known[-2],))
    conn.commit()
    conn.close()
    result = _run(["stats"], str(db), tmp_path)
    _one_error_line(result, f"schema version {known[-2]}", "narrascope migrate")
    with pytest.raises(DatabaseError, match="narrascope migrate"):
        Store.open(db, create=False)
    # The old revision's tables are all there, so stepping to head again is a no-op upgrade.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = ?", (head,))
    conn.commit()
    conn.close()
    migrated = CliRunner().invoke(app, ["migrate", "--db", str(db)])
    assert migrated.exit_code == 0 and "already" in migrated.output
    assert _run(["stats"], str(db), tmp_path).exit_code == 0


def test_migrate_creates_and_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "sub" / "new.db"
    created = CliRunner().invoke(app, ["migrate", "--db", str(db)])
    assert created.exit_code == 0 and "created" in created.output
    assert _run(["stats"], str(db), tmp_path).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    _one_error_line(_run(["stats"], str(db), tmp_path), "newer than this Narrascope")


def test_readonly_store_refuses_writes_and_keeps_the_file(tmp_path):
    db = tmp_path / "k.db"
    Store.open(db).close()
    before = _digest(db)
    with Store.open(db, readonly=True) as store:
        assert store.stats().documents == 0
        with pytest.raises(Exception, match=r"readonly|read-only"):
            store.begin_run(sources=[], settings={})
    assert _digest(db) == before


def test_postgres_read_commands_need_an_existing_schema(postgres_server, tmp_path):
    from postgres import scratch_database

    with scratch_database(postgres_server) as url:
        _one_error_line(_run(["stats"], url, tmp_path), "empty database")
        with pytest.raises(DatabaseError, match="empty database"):
            Store.open(url, readonly=True)
        Store.open(url).close()  # analyze's way: creates the schema
        with Store.open(url, readonly=True) as store:
            assert store.stats().documents == 0
            with pytest.raises(Exception, match="read-only"):
                store.begin_run(sources=[], settings={})
        assert _run(["stats"], url, tmp_path).exit_code == 0
