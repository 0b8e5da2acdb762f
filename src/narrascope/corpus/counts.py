"""Narratives, subnarratives and techniques counted by outlet and by day or ISO week.

The numbers behind "which outlets push which narrative, and when": documents carrying a label
(and the annotations behind them) per outlet or per time bucket.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET

Grouping = Literal["outlet", "day", "week", "all"]


@dataclass(frozen=True, slots=True)
class Count:
    """Documents (and annotations) with `label` in one outlet or time bucket `key`."""

    label: str
    key: str
    documents: int
    annotations: int


@dataclass(slots=True)
class CountTable:
    """Counts of one layer's labels grouped by outlet or time: rows × columns, sparse."""

    layer: str
    by: str
    labels: list[str] = field(default_factory=list)  # most documents first
    keys: list[str] = field(default_factory=list)  # outlets by name, or buckets in time order
    counts: list[Count] = field(default_factory=list)
    # By outlet: every article of each outlet, labelled or not (the denominator of a rate).
    volume: dict[str, int] = field(default_factory=dict)

    def documents(self, label: str, key: str) -> int:
        """Documents with `label` under `key` (0 when none)."""
        return self._index().get((label, key), 0)

    def share(self, label: str, key: str) -> float | None:
        """The share of the outlet's articles carrying `label` (None: volume unknown or 0)."""
        total = self.volume.get(key, 0)
        return self.documents(label, key) / total if total else None

    def _index(self) -> dict[tuple[str, str], int]:
        return {(c.label, c.key): c.documents for c in self.counts}

    def totals(self) -> dict[str, int]:
        """Documents per label summed over keys."""
        out: dict[str, int] = defaultdict(int)
        for c in self.counts:
            out[c.label] += c.documents
        return dict(out)


def _week(day: str) -> str:
    if day == "undated":
        return day
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def narrative_counts(
    store: Store,
    *,
    by: Grouping = "outlet",
    layer: Layer | str = Layer.NARRATIVE,
    outlet: str | None = None,
) -> CountTable:
    """Documents per label of `layer` (narrative, subnarrative, technique…) by outlet/day/week."""
    rows = store.corpus.label_counts([layer], by="day" if by == "week" else by, outlet=outlet)
    merged: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = _week(row.key) if by == "week" else row.key
        merged[(row.label, key)][0] += row.documents
        merged[(row.label, key)][1] += row.annotations
    counts = [Count(label, key, d, n) for (label, key), (d, n) in merged.items()]
    table = CountTable(layer=str(layer), by=by, counts=counts)
    totals = table.totals()
    table.labels = sorted(totals, key=lambda label: (-totals[label], label))
    keys = {c.key for c in counts}
    if by in ("day", "week"):
        table.keys = sorted(k for k in keys if k != "undated") + (
            ["undated"] if "undated" in keys else []
        )
    else:
        if by == "outlet":  # outlets differ in size: rates need each one's articles (#17)
            table.volume = {
                name or NO_OUTLET: n
                for name, n, *_ in store.corpus.outlet_counts()
                if outlet is None or (name or NO_OUTLET) == outlet
            }
        per_key: dict[str, int] = defaultdict(int)
        for c in counts:
            per_key[c.key] += c.documents
        table.keys = sorted(keys, key=lambda k: (-per_key[k], k))
    table.counts.sort(key=lambda c: (table.labels.index(c.label), table.keys.index(c.key)))
    return table


def technique_counts(store: Store, *, by: Grouping = "outlet") -> CountTable:
    """Documents per persuasion technique by outlet, day or week."""
    return narrative_counts(store, by=by, layer=Layer.TECHNIQUE)
