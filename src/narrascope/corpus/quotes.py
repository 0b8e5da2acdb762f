"""Quotes across articles: who is quoted most, and the same quote travelling between outlets.

A travelling quote is one speaker's words found in several documents with near-identical
content; each occurrence carries the word-level differences from the earliest one, so an
analyst sees where a quote was trimmed, reworded or extended on its way.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET


@dataclass(frozen=True, slots=True)
class QuotedPerson:
    """A speaker with how many quotes, documents and outlets quote them."""

    speaker: str
    quotes: int
    documents: int


@dataclass(frozen=True, slots=True)
class WordChange:
    """One stretch of a diff: `kind` is "same", "added" or "removed" (words, space-joined)."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class QuoteOccurrence:
    """Where one version of the quote appears; offsets index the document's text."""

    doc_id: str
    outlet: str
    published: datetime | None
    start: int
    end: int
    text: str
    kind: str  # direct | indirect
    similarity: float  # to the earliest version, 0–1
    changes: tuple[WordChange, ...] = ()


@dataclass(slots=True)
class TravellingQuote:
    """The same speaker's near-identical words in several documents, earliest first."""

    speaker: str
    text: str  # the earliest version
    occurrences: list[QuoteOccurrence] = field(default_factory=list)

    @property
    def outlets(self) -> int:
        return len({o.outlet for o in self.occurrences})


def most_quoted(store: Store, limit: int = 20, *, outlet: str | None = None) -> list[QuotedPerson]:
    """Speakers with the most quotes (then documents), optionally in one outlet; one person
    is one row, whatever each article called them (`corpus.entities`, #17)."""
    from narrascope.corpus.entities import person_ids, ranked

    rows = store.corpus.entity_rows(
        Layer.QUOTE, id_attr="speaker_id", name_attr="speaker", outlet=outlet
    )
    people = sorted(ranked(rows, person_ids(store)), key=lambda r: (-r[2], -r[3], r[1]))
    return [QuotedPerson(name, n, docs) for _, name, n, docs in people[:limit]]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:['’]\w+)?", text.lower())


def word_changes(before: str, after: str) -> tuple[WordChange, ...]:
    """Word-level differences from `before` to `after`, in reading order."""
    a, b = before.split(), after.split()
    norm = lambda ws: [re.sub(r"\W+", "", w.lower()) for w in ws]  # noqa: E731
    out: list[WordChange] = []
    matcher = difflib.SequenceMatcher(a=norm(a), b=norm(b), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(WordChange("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(WordChange("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(WordChange("added", " ".join(b[j1:j2])))
    return tuple(out)


def quote_travel(
    store: Store, *, min_similarity: float = 0.6, min_words: int = 5, limit: int = 200
) -> list[TravellingQuote]:
    """Quotes of one speaker whose words recur (Dice ≥ `min_similarity`) in other documents."""
    by_speaker: dict[str, list[tuple[str, int, int, str]]] = defaultdict(list)
    for ann in store.annotations(layer=Layer.QUOTE):
        speaker = ann.attrs.get("speaker")
        if speaker and ann.start is not None and ann.end is not None:
            by_speaker[speaker].append((ann.doc_id, ann.start, ann.end, ann.label))
    found: list[TravellingQuote] = []
    for speaker, quotes in sorted(by_speaker.items()):
        if len({q[0] for q in quotes}) < 2:
            continue
        docs = {q[0]: None for q in quotes}
        infos = store.corpus.doc_infos(list(docs))
        full = store.corpus.doc_texts(list(docs))
        items = []
        for doc_id, start, end, kind in quotes:
            if doc_id not in full:
                continue
            text = full[doc_id][start:end].strip()
            tokens = _words(text)
            if len(tokens) >= min_words:
                items.append((doc_id, start, end, kind, text, set(tokens)))
        groups = _group(items, min_similarity)
        for group in groups:
            if len({items[i][0] for i in group}) < 2:
                continue
            group.sort(key=lambda i: (_when(infos.get(items[i][0])), items[i][0], items[i][1]))
            first = items[group[0]]
            tq = TravellingQuote(speaker, first[4])
            for i in group:
                doc_id, start, end, kind, text, words = items[i]
                info = infos.get(doc_id)
                tq.occurrences.append(
                    QuoteOccurrence(
                        doc_id,
                        (info.outlet if info else None) or NO_OUTLET,
                        info.published if info else None,
                        start,
                        end,
                        text,
                        kind,
                        _dice(first[5], words),
                        word_changes(first[4], text) if i != group[0] else (),
                    )
                )
            found.append(tq)
    found.sort(key=lambda q: (-len({o.doc_id for o in q.occurrences}), q.speaker, q.text))
    return found[:limit]


def _when(info: object) -> tuple[bool, datetime]:
    published = getattr(info, "published", None)
    return (published is None, published.replace(tzinfo=None) if published else datetime.min)


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _group(items: list[tuple], min_similarity: float) -> list[list[int]]:
    """Connected groups of quotes from different documents whose words overlap enough.

    Only quotes sharing one of their three longest words are compared: near-identical quotes
    share them, and a speaker quoted thousands of times is not compared pair by pair.
    """
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    postings: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        for word in sorted(item[5], key=lambda w: (-len(w), w))[:3]:
            postings[word].append(i)
    compared: set[tuple[int, int]] = set()
    for ids in postings.values():
        for x, i in enumerate(ids):
            for j in ids[x + 1 :]:
                if (i, j) in compared or items[i][0] == items[j][0]:
                    continue
                compared.add((i, j))
                if _dice(items[i][5], items[j][5]) >= min_similarity:
                    parent[root(j)] = root(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[root(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]
