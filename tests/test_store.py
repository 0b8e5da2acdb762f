"""The store: exact round trips, idempotent upserts, resume, migrations, streaming, concurrency."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from narrascope.model import Annotation, Document, Layer, Removal, SourceRef
from narrascope.store import Store
from narrascope.text import segment


def _example(path: Path, **meta) -> Document:
    raw = path.read_bytes()
    doc = Document(
        raw.decode("utf-8"),
        SourceRef(str(path), None, hashlib.sha256(raw).hexdigest()),
        **meta,
    )
    return segment(doc)


@pytest.fixture(scope="module")
def examples(examples_dir) -> list[Document]:
    paths = sorted(examples_dir.glob("*.txt"))
    return [
        _example(
            p,
            outlet=f"outlet{i}.example",
            url=f"https://outlet{i}.example/kz",
            title=p.read_text(encoding="utf-8").splitlines()[0],
            authors=("A. Writer", "Б. Автор") if i % 2 else (),
            published=datetime(2022, 1, 5 + i, 11, 50, tzinfo=timezone(timedelta(hours=6))),
            date_source="text-line",
            language="en",
            removed=[Removal("Leave a Reply", "comment form"), Removal("Share this:", "share")],
        )
        for i, p in enumerate(paths)
    ]


def _annotations(doc: Document) -> list[Annotation]:
    (s0, e0), (s1, e1) = doc.sentences[0], doc.sentences[1]
    return [
        Annotation(
            doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v1", s0, e0, score=0.8125
        ),
        Annotation(
            doc.id,
            Layer.NARRATIVE,
            "URW: Blaming the war on others",
            "narratives-v1",
            score=0.61,
            evidence=[(s0, e0), (s1, e1)],
            attrs={"subnarratives": ["The West are the aggressors"], "rank": 1},
        ),
        Annotation(
            doc.id,
            Layer.QUOTE,
            "direct",
            "quotes-v1",
            s1,
            e1,
            attrs={"speaker": None, "speaker_span": [s0, s0 + 4], "cue": "said", "cue_span": None},
        ),
    ]


@pytest.fixture
def store(database_url) -> Store:
    with Store.open(database_url) as store:
        yield store


def test_store_round_trips_documents_exactly(store, examples):
    for doc in examples:
        assert store.add(doc, _annotations(doc)) is True
    for doc in examples:
        loaded = store.document(doc.id)
        assert loaded == doc  # every field: text, offsets, removed lines, tz-aware date, source
        assert loaded.published.utcoffset() == timedelta(hours=6)
        assert store.document(doc.id[:7]) == doc
    assert store.document("ffffffffffffffff") is None
    assert store.document("'; drop table documents; --") is None


def test_store_round_trips_annotations_exactly(store, examples):
    doc = examples[0]
    anns = _annotations(doc)
    store.add(doc, anns, analyzers=["techniques-v1", "narratives-v1", "quotes-v1"])
    assert list(store.annotations(doc.id)) == anns
    assert list(store.annotations(doc.id, layer=Layer.NARRATIVE)) == [anns[1]]
    assert store.analyzers_run(doc.id) == {"techniques-v1", "narratives-v1", "quotes-v1"}
    quote = next(iter(store.annotations(layer=Layer.QUOTE)))
    start, end = quote.span
    assert doc.text[start:end] == doc.sentence_texts()[1]


def test_store_add_is_idempotent(store, examples):
    doc = examples[1]
    assert store.add(doc, _annotations(doc)) is True
    before = store.stats()
    assert store.add(doc, _annotations(doc)) is False
    assert store.stats() == before
    again = Document(doc.text, SourceRef("mirror/kz.html", "3", "abc"), outlet="mirror.example")
    assert store.add(again, _annotations(doc)) is False  # same text: one more publication only
    after = store.stats()
    assert (after.documents, after.annotations) == (before.documents, before.annotations)
    assert after.publications == before.publications + 1
    assert {p.outlet for p in store.sources(doc.id)} == {"outlet1.example", "mirror.example"}


def test_store_resume_knows_stored_sources(store, examples):
    doc = examples[2]
    assert not store.has_source(doc.source)
    store.add(doc, [])
    assert store.has_source(doc.source)
    changed = SourceRef(doc.source.location, None, "0" * 64)  # same file, other bytes
    assert not store.has_source(changed)
    wire = SourceRef("feeds/wire.jsonl", "17", "f" * 64)
    store.add_source(
        doc.id, wire, url="https://wire.example/1", outlet="wire.example", published=None
    )
    store.add_source(
        doc.id, wire, url="https://wire.example/1", outlet="wire.example", published=None
    )
    assert store.has_source(wire)
    pubs = store.sources(doc.id)
    assert [p.source for p in pubs] == [doc.source, wire]  # dated first, no double
    assert pubs[1].record == "17" and pubs[1].url == "https://wire.example/1"
    assert store.stats().outlets == 2


def test_store_replace_annotations_of_a_new_analyzer_version(store, examples):
    doc = examples[3]
    anns = _annotations(doc)
    store.add(doc, anns, analyzers=["techniques-v1", "narratives-v1", "quotes-v1"])
    s, e = doc.sentences[2]
    new = [Annotation(doc.id, Layer.TECHNIQUE, "Doubt", "techniques-v2", s, e, score=0.7)]
    store.replace_annotations(doc.id, "techniques-v2", new)
    store.replace_annotations(doc.id, "techniques-v2", new)  # a re-run doubles nothing
    assert list(store.annotations(doc.id, layer=Layer.TECHNIQUE)) == new
    assert list(store.annotations(doc.id, layer=Layer.NARRATIVE)) == [anns[1]]
    assert store.analyzers_run(doc.id) == {"techniques-v2", "narratives-v1", "quotes-v1"}
    store.add(examples[0], [], analyzers=["techniques-v1"])
    assert list(store.documents_without("techniques-v2")) == [examples[0].id]
    assert list(store.documents_without("narratives-v1")) == [examples[0].id]
    assert list(store.documents_without("genre-v1")) == sorted([doc.id, examples[0].id])


def test_store_vectors_round_trip_as_float16(store, examples):
    doc = examples[4]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(doc.sentences), 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.add(doc, [], vectors=vectors, encoder="usem3-v1")
    loaded = store.vectors(doc.id)
    assert loaded.shape == vectors.shape and loaded.dtype == np.float32
    assert np.abs(loaded - vectors).max() < 1e-3
    assert store.vectors(examples[0].id) is None
    assert store.has_vectors(doc.id) and not store.has_vectors(examples[0].id)


def test_store_writes_a_long_documents_vectors_in_blocks_with_the_same_bytes(store):
    # Issue 18: 10,000 one-word sentences (the cap allows 60,000): SQLite gets the blob a block
    # of rows at a time; the bytes are those of the whole float16 matrix, on every database.
    from sqlalchemy import select

    from narrascope.store import schema
    from narrascope.store.vectors import BLOCK_ROWS

    words = [f"Word{i}." for i in range(10_000)]
    doc = segment(Document(text=" ".join(words), source=SourceRef("long.txt"), language="en"))
    assert len(doc.sentences) == len(words) > 2 * BLOCK_ROWS
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(words), 512)).astype(np.float32)
    assert store.add(doc, [], vectors=vectors, encoder="usem3-v1")
    with store.engine.connect() as conn:
        data = conn.execute(select(schema.vectors.c.data)).scalar_one()
    assert bytes(data) == vectors.astype(np.float16).tobytes()
    assert np.array_equal(store.vectors(doc.id), vectors.astype(np.float16).astype(np.float32))


def test_store_streams_documents_in_pages(store):
    texts = [f"Article number {i} about Almaty. It has two sentences." for i in range(450)]
    for i, text in enumerate(texts):
        doc = Document(text, SourceRef(f"bulk/{i}.txt"), outlet="a" if i % 3 else "b")
        doc.language = "ru" if i % 5 == 0 else "en"
        store.add(segment(doc), [])
    stream = store.documents()
    assert not isinstance(stream, list)
    ids = [d.id for d in stream]
    assert len(ids) == 450 == len(set(ids)) and ids == sorted(ids)
    assert len(list(store.documents(limit=205))) == 205
    assert [d.id for d in store.documents(after_id=ids[99], limit=3)] == ids[100:103]
    assert len(list(store.documents(outlet="b"))) == 150
    assert len(list(store.documents(language="ru", outlet="b"))) == 30
    assert list(store.documents(outlet="nowhere")) == []


def test_store_runs_problems_and_stats(store, examples):
    run = store.begin_run(sources=["examples/"], settings={"analyzers": ["stats-v1"]})
    store.record_problem(run, "feeds/tass.xml", "truncated gzip stream")
    store.add(examples[0], _annotations(examples[0]))
    store.finish_run(run, counts={"stored": 1})
    other = store.begin_run(sources=["x"], settings={})
    store.record_problem(other, "x/empty.txt", "empty file")
    assert store.problems(run) == [("feeds/tass.xml", "truncated gzip stream")]
    assert len(store.problems()) == 2
    stats = store.stats()
    assert (stats.documents, stats.publications, stats.runs, stats.problems) == (1, 1, 2, 2)
    assert stats.annotations == {"technique": 1, "narrative": 1, "quote": 1}
    assert "1 documents" in stats.summary()


def test_store_migrations_build_the_schema_and_rerun(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from narrascope.store.engine import MIGRATIONS
    from narrascope.store.schema import metadata

    Store.open(database_url).close()
    Store.open(database_url).close()  # at head already: nothing to do, nothing fails
    with Store.open(database_url) as store, store.engine.connect() as conn:
        from narrascope.store.search import is_search_index  # FTS5 tables: not in metadata

        context = MigrationContext.configure(
            conn, opts={"include_name": lambda name, kind, _: not is_search_index(name)}
        )
        diff = compare_metadata(context, metadata)
        assert diff == []  # the migrations create exactly the tables schema.py describes
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_store_creates_a_sqlite_file_in_wal_mode(tmp_path):
    db = tmp_path / "fresh" / "n.db"
    Store.open(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "publications", "annotations", "sentences", "copies", "clusters"} <= tables
    con.close()


def test_store_concurrent_writers_do_not_collide(database_url, examples):
    db = database_url
    Store.open(db).close()
    errors = []

    def write(worker: int) -> None:
        try:
            with Store.open(db) as store:
                for doc in examples:  # every worker writes the same documents
                    store.add(doc, _annotations(doc))
                    store.replace_annotations(doc.id, "techniques-v2", [])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(db) as store:
        stats = store.stats()
        assert stats.documents == len(examples) and stats.publications == len(examples)
        assert stats.annotations == {"narrative": 5, "quote": 5}


def test_store_batch_writes_once_and_keeps_good_documents(store, examples):
    from narrascope.dedup import Deduplicator

    bad = Document("A text whose annotation cannot be stored.", SourceRef("bad.txt"))
    bad_ann = Annotation(bad.id, Layer.CLAIM, "x", "claims-v1", attrs={"oops": object()})
    dedup = Deduplicator(store)
    with store.batch():
        store.add(
            examples[0], _annotations(examples[0]), fingerprint=dedup.fingerprint(examples[0])
        )
        assert store.has_document(examples[0].id)  # reads inside see the batch's writes
        with pytest.raises(Exception, match="serializable"):
            store.add(bad, [bad_ann])
        copy = Document(examples[0].text + "\nUpdated.", SourceRef("copy.txt"))
        copies = dedup.find(copy)
        assert [c.doc_id for c in copies] == [examples[0].id]
        store.add(copy, [], copies=copies, fingerprint=dedup.fingerprint(copy))
    assert not store.has_document(bad.id)
    assert store.stats().documents == 2
    assert list(store.annotations(examples[0].id)) == _annotations(examples[0])
    assert [e.original_id for e in store.copies(copy.id)] == [examples[0].id]


def test_store_migrations_go_down_and_up_keeping_data(tmp_path, examples):
    from alembic import command
    from alembic.config import Config

    from narrascope.dedup import Deduplicator
    from narrascope.store.engine import MIGRATIONS, writing

    db = tmp_path / "updown.db"
    with Store.open(db) as store:
        fingerprint = Deduplicator(store).fingerprint(examples[0])
        store.add(examples[0], _annotations(examples[0]), fingerprint=fingerprint)
        before = store.stats()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with writing(store.engine) as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0002c")  # dedup tables back to rowid tables
    with Store.open(db) as store:  # and up to head again
        assert store.stats() == before
        copy = Document(examples[0].text + "\nCorrected.", SourceRef("copy.txt"))
        assert [m.doc_id for m in Deduplicator(store).find(copy)] == [examples[0].id]


def test_store_change_stamp_read_once_per_snapshot(tmp_path, examples):
    """#17: every cache a page consults asks for the change stamp; inside one snapshot (one
    state of the store) it is read once, outside it is read afresh and follows writes."""
    from sqlalchemy import event

    with Store.open(tmp_path / "stamp.db") as store:
        store.add(examples[0], [])
        statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with store.snapshot():
            first = store.corpus.change_stamp()
            reads = len(statements)
            assert store.corpus.change_stamp() == first and len(statements) == reads
        store.add(examples[1], [])
        assert store.corpus.change_stamp() != first
        with store.snapshot():
            assert store.corpus.change_stamp() != first
