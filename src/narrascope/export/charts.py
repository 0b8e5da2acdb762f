"""SVG charts drawn on the server for the web pages and the offline report (no script, no CDN):
lines on a true time axis, and a grid of rates (outlets × labels, shaded by a share).

A point's x is its date, so a week without documents is a zero in its place, never a missing
column; a rate compares outlets of any size. Every text is escaped with `markupsafe.escape`.
Colours are the web's palette classes (`cN` fills, `sN` strokes), or with `palette` given (the
report) explicit `fill`/`stroke` attributes: presentation attributes, not inline styles, so a
strict Content-Security-Policy holds either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup, escape

MAX_DOTS = 400
"""Points per series drawn as dots (each with its tooltip); a longer series is a line only."""


def _svg(width: int, height: int, body: list[str], title: str, css: str) -> Markup:
    # Every piece of text inside `body` went through `escape` where it was built.
    return Markup(  # noqa: S704
        f'<svg class="{css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _paint(i: int, palette: Sequence[str] | None, *, stroke: bool = False, css: str = "") -> str:
    """Colour `i` as the palette's attribute (the report) or the web's class, with `css`."""
    if palette:
        colour = f'{"stroke" if stroke else "fill"}="{palette[i % len(palette)]}"'
        return f'class="{css}" {colour}' if css else colour
    return f'class="{css + " " if css else ""}{"line s" if stroke else "c"}{i % 24}"'


def _number(value: float, percent: bool) -> str:
    return f"{100 * value:.3g}%" if percent else f"{value:g}"


def _percent(share: float) -> str:
    """A share as a short percentage for a grid cell: "31%", "5.6%"."""
    return f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.1f}%"


def _tick_label(day: date, interval: str) -> str:
    return day.strftime("%Y-%m") if interval == "month" else day.isoformat()


def time_lines(
    buckets: Sequence[date],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    interval: str = "day",
    percent: bool = False,
    top: float | None = None,
    palette: Sequence[str] | None = None,
    colours: Sequence[int] | None = None,
    width: int = 640,
    height: int = 240,
) -> Markup | None:
    """One line per `(name, values)` over `buckets` (each bucket's first day) on a time axis.

    `top` fixes the y scale (to compare charts side by side); `percent` reads values as shares;
    `colours` gives each series its colour number (default: its position). None when there is
    no bucket or no series.
    """
    if not buckets or not series:
        return None
    left, right, pad_top, pad_bottom = 52, 14, 12, 34
    plot_w, plot_h = width - left - right, height - pad_top - pad_bottom
    first, last = buckets[0], buckets[-1]
    span = max((last - first).days, 1)
    peak = top if top else max((max(v, default=0) for _, v in series), default=0) or 1.0

    def x_of(day: date) -> float:
        if first == last:
            return left + plot_w / 2
        return left + plot_w * (day - first).days / span

    def y_of(value: float) -> float:
        return pad_top + plot_h * (1 - value / peak)

    base = pad_top + plot_h
    body = [
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" class="axis" '
        'stroke="#999"/>',
        f'<line x1="{left}" y1="{pad_top}" x2="{left}" y2="{base}" class="axis" stroke="#999"/>',
    ]
    for frac in (0.0, 0.5, 1.0) if percent or peak >= 2 else (0.0, 1.0):
        y = y_of(peak * frac)
        body.append(
            f'<text x="{left - 5}" y="{y + 3:.1f}" class="num" text-anchor="end">'
            f"{escape(_number(peak * frac, percent))}</text>"
        )
    # Every `step`-th bucket gets a date, far enough apart that the dates never overlap.
    step = math.ceil(len(buckets) / max(1, plot_w // 110))
    shown = list(range(0, len(buckets), step))
    rest = len(buckets) - 1 - shown[-1]
    if rest >= step:
        shown.append(len(buckets) - 1)
    elif rest and len(shown) > 1:  # the last date closes the axis, a little past its step
        shown[-1] = len(buckets) - 1
    for k in shown:
        x = x_of(buckets[k])
        at_end = k == len(buckets) - 1
        anchor = "start" if k == 0 and not at_end else "end" if at_end else "middle"
        body.append(
            f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" class="axis" '
            'stroke="#999"/>'
            f'<text x="{x:.1f}" y="{base + 16}" class="num" text-anchor="{anchor}">'
            f"{escape(_tick_label(buckets[k], interval))}</text>"
        )
    for i, (name, values) in enumerate(series):
        colour = colours[i] if colours else i
        points = [(x_of(b), y_of(v)) for b, v in zip(buckets, values, strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke-width="2" '
            f'{_paint(colour, palette, stroke=True)} data-series="{escape(name)}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        if len(buckets) > MAX_DOTS:
            continue
        for b, v, (x, y) in zip(buckets, values, points, strict=True):
            tip = f"{name} · {_tick_label(b, interval)}: {_number(v, percent)}"
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" {_paint(colour, palette, css="pt")}>'
                f"<title>{escape(tip)}</title></circle>"
            )
    return _svg(width, height, body, title, "chart timechart")


def rate_grid(
    rows: Sequence[str],
    cols: Sequence[str],
    rate: Callable[[str, str], float | None],
    *,
    title: str,
    tip: Callable[[str, str], str] | None = None,
    palette: Sequence[str] | None = None,
    colour: int = 2,
) -> Markup | None:
    """Rows × columns, each cell shaded by its rate (0..1, darkest at the largest) and written
    as a percentage; None when there is nothing to draw."""
    if not rows or not cols:
        return None
    left, head, cell_w, cell_h = 180, 130, 46, 22
    # Column names slant up to the right: leave room for the last one's 30 characters.
    width, height = left + cell_w * len(cols) + 130, head + cell_h * len(rows) + 6
    rates = {(r, c): rate(r, c) for r in rows for c in cols}
    peak = max((v for v in rates.values() if v), default=0.0) or 1.0
    body = []
    for j, col in enumerate(cols):
        x = left + j * cell_w + cell_w / 2
        body.append(
            f'<text x="{x:.1f}" y="{head - 6}" class="lbl" transform="rotate(-40 {x:.1f} '
            f'{head - 6})">{escape(_short(col, 30))}<title>{escape(col)}</title></text>'
        )
    for i, row in enumerate(rows):
        y = head + i * cell_h
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" class="lbl" text-anchor="end">'
            f"{escape(_short(row, 26))}<title>{escape(row)}</title></text>"
        )
        for j, col in enumerate(cols):
            value = rates[(row, col)]
            shade = 0.06 + 0.94 * (value or 0.0) / peak if value else 0.03
            note = tip(row, col) if tip else f"{row} · {col}: {_number(value or 0.0, True)}"
            body.append(
                f'<rect x="{left + j * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'{_paint(colour, palette)} fill-opacity="{shade:.2f}">'
                f"<title>{escape(note)}</title></rect>"
            )
            if value:
                ink = "#fff" if shade > 0.55 else "#1d2430"
                body.append(
                    f'<text x="{left + j * cell_w + cell_w / 2 - 1:.1f}" y="{y + 15}" '
                    f'class="cell" text-anchor="middle" fill="{ink}">'
                    f"{escape(_percent(value))}</text>"
                )
    return _svg(width, height, body, title, "chart rategrid")


def _short(text: str, n: int) -> str:
    text = str(text).replace("_", " ")
    return text if len(text) <= n else text[: n - 1] + "…"
