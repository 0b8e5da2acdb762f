"""CSV / TSV files (also gzipped): a header row, then one article per row, streamed.

The header must name a `text` or `html` column; the other columns are the optional metadata of
`rows.py`. A row's first physical line number is its `SourceRef.record` (the header is line 1),
and its raw bytes are hashed as they stand in the file. A bad row is one `BadInput`.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from narrascope.ingest.decode import NotReadable, capped_lines, has_undecodable
from narrascope.ingest.rows import read_rows, row_document
from narrascope.model import BadInput, RawDocument, SourceRef


class _Lines:
    """The physical lines csv reads, kept until the row they belong to is complete."""

    def __init__(self, lines: Iterator[str | None]) -> None:
        self.lines, self.number = lines, 0
        self.pending: list[str] = []
        self.oversize: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for line in self.lines:
            self.number += 1
            if line is None:  # drained unread; csv sees a blank line and the row is reported
                self.oversize.append(self.number)
                line = "\n"
            self.pending.append(line)
            yield line

    def take(self) -> str:
        raw, self.pending = "".join(self.pending), []
        return raw


def read_csv(
    location: str, stream: BinaryIO, *, max_bytes: int, delimiter: str | None = None
) -> Iterator[RawDocument | BadInput]:
    """Every article in a CSV stream; one `BadInput` per bad row."""
    return read_rows(
        location,
        stream,
        lambda text, encoding: _rows(location, text, encoding, max_bytes, delimiter),
        what="an article table",
        unit="rows",
        empty="no rows after the header",
    )


def _rows(
    location: str, text: TextIO, encoding: str, max_bytes: int, delimiter: str | None
) -> Iterator[RawDocument | BadInput]:
    """The header, then one item per row; a bad header is one `BadInput` and the end."""
    # The field limit is process-wide in the csv module; raising it to our cap is harmless.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    physical = capped_lines(text, max_bytes)
    first = next(physical, None) or ""
    lines = _Lines(itertools.chain([first], physical))
    rows = csv.reader(lines, delimiter=delimiter or _delimiter(first), strict=False)
    try:
        header = [name.strip().lower() for name in next(rows)]
    except (StopIteration, csv.Error) as exc:
        yield BadInput(location, f"no CSV header ({exc})" if str(exc) else "no CSV header")
        return
    lines.take()
    if "text" not in header and "html" not in header:
        yield BadInput(location, "CSV header has no text or html column")
        return
    while True:
        start = lines.number + 1
        try:
            row: list[str] | None = next(rows)
            problem = None
        except StopIteration:
            break
        except csv.Error as exc:
            row, problem = None, f"malformed CSV row ({exc})"
        raw = lines.take()
        if row is not None:
            if lines.oversize and lines.oversize[-1] >= start:
                problem = f"row over size cap ({max_bytes:,} characters)"
            elif not "".join(row).strip():
                continue  # a blank line
        yield _row_item(location, start, header, row, raw, encoding, problem)


def _row_item(
    location: str,
    start: int,
    header: list[str],
    row: list[str] | None,
    raw: str,
    encoding: str,
    problem: str | None,
) -> RawDocument | BadInput:
    """The article in one row starting at physical line `start`, or why there is none."""
    if row is not None and problem is None:
        if len(row) != len(header):
            problem = f"row has {len(row)} fields, the header {len(header)}"
        elif has_undecodable(raw):
            problem = f"undecodable bytes (not {encoding})"
        else:
            record = dict(zip(header, row, strict=True))
            data = raw.rstrip("\r\n").encode(encoding, "surrogateescape")
            try:
                return row_document(location, str(start), record, data)
            except NotReadable as exc:
                problem = exc.reason
    return BadInput(str(SourceRef(location, str(start))), problem or "unreadable row")


def _delimiter(header: str) -> str:
    """Comma, unless the header line clearly uses tabs or semicolons instead."""
    counts = {sep: header.count(sep) for sep in (",", "\t", ";")}
    return max(counts, key=lambda sep: counts[sep]) if max(counts.values()) else ","
