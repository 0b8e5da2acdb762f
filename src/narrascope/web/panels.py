"""Corpus-view results as the web shows them: `Panel` (data, or why there is none yet) and tables.

Pages and JSON routes import the corpus views (`narrascope.corpus.*`) and call them through
`panel()`: a view that raises `NotComputed` (its tables not built for this database yet)
becomes an empty panel that says so; any other error propagates and the request fails (500).
`rows()` and `export_rows()` turn a panel's data into table rows, links built from ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

from narrascope.corpus import NotComputed


@dataclass(slots=True)
class Panel:
    """What one corpus-view call gave: its data, or why there is none yet."""

    name: str
    data: Any = None
    missing: str = ""

    @property
    def ok(self) -> bool:
        return not self.missing

    def json(self) -> dict[str, Any]:
        if self.missing:
            return {"available": False, "reason": self.missing}
        return {"available": True, "data": plain(self.data)}


def panel(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Panel:
    """`view(*args, **kwargs)` as a Panel; only `NotComputed` becomes an empty one."""
    name = getattr(view, "__name__", str(view))
    try:
        return Panel(name, view(*args, **kwargs))
    except NotComputed as exc:
        return Panel(name, missing=str(exc))


_LEAVES = frozenset({str, int, float, bool})


def plain(value: Any) -> Any:
    """Dataclasses, enums, dates, tuples and iterators as JSON-ready values."""
    if value is None or type(value) in _LEAVES:  # most values: answered before the checks
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset) or (
        hasattr(value, "__iter__") and hasattr(value, "__next__")
    ):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    return value


def link(text: Any, href: str) -> dict[str, str]:
    """A table cell that links (`href` built by us from ids, never taken from article data)."""
    return {"text": str(text), "href": href}


def _q(value: Any) -> str:
    return quote(str(value), safe="")


def _storylines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "storyline": link(s["label"], f"/storyline/{_q(s['id'])}"),
            "outlets": s["outlets"],
            "documents": s["documents"],
            "first seen": (
                link(s.get("first_outlet") or "first article", f"/doc/{_q(s['first_doc_id'])}")
                if s.get("first_doc_id")
                else "undated"
            ),
            "when": str(s.get("first_seen") or "")[:10],
            "undated": s.get("undated", 0),
        }
        for s in items
    ]


def _copy_graph(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "copier": link(e["copier"], f"/outlet/{_q(e['copier'])}"),
            "copies from": link(e["source"], f"/outlet/{_q(e['source'])}"),
            "documents": e["documents"],
            "words": e.get("words"),
            "kinds": ", ".join(e.get("kinds") or []),
        }
        for e in data.get("edges", [])
    ]


def _outlets(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "outlet": link(o["name"], f"/outlet/{_q(o['name'])}"),
            "documents": o["documents"],
            "words": o.get("words"),
            "first": str(o.get("first") or "")[:10],
            "last": str(o.get("last") or "")[:10],
        }
        for o in items
    ]


def _quoted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "speaker": link(q["speaker"], f"/search?speaker={_q(q['speaker'])}"),
            "quotes": q["quotes"],
            "documents": q["documents"],
        }
        for q in items
    ]


def _counts(data: dict[str, Any]) -> list[dict[str, Any]]:
    volume = data.get("volume") or {}
    return [
        {
            "label": c["label"],
            data.get("by", "key"): c["key"],
            "documents": c["documents"],
            # By outlet: the share of the outlet's articles, comparable across sizes (#17).
            **(
                {"share": round(c["documents"] / volume[c["key"]], 4)}
                if volume.get(c["key"])
                else {}
            ),
        }
        for c in data.get("counts", [])
    ]


def _similar(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "sentence": link(x["text"], f"/doc/{_q(x['doc_id'])}#s-{int(x['sentence'])}"),
            "similarity": x["similarity"],
            "outlet": x.get("outlet"),
            "published": str(x.get("published") or "")[:10],
            "title": x.get("title"),
        }
        for x in items
    ]


def _members(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "published": str(m.get("published") or "")[:10],
            "outlet": m.get("outlet"),
            "sentence": link(m["text"], f"/doc/{_q(m['doc_id'])}#s-{int(m['sentence'])}"),
            "similarity": m.get("similarity"),
        }
        for m in data.get("sentences", [])
    ]


PROJECTIONS: dict[str, Any] = {
    "similar": _similar,
    "storyline_members": _members,
    "storylines": _storylines,
    "copy_graph": _copy_graph,
    "outlets": _outlets,
    "most_quoted": _quoted,
    "narratives_over_time": _counts,
    "narratives_by_outlet": _counts,
    "technique_mix": _counts,
}
"""Panel name → the columns a table of it shows (links built from ids)."""


def _records(value: Any, name: str | None) -> list[Any]:
    """A panel's data as a list of records, in the columns its table shows (`PROJECTIONS`)."""
    items = plain(value)
    if name in PROJECTIONS:
        items = PROJECTIONS[name](items)
    if isinstance(items, dict):
        items = [{"key": k, "value": v} for k, v in items.items()]
    if not isinstance(items, list):
        items = [items]
    return items


def rows(
    value: Any, name: str | None = None, *, limit: int = 50
) -> tuple[list[str], list[list[Any]]]:
    """Any list of records as (columns, rows) for a table; nested values as text."""
    items = _records(value, name)[:limit]
    columns: list[str] = []
    for item in items:
        for key in item if isinstance(item, dict) else ["value"]:
            if key not in columns:
                columns.append(key)
    table = []
    for item in items:
        record = item if isinstance(item, dict) else {"value": item}
        table.append([_cell(record.get(c)) for c in columns])
    return columns, table


def _cell(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"text", "href"}:
        return value
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list | dict):
        text = str(value)
        return text if len(text) <= 160 else text[:157] + "…"
    return value


def export_rows(value: Any, name: str | None = None) -> list[dict[str, Any]]:
    """Every row of a panel for a download: the table's columns, links as their text."""
    return [
        {
            k: v["text"] if isinstance(v, dict) and set(v) == {"text", "href"} else v
            for k, v in r.items()
        }
        if isinstance(r, dict)
        else {"value": r}
        for r in _records(value, name)
    ]
