"""Attention over time: how many documents match a search, per day, week or month, by outlet.

Media Cloud's core view. Any search the search page runs — words, a semantic "like", label and
outlet filters, one `SearchQuery` — becomes a count of matching articles per time bucket on a
true time axis: every bucket from the first to the last dated article the search covers,
empty ones as zeros. Undated documents are counted apart, never given a date. On request the
counts become rates: the share of the outlet's articles in that bucket (its volume: the
documents of the same outlet, language and dates, whatever their words or labels). The store
does the counting (`store/attention.py`); this module builds the axis and the series.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from narrascope.corpus.labels import resolve_query
from narrascope.corpus.search import documents_like
from narrascope.encode import Encoder
from narrascope.store import Store
from narrascope.store.attention import INTERVALS, BucketCount, without_dates
from narrascope.store.reads import NO_OUTLET
from narrascope.store.search import SearchQuery

ALL_OUTLETS = "all outlets"
OTHER_OUTLETS = "(other outlets)"
DAY_SPAN = 120
"""Days at most for one point a day when the interval is chosen by span; then weeks."""
WEEK_SPAN = 156
"""Weeks at most for one point a week when chosen by span; then months."""
MAX_BUCKETS = 5000
"""Points per series at most (a longer axis asks for a wider interval)."""
MIN_SIMILARITY = 0.3
"""A semantic search's documents: those with a sentence at least this close (cosine). With the
shared encoder, sentences on the same matter scored 0.23–0.49 against a short query, others
at most 0.12 (a hand-made probe of seven sentences, not a calibration): raise it for fewer,
closer matches."""


class TooManyBuckets(ValueError):
    """A time axis longer than `MAX_BUCKETS` points at the asked interval."""


def bucket_start(day: date, interval: str) -> date:
    """The first day of the day, ISO week (Monday) or month `day` falls in."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    if interval == "day":
        return day
    raise ValueError(f"unknown interval {interval!r}: day, week or month")


def _next(start: date, interval: str) -> date:
    if interval == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if interval == "week" else 1)


def axis(first: date, last: date, interval: str) -> list[date]:
    """The first day of every bucket from `first`'s to `last`'s, empty ones included."""
    out, at, end = [], bucket_start(first, interval), bucket_start(last, interval)
    while at <= end:
        out.append(at)
        if len(out) > MAX_BUCKETS:
            raise TooManyBuckets(
                f"{first}..{last} is more than {MAX_BUCKETS} {interval}s: choose a wider interval"
                " or a shorter date range"
            )
        at = _next(at, interval)
    return out


def choose_interval(first: date, last: date) -> str:
    """Days for up to `DAY_SPAN` days, weeks for up to `WEEK_SPAN` weeks, else months."""
    days = (last - first).days + 1
    return "day" if days <= DAY_SPAN else "week" if days <= 7 * WEEK_SPAN else "month"


def describe(query: SearchQuery, *, like: bool = False) -> str:
    """A search in words, for a legend or a CSV column: `"fuel" · technique Loaded_Language`."""
    parts = [("like " if like else "") + f"“{query.text}”"] if query.text else []
    for name in ("outlet", "language", "narrative", "technique", "entity", "speaker"):
        value = getattr(query, name)
        if value:
            parts.append(f"{name} {value}")
    if query.since or query.until:
        parts.append(f"{query.since or '…'}..{query.until or '…'}")
    return " · ".join(parts) or "all documents"


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """Counts per label on a filled time axis (the dashboard's and report's "over time")."""

    interval: str
    buckets: list[date]
    series: dict[str, list[int]]  # label -> documents per bucket, largest total first
    undated: dict[str, int]  # label -> undated documents (not on the axis)


