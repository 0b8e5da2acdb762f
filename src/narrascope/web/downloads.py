"""Whole result lists as CSV or JSONL, streamed row by row (no row cap, bounded memory).

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a leading
apostrophe: article titles are hostile, and analysts open these files in spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

from narrascope.web.panels import plain

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


CHUNK = 64_000  # characters per streamed piece: few enough pieces, bounded memory


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text, header from the first row's keys, in pieces of about `CHUNK` characters."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """JSON lines in pieces of about `CHUNK` characters."""
    piece: list[str] = []
    size = 0
    for row in rows:
        line = json.dumps(plain(row), ensure_ascii=False) + "\n"
        piece.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def download(rows: Iterable[dict[str, Any]], *, fmt: str, name: str) -> StreamingResponse:
    """A streamed attachment of `rows` in `fmt` (csv or jsonl)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: csv or jsonl")
    lines = csv_lines(rows) if fmt == "csv" else jsonl_lines(rows)
    return StreamingResponse(
        lines,
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )
