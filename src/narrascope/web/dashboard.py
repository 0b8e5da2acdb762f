"""The dashboard: corpus counts and the corpus views' overview panels, cached while the store
stays the same. `/` renders it and `/api/v1/dashboard` returns it as JSON (one query function).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from narrascope.corpus import copies, counts, profiles, quotes, storylines
from narrascope.store import Store
from narrascope.store.records import StoreStats
from narrascope.web.panels import Panel, panel, plain

PANELS = (
    "narratives_over_time",
    "narratives_by_outlet",
    "technique_mix",
    "outlets",
    "storylines",
    "copy_graph",
    "most_quoted",
)
"""The dashboard's panels, in the order `dashboard()` computes them (and their download names)."""

MAX_LINKS = 200


@dataclass(slots=True)
class Dashboard:
    stats: StoreStats
    panels: dict[str, Panel]
    outlet: str | None = None
    charts: dict[str, Any] | None = None  # drawn once per cached dashboard, by the page
    rendered: dict[str, bytes] = field(default_factory=dict)  # page and JSON bodies, once

    def json(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "stats": plain(self.stats),
            "panels": {name: p.json() for name, p in self.panels.items()},
        }


def dashboard(store: Store, *, outlet: str | None = None) -> Dashboard:
    """Corpus counts and the corpus view's overview panels (narratives over time of one outlet)."""
    panels = {
        "narratives_over_time": panel(counts.narrative_counts, store, by="day", outlet=outlet),
        "narratives_by_outlet": panel(counts.narrative_counts, store, by="outlet"),
        "technique_mix": panel(counts.technique_counts, store, by="outlet"),
        "outlets": panel(profiles.outlets, store),
        "storylines": panel(storylines.storylines, store, limit=12, max_members=0),
        "copy_graph": panel(copies.copy_graph, store),
        "most_quoted": panel(quotes.most_quoted, store),
    }
    for p in panels.values():
        if p.ok:
            p.data = _trim(plain(p.data))  # once: the cache then serves plain data
    return Dashboard(stats=store.stats(), panels=panels, outlet=outlet)


def _trim(data: Any) -> Any:
    """The copy graph's document-level links cut to the first `MAX_LINKS` (its outlet edges
    stay whole): at 10,000 articles there are ~100,000 of them, too many for an overview."""
    if isinstance(data, dict) and isinstance(data.get("links"), list):
        links = data["links"]
        if len(links) > MAX_LINKS:
            return {**data, "links": links[:MAX_LINKS], "links_total": len(links)}
    return data


class DashboardCache:
    """The last few dashboards, reused while the store stays the same.

    The overview aggregates the whole corpus (the copy graph takes seconds at 10,000
    articles); whether the store changed is one cheap query (`overview_stamp`), not a
    recount of every table. Owned by the app, bounded.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[str | None, tuple[Any, Dashboard]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: Store, *, outlet: str | None = None) -> Dashboard:
        """The dashboard for `outlet`, computed again only when the store changed."""
        key = store.corpus.overview_stamp()
        with self._lock:  # one computation at a time; waiting requests then reuse it
            hit = self._items.get(outlet)
            if hit is not None and hit[0] == key:
                self._items.move_to_end(outlet)
                return hit[1]
            board = dashboard(store, outlet=outlet)
            self._items[outlet] = (key, board)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return board
