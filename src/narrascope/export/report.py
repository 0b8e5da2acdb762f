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
from narrascope.corpus.attention import on_time_axis
from narrascope.export.charts import rate_grid, time_lines
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


def _legend(names: Sequence[str]) -> Markup:
    items = "".join(
        f'<span><i style="background:{PALETTE[k % len(PALETTE)]}"></i>{_e(name)}</span>'
        for k, name in enumerate(names)
    )
    return _svg([f'<div class="legend">{items}</div>'])


def narratives_over_time_svg(store: Store, *, top: int = 8) -> Markup:
    """The most frequent narratives' documents per day, week or month on a true time axis:
    an empty day is a zero in its place, not a skipped column (#17)."""
    table = counts.narrative_counts(store, by="day")
    found = on_time_axis((c.label, c.key, c.documents) for c in table.counts)
    names = list(found.series)[:top]
    svg = time_lines(
        found.buckets,
        [(n, found.series[n]) for n in names],
        title=f"Documents per narrative and {found.interval}",
        interval=found.interval,
        palette=PALETTE,
        width=900,
        height=260,
    )
    if svg is None:
        return Markup("")
    undated = (
        _svg(['<p class="muted">Undated documents are left off the time axis.</p>'])
        if found.undated
        else Markup("")
    )
    return svg + _legend(names) + undated


def mix_svg(store: Store, layer: Layer, *, outlets: int = 15, top: int = 10) -> Markup:
    """Outlets × labels of `layer`: each cell the share of the outlet's articles carrying the
    label, so outlets of any size compare (#17); scrolls sideways when wider than the page."""
    table = counts.narrative_counts(store, by="outlet", layer=layer)
    rows = [k for k in table.keys if table.volume.get(k)][:outlets]
    grid = rate_grid(
        rows,
        table.labels[:top],
        lambda outlet, label: table.share(label, outlet),
        title=f"Share of each outlet's articles with each {layer}",
        tip=lambda r, c: f"{r} · {c}: {table.documents(c, r)} of {table.volume[r]} articles",
        palette=PALETTE,
        colour=0,
    )
    if grid is None:
        return Markup("")
    return _svg(['<div class="scroll">', grid, "</div>"])


def copy_graph_svg(graph: copies.CopyGraph) -> Markup:
    """Outlets on a circle; an arrow from the first publisher to each outlet that copied it."""
    # Copies within one outlet have no arrow: alone they drew a ring of dots (#17).
    across = [e for e in graph.edges if e.source != e.copier]
    linked = {e.source for e in across} | {e.copier for e in across}
    names = sorted(linked, key=lambda n: (-graph.outlets.get(n, 0), n))[:24]
    if not names:
        return Markup("")
    size, r = (420, 150) if len(names) > 4 else (300, 90)
    pos = {
        n: (
            size / 2 + r * math.cos(2 * math.pi * i / len(names) - math.pi / 2),
            size / 2 + r * math.sin(2 * math.pi * i / len(names) - math.pi / 2),
        )
        for i, n in enumerate(names)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#b4495a"/></marker></defs>'
    ]
    for edge in across:
        if edge.source in pos and edge.copier in pos:
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
        narrative_mix_svg=mix_svg(store, Layer.NARRATIVE),
        techniques_svg=mix_svg(store, Layer.TECHNIQUE),
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
