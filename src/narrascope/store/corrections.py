"""`Store.corrections`: analysts' corrections of labels, stored and applied to the annotations.

A correction is a row of its own (`corrections`), and its effect is written into `annotations`
in the same transaction: a rejected label's row goes, a relabelled or added one is inserted
(`analyzer = "correction"`). On a one-label layer (`model.ONE_LABEL_LAYERS`: genre per
document, main role per entity) an analyst's accept, relabel or add wins outright: every other
label of that document or entity is taken out too; so on a span of a one-value layer
(`model.ONE_VALUE_SPAN_LAYERS`: a quote's speaker, a mention's entity, a date expression's
date), every other value of that span. The model's labels a correction takes out
are kept whole in its `hidden`, refreshed when their model re-runs, so that undo puts back
what the model says now, not what an older model said. So every reader of annotations
(reader, search, profiles, storylines, report, exports) sees the corrected labels without
knowing corrections exist.
`Store.replace_annotations` calls `reapply` after writing a new model's output, and `Store.add`
after storing a dropped document again, so corrections survive re-analysis and re-storing;
`undo` puts the original back. Only `store/` writes SQL.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from narrascope.model import (
    NESTED_SPAN_LAYERS,
    ONE_LABEL_LAYERS,
    ONE_VALUE_SPAN_LAYERS,
    Annotation,
    Correction,
    CorrectionAction,
    CorrectionRefused,
    LabelKey,
    Layer,
    subject_of,
)
from narrascope.store import schema as t
from narrascope.store.engine import Connections
from narrascope.store.reads import outlet_is
from narrascope.store.records import analyzer_family, annotation_from_row, annotation_row, now

CORRECTION_ANALYZER = "correction"
"""The `analyzer` of annotation rows a correction inserted (so `undo` can find them)."""
CORRECTION_MODEL = "correction"
"""The `model` of a label an analyst added or changed: no model produced it."""
_REMOVES = (CorrectionAction.REJECT, CorrectionAction.RELABEL)
_ENSURES = (CorrectionAction.ACCEPT, CorrectionAction.RELABEL, CorrectionAction.ADD)


class CorrectionTable:
    """Corrections of one database: write (checked), undo, list, and re-apply after analysis."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    # -- writing -----------------------------------------------------------------------------------
    def add(self, correction: Correction) -> Correction:
        """Store a correction and apply it; `CorrectionRefused` (nothing stored) if it cannot be.

        Refused: a document or label that no longer exists, a span out of the text or
        overlapping the same label, a label the document already has, a missing user.
        """
        if not correction.user.strip():
            raise CorrectionRefused("a correction needs the name of who made it")
        with self._db.write() as conn:
            length = _document_length(conn, correction.doc_id)
            old = correction.old
            rows = _LayerRows(conn, correction.doc_id, correction.layer)
            if correction.action is CorrectionAction.ADD:
                if old is not None:
                    raise CorrectionRefused("an added label has no old value")
            elif old is None or not rows.matching(LabelKey.of(old)):
                raise CorrectionRefused(
                    f"no such label on document {correction.doc_id}: it was re-analysed or "
                    "corrected since; reload and try again"
                )
            new = correction.new
            if correction.action is CorrectionAction.ACCEPT:
                new = old
            elif correction.action is CorrectionAction.REJECT:
                new = None
            if new is not None:
                _check_new(rows, length, new, old)
            stored = replace(
                correction,
                new=new,
                created_at=now(),
                model=old.model if old is not None else "",
                undone_at=None,
                undone_by="",
            )
            hidden = _apply(conn, stored, rows)
            row_id = conn.execute(
                _INSERT_CORRECTION, {**_row(stored), "hidden": hidden or None}
            ).inserted_primary_key
            assert row_id is not None
            stored = replace(stored, id=int(row_id[0]))
        return stored

    def undo(self, correction_id: int, *, user: str) -> Correction:
        """Take a correction back: the original label returns, the correction stays as history."""
        if not user.strip():
            raise CorrectionRefused("undoing a correction needs the name of who undoes it")
        c = t.corrections.c
        with self._db.write() as conn:
            row = (
                conn.execute(select(t.corrections).where(c.id == correction_id)).mappings().first()
            )
            if row is None:
                raise CorrectionRefused(f"no correction {correction_id}")
            if row["undone_at"] is not None:
                raise CorrectionRefused(f"correction {correction_id} was already undone")
            conn.execute(
                t.corrections.update()
                .where(c.id == correction_id)
                .values(undone_at=now(), undone_by=user)
            )
            done = correction_from_row(row)
            if done.new is not None:  # only rows the correction inserted, never the model's
                _delete(conn, LabelKey.of(done.new), analyzer=CORRECTION_ANALYZER)
            for hidden in row["hidden"] or []:  # the model's labels as they are now
                _ensure(conn, annotation_from_row(hidden), analyzer=hidden["analyzer"])
            if (
                done.old is not None
                and done.action in _REMOVES
                and _still_made(conn, done.old)
                and not _slot_taken(conn, done.old)
            ):
                _ensure(conn, done.old, analyzer=analyzer_family(done.old.model))
            self.reapply(conn, done.doc_id)  # the document's other corrections still hold
            row = conn.execute(select(t.corrections).where(c.id == correction_id)).mappings().one()
        return correction_from_row(row)

    def reapply(
        self, conn: Connection, doc_id: str, *, rerun: Collection[str] = (), fresh: bool = False
    ) -> None:
        """Apply the document's standing corrections again, oldest first, whenever the labels
        they correct were written again: after re-analysis, or the document stored anew.

        `rerun`: the analyzer families whose output was just replaced; the labels of their
        earlier run that a correction hid are gone for good, and what it hides of the new
        run is kept instead. `fresh`: the document was dropped and stored again, so every
        label hidden before is gone.
        """
        c = t.corrections.c
        query = (
            select(t.corrections).where(c.doc_id == doc_id, c.undone_at.is_(None)).order_by(c.id)
        )
        for row in conn.execute(query).mappings().all():
            before = row["hidden"] or []
            kept = [] if fresh else [h for h in before if h["analyzer"] not in rerun]
            hidden = kept + [h for h in _apply(conn, correction_from_row(row)) if h not in kept]
            if hidden != before:
                conn.execute(
                    t.corrections.update().where(c.id == row["id"]).values(hidden=hidden or None)
                )

    # -- reading -----------------------------------------------------------------------------------
    def get(self, correction_id: int) -> Correction | None:
        c = t.corrections.c
        with self._db.read() as conn:
            row = (
                conn.execute(select(t.corrections).where(c.id == correction_id)).mappings().first()
            )
        return None if row is None else correction_from_row(row)

    def of(self, doc_id: str | None = None, *, undone: bool = False) -> list[Correction]:
        """Corrections in the order they were made, of one document or all; standing ones only
        unless `undone`."""
        c = t.corrections.c
        query = select(t.corrections).order_by(c.id)
        if doc_id is not None:
            query = query.where(c.doc_id == doc_id)
        if not undone:
            query = query.where(c.undone_at.is_(None))
        with self._db.read() as conn:
            return [correction_from_row(row) for row in conn.execute(query).mappings()]

    def count(self) -> int:
        """How many corrections stand (not undone)."""
        c = t.corrections.c
        query = select(func.count()).select_from(t.corrections).where(c.undone_at.is_(None))
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def annotation(self, annotation_id: int) -> Annotation | None:
        """The stored annotation with this row id (the id the review queue and reader show)."""
        with self._db.read() as conn:
            row = conn.execute(_ANNOTATION_BY_ID, {"id": annotation_id}).mappings().first()
        return None if row is None else annotation_from_row(row)

    def annotated(self, doc_id: str) -> list[tuple[int, Annotation]]:
        """The document's annotations with their row ids, in storage order."""
        a = t.annotations.c
        query = select(t.annotations).where(a.doc_id == doc_id).order_by(a.id)
        with self._db.read() as conn:
            return [(row["id"], annotation_from_row(row)) for row in conn.execute(query).mappings()]

    def candidates(
        self,
        *,
        outlet: str | None = None,
        layers: Sequence[Layer] = (),
        label: str | None = None,
        batch: int = 5000,
    ) -> Iterator[tuple[int, Annotation]]:
        """Model-made annotations (not from corrections) with their row ids, streamed by id."""
        a = t.annotations.c
        query = select(t.annotations).where(a.analyzer != CORRECTION_ANALYZER).order_by(a.id)
        if layers:
            query = query.where(a.layer.in_([str(layer) for layer in layers]))
        if label is not None:
            query = query.where(a.label == label)
        if outlet is not None:
            query = (
                query.join(t.documents, t.documents.c.id == a.doc_id)
                .outerjoin(t.outlets, t.outlets.c.id == t.documents.c.outlet_id)
                .where(outlet_is(outlet))
            )
        after = 0
        while True:
            with self._db.read() as conn:
                rows = conn.execute(query.where(a.id > after).limit(batch)).mappings().all()
            yield from ((row["id"], annotation_from_row(row)) for row in rows)
            if len(rows) < batch:
                return
            after = rows[-1]["id"]

    def label_counts(self) -> dict[tuple[str, str], int]:
        """How many annotations each (layer, label) has: what makes a label rare."""
        a = t.annotations.c
        query = select(a.layer, a.label, func.count()).group_by(a.layer, a.label)
        with self._db.read() as conn:
            return {(layer, label): int(n) for layer, label, n in conn.execute(query)}

    def reviewed(self) -> set[LabelKey]:
        """The keys of labels a standing correction settled (as they were, and as they are)."""
        keys: set[LabelKey] = set()
        for done in self.of():
            keys.update(LabelKey.of(ann) for ann in (done.old, done.new) if ann is not None)
        return keys


