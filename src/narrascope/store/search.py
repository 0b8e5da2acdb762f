"""Full-text search SQL, the one search-query type and the one cursor codec.

`SearchQuery` is what the CLI's `search`, the web search page and its JSON twin all pass down
(through `narrascope.corpus.search`); the store turns it into SQL over `sentence_fts` (FTS5 on
SQLite, a GIN-indexed `tsvector` on PostgreSQL, kept in sync by triggers on `sentences`) and
pages with keyset cursors made and read by `encode_cursor`/`decode_cursor`, so page N+1 never
repeats page N. Part of `Store.corpus` (see `store/corpus.py`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
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
from sqlalchemy.sql import ColumnElement, Select

from narrascope.store import schema as t
from narrascope.store.reads import NO_OUTLET, Reads, outlet_is

SEARCH_INDEX = "sentence_fts"
"""The full-text index over sentence texts: an FTS5 table on SQLite (its shadow tables share the
prefix), a table with a GIN-indexed `tsvector` on PostgreSQL (migration `0004`)."""

SEARCH_CAP = 10_000
"""Matches ranked by relevance at most; broader full-text queries list the newest first."""

MAX_LIMIT = 500
"""Hits per page at most."""

_fts = table(
    SEARCH_INDEX, column("rowid"), column("doc_id"), column("idx"), column("text"), column("tsv")
)

# The statements of a SQLite search, built once with the words as a parameter (`:q`):
# building and keying them per request cost about what SQLite takes to run the cheap ones (#17).
_MATCH = text(f"{SEARCH_INDEX} MATCH :q")
_RANK: Any = literal_column(f"{SEARCH_INDEX}.rank")
_MATCHES_CAPPED = select(func.count()).select_from(
    select(_fts.c.rowid).where(_MATCH).limit(bindparam("cap")).subquery()
)
_RANKED_FIRST = (
    select(_fts.c.rowid, _RANK).where(_MATCH).order_by(_RANK, _fts.c.rowid).limit(bindparam("n"))
)
_SENTENCES_AT = select(
    literal_column("sentences.rowid"),
    t.sentences.c.doc_id,
    t.sentences.c.idx,
    t.sentences.c.start,
    t.sentences.c.end,
).where(literal_column("sentences.rowid").in_(bindparam("rids", expanding=True)))
_TEXTS = select(_fts.c.rowid, _fts.c.text).where(
    _fts.c.rowid.in_(bindparam("rids", expanding=True))
)
_COVERED = (
    text("SELECT id, outlet_id, language FROM documents INDEXED BY ix_documents_facets")
    .columns(id=String, outlet_id=Integer, language=String)
    .subquery("covered")
)
_FACET_PAIRS_COVERED = (
    select(t.outlets.c.name, _COVERED.c.language, func.count())
    .select_from(_COVERED)
    .outerjoin(t.outlets, t.outlets.c.id == _COVERED.c.outlet_id)
    .where(
        _COVERED.c.id.in_(
            select(t.sentences.c.doc_id).where(
                literal_column("sentences.rowid").in_(select(_fts.c.rowid).where(_MATCH))
            )
        )
    )
    .group_by(t.outlets.c.name, _COVERED.c.language)
)


def is_search_index(name: str | None) -> bool:
    """Whether a table belongs to the full-text index (not described in `schema.metadata`)."""
    return name is not None and (name == SEARCH_INDEX or name.startswith(SEARCH_INDEX + "_"))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Words to find (empty: facets alone), the facets that narrow the documents, and a page."""

    text: str = ""
    outlet: str | None = None
    language: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    narrative: str | None = None
    technique: str | None = None
    entity: str | None = None  # entity id or canonical name
    entity_ids: tuple[str, ...] = ()  # more ids of the same entity (the corpus's joins, #17)
    speaker: str | None = None
    limit: int = 20
    cursor: str | None = None  # `next_cursor` of the previous page

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", (self.text or "").strip())
        object.__setattr__(self, "limit", max(1, min(int(self.limit), MAX_LIMIT)))

    @property
    def has_words(self) -> bool:
        """Whether there is anything to look for in the text (else: documents by facets)."""
        return bool(re.search(r"\w", self.text))


class BadCursor(ValueError):
    """A page cursor this store did not make (edited, truncated, or from another query)."""


