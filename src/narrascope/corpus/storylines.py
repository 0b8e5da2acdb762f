"""Storylines: sentences that say the same thing across documents, followed through time.

A storyline is a cluster of sentences from at least two documents whose vectors (the stored
sentence vectors, one encoder pass) lie close together and whose documents appeared within a
time window of each other. It is kept up to date incrementally: each update reads only the
documents added since the last one, joins their sentences to storylines seen in the window
(running centroids), and clusters the rest with the unassigned sentences of recent documents.
Ids are the hash of a storyline's first sentence, so they survive new documents and runs are
deterministic; a full rebuild hands old ids on to the new clusters nearest their old centroids.

Copies (near duplicates, partial reuse) are not storylines: sentence pairs between copies are
ignored, since the copies view shows them. Only named outlets count as outlets; documents with
none are counted apart (`unnamed`). A storyline is dated by its dated members only: an undated
document takes part (its time of storing bounds whom it may meet) but never sets "first seen",
which stays None when no member is dated (#15).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from narrascope.corpus import NotComputed
from narrascope.corpus.clustering import Candidate, join_existing, leader_clusters
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET
from narrascope.store.storylines import MemberRow, StorylineRow


@dataclass(frozen=True, slots=True)
class StorylineSettings:
    """How close two sentences must be (cosine) and how near in time their documents."""

    # USE-multilingual cosine. At 0.5 (floor 0.35) storylines were topics: pair precision 0.46
    # on travelled CheckThat! claims; 0.65 with a 0.6 floor gives 0.95 at recall 0.98
    # (benchmarks/storylines.py, RESULTS.md). Looser rewordings (cosine ~0.5) are left out.
    threshold: float = 0.65
    floor: float = 0.6  # every member at least this close to every other (no chaining)
    window_days: float = 7.0
    min_chars: int = 40  # shorter sentences ("He said so.") say too little to follow
    max_chars: int = 600
    batch: int = 500  # documents per incremental step
    match: float = 0.75  # a rebuilt cluster inherits an old id at least this close


@dataclass(frozen=True, slots=True)
class StorylineSentence:
    """One member sentence; `start`/`end` index its document's text."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    outlet: str | None
    published: datetime | None
    similarity: float


@dataclass(slots=True)
class Storyline:
    """Sentences saying the same thing across documents, with who said it first."""

    id: str
    label: str  # the member sentence closest to the centroid
    label_doc_id: str
    members: int
    documents: int
    outlets: int
    first_doc_id: str | None  # the earliest dated member's document (None: none is dated)
    first_outlet: str | None
    first_seen: datetime | None  # earliest publication time of a member; never the run's clock
    last_seen: datetime | None
    undated: int = 0  # member documents without a publication date
    unnamed: int = 0  # member documents without an outlet
    narratives: dict[str, int] = field(default_factory=dict)  # label → member sentences
    by_outlet: dict[str, int] = field(default_factory=dict)  # outlet → member sentences
    sentences: list[StorylineSentence] = field(default_factory=list)


@dataclass(slots=True)
class UpdateReport:
    """What one `update_storylines` did."""

    documents: int = 0
    sentences: int = 0  # candidate sentences of the new documents
    created: int = 0
    grown: int = 0
    members: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.documents} new documents ({self.sentences} sentences) in {self.seconds:.1f} s:"
            f" {self.created} new storylines, {self.grown} grown, {self.members} sentences joined"
        )


def _seed_id(doc_id: str, idx: int) -> str:
    return hashlib.sha256(f"storyline:{doc_id}:{idx}".encode()).hexdigest()[:16]


def _named(outlets: Sequence[str | None]) -> int:
    """How many distinct named outlets (an unnamed site is no outlet: #17)."""
    return len({o for o in outlets if o})


