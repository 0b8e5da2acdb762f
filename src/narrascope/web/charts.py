"""Small SVG charts drawn on the server (no script, no CDN): bars, stacked bars, lines, a graph.

Every label is escaped with `markupsafe.escape`; colours are classes (`c0` … `c23`) from the
stylesheet, so the strict Content-Security-Policy (no inline styles) holds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from narrascope.web.panels import plain

PALETTE_SIZE = 24
"""How many colours `static/palette.css` defines (`.tcN`, `.cN`, `.sN` for N below it)."""
MAX_POINTS = 120  # per line; more days are drawn as weeks
MAX_EDGES = 150  # copy-graph arrows drawn


@dataclass(slots=True)
class Chart:
    """An SVG chart and its legend (label, colour class number)."""

    svg: Markup
    legend: list[tuple[str, int]] = field(default_factory=list)


def as_chart(value: Markup | tuple[Markup, list[tuple[str, int]]] | None) -> Chart | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return Chart(value[0], value[1])
    return Chart(value)


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    # Every piece of text inside `body` went through `escape` where it was built.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _short(text: Any, n: int = 28) -> str:
    s = str(text).replace("_", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def bars(items: Sequence[tuple[str, float]], *, title: str, limit: int = 15) -> Markup | None:
    """Horizontal bars, largest first."""
    items = sorted(items, key=lambda kv: -kv[1])[:limit]
    if not items:
        return None
    top = max(v for _, v in items) or 1
    width, row, label_w = 560, 20, 210
    body = []
    for i, (label, value) in enumerate(items):
        y = i * row
        w = max(1.0, (width - label_w - 60) * value / top)
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" class="lbl" text-anchor="end">'
            f"{escape(_short(label))}<title>{escape(label)}</title></text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" class="c{i % PALETTE_SIZE}">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" class="num">{value:g}</text>'
        )
    return _svg(width, row * len(items) + 4, body, title)


def stacked(
    groups: Mapping[str, Mapping[str, float]], *, title: str, limit: int = 12, keys: int = 10
) -> tuple[Markup, list[tuple[str, int]]] | None:
    """One 100% bar per group (outlet), split by key (technique); returns the chart and legend."""
    totals: dict[str, float] = defaultdict(float)
    for counts in groups.values():
        for k, v in counts.items():
            totals[k] += v
    top_keys = [k for k, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:keys]]
    colour = {k: i % PALETTE_SIZE for i, k in enumerate(top_keys)}
    names = sorted(groups, key=lambda g: -sum(groups[g].values()))[:limit]
    if not names or not top_keys:
        return None
    width, row, label_w = 560, 22, 150
    body = []
    for i, name in enumerate(names):
        counts = groups[name]
        total = sum(counts.values()) or 1
        x, y = float(label_w), i * row
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" class="lbl" text-anchor="end">'
            f"{escape(_short(name, 22))}<title>{escape(name)}</title></text>"
        )
        for k in top_keys:
            w = (width - label_w - 10) * counts.get(k, 0) / total
            if w <= 0:
                continue
            body.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" class="c{colour[k]}">'
                f"<title>{escape(name)} · {escape(k)}: {counts.get(k, 0):g}</title></rect>"
            )
            x += w
    return _svg(width, row * len(names) + 4, body, title), [(k, colour[k]) for k in top_keys]


def lines(
    series: Mapping[str, Mapping[str, float]], *, title: str, limit: int = 8
) -> tuple[Markup, list[tuple[str, int]]] | None:
    """One line per series over days (ISO date strings on the x axis)."""
    names = sorted(series, key=lambda s: -sum(series[s].values()))[:limit]
    days = sorted({d for s in names for d in series[s]})
    if not names or len(days) < 1:
        return None
    width, height, pad = 560, 220, 30
    top = max((v for s in names for v in series[s].values()), default=1) or 1
    step = (width - 2 * pad) / max(1, len(days) - 1)
    x_of = {d: pad + i * step for i, d in enumerate(days)}
    body = [
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" class="axis"/>',
        f'<text x="{pad}" y="{height - 8}" class="num">{escape(days[0])}</text>',
        f'<text x="{width - pad}" y="{height - 8}" class="num" text-anchor="end">{escape(days[-1])}</text>',
        f'<text x="4" y="{pad}" class="num">{top:g}</text>',
    ]
    for i, name in enumerate(names):
        pts = [
            (x_of[d], height - pad - (height - 2 * pad) * series[name].get(d, 0) / top)
            for d in days
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body.append(
            f'<polyline points="{path}" class="line s{i % PALETTE_SIZE}"><title>{escape(name)}</title></polyline>'
        )
        for d, (x, y) in zip(days, pts, strict=True) if len(days) <= MAX_POINTS else ():
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="c{i % PALETTE_SIZE}">'
                f"<title>{escape(name)} · {escape(d)}: {series[name].get(d, 0):g}</title></circle>"
            )
    return _svg(width, height, body, title), [(n, i % PALETTE_SIZE) for i, n in enumerate(names)]


def graph(
    nodes: Sequence[tuple[str, float]], edges: Sequence[tuple[str, str, float]], *, title: str
) -> Markup | None:
    """Outlets on a circle, an arrow from the copier to the copied, width by count."""
    names = [n for n, _ in nodes][:40]
    if not names or not edges:
        return None
    size, r = 640, 210
    centre = size / 2
    angle = {n: 2 * math.pi * i / len(names) - math.pi / 2 for i, n in enumerate(names)}
    pos = {n: (centre + r * math.cos(a), centre + r * math.sin(a)) for n, a in angle.items()}
    top = max((w for *_, w in edges), default=1) or 1
    body = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'class="arrowhead"/></marker></defs>'
    ]
    for src, dst, w in edges:
        if src in pos and dst in pos and src != dst:
            (x1, y1), (x2, y2) = pos[src], pos[dst]
            body.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="edge" '
                f'stroke-width="{0.5 + 3.5 * w / top:.1f}" marker-end="url(#arrow)">'
                f"<title>{escape(src)} copies {escape(dst)}: {w:g}</title></line>"
            )
    weight = dict(nodes)
    top_n = max(weight.values(), default=1) or 1
    for i, n in enumerate(names):
        (x, y), a = pos[n], angle[n]
        radius = 3 + 6 * math.sqrt(weight.get(n, 0) / top_n)
        # Labels point outwards from the circle so neighbours do not overlap.
        lx, ly = centre + (r + radius + 6) * math.cos(a), centre + (r + radius + 6) * math.sin(a)
        anchor = "start" if math.cos(a) > 0.2 else "end" if math.cos(a) < -0.2 else "middle"
        dy = 4 if anchor != "middle" else (12 if math.sin(a) > 0 else -4)
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" class="c{i % PALETTE_SIZE}">'
            f"<title>{escape(n)}</title></circle>"
            f'<text x="{lx:.1f}" y="{ly + dy:.1f}" class="lbl" text-anchor="{anchor}">'
            f"{escape(_short(n, 22))}</text>"
        )
    return _svg(size, size, body, title)


def dashboard_charts(board: Any) -> dict[str, Any]:
    """The dashboard's charts from the corpus views' panels (none for a panel not computed yet)."""
    out: dict[str, Any] = {
        "layers": as_chart(
            bars(list(board.stats.annotations.items()), title="Annotations by layer")
        ),
    }
    for name, panel in board.panels.items():
        if panel.ok and name in ADAPTERS:
            out[name] = as_chart(ADAPTERS[name](plain(panel.data)))
    return out


def _week(day: str) -> str:
    year, week, _ = date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def _over_time(table: dict[str, Any]) -> Any:
    days = {c["key"] for c in table["counts"] if c["key"] != "undated"}
    weekly = len(days) > MAX_POINTS  # a year of days: one point a week keeps the chart legible
    series: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for c in table["counts"]:
        if c["key"] != "undated":
            key = _week(c["key"]) if weekly else c["key"]
            series[c["label"]][key] += c["documents"]
    unit = "week" if weekly else "day"
    return lines(series, title=f"Documents per narrative and {unit}")


def _by_key(title: str) -> Any:
    def chart(table: dict[str, Any]) -> Any:
        groups: dict[str, dict[str, float]] = defaultdict(dict)
        for c in table["counts"]:
            groups[c["key"]][c["label"]] = c["documents"]
        return stacked(groups, title=title)

    return chart


def _copy_graph(data: dict[str, Any]) -> Any:
    edges = [(e["copier"], e["source"], float(e["documents"])) for e in data["edges"]]
    edges = sorted(edges, key=lambda e: -e[2])[:MAX_EDGES]  # the strongest; the table has all
    return graph(list(data["outlets"].items()), edges, title="Who copies whom")


def _most_quoted(items: list[dict[str, Any]]) -> Any:
    return bars([(q["speaker"], q["quotes"]) for q in items], title="Most-quoted people")


ADAPTERS: dict[str, Any] = {
    "narratives_over_time": _over_time,
    "narratives_by_outlet": _by_key("Narrative mix per outlet"),
    "technique_mix": _by_key("Technique mix per outlet"),
    "copy_graph": _copy_graph,
    "most_quoted": _most_quoted,
}
"""Panel name → function from the corpus view's plain data to a chart."""