# -- applying ------------------------------------------------------------------------------------
def _apply(
    conn: Connection, correction: Correction, rows: _LayerRows | None = None
) -> list[dict[str, Any]]:
    """Write a correction's effect into `annotations`; the model's rows it took out (the label
    it rejects or relabels as the model gives it now, and on one-label layers every other
    label of its slot), whole, to be put back when it is undone. `rows`: the document's rows
    of the correction's layer, when the caller has read them already."""
    rows = rows if rows is not None else _LayerRows(conn, correction.doc_id, correction.layer)
    hidden = []
    if correction.old is not None and correction.action in _REMOVES:
        hidden += rows.delete(rows.inside(LabelKey.of(correction.old)))
    if correction.new is not None and correction.action in _ENSURES:
        rows.ensure(correction.new, analyzer=CORRECTION_ANALYZER)
        key = LabelKey.of(correction.new)
        hidden += rows.delete([r for r in rows.slot(correction.new) if rows.key(r) != key])
    return [row for row in hidden if row["analyzer"] != CORRECTION_ANALYZER]


def _still_made(conn: Connection, ann: Annotation) -> bool:
    """Whether `ann` is an analyst's label or its model's output is still what the document
    holds: only then may undo put it back by itself. A label of a model re-run since, or of
    the other profile, returns only if the model gives it now (`hidden`), never beside (#19)."""
    if ann.model == CORRECTION_MODEL:
        return True
    r = t.analyzer_runs.c
    query = select(r.version).where(r.doc_id == ann.doc_id, r.version == ann.model)
    return conn.execute(query).first() is not None


