"""How many inputs a run will read, counted before it starts where that is cheap (#17).

The progress bar of `narrascope analyze` needs a total to fill and to show the time left. A
local file of one article (text, HTML, gzipped or not) is one input and costs a directory
entry to count; an uncompressed JSONL file is one input per non-blank line and costs one read.
Anything dearer to count — a URL, a WARC, a feed, a CSV (whose quoted fields may span lines),
gzipped JSONL, or a walk that takes longer than a couple of seconds — gives no total at all:
the bar then counts up (`12/?`) rather than show a wrong one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from narrascope.ingest.decode import HEAD, gunzip_head
from narrascope.ingest.detect import Kind, binary_magic, kind_for_name, sniff, split_name
from narrascope.ingest.sources import expand, url_scheme
from narrascope.model import BadInput

_MANY = frozenset({Kind.WARC, Kind.FEED, Kind.CSV})
_JSONL_BYTES = 256_000_000  # past this much JSONL, counting lines is no longer cheap


class _Dear(Exception):
    """Counting would cost more than it is worth."""


def count_inputs(sources: Sequence[str | Path], *, seconds: float = 2.0) -> int | None:
    """The number of inputs `iter_inputs(sources)` yields, or None when it is not cheap to know."""
    deadline = time.monotonic() + seconds
    budget = [_JSONL_BYTES]
    total = 0
    try:
        for source in sources:
            if isinstance(source, str) and url_scheme(source) is not None:
                return None  # a URL may be a feed or a WARC: known only once fetched
            for path in expand(source):
                if time.monotonic() > deadline:
                    return None
                total += 1 if isinstance(path, BadInput) else _count_file(path, budget)
    except (_Dear, OSError):
        return None
    return total


def _count_file(path: Path, budget: list[int]) -> int:
    """Inputs in one file: 1, the lines of a JSONL file, or `_Dear`."""
    suffix, gzipped = split_name(path.name)
    kind = kind_for_name(path.name)
    if kind is None or suffix == ".xml":  # the reader sniffs these: a feed or JSONL is many
        with path.open("rb") as stream:
            head = stream.read(HEAD)
        if binary_magic(head) and not head.startswith(b"\x1f\x8b"):
            return 1  # refused as binary: one skipped input
        kind = sniff(gunzip_head(head) if head.startswith(b"\x1f\x8b") else head) or kind
    if kind in _MANY:
        raise _Dear
    if kind is Kind.JSONL:
        size = path.stat().st_size
        if gzipped or size > budget[0]:
            raise _Dear
        budget[0] -= size
        if size == 0:
            return 1  # refused as an empty file: one skipped input
        with path.open("rb") as stream:
            return sum(1 for line in stream if line.strip())
    return 1
