"""Reads and writes of the storyline tables (`narrascope.corpus.storylines` computes them).

The tables are declared with the others in `schema.py` (migration `0002c` creates them).
Part of `Store.corpus` (see `store/corpus.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, or_, select

from narrascope.store import schema as t
from narrascope.store.reads import Reads, as_datetime, chunks, is_article
from narrascope.store.records import now


@dataclass(slots=True)
class StorylineRow:
    """A stored storyline: its running centroid and what the corpus view shows of it."""

    id: str
    label: str
    label_doc_id: str
    label_start: int
    label_end: int
    label_vector: np.ndarray
    vector_sum: np.ndarray
    members: int
    documents: int
    outlets: int
    first_doc_id: str
    first_outlet: str | None
    first_seen: datetime
    last_seen: datetime
    narratives: dict[str, int] = field(default_factory=dict)

    @property
    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.vector_sum)) or 1.0
        return self.vector_sum / norm


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A sentence in a storyline, with its document's outlet and date."""

    storyline_id: str
    doc_id: str
    idx: int
    similarity: float
    outlet: str | None
    published: datetime | None
    at: datetime


def _vec(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).copy()


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


class StorylineTables(Reads):
    """Reads and writes of the storyline tables, and the copies storylines must skip."""

    # -- storylines ---------------------------------------------------------------------------------
    def pending_storyline_docs(self, *, limit: int) -> list[tuple[str, datetime, str | None]]:
        """`(doc_id, clock, outlet)` of documents not yet in storylines, earliest clock first."""
        d, o, sd = t.documents.c, t.outlets.c, t.storyline_docs.c
        clock = func.coalesce(d.published_utc, d.added_at)
        query = (
            select(d.id, clock, o.name)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .outerjoin(t.storyline_docs, sd.doc_id == d.id)
            .where(sd.doc_id.is_(None), is_article())
            .order_by(clock, d.id)
            .limit(limit)
        )
        with self._db.read() as conn:
            return [(i, as_datetime(c), n) for i, c, n in conn.execute(query)]

    def storyline_docs_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, str | None]]:
        """`(doc_id, clock, outlet)` of processed documents whose clock falls in [start, end]."""
        sd, d, o = t.storyline_docs.c, t.documents.c, t.outlets.c
        query = (
            select(sd.doc_id, sd.at, o.name)
            .join(t.documents, d.id == sd.doc_id)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(sd.at >= start, sd.at <= end)
            .order_by(sd.at, sd.doc_id)
        )
        with self._db.read() as conn:
            return [(i, as_datetime(c), n) for i, c, n in conn.execute(query)]

    def assigned_sentences(self, doc_ids: Sequence[str]) -> set[tuple[str, int]]:
        """`(doc_id, idx)` of these documents' sentences that belong to a storyline."""
        m = t.storyline_members.c
        found: set[tuple[str, int]] = set()
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = select(m.doc_id, m.idx).where(m.doc_id.in_(chunk))
                found.update((i, int(x)) for i, x in conn.execute(query))
        return found

    def near_copies(self, doc_ids: Sequence[str]) -> set[str]:
        """Which of these documents repeat another one whole (exact or near copies)."""
        c = t.copies.c
        found: set[str] = set()
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = select(c.copy_id).where(c.copy_id.in_(chunk), c.kind.in_(["exact", "near"]))
                found.update(conn.execute(query).scalars())
        return found

    def copy_pairs(self, doc_ids: Sequence[str]) -> set[frozenset[str]]:
        """Pairs of documents (one of them in `doc_ids`) linked as copies or one cluster."""
        c, f = t.copies.c, t.fingerprints.c
        pairs: set[frozenset[str]] = set()
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = select(c.copy_id, c.original_id).where(
                    or_(c.copy_id.in_(chunk), c.original_id.in_(chunk))
                )
                pairs.update(frozenset(p) for p in conn.execute(query))
                clusters = select(f.cluster_id).where(f.doc_id.in_(chunk)).scalar_subquery()
                members: dict[str, list[str]] = {}
                query2 = select(f.cluster_id, f.doc_id).where(f.cluster_id.in_(clusters))
                for cluster_id, doc_id in conn.execute(query2):
                    members.setdefault(cluster_id, []).append(doc_id)
                for group in members.values():
                    pairs.update(
                        frozenset((x, y)) for i, x in enumerate(group) for y in group[i + 1 :]
                    )
        return pairs

    def active_storylines(self, start: datetime, end: datetime) -> list[StorylineRow]:
        """Storylines seen in [start, end] (their last sentence on or after `start`)."""
        s = t.storylines.c
        query = select(t.storylines).where(s.last_seen >= start, s.first_seen <= end).order_by(s.id)
        with self._db.read() as conn:
            return [_storyline(r) for r in conn.execute(query).mappings()]

    def storyline_rows(
        self,
        *,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        min_outlets: int = 1,
        vectors: bool = True,
    ) -> list[StorylineRow]:
        """Storylines, widest first (outlets, documents, members), or the given ones.

        `vectors=False` leaves the centroid blobs unread (empty), for lists that only show.
        """
        s = t.storylines.c
        shown = [c for c in t.storylines.c if vectors or c.name not in _BLOBS]
        query = select(*shown).order_by(
            s.outlets.desc(), s.documents.desc(), s.members.desc(), s.id
        )
        if min_outlets > 1:
            query = query.where(s.outlets >= min_outlets)
        rows: list[StorylineRow] = []
        with self._db.read() as conn:
            if ids is not None:
                for chunk in chunks(list(ids)):
                    rows += [
                        _storyline(r) for r in conn.execute(query.where(s.id.in_(chunk))).mappings()
                    ]
                return rows
            if limit is not None:
                query = query.limit(limit)
            return [_storyline(r) for r in conn.execute(query).mappings()]

    def storyline_ids_present(self, ids: Sequence[str]) -> set[str]:
        """Which of these storyline ids are stored."""
        found: set[str] = set()
        with self._db.read() as conn:
            for chunk in chunks(list(ids)):
                query = select(t.storylines.c.id).where(t.storylines.c.id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def storyline_ids_of(self, doc_id: str) -> list[str]:
        """Storylines with a sentence in this document."""
        m = t.storyline_members.c
        query = select(m.storyline_id).where(m.doc_id == doc_id).distinct()
        with self._db.read() as conn:
            return sorted(conn.execute(query).scalars())

    def storyline_members(self, storyline_ids: Sequence[str]) -> list[MemberRow]:
        """Member sentences of these storylines with outlet and date, earliest first."""
        m, d, o, sd = t.storyline_members.c, t.documents.c, t.outlets.c, t.storyline_docs.c
        rows: list[MemberRow] = []
        with self._db.read() as conn:
            for chunk in chunks(list(storyline_ids)):
                query = (
                    select(
                        m.storyline_id,
                        m.doc_id,
                        m.idx,
                        m.similarity,
                        o.name,
                        d.published,
                        sd.at,
                    )
                    .join(t.documents, d.id == m.doc_id)
                    .join(t.storyline_docs, sd.doc_id == m.doc_id)
                    .outerjoin(t.outlets, o.id == d.outlet_id)
                    .where(m.storyline_id.in_(chunk))
                    .order_by(m.storyline_id, sd.at, m.doc_id, m.idx)
                )
                rows += [
                    MemberRow(
                        sid,
                        doc_id,
                        int(idx),
                        float(sim),
                        outlet,
                        datetime.fromisoformat(pub) if pub else None,
                        as_datetime(at),
                    )
                    for sid, doc_id, idx, sim, outlet, pub, at in conn.execute(query)
                ]
        return rows

    def storyline_count(self) -> int:
        """How many storylines are stored."""
        with self._db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(t.storylines)).scalar_one())

    def storylines_seen(self, doc_id: str | None = None) -> bool:
        """Whether an update of the storylines has read this document (or, None, any document)."""
        sd = t.storyline_docs.c
        query = select(sd.doc_id).limit(1)
        if doc_id is not None:
            query = query.where(sd.doc_id == doc_id)
        with self._db.read() as conn:
            return conn.execute(query).first() is not None

    def write_storylines(
        self,
        rows: Sequence[StorylineRow],
        members: Sequence[tuple[str, str, int, float]],
        docs: Sequence[tuple[str, datetime]],
        *,
        existing: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Insert new storylines, update `existing` ones, add members, mark documents seen.

        `(storyline_id, doc_id, idx, similarity)` per member. One transaction, statements
        executed once per kind with many parameter sets.
        """
        stamp = now()

        def values(row: StorylineRow) -> dict[str, Any]:
            return {
                "label": row.label,
                "label_doc_id": row.label_doc_id,
                "label_start": row.label_start,
                "label_end": row.label_end,
                "label_vector": _blob(row.label_vector),
                "vector_sum": _blob(row.vector_sum),
                "members": row.members,
                "documents": row.documents,
                "outlets": row.outlets,
                "first_doc_id": row.first_doc_id,
                "first_outlet": row.first_outlet,
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
                "narratives": row.narratives,
                "updated_at": stamp,
            }

        inserts = [{"id": r.id, **values(r)} for r in rows if r.id not in existing]
        updates = [{"key": r.id, **values(r)} for r in rows if r.id in existing]
        with self._db.write() as conn:
            if inserts:
                conn.execute(t.storylines.insert(), inserts)
            if updates:
                columns: dict[str, Any] = {k: bindparam(k) for k in updates[0] if k != "key"}
                conn.execute(
                    t.storylines.update()
                    .where(t.storylines.c.id == bindparam("key"))
                    .values(columns),
                    updates,
                )
            if members:
                conn.execute(
                    self._insert(t.storyline_members).on_conflict_do_nothing(),
                    [
                        {"storyline_id": sid, "doc_id": d, "idx": i, "similarity": sim}
                        for sid, d, i, sim in members
                    ],
                )
            if docs:
                conn.execute(
                    self._insert(t.storyline_docs).on_conflict_do_nothing(),
                    [{"doc_id": d, "at": at, "processed_at": stamp} for d, at in docs],
                )

    def clear_storylines(self) -> None:
        """Forget every storyline and which documents they saw (before a full rebuild)."""
        with self._db.write() as conn:
            for tbl in (t.storyline_members, t.storyline_docs, t.storylines):
                conn.execute(tbl.delete())


_BLOBS = ("label_vector", "vector_sum")
_EMPTY = np.zeros(0, dtype=np.float32).tobytes()


def _storyline(r: Any) -> StorylineRow:
    return StorylineRow(
        id=r["id"],
        label=r["label"],
        label_doc_id=r["label_doc_id"],
        label_start=r["label_start"],
        label_end=r["label_end"],
        label_vector=_vec(r.get("label_vector", _EMPTY)),
        vector_sum=_vec(r.get("vector_sum", _EMPTY)),
        members=r["members"],
        documents=r["documents"],
        outlets=r["outlets"],
        first_doc_id=r["first_doc_id"],
        first_outlet=r["first_outlet"],
        first_seen=as_datetime(r["first_seen"]),
        last_seen=as_datetime(r["last_seen"]),
        narratives=dict(r["narratives"] or {}),
    )