def encode_cursor(key: str | int | list[Any]) -> str:
    """The keyset `key` of a page's last row as an opaque, URL-safe cursor."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The keyset key inside a cursor made by `encode_cursor`; `BadCursor` if there is none."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error is a ValueError
        raise BadCursor(f"bad search cursor {cursor[:40]!r}") from exc


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """One sentence that matched a full-text query; offsets index `Document.text`."""

    rowid: int
    doc_id: str
    idx: int
    text: str
    rank: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SentencePage:
    """A page of matching sentences, how many match, and the cursor of the next page.

    `capped`: more than `SEARCH_CAP` match, so they come newest first and `total` is the cap.
    """

    hits: list[SentenceHit]
    total: int
    capped: bool
    next_cursor: str | None


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


def _key(cursor: str | None, sizes: tuple[int, ...]) -> list[Any] | None:
    """The keyset key of a text search's cursor: `[rowid]`, `[rank, rowid]` or
    `[rank, doc_id, idx]`."""
    if cursor is None:
        return None
    key = decode_cursor(cursor)
    if not isinstance(key, list) or len(key) not in sizes:
        raise BadCursor(f"bad search cursor {cursor[:40]!r}")
    return key


class FullTextSearch(Reads):
    """Sentences by words within facets, documents by facets alone, and facet counts."""

    def _full_text(self, query_text: str) -> tuple[Any, Any]:
        """The condition on `sentence_fts` rows that match, and their rank (lower is better)."""
        if self.dialect == "postgresql":
            query = func.to_tsquery(literal_column("'simple'::regconfig"), pg_tsquery(query_text))
            rank = (-func.ts_rank(_fts.c.tsv, query)).cast(Float)
            return _fts.c.tsv.op("@@")(query), rank
        match = text(f"{SEARCH_INDEX} MATCH :q").bindparams(q=fts_query(query_text))
        return match, literal_column(f"{SEARCH_INDEX}.rank")

    def _matches(self, query_text: str) -> Any:
        """The matching sentences as `(rid, doc_id, idx, rank, start, end)`, a subquery.

        On SQLite the index is ranked on its rowids alone and the sentence's document and
        position read from `sentences` (whose rowid the index shares): reading the index's own
        stored columns for every match took most of a search's time (#17).
        """
        match, rank = self._full_text(query_text)
        s = t.sentences.c
        if self.dialect == "postgresql":
            return (
                select(
                    _fts.c.rowid.label("rid"), s.doc_id, s.idx, rank.label("rank"), s.start, s.end
                )
                .select_from(_fts)
                .join(t.sentences, and_(s.doc_id == _fts.c.doc_id, s.idx == _fts.c.idx))
                .where(match)
            )
        ranked = select(_fts.c.rowid.label("rid"), rank.label("rank")).where(match).subquery("m")
        return (
            select(ranked.c.rid, s.doc_id, s.idx, ranked.c.rank, s.start, s.end)
            .select_from(ranked)
            .join(t.sentences, literal_column("sentences.rowid") == ranked.c.rid)
        )

    def _texts(self, conn: Any, rids: Sequence[int]) -> dict[int, str]:
        """The text of the indexed sentences with these row ids (one page of hits)."""
        if not rids:
            return {}
        return {int(r): str(x) for r, x in conn.execute(_TEXTS, {"rids": list(rids)})}

    def _carries(self, layers: Sequence[str], label: str, sentence: Any) -> Any:
        """The condition "this sentence carries the label": inside a technique's span, or one
        of a narrative's evidence sentences (evidence is JSON `[[start, end], ...]`)."""
        a = t.annotations.c
        if layers == ["technique"]:
            overlap = (a.start < sentence.end, a.end > sentence.start)
            return exists().where(
                a.doc_id == sentence.doc_id, a.layer.in_(layers), a.label == label, *overlap
            )
        if self.dialect == "postgresql":
            spans = func.json_array_elements(a.evidence).table_valued("value").alias("ev")
            start: ColumnElement[Any] = spans.c.value.op("->>")(0).cast(Integer)
            end: ColumnElement[Any] = spans.c.value.op("->>")(1).cast(Integer)
        else:
            spans = func.json_each(a.evidence).table_valued("value").alias("ev")
            start, end = (
                func.json_extract(spans.c.value, "$[0]"),
                func.json_extract(spans.c.value, "$[1]"),
            )
        # Two levels down: without an explicit correlate the sentence table joins in anew.
        inside: Select[Any] = (
            select(literal_column("1"))
            .select_from(spans)
            .where(start <= sentence.start, end >= sentence.end)
            .correlate(t.annotations, t.sentences)
        )
        return exists().where(
            a.doc_id == sentence.doc_id, a.layer.in_(layers), a.label == label, inside.exists()
        )

    def _facet_conditions(self, q: SearchQuery, sentence: Any = None) -> list[Any]:
        """Conditions on documents; with `sentence` (the sentences table's columns), the
        technique and narrative facets hold for that sentence, not just its document."""
        d, a = t.documents.c, t.annotations.c
        conds: list[Any] = []
        if q.outlet is not None:
            conds.append(outlet_is(q.outlet))
        if q.language is not None:
            conds.append(d.language == q.language)
        if q.since is not None:
            conds.append(d.published_utc >= datetime.combine(q.since, datetime.min.time()))
        if q.until is not None:
            end = datetime.combine(q.until + timedelta(days=1), datetime.min.time())
            conds.append(d.published_utc < end)

        def has(layers: Sequence[str], *extra: Any) -> Any:
            # A set computed once, not EXISTS per document: SQLite ran that EXISTS through the
            # (layer, label) index for every document, ~1 s on 2,000 articles (#17).
            return d.id.in_(select(a.doc_id).where(a.layer.in_(layers), *extra))

        if q.narrative is not None:
            layers = ["narrative", "subnarrative"]
            conds.append(
                has(layers, a.label == q.narrative)
                if sentence is None
                else self._carries(layers, q.narrative, sentence)
            )
        if q.technique is not None:
            conds.append(
                has(["technique"], a.label == q.technique)
                if sentence is None
                else self._carries(["technique"], q.technique, sentence)
            )
        if q.entity is not None:
            conds.append(
                has(
                    ["entity"],
                    or_(
                        a.attrs["entity_id"].as_string().in_([q.entity, *q.entity_ids]),
                        a.attrs["entity"].as_string() == q.entity,
                    ),
                )
            )
        if q.speaker is not None:
            conds.append(has(["quote"], a.attrs["speaker"].as_string() == q.speaker))
        return conds

    def search_sentences(self, query: SearchQuery) -> SentencePage:
        """Sentences matching the words within the facets: one page, from `query.cursor` on.

        Up to `SEARCH_CAP` matches are ranked (BM25 on SQLite, `ts_rank` on PostgreSQL; keyset
        after `(rank, doc_id, idx)`, or on SQLite without facets `(rank, rowid)`).
        Broader queries would rank millions of sentences per page, so they come newest
        first instead (keyset after `(rowid,)`), with the total given as "more than the cap".
        """
        if not fts_query(query.text):
            return SentencePage([], 0, False, None)
        after = _key(query.cursor, (1, 2, 3))
        match, _ = self._full_text(query.text)
        with self._db.read() as conn:
            if self.dialect == "sqlite":
                words = {"q": fts_query(query.text), "cap": SEARCH_CAP + 1}
                matches = int(conn.execute(_MATCHES_CAPPED, words).scalar_one())
            else:
                capped_rows = select(_fts.c.rowid).where(match).limit(SEARCH_CAP + 1).subquery()
                capped = select(func.count()).select_from(capped_rows)
                matches = int(conn.execute(capped).scalar_one())
            broad = matches > SEARCH_CAP
            if (
                self.dialect == "sqlite"
                and not broad
                and not self._facet_conditions(query)
                and (after is None or len(after) == 2)
            ):
                return self._ranked_alone(conn, query, after, matches)
            d = t.documents.c
            found = self._matches(query.text).subquery("found")
            base = (
                select(
                    found.c.rid,
                    found.c.doc_id,
                    found.c.idx,
                    found.c.rank,
                    found.c.start,
                    found.c.end,
                )
                .select_from(found)
                .join(t.documents, d.id == found.c.doc_id)
                .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            )
            if query.technique is not None or query.narrative is not None:
                sent = t.sentences.c
                base = base.join(
                    t.sentences, and_(sent.doc_id == found.c.doc_id, sent.idx == found.c.idx)
                )
                base = base.where(*self._facet_conditions(query, sent))
            else:
                base = base.where(*self._facet_conditions(query))
            if broad:
                page = base.order_by(found.c.rid.desc())
                if after is not None:
                    page = page.where(found.c.rid < int(after[0]))
                total = SEARCH_CAP
            else:
                if after is not None and len(after) != 3:  # another kind of search's cursor
                    raise BadCursor(f"bad search cursor {str(query.cursor)[:40]!r}")
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
                if after is None:  # the first page counts its matches in the same pass
                    page = page.add_columns(func.count().over().label("total"))
                else:
                    total = int(conn.execute(select(func.count()).select_from(ranked)).scalar_one())
            rows = conn.execute(page.limit(query.limit)).all()
            if not broad and after is None:
                total = int(rows[0][-1]) if rows else 0
            texts = self._texts(conn, [int(r[0]) for r in rows])
        hits = [
            SentenceHit(
                int(r[0]),
                r[1],
                int(r[2]),
                texts.get(int(r[0]), ""),
                float(r[3]),
                int(r[4]),
                int(r[5]),
            )
            for r in rows
        ]
        cursor = None
        if len(hits) == query.limit:
            last = hits[-1]
            cursor = encode_cursor([last.rowid] if broad else [last.rank, last.doc_id, last.idx])
        return SentencePage(hits, total, broad, cursor)

    def _ranked_alone(
        self, conn: Any, query: SearchQuery, after: list[Any] | None, matches: int
    ) -> SentencePage:
        """A page of a search without facets on SQLite: BM25 ranks the index's rowids alone
        (keyset after `(rank, rowid)`), and only the page's sentences are read. Joining every
        match to `sentences` to order by `(rank, doc_id, idx)` doubled the ranking's time, and
        without facets every match counts (#17)."""
        match, _ = self._full_text(query.text)
        rank, rid = _RANK, _fts.c.rowid
        if after is None:
            words = {"q": fts_query(query.text), "n": query.limit}
            ranked = conn.execute(_RANKED_FIRST, words).all()
        else:
            r, last = after
            if not isinstance(r, int | float) or not isinstance(last, int):
                raise BadCursor(f"bad search cursor {str(query.cursor)[:40]!r}")
            page = select(rid, rank).where(match, or_(rank > r, and_(rank == r, rid > last)))
            ranked = conn.execute(page.order_by(rank, rid).limit(query.limit)).all()
        rids = [int(r[0]) for r in ranked]
        found = {int(r[0]): r for r in conn.execute(_SENTENCES_AT, {"rids": rids})} if rids else {}
        texts = self._texts(conn, rids)
        hits = []
        for (rowid_, score), sentence in ((r, found.get(int(r[0]))) for r in ranked):
            if sentence is not None:
                _, doc_id, idx, start, end = sentence
                text_ = texts.get(int(rowid_), "")
                hits.append(
                    SentenceHit(int(rowid_), doc_id, int(idx), text_, float(score), start, end)
                )
        cursor = None
        if len(ranked) == query.limit:
            cursor = encode_cursor([float(ranked[-1][1]), int(ranked[-1][0])])
        return SentencePage(hits, matches, False, cursor)

    def search_documents(self, query: SearchQuery) -> tuple[list[str], int, str | None]:
        """Ids of documents matching the facets alone (in id order), the total, the next cursor."""
        d = t.documents.c
        base = (
            select(d.id)
            .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            .where(*self._facet_conditions(query))
        )
        rows, total, cursor = self._keyset_page(base, d.id, str, query)
        return [r[0] for r in rows], total, cursor

    def _keyset_page(
        self, base: Any, key: Any, kind: type, query: SearchQuery
    ) -> tuple[list[tuple[Any, ...]], int, str | None]:
        """One page of `base` in `key` order after the query's cursor, the total, the next
        cursor (the page's last key, whose type must be `kind`)."""
        page = base
        if query.cursor is not None:
            after = decode_cursor(query.cursor)
            if not isinstance(after, kind):
                raise BadCursor(f"bad search cursor {query.cursor[:40]!r}")
            page = base.where(key > after)
        with self._db.read() as conn:
            rows = [tuple(r) for r in conn.execute(page.order_by(key).limit(query.limit))]
            total = int(
                conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
            )
        cursor = encode_cursor(rows[-1][0]) if len(rows) == query.limit else None
        return rows, total, cursor

    def search_labelled(
        self, query: SearchQuery
    ) -> tuple[list[tuple[int, str, int | None, int | None, list, str, float]], int, str | None]:
        """The technique or narrative annotations a facets-only query names, as passages.

        `(annotation id, doc_id, start, end, evidence, label, score)` in annotation-id order
        (keyset after the id), the total, and the next cursor. Technique first when both.
        """
        # An alias: the facet conditions' EXISTS over `annotations` must not correlate to it.
        labelled = t.annotations.alias("labelled")
        a = labelled.c
        if query.technique is not None:
            layers, label = ["technique"], query.technique
        else:
            layers, label = ["narrative", "subnarrative"], str(query.narrative)
        d = t.documents.c
        base = (
            select(a.id, a.doc_id, a.start, a.end, a.evidence, a.label, a.score)
            .select_from(labelled)
            .join(t.documents, d.id == a.doc_id)
            .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            .where(a.layer.in_(layers), a.label == label, *self._facet_conditions(query))
        )
        return self._keyset_page(base, a.id, int, query)  # type: ignore[return-value]

    def search_facets(
        self, query: SearchQuery, *, top: int = 20
    ) -> dict[str, list[tuple[str, int]]]:
        """Matching documents per outlet and per language, for narrowing a search."""
        return facet_counts(self.search_facet_pairs(query), top=top)

    def search_facet_pairs(self, query: SearchQuery) -> list[FacetPair]:
        """Matching documents per (outlet, language) pair (None: the document has none)."""
        d, o = t.documents.c, t.outlets.c
        base = select(d.id, o.name, d.language).select_from(t.documents)
        if fts_query(query.text):
            match, _ = self._full_text(query.text)
            if self.dialect == "postgresql":
                docs = select(_fts.c.doc_id).where(match)
            else:  # by rowid through `sentences`, as in `_matches`
                rids = select(_fts.c.rowid).where(match)
                rowid: ColumnElement[Any] = literal_column("sentences.rowid")
                docs = select(t.sentences.c.doc_id).where(rowid.in_(rids))
                if not self._facet_conditions(query):
                    return self._facet_pairs_covered(fts_query(query.text))
            base = base.where(d.id.in_(docs))
        base = base.outerjoin(t.outlets, o.id == d.outlet_id).where(*self._facet_conditions(query))
        inner = base.subquery("matching")
        # One pass over the matches, counted by (outlet, language) pairs: a few hundred
        # groups at most, summed per facet by `facet_counts` (a pass per facet ran the full
        # text twice).
        pairs = select(inner.c.name, inner.c.language, func.count()).group_by(
            inner.c.name, inner.c.language
        )
        with self._db.read() as conn:
            return [(outlet, language, int(n)) for outlet, language, n in conn.execute(pairs)]

    def _facet_pairs_covered(self, words: str) -> list[FacetPair]:
        """`search_facet_pairs` of words alone on SQLite: outlet and language read from the
        covering index `ix_documents_facets`, which the planner passes over for the primary
        key's, whose rows hold the article's text before them (6.4 ms against 2.9 ms a
        search at 10,000 articles, #17)."""
        with self._db.read() as conn:
            pairs = conn.execute(_FACET_PAIRS_COVERED, {"q": words})
            return [(outlet, language, int(n)) for outlet, language, n in pairs]


FacetPair = tuple[str | None, str | None, int]
"""Matching documents of one outlet and language: `(outlet, language, documents)`."""


def facet_counts(
    pairs: Sequence[FacetPair],
    *,
    outlet: str | None = None,
    language: str | None = None,
    top: int = 20,
) -> dict[str, list[tuple[str, int]]]:
    """The outlet and language facets summed from (outlet, language) pairs, most first; with
    `outlet` or `language`, only the pairs that filter keeps (as `search_facets` would count
    them under it: the pairs of a search without those two filters serve every choice of them).
    """
    counts: dict[str, dict[str, int]] = {"outlet": {}, "language": {}}
    for name, lang, n in pairs:
        if outlet is not None and name != (None if outlet == NO_OUTLET else outlet):
            continue
        if language is not None and lang != language:
            continue
        for facet, value in (("outlet", name or NO_OUTLET), ("language", lang or "?")):
            counts[facet][value] = counts[facet].get(value, 0) + n
    return {
        facet: sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        for facet, found in counts.items()
    }
