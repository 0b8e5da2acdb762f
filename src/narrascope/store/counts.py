"""Label, attribute, entity and publication counts: the numbers behind counts and profiles.

Part of `Store.corpus` (see `store/corpus.py`); `narrascope.corpus.counts`, `.profiles`,
`.copies` and `.quotes` turn these rows into the analyst's views.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, literal_column, or_, select

from narrascope.model import Layer
from narrascope.store import schema as t
from narrascope.store.reads import NO_OUTLET, Reads, chunks, is_article, outlet_is
from narrascope.store.records import StoreStats
from narrascope.store.runs import unfinished_runs


def _largest(column: Any) -> Any:
    return select(func.max(column)).scalar_subquery()


# What every cached page asks first, built once (building it cost more than running it, #17).
_CHANGE_STAMP = select(
    _largest(t.annotations.c.id),
    _largest(t.publications.c.id),
    _largest(t.corrections.c.id),
    _largest(t.corrections.c.undone_at),
    _largest(t.analyzer_runs.c.run_at),
)
_OVERVIEW_STAMP = select(
    _largest(t.runs.c.id),
    _largest(t.runs.c.finished_at),
    select(func.count())
    .select_from(t.runs)
    .where(t.runs.c.finished_at.is_(None))
    .scalar_subquery(),
    _largest(t.problems.c.id),
    select(func.count()).select_from(t.storylines).scalar_subquery(),
    _largest(t.storylines.c.updated_at),
    select(func.count(t.storyline_docs.c.doc_id)).scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class LabelCount:
    """How many documents (and annotations) carry `label`, for one outlet or one day."""

    label: str
    key: str
    documents: int
    annotations: int


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One entity (or speaker) in one document: its id, name, label, annotations, surface forms."""

    doc_id: str
    entity_id: str
    name: str
    label: str
    annotations: int
    aliases: tuple[str, ...] = ()


