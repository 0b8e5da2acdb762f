"""The dashboard's SVG charts, drawn on the server (no script, no CDN): bars and a copy graph
here; lines on a true time axis and grids of rates come from `narrascope.export.charts`, which
the offline report draws with too.

Every label is escaped with `markupsafe.escape`; colours are classes (`c0` … `c23`) from the
stylesheet, so the strict Content-Security-Policy (no inline styles) holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from narrascope.corpus.attention import on_time_axis
from narrascope.export.charts import rate_grid, time_lines
from narrascope.web.panels import plain

PALETTE_SIZE = 24
"""How many colours `static/palette.css` defines (`.tcN`, `.cN`, `.sN` for N below it)."""
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


def _over_time(table: dict[str, Any], *, top: int = 8) -> Any:
    """Documents per narrative on a true time axis: empty days are zeros, not skipped (#17)."""
    found = on_time_axis((c["label"], c["key"], c["documents"]) for c in table["counts"])
    names = list(found.series)[:top]
    unit = found.interval
    svg = time_lines(
        found.buckets,
        [(n, found.series[n]) for n in names],
        title=f"Documents per narrative and {unit}"
        + (" (undated documents are in the table, not on the axis)" if found.undated else ""),
        interval=found.interval,
    )
    return None if svg is None else (svg, [(n, i % PALETTE_SIZE) for i, n in enumerate(names)])


def _rates(title: str) -> Any:
    """Outlets × labels, each cell the share of the outlet's articles carrying the label: a
    document count would make every outlet's bar look the same (#17)."""

    def chart(table: dict[str, Any], *, outlets: int = 15, labels: int = 10) -> Any:
        volume: dict[str, int] = table.get("volume") or {}
        found = {(c["key"], c["label"]): c["documents"] for c in table["counts"]}
        rows = [k for k in table["keys"] if volume.get(k)][:outlets]
        cols = table["labels"][:labels]
        return rate_grid(
            rows,
            cols,
            lambda r, c: found.get((r, c), 0) / volume[r],
            title=title,
            tip=lambda r, c: f"{r} · {c}: {found.get((r, c), 0)} of {volume[r]} articles",
        )

    return chart


def _copy_graph(data: dict[str, Any]) -> Any:
    # Copies within one outlet have no arrow to draw: alone they made a ring of dots (#17).
    edges = [
        (e["copier"], e["source"], float(e["documents"]))
        for e in data["edges"]
        if e["copier"] != e["source"]
    ]
    edges = sorted(edges, key=lambda e: -e[2])[:MAX_EDGES]  # the strongest; the table has all
    return graph(list(data["outlets"].items()), edges, title="Who copies whom")


def _most_quoted(items: list[dict[str, Any]]) -> Any:
    return bars([(q["speaker"], q["quotes"]) for q in items], title="Most-quoted people")


ADAPTERS: dict[str, Any] = {
    "narratives_over_time": _over_time,
    "narratives_by_outlet": _rates("Share of each outlet's articles carrying a narrative"),
    "technique_mix": _rates("Share of each outlet's articles using a technique"),
    "copy_graph": _copy_graph,
    "most_quoted": _most_quoted,
}
"""Panel name → function from the corpus view's plain data to a chart."""