def on_time_axis(cells: Iterable[tuple[str, str, int]]) -> TimeAxis:
    """`(label, day or "undated", documents)` cells as series on a true time axis: every
    bucket from the first to the last day, empty ones zeros; the interval chosen by span."""
    cells = list(cells)
    days = sorted({date.fromisoformat(k[:10]) for _, k, _ in cells if k != "undated"})
    undated: dict[str, int] = defaultdict(int)
    for label, key, n in cells:
        if key == "undated":
            undated[label] += n
    if not days:
        return TimeAxis("day", [], {}, dict(undated))
    interval = choose_interval(days[0], days[-1])
    buckets = axis(days[0], days[-1], interval)
    index = {b: i for i, b in enumerate(buckets)}
    series: dict[str, list[int]] = {}
    for label, key, n in cells:
        if key != "undated":
            at = index[bucket_start(date.fromisoformat(key[:10]), interval)]
            series.setdefault(label, [0] * len(buckets))[at] += n
    ranked = sorted(series, key=lambda label: (-sum(series[label]), label))
    return TimeAxis(interval, buckets, {k: series[k] for k in ranked}, dict(undated))


@dataclass(frozen=True, slots=True)
class Series:
    """One query's matching documents per bucket for one outlet (or all of them), with the
    outlet's volume per bucket to normalise by, and the undated documents counted apart."""

    query: str
    outlet: str
    counts: tuple[int, ...]
    totals: tuple[int, ...]
    undated: int
    undated_total: int

    @property
    def documents(self) -> int:
        """Matching dated documents, all buckets together."""
        return sum(self.counts)

    @property
    def shares(self) -> tuple[float | None, ...]:
        """Matching documents as a share of the outlet's documents, per bucket (None: none)."""
        return tuple(c / n if n else None for c, n in zip(self.counts, self.totals, strict=True))

    def values(self, *, normalize: bool) -> tuple[float, ...]:
        """What a chart draws: counts, or shares (0 where the outlet published nothing)."""
        if not normalize:
            return tuple(float(c) for c in self.counts)
        return tuple(s or 0.0 for s in self.shares)


@dataclass(slots=True)
class Attention:
    """Series of one or more queries on one time axis (`buckets`: each bucket's first day)."""

    interval: str
    buckets: list[date]
    series: list[Series]
    queries: list[str]
    normalized: bool = False
    like: bool = False

    undated_totals: dict[str, int] = dataclasses.field(default_factory=dict)
    """Per query, the undated documents of its collection (every outlet, whatever matched)."""

    @property
    def undated(self) -> dict[str, int]:
        """Matching undated documents per query (not on the axis)."""
        out: dict[str, int] = defaultdict(int)
        for s in self.series:
            out[s.query] += s.undated
        return dict(out)

    def rows(self) -> Iterator[dict[str, Any]]:
        """One row per series and bucket (undated last), for CSV and JSONL downloads."""
        for s in self.series:
            cells = list(zip(self.buckets, s.counts, s.totals, strict=True))
            for start, n, total in cells:
                yield _row(s, self.interval, start.isoformat(), n, total)
            if s.undated or s.undated_total:
                yield _row(s, self.interval, "undated", s.undated, s.undated_total)


def _row(s: Series, interval: str, start: str, n: int, total: int) -> dict[str, Any]:
    return {
        "query": s.query,
        "outlet": s.outlet,
        "interval": interval,
        "start": start,
        "documents": n,
        "outlet_documents": total,
        "share": round(n / total, 6) if total else None,
    }


def attention(
    store: Store,
    queries: Sequence[SearchQuery],
    *,
    interval: str | None = None,
    by_outlet: bool = False,
    top: int = 8,
    normalize: bool = False,
    like: bool = False,
    min_similarity: float = MIN_SIMILARITY,
    encoder: Encoder | None = None,
) -> Attention:
    """Matching articles of each query per bucket (by outlet: the `top` outlets with the most
    matches, the rest as one), on one axis spanning the dated articles the queries cover.

    `interval` None chooses by span (`choose_interval`); `like` reads each query's words as
    a sentence to find by meaning (stored vectors) instead of words to match. A filter naming
    nothing stored raises `narrascope.corpus.labels.UnknownLabel` (a ValueError).
    """
    if interval is not None and interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}: day, week or month")
    queries = [resolve_query(store, q) for q in queries]
    spans = [s for s in (store.corpus.dated_span(q) for q in queries) if s is not None]
    first = min((a for a, _ in spans), default=None)
    last = max((b for _, b in spans), default=None)
    if interval is None:
        interval = choose_interval(first, last) if first and last else "day"
    buckets = axis(first, last, interval) if first and last else []
    series: list[Series] = []
    undated_totals: dict[str, int] = {}
    for query in queries:
        doc_ids = None
        if like and query.has_words:
            doc_ids = documents_like(
                store, query.text, min_similarity=min_similarity, encoder=encoder
            )
            counted = dataclasses.replace(query, text="")
        else:
            counted = query
        label = describe(query, like=like)
        found = _series(store, counted, label, interval, buckets, by_outlet, top, doc_ids)
        series += found
        undated_totals[label] = (
            found[0].undated_total
            if not by_outlet
            else sum(r.documents for r in _volume(store, query, interval, None) if r.bucket is None)
        )
    return Attention(
        interval,
        buckets,
        series,
        [describe(q, like=like) for q in queries],
        normalize,
        like,
        undated_totals,
    )


