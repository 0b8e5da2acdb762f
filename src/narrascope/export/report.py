"""The static HTML report: a corpus overview and one page per article, readable offline.

No CDN and no script: the stylesheet is inlined and the charts are inline SVG drawn here. Every
piece of article text goes through Jinja2's autoescaping (SVG labels through `html.escape`),
and a Content-Security-Policy forbids scripts, so a hostile page cannot run in the report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from narrascope.corpus import NotComputed, copies, counts, profiles, quotes, storylines
from narrascope.model import Annotation, Document, Layer
from narrascope.store import Store

T = TypeVar("T")
ASSETS = Path(__file__).with_name("report_assets")
INDEX_ARTICLES = 5000  # rows of the overview's article table; every article still gets a page
PALETTE = (
    "#4a6fa5",
    "#d1793a",
    "#5b9a5b",
    "#b4495a",
    "#8a6bb1",
    "#3e9aa6",
    "#c2a33a",
    "#7a7a7a",
    "#a35d9e",
    "#2f5f3a",
)


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What `write_report` wrote."""

    out: Path
    articles: int
    storylines: int


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of article text and the technique labels covering it ("" when none)."""

    text: str
    labels: str


def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(ASSETS)),
        autoescape=select_autoescape(["html", "j2"], default=True, default_for_string=True),
        trim_blocks=False,
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _short(text: str, n: int = 38) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def segments(doc: Document, anns: Sequence[Annotation]) -> list[Segment]:
    """The text cut at every technique span boundary, each piece with the labels over it."""
    spans: list[tuple[tuple[int, int], Annotation]] = [
        (a.span, a) for a in anns if a.layer is Layer.TECHNIQUE and a.span is not None
    ]
    cuts = sorted({0, len(doc.text)} | {s for (s, _), _ in spans} | {e for (_, e), _ in spans})
    out = []
    for start, end in pairwise(cuts):
        if start >= end:
            continue
        over = [a for (s, e), a in spans if s <= start and end <= e]
        labels = "; ".join(f"{a.label} {a.score:.2f}" for a in over)
        out.append(Segment(doc.text[start:end], labels))
    return out


def _svg(parts: list[str]) -> Markup:
    # Every piece of text inside `parts` went through `_e` (html.escape) when it was drawn.
    return Markup("".join(parts))  # noqa: S704


def heatmap_svg(rows: list[str], cols: list[str], value: Callable[[str, str], int]) -> Markup:
    """A grid of rows × columns, darker for more documents, the count written in each cell."""
    if not rows or not cols:
        return Markup("")
    left, top, cell_w, cell_h = 260, 150, max(34, min(70, 800 // len(cols))), 22
    peak = max((value(r, c) for r in rows for c in cols), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + cell_w * len(cols) + 220}" '
        f'height="{top + cell_h * len(rows) + 10}" role="img">'
    ]
    for j, col in enumerate(cols):
        x = left + j * cell_w + cell_w / 2
        parts.append(
            f'<text x="{x}" y="{top - 6}" transform="rotate(-40 {x} {top - 6})">'
            f"{_e(_short(col, 40))}</text>"
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{_e(_short(row))}'
            f"<title>{_e(row)}</title></text>"
        )
        for j, col in enumerate(cols):
            n = value(row, col)
            shade = 0.08 + 0.92 * n / peak if n else 0.0
            parts.append(
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="#4a6fa5" fill-opacity="{shade:.2f}" stroke="#e3e7ee"><title>'
                f"{_e(row)} · {_e(col)}: {n}</title></rect>"
            )
            if n:
                color = "#fff" if shade > 0.5 else "#1d2430"
                parts.append(
                    f'<text x="{left + j * cell_w + cell_w / 2 - 1}" y="{y + 15}" '
                    f'text-anchor="middle" style="fill:{color}">{n}</text>'
                )
    parts.append("</svg>")
    return _svg(parts)


def narratives_over_time_svg(store: Store, *, top: int = 12) -> Markup:
    """Narratives (rows) by outlet and day (columns "outlet · day")."""
    by_day = counts.narrative_counts(store, by="day")
    if not by_day.counts:
        return Markup("")
    # Outlet × day columns: count documents per (narrative, outlet, day).
    cells: dict[tuple[str, str], int] = {}
    for outlet in profiles.outlets(store):
        table = counts.narrative_counts(store, by="day", outlet=outlet.name)
        for c in table.counts:
            key = (c.label, f"{outlet.name} · {c.key}")
            cells[key] = cells.get(key, 0) + c.documents
    cols = sorted({k for _, k in cells}, key=lambda k: (k.split(" · ")[-1], k))
    rows = by_day.labels[:top]
    return heatmap_svg(rows, cols, lambda r, c: cells.get((r, c), 0))


def technique_mix_svg(store: Store, *, top: int = 10) -> Markup:
    """One horizontal bar per outlet: its technique spans split by technique."""
    table = counts.technique_counts(store, by="outlet")
    if not table.counts:
        return Markup("")
    labels = table.labels[:top]
    spans: dict[tuple[str, str], int] = {(c.label, c.key): c.annotations for c in table.counts}
    outlets = table.keys[:15]
    width, left, bar_h = 560, 150, 18
    height = 30 + len(outlets) * (bar_h + 6) + 18 * math.ceil(len(labels) / 3)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for i, outlet in enumerate(outlets):
        y = 10 + i * (bar_h + 6)
        total = sum(spans.get((label, outlet), 0) for label in labels) or 1
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_e(_short(outlet, 22))}</text>'
        )
        x = float(left)
        for k, label in enumerate(labels):
            n = spans.get((label, outlet), 0)
            w = (width - left - 10) * n / total
            if n:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_e(outlet)} · {_e(label)}: {n}'
                    "</title></rect>"
                )
            x += w
    y0 = 20 + len(outlets) * (bar_h + 6)
    for k, label in enumerate(labels):
        x, y = 10 + (k % 3) * 185, y0 + (k // 3) * 18
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{y + 9}">{_e(_short(label, 28))}</text>'
        )
    parts.append("</svg>")
    return _svg(parts)


def copy_graph_svg(graph: copies.CopyGraph) -> Markup:
    """Outlets on a circle; an arrow from the first publisher to each outlet that copied it."""
    linked = {e.source for e in graph.edges} | {e.copier for e in graph.edges}
    names = sorted(linked, key=lambda n: (-graph.outlets.get(n, 0), n))[:24]
    if not names:
        return _svg(
            [
                f'<p class="muted">No copies found between the {len(graph.outlets)} '
                "outlets (no near duplicates, no reused passages).</p>"
            ]
        )
    size, r = (420, 150) if len(names) > 4 else (300, 90)
    pos = {
        n: (
            size / 2 + r * math.cos(2 * math.pi * i / len(names) - math.pi / 2),
            size / 2 + r * math.sin(2 * math.pi * i / len(names) - math.pi / 2),
        )
        for i, n in enumerate(names)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#b4495a"/></marker></defs>'
    ]
    for edge in graph.edges:
        if edge.source in pos and edge.copier in pos and edge.source != edge.copier:
            (x1, y1), (x2, y2) = pos[edge.source], pos[edge.copier]
            # End the arrow at the copier's circle, not under it.
            gap = (8 + min(14, 3 * math.sqrt(graph.outlets.get(edge.copier, 1)))) / (
                math.hypot(x2 - x1, y2 - y1) or 1.0
            )
            x2, y2 = x2 - (x2 - x1) * gap, y2 - (y2 - y1) * gap
            parts.append(
                f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#b4495a" '
                f'stroke-width="{1 + min(edge.documents, 6)}" marker-end="url(#arrow)">'
                f"<title>{_e(edge.copier)} copied {edge.documents} text(s) of {_e(edge.source)}"
                "</title></line>"
            )
    for name, (x, y) in pos.items():
        radius = 5 + min(14, 3 * math.sqrt(graph.outlets.get(name, 1)))
        parts.append(
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{radius:.0f}" fill="#4a6fa5"><title>{_e(name)}: '
            f"{graph.outlets.get(name, 0)} documents</title></circle>"
            f'<text x="{x:.0f}" y="{y + radius + 12:.0f}" text-anchor="middle">{_e(_short(name, 24))}</text>'
        )
    parts.append("</svg>")
    return _svg(parts)


def _article_context(store: Store, doc: Document) -> dict[str, object]:
    anns = list(store.annotations(doc.id))

    def text_of(a: Annotation) -> str:
        return doc.text[a.start : a.end] if a.span else ""

    def of(layer: Layer) -> list[Annotation]:
        return sorted((a for a in anns if a.layer is layer), key=lambda a: (a.start or 0, -a.score))

    doc_labels = []
    for layer in (Layer.GENRE, Layer.FRAME, Layer.NARRATIVE, Layer.SUBNARRATIVE):
        labels = sorted(((a.label, a.score) for a in anns if a.layer is layer), key=lambda x: -x[1])
        if labels:
            doc_labels.append((str(layer), labels))
    return {
        "doc": doc,
        "segments": segments(doc, anns),
        "doc_labels": doc_labels,
        "techniques": [
            {"label": a.label, "score": a.score, "text": text_of(a)} for a in of(Layer.TECHNIQUE)
        ],
        "narratives": [
            {
                "label": a.label,
                "score": a.score,
                "evidence": [doc.text[s:e] for s, e in a.evidence[:3]],
            }
            for a in sorted(of(Layer.NARRATIVE) + of(Layer.SUBNARRATIVE), key=lambda a: -a.score)
        ],
        "roles": [
            {"entity": a.attrs.get("entity", ""), "label": a.label, "score": a.score}
            for a in of(Layer.ROLE)
            if a.attrs.get("level", "main") == "main"
        ],
        "quotes": [
            {"speaker": a.attrs.get("speaker"), "label": a.label, "text": text_of(a)}
            for a in of(Layer.QUOTE)
        ],
        "claims": [
            {"score": a.score, "text": text_of(a) or " ".join(doc.text[s:e] for s, e in a.evidence)}
            for a in sorted(of(Layer.CLAIM), key=lambda a: -a.score)[:15]
        ],
        "storylines": _computed(storylines.storylines_for, store, doc.id, max_members=0),
        "sources": store.sources(doc.id),
    }


def _computed(view: Callable[..., list[T]], *args: Any, **kwargs: Any) -> list[T]:
    """The view's items, or none where it is not computed yet (the pages say how to compute it)."""
    try:
        return view(*args, **kwargs)
    except NotComputed:
        return []


