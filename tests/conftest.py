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


@pytest.fixture(scope="session")
def encoder():
    """The default sentence encoder, one thread (what the committed heads were trained on)."""
    from narrascope.encode import UniversalSentenceEncoder

    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="session")
def example_docs(examples_dir):
    """The five Kazakhstan articles, segmented, as English documents."""
    from narrascope.model import Document, SourceRef
    from narrascope.text import segment

    docs = []
    for path in sorted(examples_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        docs.append(segment(Document(text=text, source=SourceRef(str(path)), language="en")))
    return docs


@pytest.fixture(scope="session")
def example_vectors(example_docs, encoder):
    """Sentence vectors of each example document, by document id."""
    return {doc.id: encoder.encode(doc.sentence_texts()) for doc in example_docs}


@pytest.fixture(scope="session")
def loaded_analyzers(encoder):
    """Every built-in analyzer, loaded once for the session, by name, in run order."""
    from narrascope.analyzers import available, load_analyzers, select

    return dict(zip(available(), load_analyzers(select(), encoder), strict=True))


@pytest.fixture
def accurate_without_model(monkeypatch):
    """The accurate profile as it runs without its fine-tuned model's files (stood in for), so
    only its fast fallback (a language it does not read) can run; reading English fails."""
    from accurate_profile import NotShipped

    import narrascope.analyzers.techniques_accurate as accurate

    monkeypatch.setattr(accurate, "FineTunedTechniques", NotShipped)
    return accurate
