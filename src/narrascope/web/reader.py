"""The reader's view of one article: text cut into marked pieces, and the side panels' contents.

Pure functions from a `Document` and its annotations to small records the templates and the
JSON API both render; nothing here touches the store or writes HTML (Jinja escapes it all).
Technique spans may overlap: the text is cut at every span, sentence and paragraph boundary,
and each piece carries every technique covering it.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from narrascope.analyzers import not_analyzed_by_reason
from narrascope.model import Annotation, Document, Layer, Span
from narrascope.web.charts import PALETTE_SIZE
from narrascope.web.definitions import Definitions

PANEL_ANALYZERS = {
    "Narratives": "narratives",
    "Subnarratives": "narratives",
    "Genre": "genre",
    "Frames": "frames",
}
"""Which analyzer fills each labelled panel (to tell "none found" from "not analyzed")."""


@dataclass(frozen=True, slots=True)
class Mark:
    """One technique span as the reader shows it."""

    id: int
    label: str
    score: float
    start: int
    end: int
    colour: int
    definition: str

    def tip(self) -> str:
        return f"{self.label.replace('_', ' ')} ({self.score:.2f})" + (
            f": {self.definition}" if self.definition else ""
        )


@dataclass(slots=True)
class Piece:
    """A run of text covered by the same set of technique marks (maybe none)."""

    text: str
    marks: tuple[Mark, ...] = ()

    @property
    def top(self) -> Mark | None:
        return max(self.marks, key=lambda m: m.score) if self.marks else None

    @property
    def tip(self) -> str:
        return "\n".join(m.tip() for m in sorted(self.marks, key=lambda m: -m.score))

    @property
    def mark_ids(self) -> str:
        return " ".join(str(m.id) for m in self.marks)


@dataclass(slots=True)
class SentenceRun:
    """The pieces of one sentence (`index` None for text between sentences), from `start`."""

    index: int | None
    pieces: list[Piece] = field(default_factory=list)
    start: int = 0  # offset of its first piece in the text: where a selection's offsets count from


@dataclass(slots=True)
class Evidence:
    """A sentence that supports a label: its index (the anchor `s-<index>`) and text."""

    index: int | None
    text: str


@dataclass(slots=True)
class Labelled:
    """A document-level label with its score, definition and evidence sentences."""

    label: str
    score: float
    definition: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    detail: str = ""


@dataclass(slots=True)
class Legend:
    label: str
    colour: int
    count: int
    definition: str


@dataclass(slots=True)
class RoleEntry:
    entity: str
    entity_id: str
    role: str
    score: float
    fine: list[str]
    definition: str
    evidence: list[Evidence]


@dataclass(slots=True)
class QuoteEntry:
    text: str
    kind: str
    cue: str
    sentence: int | None


@dataclass(slots=True)
class Speaker:
    name: str
    entity_id: str
    quotes: list[QuoteEntry]


@dataclass(slots=True)
class ReaderView:
    """Everything the reader page shows about one document, in display order."""

    doc: Document
    paragraphs: list[list[SentenceRun]]
    legend: list[Legend]
    marks: list[Mark]
    panels: dict[str, list[Labelled]]  # genre, frames, narratives, subnarratives
    roles: list[RoleEntry]
    speakers: list[Speaker]
    claims: list[Labelled]
    events: list[Labelled]
    entities: list[tuple[str, str, str, int]]  # name, entity_id, type, mentions
    notes: list[str]


class SentenceIndex:
    """Which sentence a character offset falls in (bisect over sentence starts)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.starts = [s for s, _ in doc.sentences]

    def of(self, offset: int) -> int | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.doc.sentences[i][1]:
            return i
        return None

    def evidence(self, spans: Sequence[Span], *, limit: int = 3) -> list[Evidence]:
        return [Evidence(self.of(s), self.doc.text[s:e].strip()) for s, e in list(spans)[:limit]]


