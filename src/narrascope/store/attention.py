"""Attention over time: documents matching a search, counted per day, ISO week or month in SQL.

`narrascope.corpus.attention` asks for three things: the dated span of the documents a search
covers, the matching documents per (time bucket, outlet), and the volume — every document of
the same collection (outlet, language, dates) per bucket — to normalise by. Buckets start on
the UTC day of `published_utc` (a week on its Monday, a month on its first day); undated
documents group under `None`, never under a made-up date. The rows are as many as the
non-empty (bucket, outlet) cells, however many documents match. Part of `Store.corpus`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select

from narrascope.store import schema as t
from narrascope.store.reads import NO_OUTLET, chunks, is_article
from narrascope.store.search import FullTextSearch, SearchQuery, _fts, fts_query

INTERVALS = ("day", "week", "month")
"""The time buckets the store counts by."""


@dataclass(frozen=True, slots=True)
class BucketCount:
    """Documents in one time bucket (its first day, UTC; None: undated) of one outlet.

    `outlet` is None when the counts are not split by outlet.
    """

    bucket: date | None
    outlet: str | None
    documents: int


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class AttentionCounts(FullTextSearch):
    """Matching documents and the collection's volume per time bucket and outlet."""

    def _bucket(self, interval: str) -> Any:
        """The first day (UTC) of the day, ISO week or month a document was published in."""
        when = t.documents.c.published_utc
        if interval not in INTERVALS:
            raise ValueError(f"unknown interval {interval!r}: day, week or month")
        # Constants as literals, not parameters: PostgreSQL tells `date_trunc($1, …)` in SELECT
        # from `date_trunc($2, …)` in GROUP BY and refuses the query.
        if self.dialect == "postgresql":
            if interval == "day":
                return func.date(when)
            return func.date(func.date_trunc(literal_column(f"'{interval}'"), when))
        if interval == "week":  # the next Sunday (or this one), back six days: Monday
            return func.date(when, literal_column("'weekday 0'"), literal_column("'-6 days'"))
        if interval == "month":
            return func.date(when, literal_column("'start of month'"))
        return func.date(when)

    @staticmethod
    def _collection(query: SearchQuery) -> SearchQuery:
        """The documents a query searches within: its outlet, language and dates, nothing else."""
        return SearchQuery(
            outlet=query.outlet, language=query.language, since=query.since, until=query.until
        )

    def dated_span(self, query: SearchQuery) -> tuple[date, date] | None:
        """The first and last UTC day of the dated articles in the query's collection."""
        d = t.documents.c
        span = (
            select(func.min(d.published_utc), func.max(d.published_utc))
            .select_from(t.documents)
            .outerjoin(t.outlets, t.outlets.c.id == d.outlet_id)
            .where(is_article(), *self._facet_conditions(self._collection(query)))
        )
        with self._db.read() as conn:
            first, last = conn.execute(span).one()
        if first is None or last is None:
            return None
        return _as_date(first), _as_date(last)  # type: ignore[return-value]

    def attention_counts(
        self,
        query: SearchQuery,
        *,
        interval: str,
        by_outlet: bool = False,
        doc_ids: Sequence[str] | None = None,
        undated_only: bool = False,
    ) -> list[BucketCount]:
        """Articles matching `query` per bucket (and outlet), undated ones under `None`.

        Words match as in the search (a technique or narrative filter then holds for the
        matching sentence); without words the facets alone select documents. `doc_ids`
        (a semantic search's documents) narrows further, a chunk of ids at a time.
        """
        d = t.documents.c
        bucket = self._bucket(interval)
        keys = [bucket, t.outlets.c.name] if by_outlet else [bucket]
        if fts_query(query.text):
            match, _ = self._full_text(query.text)
            base = select(*keys, func.count(func.distinct(d.id))).select_from(_fts)
            base = base.join(t.documents, d.id == _fts.c.doc_id)
            if query.technique is not None or query.narrative is not None:
                sent = t.sentences.c
                base = base.join(
                    t.sentences, and_(sent.doc_id == _fts.c.doc_id, sent.idx == _fts.c.idx)
                )
                conds = [match, *self._facet_conditions(query, sent)]
            else:
                conds = [match, *self._facet_conditions(query)]
        else:
            base = select(*keys, func.count(func.distinct(d.id))).select_from(t.documents)
            conds = self._facet_conditions(query)
        base = base.outerjoin(t.outlets, t.outlets.c.id == d.outlet_id).where(is_article(), *conds)
        if undated_only:
            base = base.where(d.published_utc.is_(None))
        base = base.group_by(*keys)
        summed: dict[tuple[date | None, str | None], int] = defaultdict(int)
        with self._db.read() as conn:
            for part in [None] if doc_ids is None else chunks(list(doc_ids)):
                page = base if part is None else base.where(d.id.in_(part))
                for row in conn.execute(page):
                    name = (row[1] or NO_OUTLET) if by_outlet else None
                    summed[(_as_date(row[0]), name)] += int(row[-1])
        return [BucketCount(b, o, n) for (b, o), n in summed.items()]

    def volume_counts(
        self, query: SearchQuery, *, interval: str, outlets: Sequence[str] | None = None
    ) -> list[BucketCount]:
        """Every article of the query's collection per bucket; per outlet for `outlets`."""
        d, o = t.documents.c, t.outlets.c
        bucket = self._bucket(interval)
        keys = [bucket, o.name] if outlets is not None else [bucket]
        base = (
            select(*keys, func.count())
            .select_from(t.documents)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(is_article(), *self._facet_conditions(self._collection(query)))
        )
        if outlets is not None:
            named = [n for n in outlets if n != NO_OUTLET]
            picked = [o.name.in_(named)] if named else []
            if NO_OUTLET in outlets:
                picked.append(d.outlet_id.is_(None))
            if not picked:
                return []
            base = base.where(or_(*picked))
        with self._db.read() as conn:
            rows = conn.execute(base.group_by(*keys)).all()
        return [
            BucketCount(
                _as_date(row[0]),
                (row[1] or NO_OUTLET) if outlets is not None else None,
                int(row[-1]),
            )
            for row in rows
        ]


def without_dates(query: SearchQuery) -> SearchQuery:
    """The query with its date range dropped (to count the undated documents it would match)."""
    return dataclasses.replace(query, since=None, until=None)