def _matching(
    store: Store, query: SearchQuery, interval: str, by_outlet: bool, doc_ids: list[str] | None
) -> list[BucketCount]:
    """Matching documents per bucket; the undated ones even when the query has a date range."""
    rows = store.corpus.attention_counts(
        query, interval=interval, by_outlet=by_outlet, doc_ids=doc_ids
    )
    if query.since is None and query.until is None:
        return rows
    undated = store.corpus.attention_counts(
        without_dates(query),
        interval=interval,
        by_outlet=by_outlet,
        doc_ids=doc_ids,
        undated_only=True,
    )
    return [r for r in rows if r.bucket is not None] + undated


def _volume(
    store: Store, query: SearchQuery, interval: str, outlets: Sequence[str] | None
) -> list[BucketCount]:
    """The collection's documents per bucket, and its undated ones whatever the date range."""
    rows = store.corpus.volume_counts(query, interval=interval, outlets=outlets)
    if query.since is None and query.until is None:
        return rows
    undated = store.corpus.volume_counts(without_dates(query), interval=interval, outlets=outlets)
    return rows + [r for r in undated if r.bucket is None]


def _grid(
    rows: Sequence[BucketCount], buckets: Sequence[date]
) -> dict[str | None, tuple[list[int], int]]:
    """Rows as, per outlet, a count per bucket of the axis and the undated count."""
    index = {b: i for i, b in enumerate(buckets)}
    out: dict[str | None, tuple[list[int], int]] = {}
    for r in rows:
        counts, undated = out.get(r.outlet, ([0] * len(buckets), 0))
        if r.bucket is None:
            undated += r.documents
        elif r.bucket in index:
            counts[index[r.bucket]] += r.documents
        out[r.outlet] = (counts, undated)
    return out


def _series(
    store: Store,
    query: SearchQuery,
    label: str,
    interval: str,
    buckets: list[date],
    by_outlet: bool,
    top: int,
    doc_ids: list[str] | None,
) -> list[Series]:
    empty = ([0] * len(buckets), 0)
    matched = _grid(_matching(store, query, interval, by_outlet, doc_ids), buckets)
    if not by_outlet:
        counts, undated = matched.get(None, empty)
        totals, undated_total = _grid(_volume(store, query, interval, None), buckets).get(
            None, empty
        )
        return [Series(label, ALL_OUTLETS, tuple(counts), tuple(totals), undated, undated_total)]
    size = {name: sum(c) + u for name, (c, u) in matched.items() if name is not None}
    names = sorted(size, key=lambda n: (-size[n], n == NO_OUTLET, n))[:top]
    volume = _grid(_volume(store, query, interval, names), buckets)
    out = []
    for name in names:
        (counts, undated), (totals, undated_total) = matched[name], volume.get(name, empty)
        out.append(Series(label, name, tuple(counts), tuple(totals), undated, undated_total))
    rest = [n for n in size if n not in names]
    if rest:  # the other outlets as one series, normalised by all their documents
        everything = _grid(_volume(store, query, interval, None), buckets).get(None, empty)
        counts = [sum(matched[n][0][i] for n in rest) for i in range(len(buckets))]
        totals = [everything[0][i] - sum(s.totals[i] for s in out) for i in range(len(buckets))]
        undated = sum(matched[n][1] for n in rest)
        undated_total = everything[1] - sum(s.undated_total for s in out)
        out.append(
            Series(label, OTHER_OUTLETS, tuple(counts), tuple(totals), undated, undated_total)
        )
    return out