def technique_colours(defs: Definitions, labels: Sequence[str]) -> dict[str, int]:
    """A stable colour per technique: its place in the taxonomy, else the next free one."""
    known = defs.labels("technique")
    colours = {label: i % PALETTE_SIZE for i, label in enumerate(known)}
    extra = len(known)
    for label in sorted(set(labels) - set(colours)):
        colours[label] = extra % PALETTE_SIZE
        extra += 1
    return colours


def marks_for(doc: Document, anns: Sequence[Annotation], defs: Definitions) -> list[Mark]:
    """The document's technique spans as marks, in text order."""
    spans = [
        a
        for a in anns
        if a.layer == Layer.TECHNIQUE
        and a.start is not None
        and a.end is not None
        and 0 <= a.start < a.end <= len(doc.text)
    ]
    spans.sort(key=lambda a: (a.start, -(a.end or 0), a.label))
    colours = technique_colours(defs, [a.label for a in spans])
    return [
        Mark(
            i,
            a.label,
            float(a.score),
            int(a.start or 0),
            int(a.end or 0),
            colours[a.label],
            defs.get("technique", a.label),
        )
        for i, a in enumerate(spans)
    ]


def cut(doc: Document, marks: Sequence[Mark]) -> list[list[SentenceRun]]:
    """The text as paragraphs of sentence runs of pieces, cut at every boundary."""
    text = doc.text
    paragraphs = doc.paragraphs or ([(0, len(text))] if text else [])
    bounds = {0, len(text)}
    for s, e in (*paragraphs, *doc.sentences):
        bounds.update((s, e))
    for m in marks:
        bounds.update((m.start, m.end))
    cuts = sorted(b for b in bounds if 0 <= b <= len(text))
    index = SentenceIndex(doc)
    starting: dict[int, list[Mark]] = defaultdict(list)
    for m in marks:
        starting[m.start].append(m)
    out: list[list[SentenceRun]] = []
    p_starts = [s for s, _ in paragraphs]
    active: list[Mark] = []
    for a, b in itertools.pairwise(cuts):
        active = [m for m in active if m.end > a] + starting.get(a, [])
        p = bisect.bisect_right(p_starts, a) - 1
        if p < 0 or a >= paragraphs[p][1]:
            continue  # between paragraphs: the newlines the <p> elements stand for
        while len(out) <= p:
            out.append([])
        runs = out[p]
        sentence = index.of(a)
        if not runs or runs[-1].index != sentence:
            runs.append(SentenceRun(sentence, start=a))
        runs[-1].pieces.append(Piece(text[a:b], tuple(active)))
    return [runs for runs in out if runs]


def _labelled(
    anns: Sequence[Annotation], layer: Layer, index: SentenceIndex, defs: Definitions
) -> list[Labelled]:
    rows = [a for a in anns if a.layer == layer]
    rows.sort(key=lambda a: -a.score)
    return [
        Labelled(
            a.label,
            float(a.score),
            defs.get(layer, a.label),
            index.evidence(a.evidence or ([a.span] if a.span else [])),
        )
        for a in rows
    ]


def _roles(anns: Sequence[Annotation], index: SentenceIndex, defs: Definitions) -> list[RoleEntry]:
    mains = [a for a in anns if a.layer == Layer.ROLE and a.attrs.get("level", "main") == "main"]
    mains.sort(key=lambda a: -a.score)
    return [
        RoleEntry(
            entity=str(a.attrs.get("entity") or "?"),
            entity_id=str(a.attrs.get("entity_id") or ""),
            role=a.label,
            score=float(a.score),
            fine=[str(r) for r in a.attrs.get("fine_roles") or []],
            definition=defs.get("role", a.label),
            evidence=index.evidence(a.evidence, limit=2),
        )
        for a in mains
    ]


