"""JSON Lines (`.jsonl`, `.ndjson`, also gzipped): one article per line, read line by line.

Each line is a JSON object with a `text` or `html` field and optional metadata (see `rows.py`);
its line number (1-based) is the document's `SourceRef.record`. A malformed line becomes one
`BadInput` and the lines after it are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from narrascope.ingest.decode import NotReadable, capped_lines, has_undecodable
from narrascope.ingest.rows import read_rows, row_document
from narrascope.model import BadInput, RawDocument, SourceRef


def read_jsonl(
    location: str, stream: BinaryIO, *, max_bytes: int
) -> Iterator[RawDocument | BadInput]:
    """Every article in a JSON Lines stream; one `BadInput` per bad line."""
    return read_rows(
        location,
        stream,
        lambda text, encoding: _lines(location, text, encoding, max_bytes),
        what="JSON Lines",
        unit="lines",
        empty="no records (blank lines only)",
    )


def _lines(
    location: str, text: TextIO, encoding: str, max_bytes: int
) -> Iterator[RawDocument | BadInput]:
    """One item per non-blank line."""
    for number, line in enumerate(capped_lines(text, max_bytes), start=1):
        if line is None:
            reason = f"line over size cap ({max_bytes:,} characters)"
        elif not line.strip():
            continue
        else:
            try:
                yield _line_document(location, number, line, encoding)
                continue
            except NotReadable as exc:
                reason = exc.reason
        yield BadInput(str(SourceRef(location, str(number))), reason)


def _line_document(location: str, number: int, line: str, encoding: str) -> RawDocument:
    if has_undecodable(line):
        raise NotReadable(f"undecodable bytes (not {encoding})")
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        # Some messages end in "at" already ("Unterminated string starting at"): no "at at".
        what = exc.msg.removesuffix(" at")
        raise NotReadable(f"malformed JSON ({what} at column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise NotReadable(f"malformed JSON ({type(exc).__name__})") from exc
    if not isinstance(row, dict):
        raise NotReadable(f"not a JSON object but {type(row).__name__}")
    raw = line.rstrip("\r\n").encode(encoding, "surrogateescape")
    return row_document(location, str(number), row, raw)
