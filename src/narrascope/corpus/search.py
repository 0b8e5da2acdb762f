"""Search: full text with facets (FTS5 or PostgreSQL's tsvector) and "sentences like this one".

Full-text hits are sentences, best first (BM25 on SQLite, ts_rank on PostgreSQL), paged by a
keyset cursor (an opaque string naming the last hit's rank and position), so page N+1 never
repeats page N. A query matching more than 10,000 sentences is listed newest first (ranking
millions per page is too slow) and says its total is capped; facet counts are skipped for it.
Facets narrow by outlet, language, date range, narrative, technique, entity and speaker.
Semantic search scans the stored sentence vectors with the shared encoder's vector of the
query, in bounded memory.
"""

from __future__ import annotations

import base64
import heapq
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from narrascope.encode import Encoder, default_encoder
from narrascope.store import Store
from narrascope.store.corpus import SearchFilters


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Words to find (empty: facets alone) and the facets that narrow the documents."""

    text: str = ""
    outlet: str | None = None
    language: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    narrative: str | None = None
    technique: str | None = None
    entity: str | None = None  # entity id or canonical name
    speaker: str | None = None
    limit: int = 20
    cursor: str | None = None  # `SearchPage.next_cursor` of the previous page

    def filters(self) -> SearchFilters:
        return SearchFilters(
            self.outlet,
            self.language,
            self.since,
            self.until,
            self.narrative,
            self.technique,
            self.entity,
            self.speaker,
        )


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A matching sentence (or, for a facets-only search, a document with `sentence` None).

    `start`/`end` index the document's text; `highlights` are offsets into `snippet`.
    """

    doc_id: str
    sentence: int | None
    start: int | None
    end: int | None
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    title: str | None
    outlet: str | None
    published: datetime | None
    score: float


@dataclass(slots=True)
class SearchPage:
    """One page of hits, how many there are in all, and the cursor of the next page."""

    hits: list[SearchHit]
    total: int  # with `capped`: more than this many match, listed newest first
    next_cursor: str | None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    capped: bool = False


def _encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> object:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise ValueError(f"bad search cursor {cursor!r}") from exc


def highlight(text: str, words: str) -> tuple[tuple[int, int], ...]:
    """Offsets in `text` of the query's words (prefix match, case-insensitive)."""
    terms = [w.lower() for w in re.findall(r"\w+", words)]
    spans = []
    for m in re.finditer(r"\w+", text):
        token = m.group(0).lower()
        if any(token.startswith(term) for term in terms):
            spans.append((m.start(), m.end()))
    return tuple(spans)


def search(store: Store, query: SearchQuery, *, facets: bool = True) -> SearchPage:
    """Sentences matching the words within the facets, best first; or documents if no words."""
    filters, limit = query.filters(), max(1, min(query.limit, 500))
    if not re.search(r"\w", query.text):
        after = _decode_cursor(query.cursor) if query.cursor else None
        ids, total = store.corpus.search_documents(filters, limit=limit, after=after)  # type: ignore[arg-type]
        infos = store.corpus.doc_infos(ids)
        hits = [
            SearchHit(
                i,
                None,
                None,
                None,
                infos[i].title or "",
                (),
                infos[i].title,
                infos[i].outlet,
                infos[i].published,
                0.0,
            )
            for i in ids
            if i in infos
        ]
        cursor = _encode_cursor(ids[-1]) if len(ids) == limit else None
        capped = False
    else:
        after_key: tuple[object, ...] | None = None
        if query.cursor:
            key = _decode_cursor(query.cursor)
            if not isinstance(key, list) or len(key) not in (1, 3):
                raise ValueError(f"bad search cursor {query.cursor!r}")
            after_key = tuple(key)
        rows, total, broad = store.corpus.search_sentences(
            query.text, filters, limit=limit, after=after_key
        )
        spans = store.corpus.sentence_spans(sorted({r.doc_id for r in rows}))
        infos = store.corpus.doc_infos([r.doc_id for r in rows])
        hits = []
        for r in rows:
            info = infos.get(r.doc_id)
            doc_spans = spans.get(r.doc_id, [])
            start, end = doc_spans[r.idx] if r.idx < len(doc_spans) else (None, None)
            hits.append(
                SearchHit(
                    r.doc_id,
                    r.idx,
                    start,
                    end,
                    r.text,
                    highlight(r.text, query.text),
                    info.title if info else None,
                    info.outlet if info else None,
                    info.published if info else None,
                    -r.rank,
                )
            )
        last = rows[-1] if len(rows) == limit else None
        cursor = None
        if last is not None:
            cursor = _encode_cursor([last.rowid] if broad else [last.rank, last.doc_id, last.idx])
        capped = broad
    page = SearchPage(hits, total, cursor, capped=capped)
    if facets and not capped:
        page.facets = store.corpus.search_facets(query.text, filters)
    return page


@dataclass(frozen=True, slots=True)
class SimilarSentence:
    """A stored sentence close to the query (cosine similarity of sentence vectors)."""

    doc_id: str
    sentence: int
    start: int
    end: int
    text: str
    similarity: float
    title: str | None
    outlet: str | None
    published: datetime | None


def similar_sentences(
    store: Store,
    text: str,
    *,
    k: int = 10,
    encoder: Encoder | None = None,
    vector: np.ndarray | None = None,
    exclude_doc: str | None = None,
) -> list[SimilarSentence]:
    """The `k` stored sentences most like `text` (or like `vector`), scanning every document."""
    if vector is None:
        vector = (encoder or default_encoder()).encode([text])[0]
    query = np.asarray(vector, dtype=np.float32)
    query = query / (float(np.linalg.norm(query)) or 1.0)
    best: list[tuple[float, str, int]] = []
    for page in store.corpus.vector_pages():
        for doc_id, matrix in page:
            if doc_id == exclude_doc or not len(matrix):
                continue
            norms = np.linalg.norm(matrix, axis=1)
            sims = (matrix @ query) / np.where(norms > 0, norms, 1.0)
            top = np.argsort(-sims, kind="stable")[:k]
            for i in top:
                item = (float(sims[i]), doc_id, int(i))
                if len(best) < k:
                    heapq.heappush(best, item)
                elif item > best[0]:
                    heapq.heapreplace(best, item)
    best.sort(key=lambda x: (-x[0], x[1], x[2]))
    texts = store.corpus.sentence_texts(sorted({d for _, d, _ in best}))
    infos = store.corpus.doc_infos([d for _, d, _ in best])
    out = []
    for sim, doc_id, idx in best:
        sentences = texts.get(doc_id, [])
        if idx >= len(sentences):
            continue
        start, end, sentence = sentences[idx]
        info = infos.get(doc_id)
        out.append(
            SimilarSentence(
                doc_id,
                idx,
                start,
                end,
                sentence,
                round(sim, 4),
                info.title if info else None,
                info.outlet if info else None,
                info.published if info else None,
            )
        )
    return out
