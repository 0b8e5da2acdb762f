"""The corpus views' SQL: label counts, publications, full-text search and the storyline tables.

`narrascope.corpus` computes the analyst's cross-document views; this module is the only part
of them that knows table names. The storyline tables are declared here on the store's one
`metadata` (migration `0002c` creates them); the full-text index `sentence_fts` (FTS5 on SQLite,
a GIN-indexed `tsvector` on PostgreSQL) is kept in sync by triggers on `sentences`, so every
`Store.add` indexes its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)

from narrascope.model import Layer
from narrascope.store import schema as t
from narrascope.store.engine import Connections
from narrascope.store.records import now

_CHUNK = 500

storylines = Table(
    "storylines",
    t.metadata,
    Column("id", t.DocId, primary_key=True),  # 16 hex digits of the seed sentence's hash
    Column("label", Text, nullable=False),  # the member sentence closest to the centroid
    Column("label_doc_id", t.DocId, nullable=False),
    Column("label_start", Integer, nullable=False),
    Column("label_end", Integer, nullable=False),
    Column("label_vector", LargeBinary, nullable=False),  # float32
    Column("vector_sum", LargeBinary, nullable=False),  # float32 sum of member vectors
    Column("members", Integer, nullable=False),
    Column("documents", Integer, nullable=False),
    Column("outlets", Integer, nullable=False),
    Column("first_doc_id", t.DocId, nullable=False),
    Column("first_outlet", String(255)),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("narratives", JSON, nullable=False),  # {narrative label: member sentences carrying it}
    Column("updated_at", DateTime, nullable=False),
    Index("ix_storylines_last_seen", "last_seen"),
)

storyline_members = Table(
    "storyline_members",
    t.metadata,
    Column("doc_id", t.DocId, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),  # sentence index in the document
    Column("storyline_id", t.DocId, nullable=False),
    Column("similarity", Float, nullable=False),  # to the centroid when the sentence joined
    Index("ix_storyline_members_storyline_id", "storyline_id"),
)

storyline_docs = Table(
    "storyline_docs",
    t.metadata,
    Column("doc_id", t.DocId, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("at", DateTime, nullable=False),  # when or, undated, added: the storyline clock
    Column("processed_at", DateTime, nullable=False),
    Index("ix_storyline_docs_at", "at"),
)

SEARCH_INDEX = "sentence_fts"
"""The full-text index over sentence texts: an FTS5 table on SQLite (its shadow tables share the
prefix), a table with a GIN-indexed `tsvector` on PostgreSQL (migration `0004`)."""


def is_search_index(name: str | None) -> bool:
    """Whether a table belongs to the full-text index (not described in `schema.metadata`)."""
    return name is not None and (name == SEARCH_INDEX or name.startswith(SEARCH_INDEX + "_"))


SEARCH_CAP = 10_000
"""Matches ranked by relevance at most; broader full-text queries list the newest first."""

_fts = table(
    SEARCH_INDEX, column("rowid"), column("doc_id"), column("idx"), column("text"), column("tsv")
)
NO_OUTLET = "(no outlet)"


# -- records ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LabelCount:
    """How many documents (and annotations) carry `label`, for one outlet or one day."""

    label: str
    key: str
    documents: int
    annotations: int


@dataclass(frozen=True, slots=True)
class DocInfo:
    """A document's metadata without its text: enough for lists, charts and links."""

    id: str
    title: str | None
    outlet: str | None
    published: datetime | None
    language: str | None
    words: int
    url: str | None


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """One sentence that matched a full-text query; offsets index `Document.text`."""

    rowid: int
    doc_id: str
    idx: int
    text: str
    rank: float


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Document-level facets of a search; `None` means any."""

    outlet: str | None = None
    language: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    narrative: str | None = None
    technique: str | None = None
    entity: str | None = None  # entity id or canonical name
    speaker: str | None = None


@dataclass(slots=True)
class StorylineRow:
    """A stored storyline: its running centroid and what the corpus view shows of it."""

    id: str
    label: str
    label_doc_id: str
    label_start: int
    label_end: int
    label_vector: np.ndarray
    vector_sum: np.ndarray
    members: int
    documents: int
    outlets: int
    first_doc_id: str
    first_outlet: str | None
    first_seen: datetime
    last_seen: datetime
    narratives: dict[str, int] = field(default_factory=dict)

    @property
    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.vector_sum)) or 1.0
        return self.vector_sum / norm


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A sentence in a storyline, with its document's outlet and date."""

    storyline_id: str
    doc_id: str
    idx: int
    similarity: float
    outlet: str | None
    published: datetime | None
    at: datetime


