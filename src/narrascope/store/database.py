"""`Store`: documents, annotations, vectors, copies and runs in one database, behind model objects.

The last stage of the flow, and what the CLI, the web app and the exports read. One write
transaction per document; every write is an upsert keyed by `Document.id` (and the analyzer's
name for annotations), so re-runs, resumes and concurrent writers double nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from narrascope.model import Annotation, CopyMatch, Document, Fingerprint, Layer, Removal, SourceRef
from narrascope.store import schema as t
from narrascope.store.access import DatabaseError, database_errors, probe
from narrascope.store.corpus import CorpusIndex
from narrascope.store.corrections import CorrectionTable
from narrascope.store.engine import Connections, make_engine, migrate, sqlite_files
from narrascope.store.fingerprints import FingerprintIndex
from narrascope.store.reads import chunks
from narrascope.store.records import (
    Cluster,
    CopyEdge,
    Publication,
    StoreStats,
    analyzer_family,
    annotation_from_row,
    annotation_row,
    as_utc,
    document_from_row,
    document_row,
    from_iso,
    iso,
    now,
)
from narrascope.store.runs import add_problem, end_run, start_run
from narrascope.store.vectors import write_vectors

_DOC_BATCH = 200
_ANN_BATCH = 2000
_OUTLET_CACHE = 100_000


def _spans_of(table: Any) -> Any:
    c = table.c
    return select(c.start, c.end).where(c.doc_id == bindparam("doc_id")).order_by(c.idx)


# The reads of one document, built once: the reader and the API ask for a document a dozen
# reads at a time, and building and keying a statement cost SQLAlchemy 3-4 times what SQLite
# takes to answer it (#17). Their compiled form is then looked up, not rebuilt.
_DOCUMENT = (
    select(t.documents, t.outlets.c.name.label("outlet"))
    .outerjoin(t.outlets, t.outlets.c.id == t.documents.c.outlet_id)
    .where(t.documents.c.id == bindparam("doc_id"))
)
_PARAGRAPHS = _spans_of(t.paragraphs)
_SENTENCES = _spans_of(t.sentences)
_REMOVED = (
    select(t.removed.c.text, t.removed.c.reason)
    .where(t.removed.c.doc_id == bindparam("doc_id"))
    .order_by(t.removed.c.idx)
)
_ANNOTATIONS_OF = (
    select(t.annotations)
    .where(t.annotations.c.doc_id == bindparam("doc_id"), t.annotations.c.id > bindparam("after"))
    .order_by(t.annotations.c.id)
    .limit(_ANN_BATCH)
)
_SOURCES = (
    select(
        t.publications.c.location,
        t.publications.c.record,
        t.publications.c.raw_sha256,
        t.publications.c.url,
        t.outlets.c.name,
        t.publications.c.published,
    )
    .outerjoin(t.outlets, t.outlets.c.id == t.publications.c.outlet_id)
    .where(t.publications.c.doc_id == bindparam("doc_id"))
    .order_by(
        t.publications.c.published_utc.is_(None),
        t.publications.c.published_utc,
        t.publications.c.id,
    )
)
_ANALYZERS_RUN = select(t.analyzer_runs.c.version).where(
    t.analyzer_runs.c.doc_id == bindparam("doc_id")
)
_HAS_VECTORS = select(t.vectors.c.doc_id).where(t.vectors.c.doc_id == bindparam("doc_id")).limit(1)
_FULL_ID = 16
"""Hex digits of a `Document.id`: a key this long is looked up whole, not as a prefix."""


class Store:
    """A Narrascope database: a SQLite file by default, PostgreSQL by URL.

    Open one `Store` per process or thread; many of them may write to one database at once.
    """

    def __init__(self, url_or_path: str | Path, *, readonly: bool = False) -> None:
        self.engine = make_engine(url_or_path, readonly=readonly)
        self.files = sqlite_files(url_or_path)  # the SQLite file and its sidecars (none: a URL)
        dialect = self.engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise DatabaseError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._db = Connections(self.engine)
        self.fingerprints = FingerprintIndex(self._db, self._insert)
        self.corpus = CorpusIndex(self._db, self._insert, dialect)  # corpus views' SQL
        self.corrections = CorrectionTable(self._db)  # analysts' corrections, applied
        self.run_id: int | None = None  # the run that `begin_run` opened; stamped on documents
        self._outlet_ids: dict[str, int] = {}  # outlet ids never change; bounded below
        self._db.on_rollback.append(self._outlet_ids.clear)  # ids a rollback undid are gone
        # Statements built once: SQLAlchemy then reuses their compiled form for every document.
        self._insert_outlet = self._insert(t.outlets).on_conflict_do_nothing()
        # RETURNING tells whether the row went in (rowcount is -1 under psycopg's pipeline).
        self._insert_document = (
            self._insert(t.documents).on_conflict_do_nothing().returning(t.documents.c.id)
        )
        self._insert_publication = self._insert(t.publications).on_conflict_do_nothing()
        runs = self._insert(t.analyzer_runs)
        self._upsert_analyzer_run = runs.on_conflict_do_update(
            index_elements=["doc_id", "analyzer"],
            set_={"version": runs.excluded.version, "run_at": runs.excluded.run_at},
        )

    @classmethod
    def open(cls, url_or_path: str | Path, *, create: bool = True, readonly: bool = False) -> Store:
        """Open the database at a path or URL; `DatabaseError` names it and says why not.

        `create`: make it if missing, migrate an older schema (`analyze`, `migrate`); otherwise
        it must exist at this version. `readonly` (no `create`) refuses every write.
        """
        create = create and not readonly
        state = probe(url_or_path, create=create)
        with database_errors(url_or_path):
            store = cls(url_or_path, readonly=readonly)
        try:
            if create and not state.current:
                with database_errors(url_or_path, doing="cannot migrate"):
                    migrate(store.engine)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Write everything inside the block in one transaction (bulk loads, Dask partitions).

        Each `add` stays atomic (a savepoint): a failing document is rolled back alone, and
        reads inside the block see what the block wrote. On SQLite the batch holds the
        write lock, so keep batches to a few hundred documents.
        """
        with self._db.batch():
            yield

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read everything inside the block from one state of the store, on one connection."""
        with self._db.snapshot():
            yield

    # -- runs and problems -----------------------------------------------------------------------
    def begin_run(self, *, sources: list[str], settings: dict[str, Any]) -> int:
        """Record the start of a run (after marking dead processes' runs interrupted); its id."""
        with self._db.write() as conn:
            self.run_id = start_run(conn, sources=sources, settings=settings)
        return self.run_id

    def finish_run(self, run_id: int, *, counts: dict[str, int]) -> None:
        with self._db.write() as conn:
            end_run(conn, run_id, counts=counts)

    def record_problem(self, run_id: int | None, source: str, reason: str) -> None:
        """Keep one line about an input that could not be read: which one and why."""
        with self._db.write() as conn:
            add_problem(conn, run_id, source, reason)

    def problems(self, run_id: int | None = None) -> list[tuple[str, str]]:
        """`(source, reason)` of every recorded problem, or of one run's."""
        query = select(t.problems.c.source, t.problems.c.reason).order_by(t.problems.c.id)
        if run_id is not None:
            query = query.where(t.problems.c.run_id == run_id)
        with self._db.read() as conn:
            return [(s, r) for s, r in conn.execute(query)]

    # -- sources -----------------------------------------------------------------------------------
    def has_source(self, source: SourceRef) -> bool:
        """Whether this input unit (location, record, raw bytes' hash) was already stored."""
        p = t.publications.c
        query = select(p.id).where(
            p.location == source.location,
            p.record == (source.record or ""),
            p.raw_sha256 == source.raw_sha256,
        )
        with self._db.read() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def add_source(
        self,
        doc_id: str,
        source: SourceRef,
        *,
        url: str | None = None,
        outlet: str | None = None,
        published: datetime | None = None,
    ) -> None:
        """Record another publication of an already stored text (an exact copy)."""
        with self._db.write() as conn:
            self._add_publication(conn, doc_id, source, url=url, outlet=outlet, published=published)

    def sources(self, doc_id: str) -> list[Publication]:
        """Every publication of this text, earliest first."""
        with self._db.read() as conn:
            return [
                Publication(loc, rec or None, sha, url, outlet, from_iso(published))
                for loc, rec, sha, url, outlet, published in conn.execute(
                    _SOURCES, {"doc_id": doc_id}
                )
            ]

    def _outlet_id(self, conn: Connection, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self._outlet_ids:
            if len(self._outlet_ids) >= _OUTLET_CACHE:
                self._outlet_ids.clear()
            conn.execute(self._insert_outlet, {"name": name})
            query = select(t.outlets.c.id).where(t.outlets.c.name == name)
            self._outlet_ids[name] = conn.execute(query).scalar_one()
        return self._outlet_ids[name]

    def _add_publication(
        self,
        conn: Connection,
        doc_id: str,
        source: SourceRef,
        *,
        url: str | None,
        outlet: str | None,
        published: datetime | None,
    ) -> None:
        conn.execute(
            self._insert_publication,
            {
                "location": source.location,
                "record": source.record or "",
                "raw_sha256": source.raw_sha256,
                "doc_id": doc_id,
                "url": url,
                "outlet_id": self._outlet_id(conn, outlet),
                "published": iso(published),
                "published_utc": as_utc(published),
                "run_id": self.run_id,
                "added_at": now(),
            },
        )

    # -- documents ---------------------------------------------------------------------------------
    def has_document(self, doc_id: str) -> bool:
        query = select(t.documents.c.id).where(t.documents.c.id == doc_id)
        with self._db.read() as conn:
            return conn.execute(query).first() is not None

    def add(
        self,
        doc: Document,
        anns: Sequence[Annotation],
        *,
        vectors: np.ndarray | None = None,
        encoder: str | None = None,
        analyzers: Sequence[str] = (),
        copies: Sequence[CopyMatch] = (),
        fingerprint: Fingerprint | None = None,
        made_by: Sequence[str] = (),
    ) -> bool:
        """Store a document with everything about it in one transaction; False if already there.

        When the text is already stored, only this publication of it is added. `fingerprint`
        (made by `narrascope.dedup`) makes the document findable by dedup; `copies` are the
        stored documents it repeats, and need the fingerprint. `made_by`: the version of the
        analyzer each annotation is from (beside `anns`), so that a re-run of that analyzer
        replaces it whatever model it names (a fallback head's labels, its notes); without it,
        the annotation's own model. Corrections of a text stored before and dropped are
        applied over its new labels (#19).
        """
        if copies and fingerprint is None:
            raise ValueError("copy edges need the new document's fingerprint")
        if made_by and len(made_by) != len(anns):
            raise ValueError("made_by names one analyzer for each annotation")
        families: list[str | None] = [analyzer_family(version) for version in made_by]
        families = families or [None] * len(anns)
        with self._db.write() as conn:
            outlet_id = self._outlet_id(conn, doc.outlet)
            inserted = conn.execute(
                self._insert_document, document_row(doc, outlet_id=outlet_id, run_id=self.run_id)
            ).first()
            self._add_publication(
                conn, doc.id, doc.source, url=doc.url, outlet=doc.outlet, published=doc.published
            )
            if inserted is None:
                return False
            self._write_segments(conn, doc)
            labelled = list(zip(anns, families, strict=True))
            for part in chunks(labelled, _ANN_BATCH):  # bounded lists, however many labels (#18)
                rows = [annotation_row(a, doc_id=doc.id, analyzer=by) for a, by in part]
                conn.execute(t.annotations.insert(), rows)
            self._mark_analyzers(conn, doc.id, analyzers)
            # The text was stored before and dropped: its corrections outlived it (#19).
            self.corrections.reapply(conn, doc.id, fresh=True)
            if vectors is not None and len(vectors):
                write_vectors(conn, self._insert, doc.id, vectors, encoder or "unknown")
            if fingerprint is not None:
                self.fingerprints.write(
                    conn,
                    fingerprint,
                    copies,
                    published_utc=as_utc(doc.published),
                    words=doc.word_count,
                )
        return True

    def _write_segments(self, conn: Connection, doc: Document) -> None:
        for table, spans in ((t.paragraphs, doc.paragraphs), (t.sentences, doc.sentences)):
            for lo in range(0, len(spans), _ANN_BATCH):  # 60,000 tiny sentences: bounded lists
                part = enumerate(spans[lo : lo + _ANN_BATCH], lo)
                rows = [{"doc_id": doc.id, "idx": i, "start": s, "end": e} for i, (s, e) in part]
                conn.execute(table.insert(), rows)
        rows = [
            {"doc_id": doc.id, "idx": i, "text": r.text, "reason": r.reason}
            for i, r in enumerate(doc.removed)
        ]
        if rows:
            conn.execute(t.removed.insert(), rows)

    def _mark_analyzers(self, conn: Connection, doc_id: str, versions: Sequence[str]) -> None:
        # One statement built once, all rows in one call: a statement per version, each built
        # anew, was a quarter of `Store.add`'s time in a profile (#15). A family's last wins.
        latest = {analyzer_family(version): version for version in versions}
        if not latest:
            return
        stamp = now()
        rows = [
            {"doc_id": doc_id, "analyzer": family, "version": version, "run_at": stamp}
            for family, version in latest.items()
        ]
        conn.execute(self._upsert_analyzer_run, rows)

    def document(self, doc_id_or_prefix: str) -> Document | None:
        """The document with this id, or the only one whose id starts with this prefix."""
        d = t.documents.c
        key = doc_id_or_prefix.strip().lower()
        if not key or not all(ch in "0123456789abcdef" for ch in key):
            return None
        with self._db.read() as conn:
            if len(key) == _FULL_ID:
                return self._load_one(conn, key)
            ids = list(conn.execute(select(d.id).where(d.id.startswith(key)).limit(2)).scalars())
            return self._load_one(conn, ids[0]) if len(ids) == 1 else None

    def _load_one(self, conn: Connection, doc_id: str) -> Document | None:
        """The document with exactly this id, in four reads of statements built once."""
        row = conn.execute(_DOCUMENT, {"doc_id": doc_id}).mappings().first()
        if row is None:
            return None
        key = {"doc_id": doc_id}
        return document_from_row(
            row,
            paragraphs=[(s, e) for s, e in conn.execute(_PARAGRAPHS, key)],
            sentences=[(s, e) for s, e in conn.execute(_SENTENCES, key)],
            removed=[Removal(text_, reason) for text_, reason in conn.execute(_REMOVED, key)],
        )

    def documents(
        self,
        *,
        outlet: str | None = None,
        language: str | None = None,
        after_id: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Document]:
        """Documents in id order, streamed a page at a time (keyset pagination)."""
        d = t.documents.c
        query = self._documents_query().order_by(d.id)
        if outlet is not None:
            query = query.where(t.outlets.c.name == outlet)
        if language is not None:
            query = query.where(d.language == language)
        after, left = after_id, limit
        while left is None or left > 0:
            page = query if after is None else query.where(d.id > after)
            size = _DOC_BATCH if left is None else min(_DOC_BATCH, left)
            with self._db.read() as conn:
                docs = self._load(conn, page.limit(size))
            yield from docs
            if len(docs) < size:
                return
            after = docs[-1].id
            left = None if left is None else left - len(docs)

    def _documents_query(self) -> Any:
        return select(t.documents, t.outlets.c.name.label("outlet")).outerjoin(
            t.outlets, t.outlets.c.id == t.documents.c.outlet_id
        )

    def _load(self, conn: Connection, query: Any) -> list[Document]:
        rows = conn.execute(query).mappings().all()
        ids = [r["id"] for r in rows]
        if not ids:
            return []
        spans: dict[str, dict[str, list[tuple[int, int]]]] = {i: {} for i in ids}
        for name, table in (("paragraphs", t.paragraphs), ("sentences", t.sentences)):
            c = table.c
            for doc_id, s, e in conn.execute(
                select(c.doc_id, c.start, c.end).where(c.doc_id.in_(ids)).order_by(c.doc_id, c.idx)
            ):
                spans[doc_id].setdefault(name, []).append((s, e))
        removed: dict[str, list[Removal]] = {}
        r = t.removed.c
        for doc_id, text_, reason in conn.execute(
            select(r.doc_id, r.text, r.reason).where(r.doc_id.in_(ids)).order_by(r.doc_id, r.idx)
        ):
            removed.setdefault(doc_id, []).append(Removal(text_, reason))
        return [
            document_from_row(
                row,
                paragraphs=spans[row["id"]].get("paragraphs", []),
                sentences=spans[row["id"]].get("sentences", []),
                removed=removed.get(row["id"], []),
            )
            for row in rows
        ]

    # -- annotations and vectors -------------------------------------------------------------------
    def annotations(
        self, doc_id: str | None = None, *, layer: Layer | str | None = None
    ) -> Iterator[Annotation]:
        """Annotations in storage order, of one document or all (streamed), maybe of one layer."""
        a = t.annotations.c
        if doc_id is not None and layer is None:
            yield from self._annotations_of(doc_id)
            return
        query = select(t.annotations).order_by(a.id)
        if doc_id is not None:
            query = query.where(a.doc_id == doc_id)
        if layer is not None:
            query = query.where(a.layer == str(layer))
        after = None
        while True:
            page = query if after is None else query.where(a.id > after)
            with self._db.read() as conn:
                rows = conn.execute(page.limit(_ANN_BATCH)).mappings().all()
            yield from (annotation_from_row(row) for row in rows)
            if len(rows) < _ANN_BATCH:
                return
            after = rows[-1]["id"]

    def replace_annotations(
        self,
        doc_id: str,
        analyzer_version: str,
        anns: Sequence[Annotation],
        *,
        replaces: Sequence[str] = (),
    ) -> None:
        """Put this analyzer's new output in place of whatever any version of it stored before.

        `replaces`: versions of other analyzers whose output this one takes the place of (the
        same analysis in another profile); theirs goes too, with the record that they ran.
        """
        family = analyzer_family(analyzer_version)
        others = {analyzer_family(version) for version in replaces} - {family}
        a, r = t.annotations.c, t.analyzer_runs.c
        with self._db.write() as conn:
            # The upsert first: on PostgreSQL it locks this (document, analyzer) row, so two
            # writers replacing the same output take turns instead of both inserting.
            self._mark_analyzers(conn, doc_id, [analyzer_version])
            if others:
                conn.execute(
                    t.analyzer_runs.delete().where(r.doc_id == doc_id, r.analyzer.in_(others))
                )
            conn.execute(
                t.annotations.delete().where(a.doc_id == doc_id, a.analyzer.in_({family, *others}))
            )
            if anns:
                conn.execute(
                    t.annotations.insert(),
                    [annotation_row(ann, doc_id=doc_id, analyzer=family) for ann in anns],
                )
            # an analyst's correction outranks a model
            self.corrections.reapply(conn, doc_id, rerun={family, *others})

    def _annotations_of(self, doc_id: str) -> Iterator[Annotation]:
        """One document's annotations in storage order, a bounded page at a time."""
        after = -1  # ids start at 1
        while True:
            with self._db.read() as conn:
                page = {"doc_id": doc_id, "after": after}
                rows = conn.execute(_ANNOTATIONS_OF, page).mappings().all()
            yield from (annotation_from_row(row) for row in rows)
            if len(rows) < _ANN_BATCH:
                return
            after = rows[-1]["id"]

    def analyzers_run(self, doc_id: str) -> set[str]:
        """The analyzer versions whose output is stored for this document."""
        with self._db.read() as conn:
            return set(conn.execute(_ANALYZERS_RUN, {"doc_id": doc_id}).scalars())

    def analyzed_ids(self, analyzer: str, *, encoder: str, limit: int) -> list[str]:
        """Ids of up to `limit` documents `analyzer` (a family: `narratives`) ran on and that
        have sentence vectors of `encoder`, in id order (ids are hashes: an even spread)."""
        d, r, v = t.documents.c, t.analyzer_runs.c, t.vectors.c
        query = (
            select(d.id)
            .join(t.analyzer_runs, r.doc_id == d.id)
            .join(t.vectors, v.doc_id == d.id)
            .where(r.analyzer == analyzer, v.encoder == encoder)
            .order_by(d.id)
            .limit(limit)
        )
        with self._db.read() as conn:
            return list(conn.execute(query).scalars())

    def has_vectors(self, doc_id: str) -> bool:
        """Whether sentence vectors are stored for this document (without reading them)."""
        with self._db.read() as conn:
            return conn.execute(_HAS_VECTORS, {"doc_id": doc_id}).first() is not None

    def documents_without(self, analyzer_version: str, *, batch: int = 1000) -> Iterator[str]:
        """Ids of the documents this analyzer version has not run on yet (streamed, id order).

        What a re-run after a new analyzer version needs: `replace_annotations` each of them.
        """
        d, r = t.documents.c, t.analyzer_runs.c
        done = select(r.doc_id).where(r.doc_id == d.id, r.version == analyzer_version).exists()
        query = select(d.id).where(~done).order_by(d.id)
        after = ""
        while True:
            with self._db.read() as conn:
                ids = list(conn.execute(query.where(d.id > after).limit(batch)).scalars())
            yield from ids
            if len(ids) < batch:
                return
            after = ids[-1]

    def vectors(self, doc_id: str, *, encoder: str | None = None) -> np.ndarray | None:
        """The document's sentence vectors (float32, one row per sentence), if stored.

        With `encoder`, only vectors that encoder made (others are not comparable).
        """
        v = t.vectors.c
        query = select(v.rows, v.dim, v.data).where(v.doc_id == doc_id)
        if encoder is not None:
            query = query.where(v.encoder == encoder)
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        rows, dim, data = row
        return np.frombuffer(data, dtype=np.float16).reshape(rows, dim).astype(np.float32)

    # -- copies --------------------------------------------------------------------------------------
    def copies(self, doc_id: str | None = None) -> Iterator[CopyEdge]:
        """Copy → original edges (exact, near, partial) touching `doc_id`, or all, streamed."""
        return self.fingerprints.copies(doc_id)

    def clusters(self) -> Iterator[Cluster]:
        """Near-duplicate clusters, each with its canonical copy (earliest, then longest)."""
        return self.fingerprints.clusters()

    def cluster(self, doc_id: str) -> Cluster | None:
        """The near-duplicate cluster this document belongs to, if any."""
        return self.fingerprints.cluster_of(doc_id)

    def cluster_size(self, doc_id: str) -> int:
        """How many documents its near-duplicate cluster holds (1: it has none)."""
        return self.fingerprints.cluster_size(doc_id)

    # -- stats ----------------------------------------------------------------------------------------
    def stats(self) -> StoreStats:
        """Counts of documents, publications, outlets, annotations by layer, copies, runs."""
        return self.corpus.store_stats()
