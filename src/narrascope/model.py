"""The one vocabulary every stage speaks: raw inputs, clean documents, annotations and copies.

Ingest yields `RawDocument`s, cleaning and segmentation turn them into `Document`s, analyzers
add `Annotation`s. Offsets are half-open character offsets into `Document.text`. Dedup speaks
`Fingerprint`, `CopyMatch` and `SharedSpan` to the store, which keeps them without knowing how
they are made (`narrascope.dedup` makes them).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np

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


class PageType(StrEnum):
    """What kind of page a document is; only articles are analyzed by default (#15)."""

    ARTICLE = "article"
    LISTING = "listing"  # category, tag or archive pages, teaser lists
    LEGAL = "legal"  # privacy policy, imprint, terms, cookie notice
    ABOUT = "about"  # about us, contact
    PRODUCT = "product"  # a shop's product page
    LOGIN = "login"  # sign-in and registration forms
    ERROR = "error"  # 404 and other error pages
    THIN = "thin"  # too little running text to be an article


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
class PassedOver:
    """A file among the inputs that is deliberately not read (the run's own database): one note
    line for the user, neither an input nor a skipped one."""

    source: str
    reason: str


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
    page_type: PageType = PageType.ARTICLE
    page_reason: str | None = None  # the evidence for a page type other than an article
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = document_id(self.text)

    def sentence_texts(self) -> list[str]:
        """The text of every sentence, in order."""
        return [self.text[start:end] for start, end in self.sentences]

    @property
    def is_article(self) -> bool:
        """Whether this page is an article (what the analyzers are made for)."""
        return self.page_type is PageType.ARTICLE

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


# -- copies ------------------------------------------------------------------------------------
class CopyKind(StrEnum):
    """How a document repeats another one."""

    EXACT = "exact"  # the same words in the same order (punctuation, case or spacing differ)
    NEAR = "near"  # shingle Jaccard, or shared passages' cover of both texts, >= the threshold
    PARTIAL = "partial"  # shares at least one long passage, but is otherwise different


@dataclass(frozen=True, slots=True)
class SharedSpan:
    """A passage two documents share: character offsets into each, and its length in words."""

    start: int
    end: int
    other_start: int
    other_end: int
    words: int

    def swapped(self) -> SharedSpan:
        """The same passage seen from the other document."""
        return SharedSpan(self.other_start, self.other_end, self.start, self.end, self.words)


@dataclass(frozen=True, slots=True)
class CopyMatch:
    """A stored document that the new one repeats, wholly or in part.

    `spans` index the new document (`start`/`end`) and the stored one (`other_*`).
    `similarity` is the estimated Jaccard for near copies found by MinHash; for copies found
    through shared passages it is the share of words those passages cover: of both texts
    (a near copy when that reaches the threshold), else of the text they cover most
    (partial reuse: 1.0 when all of one text is quoted in the other).
    """

    doc_id: str
    kind: CopyKind
    similarity: float
    spans: tuple[SharedSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """How fingerprints are made; fixed for a store once its first document is fingerprinted.

    `narrascope.dedup.settings_for` picks the LSH bands for a threshold.
    """

    num_perm: int = 128
    shingle_words: int = 5
    bands: int = 25
    rows: int = 5
    passage_words: int = 12  # window length of the passage hashes
    winnow: int = 14  # winnowing window: any shared run of 12 + 14 - 1 = 25 words is found
    seed: int = 1
    scheme: str = "affine32"  # datasketch's permutation scheme: pinned, signatures depend on it
    lsh_threshold: float = 0.5  # the lowest Jaccard the bands were designed for

    @property
    def min_passage_words(self) -> int:
        """Shared passages at least this long (in words) are always found."""
        return self.passage_words + self.winnow - 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DedupSettings:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(slots=True)
class Fingerprint:
    """What the store keeps of a document to find its copies later."""

    doc_id: str
    signature: np.ndarray  # uint32, one value per permutation
    words: int
    words_sha: str  # hash of the lowercased word sequence: equal for exact copies
    bands: list[tuple[int, int]]  # (band index, signed 64-bit hash of its rows)
    passages: list[tuple[int, int]]  # (signed 64-bit window hash, word position), unique hashes


# -- corrections -------------------------------------------------------------------------------
class CorrectionAction(StrEnum):
    """What an analyst did to a label."""

    ACCEPT = "accept"  # the label is right: keep it, whatever a later model says
    REJECT = "reject"  # the label is wrong: drop it, and keep it dropped after re-analysis
    RELABEL = "relabel"  # a different label and/or span in place of this one
    ADD = "add"  # a label the model missed


class CorrectionRefused(ValueError):
    """A correction that cannot be stored: the reason is one line for the analyst."""


@dataclass(frozen=True, slots=True)
class LabelKey:
    """What a correction points at: a label that survives re-analysis and model upgrades.

    The model version and score change from run to run; the document, layer, label, span and
    subject (the entity of a role, the speaker of a quote) of what was corrected do not.
    """

    doc_id: str
    layer: Layer
    label: str
    start: int | None = None
    end: int | None = None
    subject: str = ""

    @classmethod
    def of(cls, ann: Annotation) -> LabelKey:
        """The key of a stored annotation."""
        return cls(ann.doc_id, Layer(ann.layer), ann.label, ann.start, ann.end, subject_of(ann))


ONE_LABEL_LAYERS = frozenset({Layer.GENRE, Layer.ROLE})
"""Layers that give each document (genre), or each entity in it (a role: its main role), one
label: an analyst's label there is the only one, whatever any model says (#19)."""
ONE_VALUE_SPAN_LAYERS = frozenset({Layer.QUOTE, Layer.ENTITY, Layer.EVENT})
"""Layers that hold one value per span (a quote's speaker, the entity a mention links to, the
date a date expression names): an analyst's value on a span is the only one there, whatever
any model says of that span later (#19)."""


NESTED_SPAN_LAYERS = frozenset({Layer.TECHNIQUE})
"""Layers whose models mark a label on spans of varying width (a whole sentence in the fast
profile, phrases inside it in the accurate one): an analyst's rejection of a label on a span
also holds for the same label on any span inside it, so a sentence rejected before a
re-analysis does not come back on that sentence's phrases (#16, #19)."""


def subject_of(ann: Annotation) -> str:
    """Who a label is about, when a layer labels several things per document (roles, quotes)."""
    return str(ann.attrs.get("entity_id") or ann.attrs.get("speaker") or "")


@dataclass(frozen=True, slots=True)
class Correction:
    """An analyst's verdict on one label: who, when, what it was, what it is now, and why.

    `old` is the label as the model stored it (None when adding); `new` is what it is now
    (None when rejecting; the same as `old` when accepting). `model` is the version of what
    produced the original. `undone_at` is set when the correction was taken back.
    """

    action: CorrectionAction
    user: str
    old: Annotation | None
    new: Annotation | None
    note: str = ""
    id: int | None = None
    created_at: datetime | None = None
    model: str = ""
    undone_at: datetime | None = None
    undone_by: str = ""

    @property
    def doc_id(self) -> str:
        ann = self.new or self.old
        assert ann is not None
        return ann.doc_id

    @property
    def layer(self) -> Layer:
        ann = self.new or self.old
        assert ann is not None
        return Layer(ann.layer)
