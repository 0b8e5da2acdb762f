"""Search: full text with facets (FTS5 or PostgreSQL's tsvector) and "sentences like this one".

Full-text hits are sentences, best first (BM25 on SQLite, ts_rank on PostgreSQL), paged by a
keyset cursor (an opaque string naming the last hit's rank and position), so page N+1 never
repeats page N. A query matching more than 10,000 sentences is listed newest first (ranking
millions per page is too slow) and says its total is capped; facet counts are skipped for it.
Facets narrow by outlet, language, date range, narrative, technique, entity and speaker; the
label and outlet filters are matched tolerantly (`narrascope.corpus.labels`). A technique or
narrative filter without words lists the labelled passages themselves: the technique's spans,
the narrative's evidence sentences.
Semantic search scans the stored sentence vectors with the shared encoder's vector of the
query, in bounded memory.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from narrascope.corpus import NotComputed
from narrascope.corpus.labels import resolve_query
from narrascope.encode import Encoder, default_encoder
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.search import FacetPair, SearchQuery

__all__ = [
    "OtherEncoder",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "SimilarSentence",
    "documents_like",
    "facet_pairs",
    "search",
    "similar_sentences",
]


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
    label: str | None = None  # the technique or narrative a labelled passage carries
    labels: tuple[str, ...] = ()  # techniques and narratives on this sentence (or document)


@dataclass(slots=True)
class SearchPage:
    """One page of hits, how many there are in all, and the cursor of the next page."""

    hits: list[SearchHit]
    total: int  # with `capped`: more than this many match, listed newest first
    next_cursor: str | None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    capped: bool = False


def highlight(text: str, words: str) -> tuple[tuple[int, int], ...]:
    """Offsets in `text` of the query's words (prefix match, case-insensitive)."""
    terms = tuple(w.lower() for w in re.findall(r"\w+", words))
    if not terms:
        return ()
    return tuple(
        m.span() for m in re.finditer(r"\w+", text) if m.group(0).lower().startswith(terms)
    )


def search(store: Store, query: SearchQuery, *, facets: bool = True) -> SearchPage:
    """Sentences matching the words within the facets, best first; or documents if no words.

    A cursor this store did not make raises `narrascope.store.search.BadCursor`, a filter that
    names nothing stored `narrascope.corpus.labels.UnknownLabel` (both ValueErrors).
    """
    query = resolve_query(store, query)
    if not query.has_words and (query.technique or query.narrative):
        page = _labelled(store, query)
    elif not query.has_words:
        ids, total, cursor = store.corpus.search_documents(query)
        infos = store.corpus.doc_infos(ids)
        hits = [
            SearchHit(
                i,
                None,
                None,
                None,
                info.title or "",
                (),
                info.title,
                info.outlet,
                info.published,
                0.0,
            )
            for i in ids
            if (info := infos.get(i)) is not None
        ]
        page = SearchPage(hits, total, cursor)
    else:
        found = store.corpus.search_sentences(query)
        infos = store.corpus.doc_infos([r.doc_id for r in found.hits])
        hits = []
        for r in found.hits:
            info = infos.get(r.doc_id)
            hits.append(
                SearchHit(
                    r.doc_id,
                    r.idx,
                    r.start,
                    r.end,
                    r.text,
                    highlight(r.text, query.text),
                    info.title if info else None,
                    info.outlet if info else None,
                    info.published if info else None,
                    -r.rank,
                )
            )
        page = SearchPage(hits, found.total, found.next_cursor, capped=found.capped)
    page.hits = _with_labels(store, page.hits)
    if facets and not page.capped:
        page.facets = store.corpus.search_facets(query)
    return page


def facet_pairs(store: Store, query: SearchQuery) -> list[FacetPair]:
    """The query's matching documents per (outlet, language) pair, which its facet counts sum
    (`narrascope.store.search.facet_counts`); the same for every page of the query."""
    return store.corpus.search_facet_pairs(resolve_query(store, query))


_SHOWN = (Layer.TECHNIQUE, Layer.NARRATIVE, Layer.SUBNARRATIVE)


def _with_labels(store: Store, hits: list[SearchHit]) -> list[SearchHit]:
    """Hits with the techniques and narratives their sentence (or document) carries."""
    places = store.corpus.labels_on(sorted({h.doc_id for h in hits}), _SHOWN)
    out = []
    for hit in hits:
        found = []
        for a in places[hit.doc_id]:
            if (
                hit.start is None
                or hit.end is None
                or (
                    a.start is not None
                    and a.end is not None
                    and a.start < hit.end
                    and a.end > hit.start
                )
                or any(s <= hit.start and hit.end <= e for s, e in a.evidence)
            ):
                found.append(a.label)
        out.append(dataclasses.replace(hit, labels=tuple(sorted(set(found)))))
    return out