def _slot_taken(conn: Connection, ann: Annotation) -> bool:
    """Whether `ann`'s one-label slot already holds a label (False on other layers)."""
    return bool(_LayerRows(conn, ann.doc_id, Layer(ann.layer)).slot(ann))


def _delete(
    conn: Connection, key: LabelKey, *, analyzer: str | None = None
) -> list[dict[str, Any]]:
    """Delete the annotations with this key (of this analyzer, when given); what they held."""
    rows = _LayerRows(conn, key.doc_id, key.layer)
    return rows.delete(rows.matching(key, analyzer=analyzer))


def _ensure(conn: Connection, ann: Annotation, *, analyzer: str) -> None:
    _LayerRows(conn, ann.doc_id, Layer(ann.layer)).ensure(ann, analyzer=analyzer)


# Built once: building a statement costs more than running it on a document's few labels.
_a = t.annotations.c
_LAYER_ROWS = select(t.annotations).where(
    _a.doc_id == bindparam("doc_id"), _a.layer == bindparam("layer")
)
_ANNOTATION_BY_ID = select(t.annotations).where(_a.id == bindparam("id"))
_DELETE_ANNOTATIONS = t.annotations.delete().where(_a.id.in_(bindparam("ids", expanding=True)))
_INSERT_ANNOTATION = t.annotations.insert()
_INSERT_CORRECTION = t.corrections.insert()
_DOCUMENT_LENGTH = select(func.length(t.documents.c.text)).where(
    t.documents.c.id == bindparam("doc_id")
)