def _candidates(
    store: Store,
    docs: Sequence[tuple[str, datetime, str | None]],
    s: StorylineSettings,
    skip: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
) -> list[Candidate]:
    ids = [d for d, _, _ in docs]
    vectors = store.corpus.vectors_of(ids)
    spans = store.corpus.sentence_spans(ids)
    out: list[Candidate] = []
    for doc_id, at, outlet in docs:
        matrix, doc_spans = vectors.get(doc_id), spans.get(doc_id, [])
        if matrix is None or len(matrix) != len(doc_spans):
            continue
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = matrix / np.where(norms > 0, norms, 1.0)  # rows below are views, not copies
        seen: set[bytes] = set()
        for idx, (start, end) in enumerate(doc_spans):
            if not s.min_chars <= end - start <= s.max_chars or (doc_id, idx) in skip:
                continue
            key = matrix[idx].astype(np.float16).tobytes()  # a repeated sentence, kept once
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(doc_id, idx, at, outlet, unit[idx], start, end))
    return out


def update_storylines(
    store: Store,
    *,
    settings: StorylineSettings | None = None,
    rebuild: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> UpdateReport:
    """Bring storylines up to date with the documents added since the last update.

    Only new documents are read, with the vectors of documents in their time window. With
    `rebuild`, everything is clustered again and old ids pass to the nearest new clusters.
    """
    s = settings or StorylineSettings()
    started = time.perf_counter()
    report = UpdateReport()
    old: list[StorylineRow] = []
    if rebuild:
        old = store.corpus.storyline_rows()
        store.corpus.clear_storylines()
    claimed: set[str] = set()
    while True:
        pending = store.corpus.pending_storyline_docs(limit=s.batch)
        if not pending:
            break
        _step(store, pending, s, report, old, claimed)
        report.documents += len(pending)
        if on_progress:
            on_progress(len(pending))
    report.seconds = time.perf_counter() - started
    return report


def _step(
    store: Store,
    pending: list[tuple[str, datetime, str | None]],
    s: StorylineSettings,
    report: UpdateReport,
    old: list[StorylineRow],
    claimed: set[str],
) -> None:
    window = timedelta(days=s.window_days)
    t0, t1 = pending[0][1], pending[-1][1]
    # A near copy says what its original says: it counts in the copies view, not twice here.
    copied = store.corpus.near_copies([d for d, _, _ in pending])
    new = _candidates(store, [p for p in pending if p[0] not in copied], s)
    report.sentences += len(new)
    active = {row.id: row for row in store.corpus.active_storylines(t0 - window, t1 + window)}
    joins: dict[str, list[tuple[Candidate, float]]] = defaultdict(list)
    rest = join_existing(new, list(active.values()), window, s.threshold, joins)
    new_ids = {d for d, _, _ in pending}
    recent = [
        d
        for d in store.corpus.storyline_docs_between(t0 - window, t1 + window)
        if d[0] not in new_ids
    ]
    assigned = store.corpus.assigned_sentences([d for d, _, _ in recent])
    copied_old = store.corpus.near_copies([d for d, _, _ in recent])
    pool_old = _candidates(store, [r for r in recent if r[0] not in copied_old], s, skip=assigned)
    copies = store.corpus.copy_pairs(list(new_ids))
    clusters = leader_clusters(rest, pool_old, window, s.threshold, copies, floor=s.floor)
    rows: list[StorylineRow] = []
    owned: list[tuple[StorylineRow, str, int, float]] = []
    narratives = _NarrativeIndex(store)
    taken = set(active)
    for cluster in clusters:
        if len({c.doc_id for c in cluster}) < 2:
            continue
        row = _new_row(cluster, old, claimed, taken, s.match)
        taken.add(row.id)
        centroid = row.centroid
        for c in cluster:
            owned.append((row, c.doc_id, c.idx, float(c.vector @ centroid)))
        row.narratives = narratives.count(cluster)
        rows.append(row)
        report.created += 1
    # A seed's id can be stored already (outside the window, or handed on by a rebuild).
    stored = store.corpus.storyline_ids_present([row.id for row in rows])
    for row in rows:
        while row.id in stored or row.id in active:
            row.id = hashlib.sha256(row.id.encode()).hexdigest()[:16]
            stored |= store.corpus.storyline_ids_present([row.id])
    members = [(row.id, doc_id, idx, sim) for row, doc_id, idx, sim in owned]
    existing = store.corpus.storyline_members(list(joins))
    by_id: dict[str, list[MemberRow]] = defaultdict(list)
    for m in existing:
        by_id[m.storyline_id].append(m)
    for sid, joined in sorted(joins.items()):
        row = active[sid]
        _grow(row, joined, by_id[sid], narratives)
        members += [(sid, c.doc_id, c.idx, sim) for c, sim in joined]
        rows.append(row)
        report.grown += 1
    report.members += len(members)
    store.corpus.write_storylines(
        rows, members, [(d, at) for d, at, _ in pending], existing=set(joins)
    )


def _new_row(
    cluster: list[Candidate],
    old: list[StorylineRow],
    claimed: set[str],
    taken: set[str],
    match: float,
) -> StorylineRow:
    ordered = sorted(cluster, key=lambda c: (c.at, c.doc_id, c.idx))
    total = np.sum([c.vector for c in ordered], axis=0)
    centroid = total / (float(np.linalg.norm(total)) or 1.0)
    sid = _seed_id(ordered[0].doc_id, ordered[0].idx)
    if old:
        sims = [(float(row.centroid @ centroid), row.id) for row in old if row.id not in claimed]
        best = max(sims, default=(0.0, ""))
        if best[0] >= match:
            sid = best[1]
            claimed.add(sid)
    while sid in taken:
        sid = hashlib.sha256(sid.encode()).hexdigest()[:16]
    central = max(ordered, key=lambda c: float(c.vector @ centroid))
    first = ordered[0]
    return StorylineRow(
        id=sid,
        label="",
        label_doc_id=central.doc_id,
        label_start=central.start,
        label_end=central.end,
        label_vector=central.vector,
        vector_sum=total,
        members=len(ordered),
        documents=len({c.doc_id for c in ordered}),
        outlets=_named([c.outlet for c in ordered]),
        first_doc_id=first.doc_id,
        first_outlet=first.outlet,
        first_seen=first.at,
        last_seen=ordered[-1].at,
    )


def _grow(
    row: StorylineRow,
    joined: list[tuple[Candidate, float]],
    existing: list[MemberRow],
    narratives: _NarrativeIndex,
) -> None:
    cands = [c for c, _ in joined]
    row.vector_sum = row.vector_sum + np.sum([c.vector for c in cands], axis=0)
    centroid = row.centroid
    best = max(cands, key=lambda c: float(c.vector @ centroid))
    if float(best.vector @ centroid) > float(row.label_vector @ centroid):
        row.label, row.label_doc_id = "", best.doc_id
        row.label_start, row.label_end, row.label_vector = best.start, best.end, best.vector
    row.members += len(cands)
    docs = {m.doc_id for m in existing} | {c.doc_id for c in cands}
    row.documents = len(docs)
    row.outlets = _named([m.outlet for m in existing] + [c.outlet for c in cands])
    first = min(cands, key=lambda c: (c.at, c.doc_id))
    if (first.at, first.doc_id) < (row.first_seen, row.first_doc_id):
        row.first_seen, row.first_doc_id, row.first_outlet = first.at, first.doc_id, first.outlet
    row.last_seen = max(row.last_seen, max(c.at for c in cands))
    for label, n in narratives.count(cands).items():
        row.narratives[label] = row.narratives.get(label, 0) + n


class _NarrativeIndex:
    """Which narrative annotations' evidence covers a sentence (loaded per document, once)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._by_doc: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}

    def count(self, cands: Sequence[Candidate]) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for c in cands:
            for label, evidence in self._of(c.doc_id):
                if any(s <= c.start and c.end <= e for s, e in evidence):
                    out[label] += 1
        return dict(out)

    def _of(self, doc_id: str) -> list[tuple[str, list[tuple[int, int]]]]:
        if doc_id not in self._by_doc:
            self._by_doc[doc_id] = [
                (ann.label, [tuple(span) for span in ann.evidence])  # type: ignore[misc]
                for layer in (Layer.NARRATIVE, Layer.SUBNARRATIVE)
                for ann in self.store.annotations(doc_id, layer=layer)
            ]
        return self._by_doc[doc_id]


# -- reading ----------------------------------------------------------------------------------------
def build_storylines(
    store: Store, rows: Sequence[StorylineRow], *, max_members: int
) -> list[Storyline]:
    """Stored storyline rows as `Storyline`s, dated by their dated members, with sentences."""
    members = store.corpus.storyline_members([r.id for r in rows])
    by_id: dict[str, list[MemberRow]] = defaultdict(list)
    for m in members:
        by_id[m.storyline_id].append(m)
    shown = {m.doc_id for r in rows for m in by_id[r.id][:max_members]}
    texts = store.corpus.sentence_texts(sorted(shown | {r.label_doc_id for r in rows}))
    out = []
    for row in rows:
        label_text = next(
            (
                x
                for s, e, x in texts.get(row.label_doc_id, [])
                if (s, e) == (row.label_start, row.label_end)
            ),
            row.label,
        )
        by_outlet: dict[str, int] = defaultdict(int)
        for m in by_id[row.id]:
            by_outlet[m.outlet or NO_OUTLET] += 1
        dated = sorted((m.at, m.doc_id, m.outlet) for m in by_id[row.id] if m.published)
        docs = {m.doc_id: m for m in by_id[row.id]}
        sentences = []
        for m in by_id[row.id][:max_members]:
            spans = texts.get(m.doc_id, [])
            if m.idx < len(spans):
                start, end, text = spans[m.idx]
                sentences.append(
                    StorylineSentence(
                        m.doc_id, m.idx, start, end, text, m.outlet, m.published, m.similarity
                    )
                )
        out.append(
            Storyline(
                id=row.id,
                label=label_text,
                label_doc_id=row.label_doc_id,
                members=row.members,
                documents=row.documents,
                outlets=_named([m.outlet for m in docs.values()]),
                first_doc_id=dated[0][1] if dated else None,
                first_outlet=dated[0][2] if dated else None,
                first_seen=dated[0][0] if dated else None,
                last_seen=dated[-1][0] if dated else None,
                undated=sum(1 for m in docs.values() if not m.published),
                unnamed=sum(1 for m in docs.values() if not m.outlet),
                narratives=dict(sorted(row.narratives.items(), key=lambda kv: -kv[1])),
                by_outlet=dict(sorted(by_outlet.items(), key=lambda kv: (-kv[1], kv[0]))),
                sentences=sentences,
            )
        )
    return out


NOT_BUILT = "storylines not computed yet for this database (run: narrascope storylines)"


def storylines(
    store: Store, limit: int = 50, *, min_outlets: int = 1, max_members: int = 50
) -> list[Storyline]:
    """Storylines spanning the most outlets and documents first, with member sentences.

    `NotComputed` when documents are stored but no storyline update has read any of them.
    """
    if not store.corpus.storylines_seen() and store.corpus.pending_storyline_docs(limit=1):
        raise NotComputed(NOT_BUILT)
    rows = store.corpus.storyline_rows(limit=limit, min_outlets=min_outlets)
    return build_storylines(store, rows, max_members=max_members)


def storyline(store: Store, storyline_id: str, *, max_members: int = 500) -> Storyline | None:
    """One storyline by id, with up to `max_members` member sentences."""
    rows = store.corpus.storyline_rows(ids=[storyline_id])
    return build_storylines(store, rows, max_members=max_members)[0] if rows else None


def storylines_for(store: Store, doc_id: str, *, max_members: int = 50) -> list[Storyline]:
    """Storylines with a sentence in this document, widest first.

    `NotComputed` when no storyline update has read this document yet.
    """
    if not store.corpus.storylines_seen(doc_id):
        raise NotComputed(
            "storylines not computed yet for this document (run: narrascope storylines)"
        )
    rows = store.corpus.storyline_rows(ids=store.corpus.storyline_ids_of(doc_id))
    rows.sort(key=lambda r: (-r.outlets, -r.documents, -r.members, r.id))
    return build_storylines(store, rows, max_members=max_members)
