"""Paragraph and sentence boundaries as half-open character offsets into `Document.text`.

Paragraphs are the clean text's lines (cleaning puts one paragraph per line). Sentences are
split inside each paragraph: razdel for Russian and other Cyrillic text, nupunkt (Punkt with
abbreviation handling) for everything else. The text itself is never changed.
`text_windows` cuts a long text into bounded pieces at line breaks, with context around each,
for models whose memory grows with the length of what they are given (issue 18).
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

from narrascope.model import Document, Span

CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "bg", "be", "sr", "mk", "kk"})
_NON_SPACE = re.compile(r"\S")


def _strip(text: str, start: int, end: int) -> Span | None:
    """The span without surrounding whitespace; None when nothing but whitespace is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def paragraph_spans(text: str) -> list[Span]:
    """One span per non-blank line."""
    spans, offset = [], 0
    for line in text.split("\n"):
        span = _strip(text, offset, offset + len(line))
        if span:
            spans.append(span)
        offset += len(line) + 1
    return spans


def _looks_cyrillic(text: str) -> bool:
    letters = [c for c in text[:400] if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) > len(letters) / 2


def sentence_spans(text: str, start: int, end: int, *, language: str | None = None) -> list[Span]:
    """Sentence spans inside `text[start:end]`, as offsets into `text`."""
    piece = text[start:end]
    cyrillic = language in CYRILLIC_LANGUAGES if language else _looks_cyrillic(piece)
    if cyrillic:
        from razdel import sentenize

        local = [(s.start, s.stop) for s in sentenize(piece)]
    else:
        import nupunkt

        local = list(nupunkt.sent_spans(piece))
    spans = [_strip(text, start + a, start + b) for a, b in local]
    return [s for s in spans if s] or ([s] if (s := _strip(text, start, end)) else [])


def segment(doc: Document) -> Document:
    """Fill `doc.paragraphs` and `doc.sentences` (sentences never cross a paragraph) and return it."""
    doc.paragraphs = paragraph_spans(doc.text)
    doc.sentences = [
        span
        for start, end in doc.paragraphs
        for span in sentence_spans(doc.text, start, end, language=doc.language)
    ]
    return doc


class Window(NamedTuple):
    """A piece of a long text, as offsets into it: a model reads `text[start:end]`, and keeps
    what it finds starting in `[keep_start, keep_end)`; the rest is context."""

    start: int
    end: int
    keep_start: int
    keep_end: int


def text_windows(text: str, *, size: int, margin: int) -> list[Window]:
    """Bounded windows over `text` whose kept parts tile it, cut at line breaks where possible.

    A text of at most `size` characters is one window. Otherwise each kept part holds at most
    `size` characters and is read with `margin` to `2 * margin` characters of context on either
    side (stretched to a line break when one is near), so that a model sees each kept passage
    as it would in the whole text.
    """
    if len(text) <= size:
        return [Window(0, len(text), 0, len(text))]
    cuts = [0]
    while len(text) - cuts[-1] > size:
        cuts.append(_cut_before(text, cuts[-1] + size, floor=cuts[-1] + size // 2))
    cuts.append(len(text))
    return [
        Window(
            _cut_before(text, keep_start - margin, floor=keep_start - 2 * margin),
            _cut_after(text, keep_end + margin, ceiling=keep_end + 2 * margin),
            keep_start,
            keep_end,
        )
        for keep_start, keep_end in itertools.pairwise(cuts)
    ]


def _cut_before(text: str, position: int, *, floor: int) -> int:
    """The start of the line holding `position` (else the word), searched back to `floor`."""
    position, floor = max(0, position), max(0, floor)
    for mark in ("\n", " "):
        found = text.rfind(mark, floor, position)
        if found >= 0:
            return found + 1
    return position


def _cut_after(text: str, position: int, *, ceiling: int) -> int:
    """The end of the line holding `position`, searched on to `ceiling`; else `position`."""
    if position >= len(text):
        return len(text)
    found = text.find("\n", position, ceiling)
    return found if found >= 0 else position