def _labelled(store: Store, query: SearchQuery) -> SearchPage:
    """The passages carrying the asked technique (its span) or narrative (its evidence)."""
    rows, total, cursor = store.corpus.search_labelled(query)
    ids = sorted({r[1] for r in rows})
    texts, infos = store.corpus.doc_texts(ids), store.corpus.doc_infos(ids)
    sentences = store.corpus.sentence_spans(ids)
    hits = []
    for _, doc_id, start, end, evidence, label, score in rows:
        text, info = texts.get(doc_id, ""), infos.get(doc_id)
        spans = [(start, end)] if start is not None else [tuple(e) for e in evidence or []]
        if not spans or not text:
            continue
        snippet = " … ".join(text[a:b].strip() for a, b in spans)
        first = spans[0][0]
        idx = next(
            (i for i, (a, b) in enumerate(sentences.get(doc_id, [])) if a <= first < b), None
        )
        hits.append(
            SearchHit(
                doc_id,
                idx,
                spans[0][0],
                spans[-1][1],
                snippet,
                ((0, len(snippet)),) if start is not None else (),
                info.title if info else None,
                info.outlet if info else None,
                info.published if info else None,
                float(score),
                label,
            )
        )
    return SearchPage(hits, total, cursor)


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
    """The `k` stored sentences most like `text` (or like `vector`), scanning every document.

    `NotComputed` when the database holds no sentence vectors at all (analyzed without an
    encoder): there is nothing to compare with, which an empty list would hide.
    """
    query = _query_vector(store, text, encoder, vector)
    best: list[tuple[float, str, int]] = []
    for doc_id, sims in _similarities(store, query):
        if doc_id != exclude_doc:
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


class OtherEncoder(ValueError):
    """The stored sentence vectors were made by another encoder than the one a query is encoded
    with: they cannot be compared (the message names both and what to do)."""


def _other_encoder(stored: str, this: str) -> OtherEncoder:
    return OtherEncoder(
        f"the database's sentence vectors were made by another encoder ({stored}) than this "
        f"one ({this}): re-analyze it with this encoder to search by meaning"
    )


def _query_vector(
    store: Store, text: str, encoder: Encoder | None, vector: np.ndarray | None
) -> np.ndarray:
    """The unit vector to compare stored sentences with; `NotComputed` when none are stored
    (analyzed without an encoder): there is nothing to compare with, which no hits would hide.

    A text is encoded by `encoder`; `OtherEncoder` when the stored vectors are another
    encoder's (another name or width): their similarities would mean nothing (#17).
    """
    stored = store.corpus.vector_encoders()
    if not stored:
        raise NotComputed("no sentence vectors stored yet (analyze with an encoder to store them)")
    if vector is None:
        encoder = encoder or default_encoder()
        name = getattr(encoder, "name", None)
        known = {n: d for n, d in stored.items() if n != "unknown"}  # stored without a name
        if name is not None and known and name not in known:
            shown = ", ".join(f"{n}, {d} dimensions" for n, d in sorted(known.items()))
            raise _other_encoder(shown, f"{name}, {getattr(encoder, 'dim', '?')} dimensions")
        vector = encoder.encode([text])[0]
    query = np.asarray(vector, dtype=np.float32)
    return query / (float(np.linalg.norm(query)) or 1.0)


def _similarities(store: Store, query: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """Each document's sentences' cosine similarity to the unit vector `query`, streamed."""
    for page in store.corpus.vector_pages():
        for doc_id, matrix in page:
            if len(matrix) and matrix.shape[1] != len(query):
                raise _other_encoder(f"{matrix.shape[1]} dimensions", f"{len(query)} dimensions")
            if len(matrix):
                norms = np.linalg.norm(matrix, axis=1)
                yield doc_id, (matrix @ query) / np.where(norms > 0, norms, 1.0)


def documents_like(
    store: Store, text: str, *, min_similarity: float, encoder: Encoder | None = None
) -> list[str]:
    """Ids of the documents with a sentence at least `min_similarity` (cosine) like `text`."""
    query = _query_vector(store, text, encoder, None)
    return [doc_id for doc_id, sims in _similarities(store, query) if sims.max() >= min_similarity]
