"""The storylines page and one storyline's page, and their `/api/v1` twins: one query each.

`listing()` is the `/storylines` page and `GET /api/v1/storylines` (sorted, filtered by
narrative, outlet and dates; the filters' pick-lists are the names present); `detail()` is
`/storyline/ID` and `GET /api/v1/storylines/ID`: the members on a timeline by outlet, the first
outlet, the representative claim and each member's wording drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from markupsafe import Markup, escape

from narrascope.corpus import labels
from narrascope.corpus.storyline_list import SORTS, drift, storyline_list
from narrascope.corpus.storylines import Storyline
from narrascope.store import Store
from narrascope.web import queries
from narrascope.web.panels import Panel, panel, plain
from narrascope.web.queries import BadRequest


@dataclass(frozen=True, slots=True)
class ListParams:
    """What the storylines list was asked for (empty form fields are None)."""

    sort: str = "outlets"
    narrative: str | None = None
    outlet: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 50


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as exc:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD): {str(value)[:20]!r}") from exc


async def list_params(  # async: parsed on the event loop, not in the thread pool (#17)
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$")] = "outlets",
    narrative: Annotated[str | None, Query(max_length=255)] = None,
    outlet: Annotated[str | None, Query(max_length=255)] = None,
    date_from: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ListParams:
    return ListParams(
        sort,
        narrative or None,
        outlet or None,
        _day(date_from, "date_from"),
        _day(date_to, "date_to"),
        limit,
    )


ListQuery = Annotated[ListParams, Depends(list_params)]


def listing(store: Store, params: ListParams) -> Panel:
    """Storylines sorted and filtered; a filter naming nothing stored is a 400 that suggests."""
    try:
        narrative, outlet = labels.resolve_filters(
            store, narrative=params.narrative, outlet=params.outlet
        )
    except labels.UnknownLabel as exc:
        raise BadRequest(str(exc)) from exc
    return panel(
        storyline_list,
        store,
        sort=params.sort,
        narrative=narrative,
        outlet=outlet,
        since=params.since,
        until=params.until,
        limit=params.limit,
    )


@dataclass(slots=True)
class Detail:
    """One storyline with its members' wording drift and a timeline by outlet."""

    storyline: Storyline
    drift: list[list[tuple[str, bool]]] = field(default_factory=list)  # one per member

    def json(self) -> dict[str, Any]:
        data = plain(self.storyline)
        for member, pieces in zip(data["sentences"], self.drift, strict=True):
            member["drift"] = [text for text, changed in pieces if changed]
        return {"available": True, "data": data}


def detail(store: Store, storyline_id: str) -> Detail:
    """One storyline, or `NotFound`."""
    found = queries.storyline(store, storyline_id)
    line: Storyline = found.data
    return Detail(line, [drift(line.label, m.text) for m in line.sentences])


def timeline(line: Storyline, *, width: int = 760) -> Markup | None:
    """Member sentences as dots on a true time axis, one row per outlet (undated: left out)."""
    dated = [m for m in line.sentences if m.published is not None]
    if not dated:
        return None
    outlets = sorted({m.outlet or "(no outlet)" for m in dated})
    times = [_utc(m.published) for m in dated if m.published is not None]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    left, row_h = 170, 22
    height = 30 + row_h * len(outlets)
    body = [
        f'<text x="{left}" y="{height - 6}" class="axis">{escape(t0.date().isoformat())}</text>',
        f'<text x="{width - 10}" y="{height - 6}" class="axis" text-anchor="end">'
        f"{escape(t1.date().isoformat())}</text>",
    ]
    for k, name in enumerate(outlets):
        y = 14 + k * row_h
        body.append(f'<text x="0" y="{y + 4}" class="axis">{escape(name[:26])}</text>')
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{y}" y2="{y}" class="grid"/>')
    for m, at in zip(dated, times, strict=True):
        x = left + (width - 10 - left) * ((at - t0).total_seconds() / span)
        y = 14 + outlets.index(m.outlet or "(no outlet)") * row_h
        title = escape(f"{at.date().isoformat()} {m.outlet or ''}: {m.text[:120]}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y}" r="5" class="c0"><title>{title}</title></circle>'
        )
    return Markup(  # noqa: S704 - every text above went through `escape`
        f'<svg class="chart timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Members over time by outlet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Members over time by outlet</title>{''.join(body)}</svg>"
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=None) - (value.utcoffset() or timedelta(0))
