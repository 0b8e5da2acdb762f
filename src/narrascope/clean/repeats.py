"""Repeated blocks: a page that prints its article body (or a passage of it) more than once.

Some pages carry the whole body two or three times (a print view, an AMP copy, a teaser that
is the full text); the clean document keeps the first copy. A repeat is a run of at least two
lines that repeat earlier lines, one of them long; a short line ("1. Crimea must be
recognized.") joins a run only when the lines around it repeat earlier lines too. A single
repeated line, or short lines a body legitimately repeats, stay.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LONG_WORDS = 8
_LONG_CHARS = 50
_NON_WORD = re.compile(r"\W+", re.UNICODE)


def line_key(line: str) -> str:
    """A line's identity for comparison: case, spacing and punctuation ignored."""
    return _NON_WORD.sub(" ", line.casefold()).strip()


def repeated_lines(lines: Sequence[str], *, ignore: frozenset[int] = frozenset()) -> set[int]:
    """Indexes of the lines that repeat an earlier line of the same page.

    Blank lines and the indexes in `ignore` (lines already classified as chrome) take no part.
    """
    order = [i for i, line in enumerate(lines) if line.strip() and i not in ignore]
    keys = {i: line_key(lines[i]) for i in order}
    first_seen: dict[str, int] = {}
    seen_before: set[int] = set()
    for i in order:
        if not keys[i]:
            continue
        if keys[i] in first_seen:
            seen_before.add(i)
        else:
            first_seen[keys[i]] = i
    repeats = {i for i in seen_before if _is_long(lines[i])}
    changed = True
    while changed:  # grow blocks over the short repeated lines inside them, both ways
        changed = False
        for positions in (range(len(order)), range(len(order) - 1, -1, -1)):
            for pos in positions:
                i = order[pos]
                if i in repeats or i not in seen_before:
                    continue
                # inside a block: a neighbour is a repeat, the other a repeat or seen before
                near = [order[p] for p in (pos - 1, pos + 1) if 0 <= p < len(order)]
                if any(n in repeats for n in near) and all(n in seen_before for n in near):
                    repeats.add(i)
                    changed = True
    return _in_runs(repeats, order)


def _in_runs(repeats: set[int], order: list[int]) -> set[int]:
    """Only repeats in runs of two lines or more: one repeated line alone (a pull quote, a
    refrain such as "He remains in ICE custody." closing each case) stays."""
    kept: set[int] = set()
    for pos, i in enumerate(order):
        neighbours = (order[p] for p in (pos - 1, pos + 1) if 0 <= p < len(order))
        if i in repeats and any(n in repeats for n in neighbours):
            kept.add(i)
    return kept


def _is_long(line: str) -> bool:
    return len(line.split()) >= _LONG_WORDS or len(line.strip()) >= _LONG_CHARS