class _LayerRows:
    """A document's annotation rows of one layer, read once and kept in step with the writes
    made through it: a correction reads them once for its checks, its slot and its writes.

    Selected by (document, layer) alone, and the label matched in Python: given the label too,
    SQLite's planner picks the (layer, label) index and walks that label across the whole
    corpus (400 ms a correction on 10,000 articles instead of a few).
    """

    def __init__(self, conn: Connection, doc_id: str, layer: Layer) -> None:
        self.conn = conn
        params = {"doc_id": doc_id, "layer": str(layer)}
        self.rows = [dict(row) for row in conn.execute(_LAYER_ROWS, params).mappings()]
        self._keys: dict[int, LabelKey] = {}

    def key(self, row: dict[str, Any]) -> LabelKey:
        """The row's label key (worked out once per row)."""
        if row["id"] not in self._keys:
            self._keys[row["id"]] = LabelKey.of(annotation_from_row(row))
        return self._keys[row["id"]]

    def matching(self, key: LabelKey, *, analyzer: str | None = None) -> list[dict[str, Any]]:
        """The rows with this key (and of this analyzer, when given)."""
        return [
            row
            for row in self.rows
            if self.key(row) == key and (analyzer is None or row["analyzer"] == analyzer)
        ]

    def inside(self, key: LabelKey) -> list[dict[str, Any]]:
        """The rows with this key and, on a layer of nested spans (`NESTED_SPAN_LAYERS`), the
        rows of the same label and subject on a span inside the key's: what a rejection of the
        key's label takes out."""
        if key.layer not in NESTED_SPAN_LAYERS or key.start is None or key.end is None:
            return self.matching(key)
        start, end = key.start, key.end
        return [
            row
            for row in self.rows
            if (found := self.key(row)) == key
            or (
                (found.label, found.subject) == (key.label, key.subject)
                and found.start is not None
                and found.end is not None
                and start <= found.start
                and found.end <= end
            )
        ]

    def slot(self, ann: Annotation) -> list[dict[str, Any]]:
        """The rows of `ann`'s one-label slot: its layer's labels about the same entity
        (genre, roles) or on the same span (quotes, entity mentions, dates); none on a layer
        that gives several labels."""
        layer = Layer(ann.layer)
        if layer in ONE_LABEL_LAYERS:
            subject = subject_of(ann)
            return [row for row in self.rows if self.key(row).subject == subject]
        if layer in ONE_VALUE_SPAN_LAYERS and ann.start is not None:
            return [row for row in self.rows if (row["start"], row["end"]) == (ann.start, ann.end)]
        return []

    def delete(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Delete these rows; what they held, whole (without their row ids)."""
        if rows:
            gone = {row["id"] for row in rows}
            self.conn.execute(_DELETE_ANNOTATIONS, {"ids": sorted(gone)})
            self.rows = [row for row in self.rows if row["id"] not in gone]
            for row_id in gone:  # SQLite may give a row inserted next the same id
                self._keys.pop(row_id, None)
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]

    def ensure(self, ann: Annotation, *, analyzer: str) -> None:
        """Insert `ann` unless a row with its key is there."""
        if self.matching(LabelKey.of(ann)):
            return
        values = annotation_row(ann, doc_id=ann.doc_id, analyzer=analyzer)
        found = self.conn.execute(_INSERT_ANNOTATION, values).inserted_primary_key
        assert found is not None
        self.rows.append({**values, "id": int(found[0])})
        self._keys[int(found[0])] = LabelKey.of(ann)


# -- checking ------------------------------------------------------------------------------------
def _document_length(conn: Connection, doc_id: str) -> int:
    """The document's length in characters, as `len(Document.text)` counts them."""
    length = conn.execute(_DOCUMENT_LENGTH, {"doc_id": doc_id}).scalar()
    if length is None:
        raise CorrectionRefused(f"no document {doc_id!r} in this database")
    return int(length)


def _check_new(rows: _LayerRows, length: int, new: Annotation, old: Annotation | None) -> None:
    """Refuse a new value that is out of the text, overlaps its own label, or is there already."""
    if (new.start is None) != (new.end is None):
        raise CorrectionRefused("a span needs both a start and an end")
    if new.start is not None and new.end is not None and not 0 <= new.start < new.end <= length:
        raise CorrectionRefused(
            f"span {new.start}-{new.end} is out of the text (0-{length}) or empty"
        )
    if old is not None and LabelKey.of(new) == LabelKey.of(old):
        if new.model == old.model:
            return  # an accept: the label stays what it is
        raise CorrectionRefused(
            "this relabel changes neither label, span, speaker nor entity: accept it instead"
        )
    if old is not None and (old.start is None) != (new.start is None):
        raise CorrectionRefused(
            f"a {old.layer} label is {'document' if old.start is None else 'span'}-level: "
            "keep it so"
        )
    for row in rows.rows:
        other = rows.key(row)
        if other.label != new.label or other.subject != subject_of(new):
            continue
        if old is not None and other == LabelKey.of(old):
            continue  # the label being changed does not stand in its own way
        if other.start is None or new.start is None:
            raise CorrectionRefused(f"document {new.doc_id} already has {new.layer} {new.label!r}")
        if other.start < (new.end or 0) and new.start < (other.end or 0):
            raise CorrectionRefused(
                f"span {new.start}-{new.end} overlaps {new.label!r} at {other.start}-{other.end}"
            )


# -- rows ----------------------------------------------------------------------------------------
def _ann_json(ann: Annotation | None) -> dict[str, Any] | None:
    if ann is None:
        return None
    row = annotation_row(ann, doc_id=ann.doc_id)
    row.pop("analyzer")
    return row


def _row(c: Correction) -> dict[str, Any]:
    old, new = c.old, c.new
    return {
        "doc_id": c.doc_id,
        "layer": str(c.layer),
        "action": str(c.action),
        "user": c.user,
        "created_at": c.created_at,
        "subject": subject_of(new or old),  # type: ignore[arg-type]
        "old_label": old.label if old else None,
        "old_start": old.start if old else None,
        "old_end": old.end if old else None,
        "new_label": new.label if new else None,
        "new_start": new.start if new else None,
        "new_end": new.end if new else None,
        "model": c.model,
        "old": _ann_json(old),
        "new": _ann_json(new),
        "note": c.note,
        "undone_at": c.undone_at,
        "undone_by": c.undone_by or None,
    }


def correction_from_row(row: Mapping[Any, Any]) -> Correction:
    """A stored correction as the model's `Correction`."""
    return Correction(
        action=CorrectionAction(row["action"]),
        user=row["user"],
        old=annotation_from_row(row["old"]) if row["old"] else None,
        new=annotation_from_row(row["new"]) if row["new"] else None,
        note=row["note"],
        id=int(row["id"]),
        created_at=row["created_at"],
        model=row["model"],
        undone_at=row["undone_at"],
        undone_by=row["undone_by"] or "",
    )
