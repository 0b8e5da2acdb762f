"""Dated events: every date or time in an article, normalised, with its sentence, for a timeline.

Each temporal expression found by `text/timex/` ("on January 5", "this week",
"09.01.22 11:50", "last Thursday", "5 января", "в среду", "a day before …") becomes one
`Layer.EVENT` annotation. Choice of span: the annotation's span is the date expression itself
(several dates in one sentence stay apart, and the highlight shows exactly the words that
were read), and its `evidence` is the sentence holding it: that sentence is the event.

`label` is the normalised date in ISO 8601 ("2022-01-05", "2022-01", "2022",
"2022-01-03/2022-01-09", "2022-01-09T11:50"), or "unresolved"; so sorting labels gives the
timeline. `attrs`: `date` (the same, or a partial "--01-05" or None), `expression`,
`resolution` ("absolute" | "relative" | "unresolved"), `granularity` ("time" | "day" |
"week" | "month" | "year"), `first`/`last` (ISO days covered, inclusive), and when they
apply `time`, `offset` (signed duration from an unnamed event: "-P1D" for "a day before"),
`note` (why a date is unresolved or where its day came from) and `dateline` (the sentence is
nothing but the date, as in a page's date line). Relative expressions resolve against
`doc.published`; without it they stay unresolved and the note says so. Scores: 1.0 absolute,
0.8 relative, 0.5 unresolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from narrascope.model import Annotation, Document, Layer, Span
from narrascope.text.timex import (
    DateMention,
    Granularity,
    Resolution,
    find_dates,
    with_day,
)

SCORES = {Resolution.ABSOLUTE: 1.0, Resolution.RELATIVE: 0.8, Resolution.UNRESOLVED: 0.5}
UNRESOLVED = "unresolved"


class EventAnalyzer:
    """Finds dates and times, resolves them against the publication date, keeps their sentences."""

    name: ClassVar[str] = "events"
    version: ClassVar[str] = "events-v3"
    layer: ClassVar[Layer] = Layer.EVENT
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = frozenset({"en", "ru"})

    @classmethod
    def load(
        cls, encoder: object = None, *, models: object = None
    ) -> EventAnalyzer:  # reads no vectors: any encoder
        return cls()  # a grammar, no model file

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        published = doc.published.date() if doc.published else None
        found: list[tuple[Span, DateMention]] = []
        for start, end in doc.sentences:
            mentions = find_dates(doc.text[start:end], published, language=doc.language)
            found += [((start, end), m) for m in mentions]
        return [
            self._annotation(doc, sentence, mention)
            for sentence, mention in _place_times(doc, found)
            if doc.text[sentence[0] + mention.start : sentence[0] + mention.end].strip()
        ]

    def _annotation(self, doc: Document, sentence: Span, mention: DateMention) -> Annotation:
        start, end = sentence[0] + mention.start, sentence[0] + mention.end
        rest = doc.text[sentence[0] : start] + doc.text[end : sentence[1]]
        attrs: dict[str, Any] = {
            "date": mention.iso,
            "expression": mention.expression,
            "resolution": str(mention.resolution),
            "granularity": str(mention.granularity),
            "first": mention.first.isoformat() if mention.first else None,
            "last": mention.last.isoformat() if mention.last else None,
        }
        extra = {"time": mention.time, "offset": mention.offset, "note": mention.note}
        attrs.update({k: v for k, v in extra.items() if v})
        if not any(c.isalpha() for c in rest):
            attrs["dateline"] = True
        resolved = mention.resolution != Resolution.UNRESOLVED and mention.first is not None
        return Annotation(
            doc_id=doc.id,
            layer=self.layer,
            label=(mention.iso or UNRESOLVED) if resolved else UNRESOLVED,
            model=self.version,
            start=start,
            end=end,
            score=SCORES[mention.resolution],
            evidence=[sentence],
            attrs=attrs,
        )


def _place_times(
    doc: Document, found: list[tuple[Span, DateMention]]
) -> list[tuple[Span, DateMention]]:
    """Put each bare time ("at about 16:00") on the nearest day named before it in its paragraph.

    A day in the same sentence wins over one in an earlier sentence (the last one named before
    the time, else the first after it); a time with no day in reach stays unresolved.
    """
    placed: list[tuple[Span, DateMention]] = []
    for i, (sentence, mention) in enumerate(found):
        if mention.granularity == Granularity.TIME and mention.first is None:
            paragraph = _paragraph_of(doc, sentence)
            days = [
                (s, m)
                for s, m in found[:i]
                if m.granularity == Granularity.DAY and paragraph[0] <= s[0] < paragraph[1]
            ]
            same = [
                m
                for s, m in found
                if s == sentence and m.granularity == Granularity.DAY and m is not mention
            ]
            # the day named last before the time ("on Sunday, March 8 from 9 a.m."), else the
            # first after it ("at 9 a.m. on March 8")
            before = [m for m in same if m.start <= mention.start]
            nearest = before[-1] if before else (same[0] if same else None)
            day = nearest or (days[-1][1] if days else None)
            if day is not None:
                mention = with_day(mention, day)
        placed.append((sentence, mention))
    return placed


def _paragraph_of(doc: Document, sentence: Span) -> Span:
    for start, end in doc.paragraphs:
        if start <= sentence[0] < end:
            return start, end
    return sentence
