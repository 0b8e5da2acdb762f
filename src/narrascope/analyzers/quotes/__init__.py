"""Who said what: direct quotes, indirect speech and interview answers, each with its speaker.

Runs after the entity analyzer and reads its mentions from `prior` (without them it falls back
on capitalised names). Direct quotes are found by pairing quotation marks of every style
(“…”, ‘…’, «…», „…“, "…"), tolerating nesting, unclosed marks and quotes that run over
paragraphs; the cue ("said", "wrote on Telegram") and the speaker are looked for after the
quote, then before it, then in a lead-in paragraph ending with ":" or "that". Indirect speech
("X said that …", "according to X", "по словам X") and interview answers opened by a dash are
rule-based too. Pronouns and descriptions ("she", "the politician") resolve to the nearest
compatible earlier person; an unknown speaker is recorded as None, never guessed.

The analyzer lives here; its rooms are `marks.py` (pairing quotation marks), `lexicon.py`
(cue verbs and clause patterns), `speakers.py` (cue and speaker of a direct quote, pronouns
and descriptions resolved) and `reported.py` (indirect speech and interview answers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from narrascope.analyzers.quotes.lexicon import CUE, SOURCE_FIRST, TITLE_BEFORE
from narrascope.analyzers.quotes.marks import quote_spans, word_count
from narrascope.analyzers.quotes.reported import Reporting
from narrascope.analyzers.quotes.speakers import Found, Named
from narrascope.model import Annotation, Document, Layer, Span
from narrascope.text.names import entity_id, person_names
from narrascope.text.segment import paragraph_spans

__all__ = ["CUE", "Found", "QuoteAnalyzer", "find_quotes", "quote_spans", "word_count"]

# --- the analyzer ------------------------------------------------------------------------------


class QuoteAnalyzer:
    """Finds direct and indirect quotes and attributes each to a speaker entity or None."""

    name: ClassVar[str] = "quotes"
    version: ClassVar[str] = "quotes-v9"
    layer: ClassVar[Layer] = Layer.QUOTE
    requires: ClassVar[tuple[Layer, ...]] = (Layer.ENTITY,)
    languages: ClassVar[frozenset[str] | None] = frozenset({"en", "ru"})

    def __init__(self, *, min_words: int = 3, unattributed_min_words: int = 8) -> None:
        self.min_words, self.unattributed_min_words = min_words, unattributed_min_words

    @classmethod
    def load(
        cls, encoder: object = None, *, models: object = None
    ) -> QuoteAnalyzer:  # reads no vectors: any encoder
        return cls()

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.text.strip():
            return []
        ids = {
            str(a.attrs["entity"]): str(a.attrs.get("entity_id") or "")
            for a in prior
            if a.layer == Layer.ENTITY and a.attrs.get("entity")
        }
        return [
            Annotation(
                doc_id=doc.id,
                layer=self.layer,
                label=q.kind,
                model=self.version,
                start=q.start,
                end=q.end,
                score=q.score,
                attrs={
                    "speaker": q.speaker,
                    "speaker_id": _speaker_id(q.speaker, ids),
                    "speaker_span": list(q.speaker_span) if q.speaker_span else None,
                    "cue": q.cue,
                    "cue_span": list(q.cue_span) if q.cue_span else None,
                },
            )
            for q in find_quotes(
                doc,
                prior,
                min_words=self.min_words,
                unattributed_min_words=self.unattributed_min_words,
            )
            if doc.text[q.start : q.end].strip()
        ]


def find_quotes(
    doc: Document,
    prior: Sequence[Annotation] = (),
    *,
    min_words: int = 3,
    unattributed_min_words: int = 8,
) -> list[Found]:
    """Every quote of `doc` (direct, interview answers, indirect), in text order."""
    text = doc.text
    paragraphs = doc.paragraphs or paragraph_spans(text)
    sentences = doc.sentences or paragraphs
    named = _named(doc, prior)
    marks = quote_spans(text, paragraphs, sentences)
    inside = [(o, c) for o, c, _, _ in marks]
    ctx = Reporting(text, named, inside, sentences, paragraphs)
    found: list[Found] = []
    for i, (open_at, close_at, start, end) in enumerate(marks):
        words = word_count(text[start:end])
        if words == 0 or TITLE_BEFORE.search(text[max(0, open_at - 30) : open_at]):
            continue
        if _is_title(text[start:end]):  # “Listen To The Music,” in a list of a band's hits
            continue
        quote = Found(start, end, "direct")
        prev_close = marks[i - 1][1] if i else -1
        next_open = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        attributed = ctx.attribute_direct(quote, open_at, close_at, prev_close, next_open)
        if not attributed and found and _same_paragraph(paragraphs, found[-1].end, start):
            previous = found[-1]  # "…,” she said, “…” — the second half shares the speaker
            if previous.cue and open_at - previous.end < 200:
                quote.speaker, quote.speaker_span = previous.speaker, previous.speaker_span
                quote.cue, quote.cue_span, attributed = previous.cue, previous.cue_span, True
        if attributed and words >= min_words:
            quote.score = 0.9 if quote.speaker else 0.7
            _merge_mixed(text, quote, open_at)
        elif not attributed and words >= unattributed_min_words and _sentence_like(text[start:end]):
            quote.score = 0.5
        else:
            continue
        found.append(quote)
    found += ctx.interview_answers(found)
    found += ctx.indirect(found)
    found.sort(key=lambda q: (q.start, q.end))
    return found


def _merge_mixed(text: str, quote: Found, open_at: int) -> None:
    """A quote embedded in reported speech ("Morris says the campaign will “compete …”") becomes
    one indirect quote from the cue on, so the reported words are not lost."""
    if quote.cue_span is None or quote.cue_span[1] > open_at or quote.cue in ("", ":"):
        return
    if quote.cue.lower().startswith(SOURCE_FIRST):
        return
    if quote.speaker_span and quote.speaker_span[0] >= quote.cue_span[1]:
        return  # the speaker sits between cue and quote: "said Mr. Smith: “…”"
    gap = text[quote.cue_span[1] : open_at]
    lead = re.match(r"[\s,:]*(?:(?:that|что)\b)?[\s,]*", gap)
    start = quote.cue_span[1] + (lead.end() if lead else 0)
    rest = text[start:open_at]
    if word_count(rest) < 3 or re.search(r"[.!?:]\s|[“”\"«»‘’]", rest):
        return
    if rest.rstrip().endswith(",") or re.match(
        r"(?:on|in|at|during|last|this|after|before|to|for|with|about|from|back)\b", rest
    ):
        return  # said on January 6, 2022, "We …" — an adverbial, not reported words
    quote.start, quote.kind = start, "indirect"


def _same_paragraph(paragraphs: list[Span], a: int, b: int) -> bool:
    return any(s <= a <= e and s <= b <= e for s, e in paragraphs)


_MINOR_WORDS = frozenset("a an the of to in on at and or for with by from is it as".split())  # noqa: SIM905


def _is_title(content: str) -> bool:
    """A song, book or film title in quotation marks: a few words, every main word capitalised,
    no sentence ending ("Listen To The Music,", "Jesus Is Just Alright With Me")."""
    body = content.strip().rstrip(",")
    words = re.findall(r"[^\W\d_][\w’'-]*", body)
    main = [w for w in words if w.lower() not in _MINOR_WORDS]
    return (
        2 <= len(words) <= 8
        and len(main) >= 2
        and all(w[0].isupper() for w in main)
        and not re.search(r"[.!?…]\W*$", body)
        and not body.isupper()  # a shouted slogan is said
    )


def _sentence_like(content: str) -> bool:
    return bool(re.search(r"[.!?…]\W*$", content.strip())) and content.strip()[:1].isupper()


def _named(doc: Document, prior: Sequence[Annotation]) -> list[Named]:
    """Entity mentions from the entity analyzer; capitalised names when there are none."""
    named = []
    for a in prior:
        if a.layer == Layer.ENTITY and a.start is not None and a.end is not None:
            name = str(a.attrs.get("entity") or doc.text[a.start : a.end])
            named.append(Named(a.start, a.end, a.label, name))
    if named:
        return sorted(named)
    # Stand-in: two to four capitalised words in a row are taken for a person's name.
    return [Named(start, end, "PER", name) for start, end, name in person_names(doc.text)]


def _speaker_id(name: str | None, ids: dict[str, str]) -> str | None:
    """The entity id of a speaker: the entity analyzer's, else the canonical id of the name."""
    if name is None:
        return None
    return ids.get(name) or entity_id(name, label="PER")
