"""The one vocabulary every stage speaks: raw inputs, clean documents and their annotations.

Ingest yields `RawDocument`s, cleaning and segmentation turn them into `Document`s, analyzers
add `Annotation`s. Offsets are half-open character offsets into `Document.text`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

Span = tuple[int, int]
"""Half-open character offsets `(start, end)` into `Document.text`."""


class Layer(StrEnum):
    """What an annotation is about; one layer per analysis."""

    TECHNIQUE = "technique"
    NARRATIVE = "narrative"
    SUBNARRATIVE = "subnarrative"
    ROLE = "role"
    GENRE = "genre"
    FRAME = "frame"
    ENTITY = "entity"
    QUOTE = "quote"
    CLAIM = "claim"
    EVENT = "event"
    STATS = "stats"


class InputFormat(StrEnum):
    """How the raw content of an input is to be read by cleaning."""

    HTML = "html"
    TEXT = "text"


class BadInput(Exception):
    """An input that cannot be read; the pipeline records `source: reason` and goes on."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = source, reason


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a document came from: file (or URL), the record inside it, and the raw bytes' hash."""

    location: str
    record: str | None = None  # WARC record id, JSONL/CSV line number, feed entry id
    raw_sha256: str = ""

    def __str__(self) -> str:
        return f"{self.location}#{self.record}" if self.record else self.location


@dataclass(slots=True)
class RawDocument:
    """One article as an ingest reader found it, before cleaning.

    `content` is decoded text (HTML or plain); metadata the container gave (feed entry,
    JSONL columns, WARC headers) goes in the optional fields and wins over what cleaning guesses.
    """

    source: SourceRef
    content: str
    format: InputFormat
    url: str | None = None
    title: str | None = None
    published: datetime | None = None
    outlet: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    """A line that cleaning dropped, and why (for `narrascope show DOC --removed`)."""

    text: str
    reason: str


@dataclass(slots=True)
class Document:
    """A clean article: the text every offset indexes, its metadata and its segmentation.

    `text` is never rewritten after segmentation; `id` is a stable hash of `text`.
    """

    text: str
    source: SourceRef
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    date_source: str | None = None  # where the date came from: "html-meta", "text-line", "feed"…
    language: str | None = None
    paragraphs: list[Span] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = document_id(self.text)

    def sentence_texts(self) -> list[str]:
        """The text of every sentence, in order."""
        return [self.text[start:end] for start, end in self.sentences]

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def document_id(text: str) -> str:
    """The stable id of a clean text: 16 hex digits of its SHA-256 over normalised whitespace."""
    normalised = " ".join(text.split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class Annotation:
    """One label on a document, with the text that earned it.

    Span-level labels have `start`/`end`; document-level labels have `evidence`, the spans of
    the sentences that support them. `attrs` holds layer-specific detail (speaker of a quote,
    entity of a role); `model` names what produced it, with its version.
    """

    doc_id: str
    layer: Layer
    label: str
    model: str
    start: int | None = None
    end: int | None = None
    score: float = 1.0
    evidence: list[Span] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def span(self) -> Span | None:
        return None if self.start is None or self.end is None else (self.start, self.end)
