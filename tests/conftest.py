"""Shared fixtures: the example corpus and the labelled data read by path."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not beside the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server URL: NARRASCOPE_TEST_POSTGRES if set, else a throw-away local server
    started from Debian's binaries (`make test` installs them); skips when neither is possible."""
    import os

    server = os.environ.get("NARRASCOPE_TEST_POSTGRES")
    if server:
        yield server
        return
    from postgres import PostgresServer, PostgresUnavailable

    try:
        local = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield local.url()
    local.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, and a new database on a PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "test.db")
        return
    from postgres import scratch_database

    with scratch_database(request.getfixturevalue("postgres_server")) as url:
        yield url