def _speakers(doc: Document, anns: Sequence[Annotation], index: SentenceIndex) -> list[Speaker]:
    by_speaker: dict[str, list[Annotation]] = defaultdict(list)
    for a in anns:
        if a.layer == Layer.QUOTE and a.span:
            by_speaker[str(a.attrs.get("speaker") or "")].append(a)
    ids = {
        str(a.attrs.get("entity")): str(a.attrs.get("entity_id") or "")
        for a in anns
        if a.layer == Layer.ENTITY
    }
    speakers = [
        Speaker(
            name or "(unknown speaker)",
            ids.get(name, ""),
            [
                QuoteEntry(
                    doc.text[q.start or 0 : q.end or 0].strip(),
                    q.label,
                    str(q.attrs.get("cue") or ""),
                    index.of(q.start or 0),
                )
                for q in sorted(group, key=lambda q: q.start or 0)
            ],
        )
        for name, group in by_speaker.items()
    ]
    speakers.sort(key=lambda s: (s.name == "(unknown speaker)", -len(s.quotes), s.name))
    return speakers


def _entities(anns: Sequence[Annotation]) -> list[tuple[str, str, str, int]]:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for a in anns:
        if a.layer == Layer.ENTITY:
            key = (str(a.attrs.get("entity") or "?"), str(a.attrs.get("entity_id") or ""), a.label)
            counts[key] += 1
    return sorted(((*k, n) for k, n in counts.items()), key=lambda row: (-row[3], row[0]))


def claim_rank(ann: Annotation) -> str:
    """A claim's place in its article's ranked sentences (#15), e.g. "#2 of 46"; "" if unranked."""
    rank, total = ann.attrs.get("rank"), ann.attrs.get("sentences")
    return f"#{rank} of {total}" if rank and total else ""


def reader_view(doc: Document, anns: Sequence[Annotation], defs: Definitions) -> ReaderView:
    """The reader page's content for one document and its annotations."""
    index = SentenceIndex(doc)
    marks = marks_for(doc, anns, defs)
    counts: dict[str, int] = defaultdict(int)
    colour: dict[str, int] = {}
    for m in marks:
        counts[m.label] += 1
        colour[m.label] = m.colour
    legend = [
        Legend(label, colour[label], n, defs.get("technique", label))
        for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    claims = [
        Labelled(
            "check-worthy",
            float(a.score),
            "",
            [Evidence(index.of(a.start or 0), doc.text[a.start or 0 : a.end or 0].strip())],
            detail=claim_rank(a),
        )
        for a in sorted(
            (a for a in anns if a.layer == Layer.CLAIM and a.span),
            key=lambda a: (a.attrs.get("rank", 0), -a.score),
        )
    ]
    events = []
    for a in sorted(
        (a for a in anns if a.layer == Layer.EVENT), key=lambda a: str(a.attrs.get("date", ""))
    ):
        spans = a.evidence or ([a.span] if a.span else [])
        events.append(
            Labelled(
                str(a.attrs.get("date") or a.label),
                float(a.score),
                detail=str(a.attrs.get("expression") or ""),
                evidence=index.evidence(spans, limit=1),
            )
        )
    notes = [
        f"{reason} — {', '.join(names)}" for reason, names in not_analyzed_by_reason(anns).items()
    ]
    return ReaderView(
        doc=doc,
        paragraphs=cut(doc, marks),
        legend=legend,
        marks=marks,
        panels={
            "Narratives": _labelled(anns, Layer.NARRATIVE, index, defs),
            "Subnarratives": _labelled(anns, Layer.SUBNARRATIVE, index, defs),
            "Genre": _labelled(anns, Layer.GENRE, index, defs),
            "Frames": _labelled(anns, Layer.FRAME, index, defs),
        },
        roles=_roles(anns, index, defs),
        speakers=_speakers(doc, anns, index),
        claims=claims,
        events=events,
        entities=_entities(anns),
        notes=notes,
    )


def annotation_json(ann: Annotation) -> dict[str, Any]:
    """An annotation as the JSON API returns it."""
    return {
        "layer": str(ann.layer),
        "label": ann.label,
        "start": ann.start,
        "end": ann.end,
        "score": ann.score,
        "evidence": [list(span) for span in ann.evidence],
        "attrs": ann.attrs,
        "model": ann.model,
    }
