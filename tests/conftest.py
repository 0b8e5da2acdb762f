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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file; also PostgreSQL when NARRASCOPE_TEST_POSTGRES
    names a server (e.g. postgresql://postgres@127.0.0.1:5432/postgres) to create one on."""
    if request.param == "sqlite":
        yield str(tmp_path / "test.db")
        return
    import os
    import uuid

    server = os.environ.get("NARRASCOPE_TEST_POSTGRES")
    if not server:
        pytest.skip("NARRASCOPE_TEST_POSTGRES is not set")
    import psycopg

    name = f"narrascope_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{server.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