def _strings(value: Any) -> tuple[str, ...]:
    """A JSON list of strings as read back from `attrs` (text on SQLite and PostgreSQL)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat()[:10] if isinstance(value, (date, datetime)) else str(value)[:10]


class LabelCounts(Reads):
    """Aggregates over annotations, outlets and publications."""

    def store_stats(self) -> StoreStats:
        """What `Store.stats` returns: counts of every table a user asks about."""

        def count(conn: Connection, table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        def pairs(rows: Iterable[Any]) -> dict[str, int]:
            return {str(key): int(n) for key, n in rows}

        a, c = t.annotations.c, t.copies.c
        with self._db.read() as conn:
            return StoreStats(
                documents=count(conn, t.documents),
                publications=count(conn, t.publications),
                outlets=count(conn, t.outlets),
                annotations=pairs(conn.execute(select(a.layer, func.count()).group_by(a.layer))),
                copies=pairs(conn.execute(select(c.kind, func.count()).group_by(c.kind))),
                clusters=count(conn, t.clusters),
                problems=count(conn, t.problems),
                runs=count(conn, t.runs),
                unfinished=unfinished_runs(conn),
            )

    def change_stamp(self) -> tuple[Any, ...]:
        """A value that changes with every write the corpus views read; read once per
        `Store.snapshot()`.

        New documents add publications, analyses and corrections add annotation rows (ids only
        grow), a correction or its undo adds or stamps a `corrections` row, a re-analysis
        stamps `analyzer_runs`: the largest of each moves. Caches of whole-corpus aggregates
        (pick-lists, the dashboard, searches) key on it instead of recounting the corpus per
        request. Under 1 ms: the last re-analysis comes from the index on `analyzer_runs.run_at`
        (without it, a scan of a row per document and analyzer: ~30 ms for 120,000 rows, #17).
        """
        memo = self._db.memo()
        if memo is not None and "change_stamp" in memo:
            return memo["change_stamp"]
        with self._db.read() as conn:
            stamp = tuple(conn.execute(_CHANGE_STAMP).one())
        if memo is not None:
            memo["change_stamp"] = stamp
        return stamp

    def overview_stamp(self) -> tuple[Any, ...]:
        """`change_stamp()` and what else the corpus overview counts: runs begun and ended,
        problems recorded, storylines built or updated; ~0.7 ms at 10,000 articles.

        `store_stats()` itself recounted every table, ~35 ms at 10,000 articles, for every
        dashboard request only to see whether the cached one still held (#17).
        """
        with self._db.read() as conn:
            return (*self.change_stamp(), *conn.execute(_OVERVIEW_STAMP).one())

    def last_run_settings(self) -> dict[str, Any]:
        """The settings of the latest `analyze` run (profile, model folder, outlet…); empty
        when nothing was analyzed yet."""
        r = t.runs.c
        with self._db.read() as conn:
            settings = conn.execute(
                select(r.settings).order_by(r.id.desc()).limit(1)
            ).scalar_one_or_none()
        return dict(settings or {})

    def outlet_counts(self) -> list[tuple[str | None, int, int, datetime | None, datetime | None]]:
        """`(outlet, documents, words, first published, last published)` per outlet."""
        d, o = t.documents.c, t.outlets.c
        query = (
            select(
                o.name,
                func.count(),
                func.sum(d.words),
                func.min(d.published_utc),
                func.max(d.published_utc),
            )
            .select_from(t.documents)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(is_article())
            .group_by(o.name)
        )
        with self._db.read() as conn:
            return [(n, int(c), int(w or 0), a, b) for n, c, w, a, b in conn.execute(query)]

    def label_counts(
        self, layers: Sequence[Layer | str], *, by: str, outlet: str | None = None
    ) -> list[LabelCount]:
        """Documents and annotations per label of `layers`, by outlet, day, or not at all."""
        a, d, o = t.annotations.c, t.documents.c, t.outlets.c
        key: Any
        if by == "outlet":
            key = o.name
        elif by == "day":
            key = func.date(d.published_utc)
        elif by == "all":
            key = literal_column("'all'")
        else:
            raise ValueError(f"unknown grouping {by!r}: outlet, day or all")
        query = (
            select(a.label, key, func.count(func.distinct(a.doc_id)), func.count())
            .select_from(t.annotations)
            .join(t.documents, d.id == a.doc_id)
            .outerjoin(t.outlets, o.id == d.outlet_id)
            .where(a.layer.in_([str(layer) for layer in layers]), is_article())
            # PostgreSQL refuses a constant in GROUP BY, and grouping by one changes nothing.
            .group_by(a.label, *([] if by == "all" else [key]))
        )
        if outlet is not None:
            query = query.where(outlet_is(outlet))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [
            LabelCount(
                label,
                (_day(k) or "undated") if by == "day" else (k or NO_OUTLET),
                int(docs),
                int(n),
            )
            for label, k, docs, n in rows
        ]

    def label_names(self, layers: Sequence[Layer | str]) -> list[str]:
        """The distinct labels of `layers` stored, sorted (read from the (layer, label) index)."""
        a = t.annotations.c
        query = (
            select(a.label)
            .where(a.layer.in_([str(layer) for layer in layers]))
            .distinct()
            .order_by(a.label)
        )
        with self._db.read() as conn:
            return [label for (label,) in conn.execute(query)]

    def attr_counts(
        self, layer: Layer | str, attr: str, *, outlet: str | None = None, label: str | None = None
    ) -> list[tuple[str, int, int]]:
        """`(value of attrs[attr], annotations, documents)` for a layer, most frequent first."""
        a, d = t.annotations.c, t.documents.c
        value = a.attrs[attr].as_string()
        query = (
            select(value, func.count(), func.count(func.distinct(a.doc_id)))
            .select_from(t.annotations)
            .join(t.documents, d.id == a.doc_id)
            .where(a.layer == str(layer), value.is_not(None), is_article())
            .group_by(value)
            .order_by(func.count().desc(), value)
        )
        if label is not None:
            query = query.where(a.label == label)
        if outlet is not None:
            query = query.outerjoin(t.outlets, t.outlets.c.id == d.outlet_id).where(
                outlet_is(outlet)
            )
        with self._db.read() as conn:
            return [(str(v), int(n), int(docs)) for v, n, docs in conn.execute(query) if v]

    def entity_rows(
        self,
        layer: Layer | str,
        *,
        id_attr: str = "entity_id",
        name_attr: str = "entity",
        outlet: str | None = None,
        label: str | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[EntityRow]:
        """One row per document and entity (id, name, label) of `layer`, with its annotations.

        Entity mentions (`id_attr` "entity_id"), roles (the same), or quotes (`speaker_id`,
        `speaker`), of every id or of `ids`; the corpus joins the ids across articles
        (`corpus.entities`).
        """
        a, d = t.annotations.c, t.documents.c
        name = a.attrs[name_attr].as_string()
        ident = func.coalesce(a.attrs[id_attr].as_string(), name)  # no id (older rows): the name
        aliases = (
            func.min(a.attrs["aliases"].as_string())
            if str(layer) == str(Layer.ENTITY)
            else literal_column("NULL")
        )
        query = (
            select(a.doc_id, ident, name, a.label, func.count(), aliases)
            .select_from(t.annotations)
            .join(t.documents, d.id == a.doc_id)
            .where(a.layer == str(layer), ident.is_not(None), is_article())
            .group_by(a.doc_id, ident, name, a.label)
        )
        if label is not None:
            query = query.where(a.label == label)
        if ids is not None:
            query = query.where(ident.in_(list(ids)))
        if outlet is not None:
            query = query.outerjoin(t.outlets, t.outlets.c.id == d.outlet_id).where(
                outlet_is(outlet)
            )
        with self._db.read() as conn:
            return [
                EntityRow(doc, str(i), str(n or i), lab, int(k), _strings(al))
                for doc, i, n, lab, k, al in conn.execute(query)
                if i
            ]

    def entity_ids(self, label: str) -> tuple[int, list[str]]:
        """The distinct entity ids of one type (PER, ORG, LOC) in the entity layer, with the
        highest annotation id at the time (a mark that moves whenever annotations are added)."""
        a = t.annotations.c
        ident = a.attrs["entity_id"].as_string()
        query = (
            select(ident)
            .where(a.layer == str(Layer.ENTITY), a.label == label, ident.is_not(None))
            .distinct()
        )
        with self._db.read() as conn:
            mark = conn.execute(select(func.max(a.id))).scalar() or 0
            return int(mark), [str(i) for (i,) in conn.execute(query) if i]

    def entity_ids_named(self, name: str) -> list[tuple[str, int]]:
        """`(entity id, documents)` of the entity mentions whose canonical name is `name`, most
        documents first (a page or link may name an entity instead of giving its id)."""
        a = t.annotations.c
        ident = a.attrs["entity_id"].as_string()
        docs = func.count(func.distinct(a.doc_id))
        query = (
            select(ident, docs)
            .where(a.layer == str(Layer.ENTITY), a.attrs["entity"].as_string() == name)
            .where(ident.is_not(None))
            .group_by(ident)
            .order_by(docs.desc(), ident)
        )
        with self._db.read() as conn:
            return [(str(i), int(n)) for i, n in conn.execute(query)]

    def annotations_mark(self) -> int:
        """The highest annotation id: a cheap sign that annotations were added or redone."""
        with self._db.read() as conn:
            return int(conn.execute(select(func.max(t.annotations.c.id))).scalar() or 0)

    def _entity_is(self, entity: str | Sequence[str]) -> Any:
        a = t.annotations.c
        names = [entity] if isinstance(entity, str) else list(entity)
        return or_(
            a.attrs["entity_id"].as_string().in_(names), a.attrs["entity"].as_string().in_(names)
        )

    def entity_mentions(self, entity: str | Sequence[str]) -> list[tuple[str, str, str | None]]:
        """`(doc_id, canonical name, type)` of each mention of an entity (ids or names)."""
        a = t.annotations.c
        query = (
            select(a.doc_id, a.attrs["entity"].as_string(), a.label)
            .where(a.layer == str(Layer.ENTITY), self._entity_is(entity))
            .order_by(a.id)
        )
        with self._db.read() as conn:
            return [(d, name or str(entity), label) for d, name, label in conn.execute(query)]

    def entity_roles(self, entity: str | Sequence[str]) -> list[tuple[str, int, int]]:
        """`(main role, annotations, documents)` an entity is cast in, most frequent first."""
        a = t.annotations.c
        query = (
            select(a.label, func.count(), func.count(func.distinct(a.doc_id)))
            .where(
                a.layer == str(Layer.ROLE),
                self._entity_is(entity),
                or_(a.attrs["level"].as_string() == "main", a.attrs["level"].as_string().is_(None)),
            )
            .group_by(a.label)
            .order_by(func.count().desc(), a.label)
        )
        with self._db.read() as conn:
            return [(label, int(n), int(docs)) for label, n, docs in conn.execute(query)]

    def publication_counts(self, *, min_outlets: int = 2) -> list[tuple[str, int, int]]:
        """`(doc_id, publications, distinct outlets)` of texts published more than once."""
        p = t.publications.c
        outlets = func.count(func.distinct(p.outlet_id))
        query = (
            select(p.doc_id, func.count(), outlets)
            .group_by(p.doc_id)
            .having(or_(outlets >= min_outlets, func.count() >= min_outlets))
            .order_by(outlets.desc(), func.count().desc(), p.doc_id)
        )
        with self._db.read() as conn:
            return [(i, int(n), int(k)) for i, n, k in conn.execute(query)]

    def publication_outlets(
        self, doc_ids: Sequence[str]
    ) -> dict[str, list[tuple[str | None, Any]]]:
        """Per document, `(outlet, published_utc)` of each publication, earliest first."""
        p, o = t.publications.c, t.outlets.c
        found: dict[str, list[tuple[str | None, Any]]] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = (
                    select(p.doc_id, o.name, p.published_utc)
                    .outerjoin(t.outlets, o.id == p.outlet_id)
                    .where(p.doc_id.in_(chunk))
                    .order_by(p.doc_id, p.published_utc.is_(None), p.published_utc, p.id)
                )
                for doc_id, name, when in conn.execute(query):
                    found.setdefault(doc_id, []).append((name, when))
        return found