def _vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).copy()


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat()[:10] if isinstance(value, (date, datetime)) else str(value)[:10]


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _query_terms(text_: str) -> list[tuple[list[str], bool]]:
    """A user's words as terms: "quoted phrases" and single words, each maybe a prefix (`*`)."""
    terms = []
    for m in re.finditer(r'"([^"]+)"|(\w+\*?)', text_):
        part = m.group(1) or m.group(2)
        words = re.findall(r"\w+", part)
        if words:
            terms.append((words, part.endswith("*")))
    return terms


def fts_query(text_: str) -> str:
    """A user's words as a safe FTS5 query: "quoted phrases" and words, all required."""
    return " ".join(
        '"' + " ".join(words) + '"' + ("*" if prefix else "")
        for words, prefix in _query_terms(text_)
    )


def pg_tsquery(text_: str) -> str:
    """The same query as `fts_query` in PostgreSQL's `to_tsquery` syntax (words are `\\w+`
    only, quoted as lexemes, so nothing a user types is read as an operator)."""
    return " & ".join(
        "(" + " <-> ".join(f"'{w.lower()}'" for w in words) + (":*" if prefix else "") + ")"
        for words, prefix in _query_terms(text_)
    )


class CorpusIndex:
    """Aggregates, full-text search and storyline reads/writes over one database."""

    def __init__(self, connections: Connections, insert: Any, dialect: str) -> None:
        self._db, self._insert, self.dialect = connections, insert, dialect

    # -- documents and counts -----------------------------------------------------------------
    def _doc_select(self) -> Any:
        d, o = t.documents.c, t.outlets.c
        return select(d.id, d.title, o.name, d.published, d.language, d.words, d.url).outerjoin(
            t.outlets, o.id == d.outlet_id
        )

    def doc_infos(self, doc_ids: Sequence[str]) -> dict[str, DocInfo]:
        """Metadata of these documents by id (unknown ids are left out)."""
        found: dict[str, DocInfo] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(dict.fromkeys(doc_ids))):
                query = self._doc_select().where(t.documents.c.id.in_(chunk))
                for row in conn.execute(query):
                    found[row[0]] = _info(row)
        return found

    def doc_infos_all(self, *, outlet: str | None = None) -> Iterator[DocInfo]:
        """Every document's metadata in id order, streamed (no text)."""
        d = t.documents.c
        query = self._doc_select().order_by(d.id)
        if outlet is not None:
            query = query.where(_outlet_is(outlet))
        after = None
        while True:
            page = query if after is None else query.where(d.id > after)
            with self._db.read() as conn:
                rows = conn.execute(page.limit(2000)).all()
            yield from (_info(r) for r in rows)
            if len(rows) < 2000:
                return
            after = rows[-1][0]

    def outlet_counts(self) -> list[tuple[str | None, int, int, datetime | None, datetime | None]]:
        """`(outlet, documents, words, first published, last published)` per outlet."""
        d, o = t.documents.c, t.outlets.c
        query = (
            select(
                o.name,
                func.count(),
                func.sum(d.words),
                func.min(d.published_utc),
                func.max(d.published_utc),
            )
            .select_from(t.documents)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .group_by(o.name)
        )
        with self._db.read() as conn:
            return [(n, int(c), int(w or 0), a, b) for n, c, w, a, b in conn.execute(query)]

    def label_counts(
        self, layers: Sequence[Layer | str], *, by: str, outlet: str | None = None
    ) -> list[LabelCount]:
        """Documents and annotations per label of `layers`, by outlet, day, or not at all."""
        a, d, o = t.annotations.c, t.documents.c, t.outlets.c
        key: Any
        if by == "outlet":
            key = o.name
        elif by == "day":
            key = func.date(d.published_utc)
        elif by == "all":
            key = literal_column("'all'")
        else:
            raise ValueError(f"unknown grouping {by!r}: outlet, day or all")
        query = (
            select(a.label, key, func.count(func.distinct(a.doc_id)), func.count())
            .select_from(t.annotations)
            .join(t.documents, d.id == a.doc_id)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(a.layer.in_([str(layer) for layer in layers]))
            # PostgreSQL refuses a constant in GROUP BY, and grouping by one changes nothing.
            .group_by(a.label, *([] if by == "all" else [key]))
        )
        if outlet is not None:
            query = query.where(_outlet_is(outlet))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [
            LabelCount(
                label,
                (_day(k) or "undated") if by == "day" else (k or NO_OUTLET),
                int(docs),
                int(n),
            )
            for label, k, docs, n in rows
        ]

    def attr_counts(
        self, layer: Layer | str, attr: str, *, outlet: str | None = None, label: str | None = None
    ) -> list[tuple[str, int, int]]:
        """`(value of attrs[attr], annotations, documents)` for a layer, most frequent first."""
        a, d = t.annotations.c, t.documents.c
        value = a.attrs[attr].as_string()
        query = (
            select(value, func.count(), func.count(func.distinct(a.doc_id)))
            .select_from(t.annotations)
            .where(a.layer == str(layer), value.is_not(None))
            .group_by(value)
            .order_by(func.count().desc(), value)
        )
        if label is not None:
            query = query.where(a.label == label)
        if outlet is not None:
            query = (
                query.join(t.documents, d.id == a.doc_id)
                .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
                .where(_outlet_is(outlet))
            )
        with self._db.read() as conn:
            return [(str(v), int(n), int(docs)) for v, n, docs in conn.execute(query) if v]

    def _entity_is(self, entity: str) -> Any:
        a = t.annotations.c
        return or_(
            a.attrs["entity_id"].as_string() == entity, a.attrs["entity"].as_string() == entity
        )

    def entity_mentions(self, entity: str) -> list[tuple[str, str, str | None]]:
        """`(doc_id, canonical name, type)` of each mention of an entity (id or name)."""
        a = t.annotations.c
        query = (
            select(a.doc_id, a.attrs["entity"].as_string(), a.label)
            .where(a.layer == str(Layer.ENTITY), self._entity_is(entity))
            .order_by(a.id)
        )
        with self._db.read() as conn:
            return [(d, name or entity, label) for d, name, label in conn.execute(query)]

    def entity_roles(self, entity: str) -> list[tuple[str, int, int]]:
        """`(main role, annotations, documents)` an entity is cast in, most frequent first."""
        a = t.annotations.c
        query = (
            select(a.label, func.count(), func.count(func.distinct(a.doc_id)))
            .where(
                a.layer == str(Layer.ROLE),
                self._entity_is(entity),
                or_(a.attrs["level"].as_string() == "main", a.attrs["level"].as_string().is_(None)),
            )
            .group_by(a.label)
            .order_by(func.count().desc(), a.label)
        )
        with self._db.read() as conn:
            return [(label, int(n), int(docs)) for label, n, docs in conn.execute(query)]

    def publication_counts(self, *, min_outlets: int = 2) -> list[tuple[str, int, int]]:
        """`(doc_id, publications, distinct outlets)` of texts published more than once."""
        p = t.publications.c
        outlets = func.count(func.distinct(p.outlet_id))
        query = (
            select(p.doc_id, func.count(), outlets)
            .group_by(p.doc_id)
            .having(or_(outlets >= min_outlets, func.count() >= min_outlets))
            .order_by(outlets.desc(), func.count().desc(), p.doc_id)
        )
        with self._db.read() as conn:
            return [(i, int(n), int(k)) for i, n, k in conn.execute(query)]

    def publication_outlets(
        self, doc_ids: Sequence[str]
    ) -> dict[str, list[tuple[str | None, Any]]]:
        """Per document, `(outlet, published_utc)` of each publication, earliest first."""
        p, o = t.publications.c, t.outlets.c
        found: dict[str, list[tuple[str | None, Any]]] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = (
                    select(p.doc_id, o.name, p.published_utc)
                    .outerjoin(t.outlets, o.id == p.outlet_id)
                    .where(p.doc_id.in_(chunk))
                    .order_by(p.doc_id, p.published_utc.is_(None), p.published_utc, p.id)
                )
                for doc_id, name, when in conn.execute(query):
                    found.setdefault(doc_id, []).append((name, when))
        return found

    # -- full-text search -----------------------------------------------------------------------
    @property
    def has_fts(self) -> bool:
        return self.dialect in ("sqlite", "postgresql")

    def _full_text(self, query_text: str) -> tuple[Any, Any]:
        """The condition on `sentence_fts` rows that match, and their rank (lower is better)."""
        if self.dialect == "postgresql":
            query = func.to_tsquery(literal_column("'simple'::regconfig"), pg_tsquery(query_text))
            rank = (-func.ts_rank(_fts.c.tsv, query)).cast(Float)
            return _fts.c.tsv.op("@@")(query), rank
        match = text(f"{SEARCH_INDEX} MATCH :q").bindparams(q=fts_query(query_text))
        return match, literal_column(f"{SEARCH_INDEX}.rank")

    def _facet_conditions(self, f: SearchFilters) -> list[Any]:
        d, a = t.documents.c, t.annotations.c
        conds: list[Any] = []
        if f.outlet is not None:
            conds.append(_outlet_is(f.outlet))
        if f.language is not None:
            conds.append(d.language == f.language)
        if f.since is not None:
            conds.append(d.published_utc >= datetime.combine(f.since, datetime.min.time()))
        if f.until is not None:
            end = datetime.combine(f.until + timedelta(days=1), datetime.min.time())
            conds.append(d.published_utc < end)

        def has(layers: Sequence[str], *extra: Any) -> Any:
            return exists().where(a.doc_id == d.id, a.layer.in_(layers), *extra)

        if f.narrative is not None:
            conds.append(has(["narrative", "subnarrative"], a.label == f.narrative))
        if f.technique is not None:
            conds.append(has(["technique"], a.label == f.technique))
        if f.entity is not None:
            conds.append(
                has(
                    ["entity"],
                    or_(
                        a.attrs["entity_id"].as_string() == f.entity,
                        a.attrs["entity"].as_string() == f.entity,
                    ),
                )
            )
        if f.speaker is not None:
            conds.append(has(["quote"], a.attrs["speaker"].as_string() == f.speaker))
        return conds

    def _text_hits(self, query_text: str) -> tuple[Any, Any, Any]:
        """The matching-sentence source, its rank expression and its row id expression."""
        s, d = t.sentences.c, t.documents.c
        if self.has_fts:
            match, rank = self._full_text(query_text)
            source = (
                select(
                    _fts.c.rowid.label("rowid"),
                    _fts.c.doc_id,
                    _fts.c.idx,
                    _fts.c.text,
                    rank.label("rank"),
                )
                .where(match)
                .subquery("hits")
            )
            return source, source.c.rank, source.c.rowid
        # Other databases: every word as a case-insensitive substring of the sentence.
        sentence = func.substr(d.text, s.start + 1, s.end - s.start)
        words = re.findall(r"\w+", query_text)
        source = (
            select(
                s.idx.label("rowid"),
                s.doc_id,
                s.idx,
                sentence.label("text"),
                literal_column("0.0").label("rank"),
            )
            .join(t.documents, d.id == s.doc_id)
            .where(*[sentence.ilike(f"%{w}%") for w in words])
            .subquery("hits")
        )
        return source, source.c.rank, source.c.rowid

    def search_sentences(
        self,
        query_text: str,
        filters: SearchFilters,
        *,
        limit: int,
        after: tuple[Any, ...] | None = None,
    ) -> tuple[list[SentenceHit], int, bool]:
        """Sentences matching the words, a page of them, the total and whether it is capped.

        Up to `SEARCH_CAP` matches are ranked (BM25 on SQLite, `ts_rank` on PostgreSQL; keyset
        after `(rank, doc_id, idx)`).
        Broader queries would rank millions of sentences per page, so they come newest
        first instead (keyset after `(rowid,)`), with the total given as "more than the cap".
        """
        q = fts_query(query_text)
        if not q:
            return [], 0, False
        if not self.has_fts:
            return self._search_generic(query_text, filters, limit=limit, after=after)
        match, rank = self._full_text(query_text)
        with self._db.read() as conn:
            capped = select(_fts.c.rowid).where(match).limit(SEARCH_CAP + 1).subquery()
            matches = int(conn.execute(select(func.count()).select_from(capped)).scalar_one())
            broad = matches > SEARCH_CAP
            d = t.documents.c
            base = (
                select(_fts.c.rowid, _fts.c.doc_id, _fts.c.idx, _fts.c.text, rank.label("rank"))
                .select_from(_fts)
                .join(t.documents, d.id == _fts.c.doc_id)
                .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
                .where(match, *self._facet_conditions(filters))
            )
            if broad:
                page = base.order_by(_fts.c.rowid.desc())
                if after is not None:
                    page = page.where(_fts.c.rowid < int(after[0]))
                total = SEARCH_CAP
            else:
                ranked = base.subquery("ranked")
                page = select(ranked).order_by(ranked.c.rank, ranked.c.doc_id, ranked.c.idx)
                if after is not None and len(after) == 3:
                    r, doc_id, idx = after
                    page = page.where(
                        or_(
                            ranked.c.rank > r,
                            and_(ranked.c.rank == r, ranked.c.doc_id > doc_id),
                            and_(ranked.c.rank == r, ranked.c.doc_id == doc_id, ranked.c.idx > idx),
                        )
                    )
                total = int(conn.execute(select(func.count()).select_from(ranked)).scalar_one())
            rows = conn.execute(page.limit(limit)).all()
        hits = [SentenceHit(int(r[0]), r[1], int(r[2]), r[3], float(r[4])) for r in rows]
        return hits, total, broad

    def _search_generic(
        self, query_text: str, filters: SearchFilters, *, limit: int, after: tuple[Any, ...] | None
    ) -> tuple[list[SentenceHit], int, bool]:
        hits, rank, _ = self._text_hits(query_text)
        d = t.documents.c
        base = (
            select(hits.c.rowid, hits.c.doc_id, hits.c.idx, hits.c.text, rank)
            .join(t.documents, d.id == hits.c.doc_id)
            .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            .where(*self._facet_conditions(filters))
        )
        page = base
        if after is not None and len(after) == 3:
            _, doc_id, idx = after
            page = page.where(
                or_(hits.c.doc_id > doc_id, and_(hits.c.doc_id == doc_id, hits.c.idx > idx))
            )
        page = page.order_by(hits.c.doc_id, hits.c.idx).limit(limit)
        with self._db.read() as conn:
            rows = conn.execute(page).all()
            total = int(
                conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
            )
        return (
            [SentenceHit(int(r[0]), r[1], int(r[2]), r[3], float(r[4])) for r in rows],
            total,
            False,
        )

    def search_documents(
        self, filters: SearchFilters, *, limit: int, after: str | None = None
    ) -> tuple[list[str], int]:
        """Ids of documents matching the facets alone (newest first? no: id order), and total."""
        d = t.documents.c
        base = (
            select(d.id)
            .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            .where(*self._facet_conditions(filters))
        )
        page = base if after is None else base.where(d.id > after)
        with self._db.read() as conn:
            ids = list(conn.execute(page.order_by(d.id).limit(limit)).scalars())
            total = int(
                conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
            )
        return ids, total

    def search_facets(
        self, query_text: str, filters: SearchFilters, *, top: int = 20
    ) -> dict[str, list[tuple[str, int]]]:
        """Matching documents per outlet and per language, for narrowing a search."""
        d, o = t.documents.c, t.outlets.c
        if query_text.strip() and fts_query(query_text):
            hits, _, _ = self._text_hits(query_text)
            docs = select(hits.c.doc_id.label("id")).distinct().subquery("docs")
            base = select(d.id, o.name, d.language).join(docs, docs.c.id == d.id)
        else:
            base = select(d.id, o.name, d.language).select_from(t.documents)
        base = base.outerjoin(t.outlets, o.id == d.outlet_id).where(
            *self._facet_conditions(filters)
        )
        inner = base.subquery("matching")
        facets: dict[str, list[tuple[str, int]]] = {}
        with self._db.read() as conn:
            for name, col in (("outlet", inner.c.name), ("language", inner.c.language)):
                query = (
                    select(col, func.count())
                    .group_by(col)
                    .order_by(func.count().desc(), col)
                    .limit(top)
                )
                facets[name] = [
                    (v or NO_OUTLET if name == "outlet" else v or "?", int(n))
                    for v, n in conn.execute(query)
                ]
        return facets

    # -- vectors ----------------------------------------------------------------------------------
    def vector_pages(self, *, batch: int = 200) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Every document's sentence vectors (float32), a page of documents at a time."""
        v = t.vectors.c
        after = None
        while True:
            query = select(v.doc_id, v.rows, v.dim, v.data).order_by(v.doc_id).limit(batch)
            if after is not None:
                query = query.where(v.doc_id > after)
            with self._db.read() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            yield [
                (doc_id, np.frombuffer(data, dtype=np.float16).reshape(n, dim).astype(np.float32))
                for doc_id, n, dim, data in rows
            ]
            after = rows[-1][0]

    def vectors_of(self, doc_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Sentence vectors (float32) of these documents, where stored."""
        v = t.vectors.c
        found: dict[str, np.ndarray] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = select(v.doc_id, v.rows, v.dim, v.data).where(v.doc_id.in_(chunk))
                for doc_id, n, dim, data in conn.execute(query):
                    matrix = np.frombuffer(data, dtype=np.float16).reshape(n, dim)
                    found[doc_id] = matrix.astype(np.float32)
        return found

    def doc_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The clean text of these documents by id."""
        d = t.documents.c
        found: dict[str, str] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids), 100):
                found.update(conn.execute(select(d.id, d.text).where(d.id.in_(chunk))).all())
        return found

    def sentence_spans(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """Per document, `(start, end)` of every sentence in order (no text)."""
        s = t.sentences.c
        found: dict[str, list[tuple[int, int]]] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = (
                    select(s.doc_id, s.start, s.end)
                    .where(s.doc_id.in_(chunk))
                    .order_by(s.doc_id, s.idx)
                )
                for doc_id, start, end in conn.execute(query):
                    found.setdefault(doc_id, []).append((int(start), int(end)))
        return found

    def sentence_texts(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, int, str]]]:
        """Per document, `(start, end, text)` of every sentence in order."""
        s, d = t.sentences.c, t.documents.c
        found: dict[str, list[tuple[int, int, str]]] = {}
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids), 100):
                texts = dict(conn.execute(select(d.id, d.text).where(d.id.in_(chunk))).all())
                query = (
                    select(s.doc_id, s.start, s.end)
                    .where(s.doc_id.in_(chunk))
                    .order_by(s.doc_id, s.idx)
                )
                for doc_id, start, end in conn.execute(query):
                    found.setdefault(doc_id, []).append((start, end, texts[doc_id][start:end]))
        return found

    # -- storylines ---------------------------------------------------------------------------------
    def pending_storyline_docs(self, *, limit: int) -> list[tuple[str, datetime, str | None]]:
        """`(doc_id, clock, outlet)` of documents not yet in storylines, earliest clock first."""
        d, o, sd = t.documents.c, t.outlets.c, storyline_docs.c
        clock = func.coalesce(d.published_utc, d.added_at)
        query = (
            select(d.id, clock, o.name)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .outerjoin(storyline_docs, sd.doc_id == d.id)
            .where(sd.doc_id.is_(None))
            .order_by(clock, d.id)
            .limit(limit)
        )
        with self._db.read() as conn:
            return [(i, _dt(c), n) for i, c, n in conn.execute(query)]

    def storyline_docs_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, str | None]]:
        """`(doc_id, clock, outlet)` of processed documents whose clock falls in [start, end]."""
        sd, d, o = storyline_docs.c, t.documents.c, t.outlets.c
        query = (
            select(sd.doc_id, sd.at, o.name)
            .join(t.documents, d.id == sd.doc_id)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(sd.at >= start, sd.at <= end)
            .order_by(sd.at, sd.doc_id)
        )
        with self._db.read() as conn:
            return [(i, _dt(c), n) for i, c, n in conn.execute(query)]

    def assigned_sentences(self, doc_ids: Sequence[str]) -> set[tuple[str, int]]:
        """`(doc_id, idx)` of these documents' sentences that belong to a storyline."""
        m = storyline_members.c
        found: set[tuple[str, int]] = set()
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = select(m.doc_id, m.idx).where(m.doc_id.in_(chunk))
                found.update((i, int(x)) for i, x in conn.execute(query))
        return found

    def near_copies(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of these documents repeat another one whole (exact or near copies)."""
        c = t.copies.c
        found: set[str] = set()
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = select(c.copy_id).where(c.copy_id.in_(chunk), c.kind.in_(["exact", "near"]))
                found.update(conn.execute(query).scalars())
        return found

    def copy_pairs(self, doc_ids: Sequence[str]) -> set[frozenset[str]]:
        """Pairs of documents (one of them in `doc_ids`) linked as copies or one cluster."""
        c, f = t.copies.c, t.fingerprints.c
        pairs: set[frozenset[str]] = set()
        with self._db.read() as conn:
            for chunk in _chunks(list(doc_ids)):
                query = select(c.copy_id, c.original_id).where(
                    or_(c.copy_id.in_(chunk), c.original_id.in_(chunk))
                )
                pairs.update(frozenset(p) for p in conn.execute(query))
                clusters = select(f.cluster_id).where(f.doc_id.in_(chunk)).scalar_subquery()
                members: dict[str, list[str]] = {}
                query2 = select(f.cluster_id, f.doc_id).where(f.cluster_id.in_(clusters))
                for cluster_id, doc_id in conn.execute(query2):
                    members.setdefault(cluster_id, []).append(doc_id)
                for group in members.values():
                    pairs.update(
                        frozenset((x, y)) for i, x in enumerate(group) for y in group[i + 1 :]
                    )
        return pairs

    def active_storylines(self, start: datetime, end: datetime) -> list[StorylineRow]:
        """Storylines seen in [start, end] (their last sentence on or after `start`)."""
        s = storylines.c
        query = select(storylines).where(s.last_seen >= start, s.first_seen <= end).order_by(s.id)
        with self._db.read() as conn:
            return [_storyline(r) for r in conn.execute(query).mappings()]

    def storyline_rows(
        self, *, ids: Sequence[str] | None = None, limit: int | None = None, min_outlets: int = 1
    ) -> list[StorylineRow]:
        """Storylines, widest first (outlets, documents, members), or the given ones."""
        s = storylines.c
        query = select(storylines).order_by(
            s.outlets.desc(), s.documents.desc(), s.members.desc(), s.id
        )
        if min_outlets > 1:
            query = query.where(s.outlets >= min_outlets)
        rows: list[StorylineRow] = []
        with self._db.read() as conn:
            if ids is not None:
                for chunk in _chunks(list(ids)):
                    rows += [
                        _storyline(r) for r in conn.execute(query.where(s.id.in_(chunk))).mappings()
                    ]
                return rows
            if limit is not None:
                query = query.limit(limit)
            return [_storyline(r) for r in conn.execute(query).mappings()]

    def storyline_ids_present(self, ids: Sequence[str]) -> set[str]:
        """Which of these storyline ids are stored."""
        found: set[str] = set()
        with self._db.read() as conn:
            for chunk in _chunks(list(ids)):
                query = select(storylines.c.id).where(storylines.c.id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def storyline_ids_of(self, doc_id: str) -> list[str]:
        """Storylines with a sentence in this document."""
        m = storyline_members.c
        query = select(m.storyline_id).where(m.doc_id == doc_id).distinct()
        with self._db.read() as conn:
            return sorted(conn.execute(query).scalars())

    def storyline_members(self, storyline_ids: Sequence[str]) -> list[MemberRow]:
        """Member sentences of these storylines with outlet and date, earliest first."""
        m, d, o, sd = storyline_members.c, t.documents.c, t.outlets.c, storyline_docs.c
        rows: list[MemberRow] = []
        with self._db.read() as conn:
            for chunk in _chunks(list(storyline_ids)):
                query = (
                    select(
                        m.storyline_id,
                        m.doc_id,
                        m.idx,
                        m.similarity,
                        o.name,
                        d.published,
                        sd.at,
                    )
                    .join(t.documents, d.id == m.doc_id)
                    .join(storyline_docs, sd.doc_id == m.doc_id)
                    .outerjoin(t.outlets, o.id == d.outlet_id)
                    .where(m.storyline_id.in_(chunk))
                    .order_by(m.storyline_id, sd.at, m.doc_id, m.idx)
                )
                rows += [
                    MemberRow(
                        sid,
                        doc_id,
                        int(idx),
                        float(sim),
                        outlet,
                        datetime.fromisoformat(pub) if pub else None,
                        _dt(at),
                    )
                    for sid, doc_id, idx, sim, outlet, pub, at in conn.execute(query)
                ]
        return rows

    def storyline_count(self) -> int:
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(storylines)).scalar_one())

    def write_storylines(
        self,
        rows: Sequence[StorylineRow],
        members: Sequence[tuple[str, str, int, float]],
        docs: Sequence[tuple[str, datetime]],
        *,
        existing: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Insert new storylines, update `existing` ones, add members, mark documents seen.

        `(storyline_id, doc_id, idx, similarity)` per member. One transaction, statements
        executed once per kind with many parameter sets.
        """
        stamp = now()

        def values(row: StorylineRow) -> dict[str, Any]:
            return {
                "label": row.label,
                "label_doc_id": row.label_doc_id,
                "label_start": row.label_start,
                "label_end": row.label_end,
                "label_vector": _blob(row.label_vector),
                "vector_sum": _blob(row.vector_sum),
                "members": row.members,
                "documents": row.documents,
                "outlets": row.outlets,
                "first_doc_id": row.first_doc_id,
                "first_outlet": row.first_outlet,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "narratives": row.narratives,
                "updated_at": stamp,
            }

        inserts = [{"id": r.id, **values(r)} for r in rows if r.id not in existing]
        updates = [{"key": r.id, **values(r)} for r in rows if r.id in existing]
        with self._db.write() as conn:
            if inserts:
                conn.execute(storylines.insert(), inserts)
            if updates:
                columns: dict[str, Any] = {k: bindparam(k) for k in updates[0] if k != "key"}
                conn.execute(
                    storylines.update().where(storylines.c.id == bindparam("key")).values(columns),
                    updates,
                )
            if members:
                conn.execute(
                    self._insert(storyline_members).on_conflict_do_nothing(),
                    [
                        {"storyline_id": sid, "doc_id": d, "idx": i, "similarity": sim}
                        for sid, d, i, sim in members
                    ],
                )
            if docs:
                conn.execute(
                    self._insert(storyline_docs).on_conflict_do_nothing(),
                    [{"doc_id": d, "at": at, "processed_at": stamp} for d, at in docs],
                )

    def clear_storylines(self) -> None:
        """Forget every storyline and which documents they saw (before a full rebuild)."""
        with self._db.write() as conn:
            for tbl in (storyline_members, storyline_docs, storylines):
                conn.execute(tbl.delete())

    def member_stats(self, storyline_id: str) -> tuple[int, int, int]:
        """`(members, documents, outlets)` of one storyline, counted from its members."""
        m, d = storyline_members.c, t.documents.c
        query = (
            select(
                func.count(),
                func.count(func.distinct(m.doc_id)),
                func.count(func.distinct(func.coalesce(d.outlet_id, -1))),
            )
            .join(t.documents, d.id == m.doc_id)
            .where(m.storyline_id == storyline_id)
        )
        with self._db.read() as conn:
            n, docs, outlets = conn.execute(query).one()
        return int(n), int(docs), int(outlets)


def _outlet_is(outlet: str) -> Any:
    if outlet == NO_OUTLET:
        return t.documents.c.outlet_id.is_(None)
    return t.outlets.c.name == outlet


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _info(row: Any) -> DocInfo:
    doc_id, title, outlet, published, language, words, url = row
    return DocInfo(
        doc_id,
        title,
        outlet,
        datetime.fromisoformat(published) if published else None,
        language,
        int(words or 0),
        url,
    )


def _storyline(r: Any) -> StorylineRow:
    return StorylineRow(
        id=r["id"],
        label=r["label"],
        label_doc_id=r["label_doc_id"],
        label_start=r["label_start"],
        label_end=r["label_end"],
        label_vector=_vec(r["label_vector"]),
        vector_sum=_vec(r["vector_sum"]),
        members=r["members"],
        documents=r["documents"],
        outlets=r["outlets"],
        first_doc_id=r["first_doc_id"],
        first_outlet=r["first_outlet"],
        first_seen=_dt(r["first_seen"]),
        last_seen=_dt(r["last_seen"]),
        narratives=dict(r["narratives"] or {}),
    )
