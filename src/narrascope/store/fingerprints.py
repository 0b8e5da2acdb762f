"""The dedup index inside the store: signatures, LSH band hashes, passage hashes, copy edges and
near-duplicate clusters. `narrascope.dedup` asks it for candidates (it fits dedup's `CopyIndex`);
`Store.add` writes the fingerprint it is handed in the document's own transaction. Fingerprints
are made by `narrascope.dedup`, never here: the store only speaks the vocabulary (`model.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Column, Connection, TextClause, and_, bindparam, case, func, select, text

from narrascope.model import CopyKind, CopyMatch, DedupSettings, Fingerprint
from narrascope.store import schema as t
from narrascope.store.engine import Connections
from narrascope.store.records import Cluster, CopyEdge

_CHUNK = 400  # ids or hashes per IN (...) list: far below every database's parameter limit
_SETTINGS_KEY = "dedup"


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _first_per_key(
    conn: Connection, columns: Sequence[Column], keys: Sequence[Sequence[Any]], n: int
) -> list[tuple[int, str]]:
    """The first `n` doc ids (in id order) of the rows matching each key on `columns`, each
    with the index of its key in `keys`.

    One LIMITed index range per key, joined by UNION ALL: a key that thousands of documents
    share (a paragraph reused across a corpus) costs `n` rows, not thousands, so finding
    candidates does not slow down as the corpus grows (a window over all matching rows did).
    """
    if not keys:
        return []
    params: dict[str, Any] = {"n": n}
    for i, key in enumerate(keys):
        params.update({f"k{i}_{j}": value for j, value in enumerate(key)})
    table = columns[0].table.name
    sql = _first_per_key_sql(table, tuple(c.name for c in columns), len(keys))
    return [(int(k), doc_id) for k, doc_id in conn.execute(sql, params)]


@lru_cache(maxsize=256)
def _first_per_key_sql(table: str, columns: tuple[str, ...], count: int) -> TextClause:
    # Plain SQL, made once per shape: SQLAlchemy compiling a 40-part union on every call cost
    # 20 ms, ten times the query itself. Names come from the schema; every value is bound.
    where = " AND ".join(f"{c} = :k{{i}}_{j}" for j, c in enumerate(columns))
    part = f"SELECT {{i}} AS k, doc_id FROM (SELECT doc_id FROM {table} WHERE {where} ORDER BY doc_id LIMIT :n) AS p{{i}}"  # noqa: S608
    return text(" UNION ALL ".join(part.format(i=i) for i in range(count)))


def precedence(published_utc: datetime | None, words: int, doc_id: str) -> tuple[Any, ...]:
    """Sort key of the canonical copy: dated before undated, earliest, then longest, then id."""
    return (published_utc is None, published_utc or datetime.min, -words, doc_id)


_PRECEDENCE_SQL = (
    case((t.documents.c.published_utc.is_(None), 1), else_=0),
    t.documents.c.published_utc,
    t.documents.c.words.desc(),
    t.documents.c.id,
)

# A document's copy edges and its cluster's size, built once (the reader asks for both, #17).
_COPIES_OF = (
    select(t.copies)
    .where(
        (t.copies.c.copy_id == bindparam("doc_id"))
        | (t.copies.c.original_id == bindparam("doc_id"))
    )
    .order_by(t.copies.c.copy_id, t.copies.c.original_id)
    .limit(bindparam("batch"))
)
_CLUSTER_SIZE = (
    select(t.clusters.c.size)
    .join(t.fingerprints, t.fingerprints.c.cluster_id == t.clusters.c.id)
    .where(t.fingerprints.c.doc_id == bindparam("doc_id"))
)


class FingerprintIndex:
    """Queries and writes over the dedup tables of one database."""

    def __init__(self, connections: Connections, insert: Any) -> None:
        self._db, self._insert = connections, insert
        self._settings: DedupSettings | None = None  # fixed once stored, so kept
        connections.on_rollback.append(self._forget)

    def _forget(self) -> None:
        self._settings = None

    # -- settings ---------------------------------------------------------------------------
    def settings(self, wanted: DedupSettings) -> DedupSettings:
        """The database's fingerprint settings; the first caller's `wanted` ones become them."""
        if self._settings is not None:
            return self._settings
        query = select(t.meta.c.value).where(t.meta.c.key == _SETTINGS_KEY)
        with self._db.read() as conn:
            stored = conn.execute(query).scalar_one_or_none()
        if stored is not None:
            self._settings = DedupSettings.from_dict(stored)
            return self._settings
        with self._db.write() as conn:
            conn.execute(
                self._insert(t.meta)
                .values(key=_SETTINGS_KEY, value=wanted.as_dict())
                .on_conflict_do_nothing()
            )
            stored = conn.execute(query).scalar_one()
        self._settings = DedupSettings.from_dict(stored)
        return self._settings

    # -- candidates -------------------------------------------------------------------------
    def same_words(self, words_sha: str) -> list[str]:
        """Documents with exactly these words in this order."""
        query = select(t.fingerprints.c.doc_id).where(t.fingerprints.c.words_sha == words_sha)
        with self._db.read() as conn:
            return list(conn.execute(query.limit(100)).scalars())

    def band_members(
        self, bands: Sequence[tuple[int, int]], *, per_bucket: int
    ) -> dict[tuple[int, int], list[str]]:
        """The first `per_bucket` documents (in id order) in each LSH bucket `(band, hash)`.

        A bucket that thousands of copies of one story share brings `per_bucket` of them.
        """
        b = t.lsh_bands.c
        out: dict[tuple[int, int], list[str]] = {}
        with self._db.read() as conn:
            for chunk in _chunks(bands):
                for k, doc_id in _first_per_key(conn, (b.band, b.hash), chunk, per_bucket):
                    out.setdefault(tuple(chunk[k]), []).append(doc_id)  # type: ignore[arg-type]
        return out

    def signatures(self, doc_ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._db.read() as conn:
            for chunk in _chunks(doc_ids):
                query = select(t.fingerprints.c.doc_id, t.fingerprints.c.signature).where(
                    t.fingerprints.c.doc_id.in_(chunk)
                )
                for doc_id, blob in conn.execute(query):
                    out[doc_id] = np.frombuffer(blob, dtype=np.uint32)
        return out

    def passage_members(self, hashes: Sequence[int], *, per_hash: int) -> dict[int, list[str]]:
        """The first `per_hash` documents (in id order) carrying each winnowed passage hash.

        A passage that hundreds of documents carry (a syndicated paragraph) brings only
        `per_hash` of them, so the cost per document stays bounded as the corpus grows.
        """
        p = t.passages.c
        out: dict[int, list[str]] = {}
        with self._db.read() as conn:
            for chunk in _chunks(hashes):
                keys = [(h,) for h in chunk]
                for k, doc_id in _first_per_key(conn, (p.hash,), keys, per_hash):
                    out.setdefault(chunk[k], []).append(doc_id)
        return out

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._db.read() as conn:
            for chunk in _chunks(doc_ids):
                query = select(t.documents.c.id, t.documents.c.text).where(
                    t.documents.c.id.in_(chunk)
                )
                out.update((i, text) for i, text in conn.execute(query))
        return out

    # -- writes (inside Store.add's transaction) -----------------------------------------------
    def write(
        self,
        conn: Connection,
        fp: Fingerprint,
        copies: Sequence[CopyMatch],
        *,
        published_utc: datetime | None,
        words: int,
    ) -> None:
        """Store `fp`, the copy edges to `copies` (copy → original) and the cluster it joins."""
        order = self._precedence(conn, [c.doc_id for c in copies])
        mine = precedence(published_utc, words, fp.doc_id)
        edges = []
        for match in copies:
            if match.doc_id not in order:
                continue  # gone since find() (cannot happen without deletes; stay safe)
            spans = match.spans
            copy_id, original_id = fp.doc_id, match.doc_id
            if mine < order[match.doc_id]:
                copy_id, original_id = original_id, copy_id
                spans = tuple(s.swapped() for s in spans)
            edges.append(
                {
                    "copy_id": copy_id,
                    "original_id": original_id,
                    "kind": str(match.kind),
                    "similarity": float(match.similarity),
                    "spans": [[s.start, s.end, s.other_start, s.other_end, s.words] for s in spans],
                }
            )
        joined = [c.doc_id for c in copies if c.kind != CopyKind.PARTIAL and c.doc_id in order]
        if joined and conn.dialect.name == "postgresql":
            # Concurrent writers merging clusters take turns (SQLite writers always do); the
            # lock lasts until this document commits, and later statements see others' commits.
            conn.execute(text("SELECT pg_advisory_xact_lock(727275)"))
        cluster_id = self._join_clusters(conn, fp.doc_id, joined)
        conn.execute(
            self._insert(t.fingerprints)
            .values(
                doc_id=fp.doc_id,
                signature=np.asarray(fp.signature, dtype=np.uint32).tobytes(),
                words=fp.words,
                words_sha=fp.words_sha,
                cluster_id=cluster_id,
            )
            .on_conflict_do_nothing()
        )
        rows = [{"band": b, "hash": h, "doc_id": fp.doc_id} for b, h in fp.bands]
        if rows:
            conn.execute(self._insert(t.lsh_bands).on_conflict_do_nothing(), rows)
        rows = [{"hash": h, "doc_id": fp.doc_id, "position": p} for h, p in fp.passages]
        if rows:
            conn.execute(self._insert(t.passages).on_conflict_do_nothing(), rows)
        if edges:
            conn.execute(self._insert(t.copies).on_conflict_do_nothing(), edges)
        if joined:
            self._refresh_cluster(conn, cluster_id)

    def _precedence(self, conn: Connection, doc_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        d = t.documents.c
        out = {}
        for chunk in _chunks(list(doc_ids)):
            query = select(d.id, d.published_utc, d.words).where(d.id.in_(chunk))
            out.update({i: precedence(p, w, i) for i, p, w in conn.execute(query)})
        return out

    def _join_clusters(self, conn: Connection, doc_id: str, joined: Sequence[str]) -> str:
        """The cluster `doc_id` belongs in, merging the clusters of everything it copies."""
        if not joined:
            return doc_id
        f = t.fingerprints.c
        found = set(conn.execute(select(f.cluster_id).where(f.doc_id.in_(joined))).scalars())
        if not found:
            return doc_id
        survivor = min(found | {doc_id})
        merged = sorted(found - {survivor})
        if merged:
            conn.execute(
                t.fingerprints.update().where(f.cluster_id.in_(merged)).values(cluster_id=survivor)
            )
            conn.execute(t.clusters.delete().where(t.clusters.c.id.in_(merged)))
        return survivor

    def _refresh_cluster(self, conn: Connection, cluster_id: str) -> None:
        f = t.fingerprints.c
        members = select(t.documents.c.id).join(t.fingerprints, f.doc_id == t.documents.c.id)
        members = members.where(f.cluster_id == cluster_id)
        size = conn.execute(
            select(func.count()).select_from(t.fingerprints).where(f.cluster_id == cluster_id)
        ).scalar_one()
        canonical = conn.execute(members.order_by(*_PRECEDENCE_SQL).limit(1)).scalar_one()
        values = {"canonical_id": canonical, "size": size}
        conn.execute(
            self._insert(t.clusters)
            .values(id=cluster_id, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )

    # -- reads ----------------------------------------------------------------------------------
    def copies(self, doc_id: str | None = None, *, batch: int = 1000) -> Iterator[CopyEdge]:
        """Copy → original edges touching `doc_id` (or all of them, streamed)."""
        c = t.copies.c
        query = select(t.copies).order_by(c.copy_id, c.original_id)
        if doc_id is not None:
            query = query.where((c.copy_id == doc_id) | (c.original_id == doc_id))
        after: tuple[str, str] | None = None
        while True:
            page = query
            if after is not None:
                page = page.where(
                    (c.copy_id > after[0]) | and_(c.copy_id == after[0], c.original_id > after[1])
                )
            with self._db.read() as conn:
                if doc_id is not None and after is None:  # the first page: its built form
                    result = conn.execute(_COPIES_OF, {"doc_id": doc_id, "batch": batch})
                else:
                    result = conn.execute(page.limit(batch))
                rows = result.mappings().all()
            for row in rows:
                yield CopyEdge(
                    copy_id=row["copy_id"],
                    original_id=row["original_id"],
                    kind=row["kind"],
                    similarity=row["similarity"],
                    spans=tuple(tuple(s) for s in row["spans"]),  # type: ignore[misc]
                )
            if len(rows) < batch:
                return
            after = (rows[-1]["copy_id"], rows[-1]["original_id"])

    def clusters(self, *, batch: int = 500) -> Iterator[Cluster]:
        """Every near-duplicate cluster, with its members canonical first (streamed)."""
        after = ""
        while True:
            query = select(t.clusters).where(t.clusters.c.id > after).order_by(t.clusters.c.id)
            with self._db.read() as conn:
                rows = conn.execute(query.limit(batch)).mappings().all()
                members = self._members(conn, [r["id"] for r in rows])
            for row in rows:
                yield Cluster(
                    row["id"], row["canonical_id"], row["size"], tuple(members.get(row["id"], ()))
                )
            if len(rows) < batch:
                return
            after = rows[-1]["id"]

    def cluster_of(self, doc_id: str) -> Cluster | None:
        """The near-duplicate cluster `doc_id` belongs to, if any."""
        f = t.fingerprints.c
        with self._db.read() as conn:
            cluster_id = conn.execute(
                select(f.cluster_id).where(f.doc_id == doc_id)
            ).scalar_one_or_none()
            row = conn.execute(
                select(t.clusters).where(t.clusters.c.id == cluster_id)
            ).mappings().one_or_none()  # fmt: skip
            if row is None:
                return None
            members = self._members(conn, [row["id"]])
        return Cluster(row["id"], row["canonical_id"], row["size"], tuple(members[row["id"]]))

    def cluster_size(self, doc_id: str) -> int:
        """How many documents the near-duplicate cluster of `doc_id` holds (1 without one)."""
        with self._db.read() as conn:
            size = conn.execute(_CLUSTER_SIZE, {"doc_id": doc_id}).scalar_one_or_none()
        return int(size) if size else 1

    def _members(self, conn: Connection, cluster_ids: Sequence[str]) -> dict[str, list[str]]:
        f = t.fingerprints.c
        query = (
            select(f.cluster_id, t.documents.c.id)
            .join(t.documents, t.documents.c.id == f.doc_id)
            .where(f.cluster_id.in_(cluster_ids))
            .order_by(f.cluster_id, *_PRECEDENCE_SQL)
        )
        out: dict[str, list[str]] = {}
        for cluster_id, doc_id in conn.execute(query) if cluster_ids else ():
            out.setdefault(cluster_id, []).append(doc_id)
        return out
