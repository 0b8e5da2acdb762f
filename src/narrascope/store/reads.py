"""What every corpus view reads from the store: document metadata, texts, sentences and vectors.

`Reads` is the base of the corpus views' SQL classes (`counts`, `search`, `storylines`), which
`CorpusIndex` (`store/corpus.py`) joins into `Store.corpus`; the small helpers they share live
here too. Only `store/` writes SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Text, bindparam, or_, select, type_coerce

from narrascope.store import schema as t
from narrascope.store.engine import Connections

CHUNK = 500
"""Ids per `IN (…)` list: well under SQLite's and PostgreSQL's parameter limits."""

NO_OUTLET = "(no outlet)"
"""How the views name the outlet of documents that have none."""


@dataclass(frozen=True, slots=True)
class DocInfo:
    """A document's metadata without its text: enough for lists, charts and links."""

    id: str
    title: str | None
    outlet: str | None
    published: datetime | None
    language: str | None
    words: int
    url: str | None


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """`items` in slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def outlet_is(outlet: str) -> Any:
    """The condition "the document's outlet is `outlet`" (`NO_OUTLET`: it has none)."""
    if outlet == NO_OUTLET:
        return t.documents.c.outlet_id.is_(None)
    return t.outlets.c.name == outlet


def is_article() -> Any:
    """The condition "the document is an article": corpus views leave other pages out (#15).

    Documents stored before page types (migration 0005) have none, and count as articles.
    """
    page_type = t.documents.c.page_type
    return or_(page_type.is_(None), page_type == "article")


def as_datetime(value: Any) -> datetime:
    """A stored timestamp as a `datetime` (SQLite hands back text)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _matrix(n: int, dim: int, data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).reshape(n, dim).astype(np.float32)


def _doc_select() -> Any:
    d, o = t.documents.c, t.outlets.c
    return select(d.id, d.title, o.name, d.published, d.language, d.words, d.url).outerjoin(
        t.outlets, o.id == d.outlet_id
    )


_DOC_INFOS = _doc_select().where(t.documents.c.id.in_(bindparam("ids", expanding=True)))
"""Built once: the reader asks it for every page's copies (#17)."""
_LABELS_ON = (
    select(
        t.annotations.c.doc_id,
        t.annotations.c.label,
        t.annotations.c.start,
        t.annotations.c.end,
        # As stored (JSON text on SQLite): decoded only where there is evidence.
        type_coerce(t.annotations.c.evidence, Text),
    )
    .where(
        t.annotations.c.doc_id.in_(bindparam("ids", expanding=True)),
        t.annotations.c.layer.in_(bindparam("layers", expanding=True)),
    )
    .order_by(t.annotations.c.id)
)
"""Built once: every search page asks it for its hits' labels (#17)."""


class Reads:
    """The database a corpus view reads (and, for storylines, writes)."""

    def __init__(self, connections: Connections, insert: Any, dialect: str) -> None:
        self._db, self._insert, self.dialect = connections, insert, dialect


class DocumentReads(Reads):
    """Document metadata without text, clean texts, sentence offsets and sentence vectors."""

    def _doc_select(self) -> Any:
        return _doc_select()

    def doc_infos(self, doc_ids: Sequence[str]) -> dict[str, DocInfo]:
        """Metadata of these documents by id (unknown ids are left out)."""
        found: dict[str, DocInfo] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(dict.fromkeys(doc_ids))):
                for row in conn.execute(_DOC_INFOS, {"ids": list(chunk)}):
                    found[row[0]] = _info(row)
        return found

    def doc_infos_all(self, *, outlet: str | None = None) -> Iterator[DocInfo]:
        """Every document's metadata in id order, streamed (no text)."""
        d = t.documents.c
        query = self._doc_select().order_by(d.id)
        if outlet is not None:
            query = query.where(outlet_is(outlet))
        after = None
        while True:
            page = query if after is None else query.where(d.id > after)
            with self._db.read() as conn:
                rows = conn.execute(page.limit(2000)).all()
            yield from (_info(r) for r in rows)
            if len(rows) < 2000:
                return
            after = rows[-1][0]

    # -- vectors ----------------------------------------------------------------------------------
    def vector_encoders(self) -> dict[str, int]:
        """The encoders whose sentence vectors are stored, with their width (dimensions)."""
        v = t.vectors.c
        with self._db.read() as conn:
            return {
                str(name): int(dim)
                for name, dim in conn.execute(select(v.encoder, v.dim).distinct())
            }

    def vector_pages(self, *, batch: int = 200) -> Iterator[list[tuple[str, np.ndarray]]]:
        """Every document's sentence vectors (float32), a page of documents at a time."""
        v = t.vectors.c
        after = None
        while True:
            query = select(v.doc_id, v.rows, v.dim, v.data).order_by(v.doc_id).limit(batch)
            if after is not None:
                query = query.where(v.doc_id > after)
            with self._db.read() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            yield [(doc_id, _matrix(n, dim, data)) for doc_id, n, dim, data in rows]
            after = rows[-1][0]

    def vectors_of(self, doc_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Sentence vectors (float32) of these documents, where stored."""
        v = t.vectors.c
        found: dict[str, np.ndarray] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = select(v.doc_id, v.rows, v.dim, v.data).where(v.doc_id.in_(chunk))
                for doc_id, n, dim, data in conn.execute(query):
                    found[doc_id] = _matrix(n, dim, data)
        return found

    def doc_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The clean text of these documents by id."""
        d = t.documents.c
        found: dict[str, str] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids), 100):
                found.update(conn.execute(select(d.id, d.text).where(d.id.in_(chunk))).all())
        return found

    def labels_on(
        self, doc_ids: Sequence[str], layers: Sequence[str]
    ) -> dict[str, list[LabelPlace]]:
        """Where the labels of these layers sit on these documents, by document, in storage
        order: only label, span and evidence are read (a search page's hits show them; whole
        annotations with their attributes decoded were ~13 % of a search's time, #17)."""
        found: dict[str, list[LabelPlace]] = {doc_id: [] for doc_id in doc_ids}
        names = [str(x) for x in layers]
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                rows = conn.execute(_LABELS_ON, {"ids": list(chunk), "layers": names})
                for doc_id, label, start, end, evidence in rows:
                    if isinstance(evidence, str):  # SQLite's text: most spans have none ("[]")
                        evidence = json.loads(evidence) if evidence != "[]" else ()
                    spans = tuple((int(s), int(e)) for s, e in evidence or ())
                    found[doc_id].append(LabelPlace(label, start, end, spans))
        return found

    def sentence_spans(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """Per document, `(start, end)` of every sentence in order (no text)."""
        s = t.sentences.c
        found: dict[str, list[tuple[int, int]]] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids)):
                query = (
                    select(s.doc_id, s.start, s.end)
                    .where(s.doc_id.in_(chunk))
                    .order_by(s.doc_id, s.idx)
                )
                for doc_id, start, end in conn.execute(query):
                    found.setdefault(doc_id, []).append((int(start), int(end)))
        return found

    def sentence_texts(self, doc_ids: Sequence[str]) -> dict[str, list[tuple[int, int, str]]]:
        """Per document, `(start, end, text)` of every sentence in order."""
        s, d = t.sentences.c, t.documents.c
        found: dict[str, list[tuple[int, int, str]]] = {}
        with self._db.read() as conn:
            for chunk in chunks(list(doc_ids), 100):
                texts = dict(conn.execute(select(d.id, d.text).where(d.id.in_(chunk))).all())
                query = (
                    select(s.doc_id, s.start, s.end)
                    .where(s.doc_id.in_(chunk))
                    .order_by(s.doc_id, s.idx)
                )
                for doc_id, start, end in conn.execute(query):
                    found.setdefault(doc_id, []).append((start, end, texts[doc_id][start:end]))
        return found


@dataclass(frozen=True, slots=True)
class LabelPlace:
    """A label and where it sits: its span (`start`/`end`, None for a document-level label)
    and its evidence sentences, character offsets into `Document.text`."""

    label: str
    start: int | None
    end: int | None
    evidence: tuple[tuple[int, int], ...]


def _info(row: Any) -> DocInfo:
    doc_id, title, outlet, published, language, words, url = row
    return DocInfo(
        doc_id,
        title,
        outlet,
        datetime.fromisoformat(published) if published else None,
        language,
        int(words or 0),
        url,
    )
