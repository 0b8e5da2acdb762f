"""Paragraph and sentence boundaries as half-open character offsets into `Document.text`.

Paragraphs are the clean text's lines (cleaning puts one paragraph per line). Sentences are
split inside each paragraph: razdel for Russian and other Cyrillic text, nupunkt (Punkt with
abbreviation handling) for everything else. The text itself is never changed.
"""

from __future__ import annotations

import re

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