def write_report(
    store: Store,
    out: Path,
    *,
    storyline_limit: int = 30,
    on_progress: Callable[[int], None] | None = None,
) -> ReportResult:
    """Write `index.html` and `articles/<id>.html` for every document under `out`."""
    env = _env()
    css = Markup((ASSETS / "style.css").read_text(encoding="utf-8"))  # noqa: S704 - our file
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (out / "articles").mkdir(parents=True, exist_ok=True)
    docs = list(store.corpus.doc_infos_all())
    docs.sort(
        key=lambda d: (
            d.published is None,
            d.published.replace(tzinfo=None) if d.published else datetime.min,
            d.id,
        )
    )
    lines = _computed(storylines.storylines, store, storyline_limit)
    graph = copies.copy_graph(store)
    index = env.get_template("index.html.j2").render(
        css=css,
        root="",
        generated=generated,
        stats=store.stats(),
        outlets=profiles.outlets(store),
        documents=docs[:INDEX_ARTICLES],
        more_documents=max(0, len(docs) - INDEX_ARTICLES),
        titles={d.id: d.title for d in docs},
        storylines=lines,
        window=int(storylines.StorylineSettings().window_days),
        graph=graph,
        narratives_svg=narratives_over_time_svg(store),
        techniques_svg=technique_mix_svg(store),
        copies_svg=copy_graph_svg(graph),
        quoted=quotes.most_quoted(store, 15),
        travel=quotes.quote_travel(store, limit=20),
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    article = env.get_template("article.html.j2")
    written = 0
    for doc in store.documents():
        page = article.render(
            css=css, root="../", generated=generated, **_article_context(store, doc)
        )
        (out / "articles" / f"{doc.id}.html").write_text(page, encoding="utf-8")
        written += 1
        if on_progress:
            on_progress(1)
    return ReportResult(out, written, len(lines))
