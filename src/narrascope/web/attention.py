"""The attention page and its `/api/v1/attention` twins: one corpus call, drawn side by side.

`view()` runs `narrascope.corpus.attention.attention` for the search's query (and the
comparison's words under the same filters); `charts()` draws one chart per query on the same
time axis and y scale, an outlet keeping its colour in both; `json()` is the API's answer and
`rows()` the download's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from narrascope.corpus import attention as corpus_attention
from narrascope.corpus import labels
from narrascope.corpus.attention import ALL_OUTLETS, Attention
from narrascope.encode import Encoder
from narrascope.export.charts import time_lines
from narrascope.store import Store
from narrascope.store.search import SearchQuery
from narrascope.web.panels import Panel, panel
from narrascope.web.queries import BadRequest


@dataclass(frozen=True, slots=True)
class AttentionParams:
    """What the attention page was asked for: a search, maybe a second query's words, and how
    to count (empty form fields are None)."""

    search: SearchQuery
    compare: str | None = None
    like: bool = False
    interval: str | None = None
    normalize: bool = False
    by: str = "all"
    top: int = 8

    def queries(self) -> list[SearchQuery]:
        """The search, and the comparison's words under the same filters."""
        extra = [dataclasses.replace(self.search, text=self.compare)] if self.compare else []
        return [self.search, *extra]

    def url_params(self) -> dict[str, str]:
        """The counting options as query-string parameters (the search's come apart)."""
        out = {"compare": self.compare or "", "interval": self.interval or "", "by": self.by}
        if self.like:
            out["like"] = "1"
        if self.normalize:
            out["normalize"] = "1"
        return {k: v for k, v in out.items() if v}


def view(store: Store, params: AttentionParams, *, encoder: Encoder | None = None) -> Panel:
    """Attention over time for the asked queries; a filter naming nothing stored (or an axis
    too long for the interval) is a 400; no sentence vectors for "like", an empty panel."""
    try:
        return panel(
            corpus_attention.attention,
            store,
            params.queries(),
            interval=params.interval,
            by_outlet=params.by == "outlet",
            top=params.top,
            normalize=params.normalize,
            like=params.like,
            encoder=encoder,
        )
    except (labels.UnknownLabel, corpus_attention.TooManyBuckets) as exc:
        raise BadRequest(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class QueryChart:
    """One query's chart, its legend (name, colour number) and its undated documents."""

    query: str
    svg: Markup | None
    legend: list[tuple[str, int]]
    documents: int
    undated: int
    undated_total: int  # undated documents of the query's collection, every outlet


def charts(found: Attention) -> list[QueryChart]:
    """One chart per query on the same axis and y scale; an outlet keeps its colour."""
    values = {id(s): s.values(normalize=found.normalized) for s in found.series}
    top = max((max(v, default=0.0) for v in values.values()), default=0.0) or None
    colour: dict[str, int] = {}
    out = []
    for q, query in enumerate(found.queries):
        mine = [s for s in found.series if s.query == query]
        keys = [s.outlet if s.outlet != ALL_OUTLETS else f"query {q}" for s in mine]
        for key in keys:
            colour.setdefault(key, len(colour))
        unit = "share of the outlet's documents" if found.normalized else "documents"
        svg = time_lines(
            found.buckets,
            [(s.outlet, values[id(s)]) for s in mine],
            title=f"{query}: {unit} per {found.interval}",
            interval=found.interval,
            percent=found.normalized,
            top=top,
            colours=[colour[k] for k in keys],
        )
        out.append(
            QueryChart(
                query,
                svg if any(s.documents for s in mine) else None,
                [(s.outlet, colour[k]) for s, k in zip(mine, keys, strict=True)],
                sum(s.documents for s in mine),
                sum(s.undated for s in mine),
                found.undated_totals.get(query, 0),
            )
        )
    return out


def json(found: Panel) -> dict[str, Any]:
    """The API's answer: the axis, and per series its counts, the outlet's volume and shares."""
    if not found.ok:
        return found.json()
    data: Attention = found.data
    return {
        "available": True,
        "data": {
            "interval": data.interval,
            "normalized": data.normalized,
            "like": data.like,
            "queries": data.queries,
            "buckets": [b.isoformat() for b in data.buckets],
            "series": [
                {
                    "query": s.query,
                    "outlet": s.outlet,
                    "documents": list(s.counts),
                    "outlet_documents": list(s.totals),
                    "shares": list(s.shares),
                    "undated": s.undated,
                    "undated_outlet_documents": s.undated_total,
                }
                for s in data.series
            ],
        },
    }


def rows(found: Panel) -> Iterator[dict[str, Any]]:
    """Every bucket of every series, for a download (none when not computed)."""
    if found.ok:
        yield from found.data.rows()
