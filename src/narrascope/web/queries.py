"""The query functions behind every page and its JSON route: one function, two renderings.

Each takes the `Store` (and the parsed request) and returns plain records; `pages.py` renders
them as HTML and `api.py` as JSON. Per-document reads go through the `Store` API; anything
across documents goes through the corpus view (`corpus_bridge`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from narrascope.model import Annotation, Document
from narrascope.store import Store
from narrascope.store.records import CopyEdge, Publication, StoreStats, analyzer_family
from narrascope.web.corpus_bridge import Panel, call, corpus_function, plain
from narrascope.web.definitions import Definitions
from narrascope.web.reader import ReaderView, reader_view

MAX_PAGE = 200
log = logging.getLogger(__name__)


class NotFound(LookupError):
    """The thing a request names is not in the store."""


class BadRequest(ValueError):
    """A request parameter that cannot be used (bad cursor, bad date, bad id)."""


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL a page may link to, else None (javascript:, data:, …)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def summary(doc: Document) -> dict[str, Any]:
    """A document's one-line record in lists and exports."""
    return {
        "id": doc.id,
        "title": doc.title or doc.text[:90].replace("\n", " "),
        "outlet": doc.outlet,
        "published": doc.published.isoformat() if doc.published else None,
        "language": doc.language,
        "words": doc.word_count,
        "url": doc.url,
    }


# -- reader ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class CopyRow:
    """A copy relation seen from the reader's document."""

    direction: str  # "copy of" (this one copies the other) or "copied by"
    other: dict[str, Any]
    kind: str
    similarity: float


@dataclass(slots=True)
class Reader:
    """The reader page: the view of the text plus publications, copies and storylines."""

    view: ReaderView
    annotations: list[Annotation]
    publications: list[Publication]
    copies: list[CopyRow]
    cluster_size: int
    storylines: Panel
    analyzers: set[str] = field(default_factory=set)  # families that ran on this document
    has_vectors: bool = False  # sentence vectors stored: "similar sentences" can be asked

    def ran(self, family: str) -> bool:
        """Whether this analyzer's output is stored for the document (so "none" means none)."""
        return family in self.analyzers

    def json(self) -> dict[str, Any]:
        from narrascope.web.reader import annotation_json

        v = self.view
        return {
            "document": {**summary(v.doc), "text": v.doc.text, "authors": list(v.doc.authors)},
            "sentences": [list(s) for s in v.doc.sentences],
            "paragraphs": [list(p) for p in v.doc.paragraphs],
            "annotations": [annotation_json(a) for a in self.annotations],
            "legend": plain(v.legend),
            "publications": [
                {
                    "outlet": p.outlet,
                    "url": p.url,
                    "published": p.published.isoformat() if p.published else None,
                    "location": p.location,
                    "record": p.record,
                }
                for p in self.publications
            ],
            "copies": plain(self.copies),
            "cluster_size": self.cluster_size,
            "storylines": self.storylines.json(),
            "analyzers": sorted(self.analyzers),
        }


def _copy_rows(store: Store, doc_id: str, edges: list[CopyEdge]) -> list[CopyRow]:
    edges = edges[:50]
    others = [e.original_id if e.copy_id == doc_id else e.copy_id for e in edges]
    infos = store.corpus.doc_infos(others)  # one query for every copy's title and outlet
    rows = []
    for edge, other_id in zip(edges, others, strict=True):
        info = infos.get(other_id)
        other = {
            "id": other_id,
            "title": (info.title if info else None) or other_id,
            "outlet": info.outlet if info else None,
            "published": info.published.isoformat() if info and info.published else None,
        }
        direction = "copy of" if edge.copy_id == doc_id else "copied by"
        rows.append(CopyRow(direction, other, edge.kind, float(edge.similarity)))
    return rows


def reader(store: Store, defs: Definitions, doc_id: str) -> Reader:
    """Everything the reader shows for the document with this id (or unique prefix)."""
    doc = store.document(doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id!r}")
    anns = list(store.annotations(doc.id))
    cluster = store.cluster(doc.id)
    return Reader(
        view=reader_view(doc, anns, defs),
        annotations=anns,
        publications=store.sources(doc.id),
        copies=_copy_rows(store, doc.id, list(store.copies(doc.id))),
        cluster_size=cluster.size if cluster else 1,
        storylines=call("storylines.storylines_for", store, doc.id),
        analyzers={analyzer_family(v) for v in store.analyzers_run(doc.id)}
        | {analyzer_family(a.model) for a in anns},
        has_vectors=store.vectors(doc.id) is not None,
    )


# -- dashboard -------------------------------------------------------------------------------------
@dataclass(slots=True)
class Dashboard:
    stats: StoreStats
    panels: dict[str, Panel]
    outlet: str | None = None
    charts: dict[str, Any] | None = None  # drawn once per cached dashboard, by the page
    rendered: dict[str, bytes] = field(default_factory=dict)  # page and JSON bodies, once

    def json(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "stats": plain(self.stats),
            "panels": {name: panel.json() for name, panel in self.panels.items()},
        }


DASHBOARD_PANELS: dict[str, tuple[str, dict[str, Any]]] = {
    "narratives_over_time": ("counts.narrative_counts", {"by": "day"}),
    "narratives_by_outlet": ("counts.narrative_counts", {"by": "outlet"}),
    "technique_mix": ("counts.technique_counts", {"by": "outlet"}),
    "outlets": ("profiles.outlets", {}),
    "storylines": ("storylines.storylines", {"limit": 12, "max_members": 0}),
    "copy_graph": ("copies.copy_graph", {}),
    "most_quoted": ("quotes.most_quoted", {}),
}


def dashboard(
    store: Store, *, outlet: str | None = None, stats: StoreStats | None = None
) -> Dashboard:
    """Corpus counts and the corpus view's overview panels (narratives over time of one outlet)."""
    panels = {}
    for name, (path, kwargs) in DASHBOARD_PANELS.items():
        if name == "narratives_over_time" and outlet:
            kwargs = {**kwargs, "outlet": outlet}
        panel = call(path, store, **kwargs)
        if panel.ok:
            panel.data = _trim(plain(panel.data))  # once: the cache then serves plain data
        panels[name] = panel
    return Dashboard(stats=stats or store.stats(), panels=panels, outlet=outlet)


MAX_LINKS = 200


def _trim(data: Any) -> Any:
    """The copy graph's document-level links cut to the first `MAX_LINKS` (its outlet edges
    stay whole): at 10,000 articles there are ~100,000 of them, too many for an overview."""
    if isinstance(data, dict) and isinstance(data.get("links"), list):
        links = data["links"]
        if len(links) > MAX_LINKS:
            return {**data, "links": links[:MAX_LINKS], "links_total": len(links)}
    return data


class DashboardCache:
    """The last few dashboards, reused while the store's counts stay the same.

    The overview aggregates the whole corpus (the copy graph takes seconds at 10,000
    articles); the counts that key the cache cost one cheap query. Owned by the app, bounded.
    """

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[str | None, tuple[Any, Dashboard]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(store: Store, stats: StoreStats) -> Any:
        return (
            stats.documents,
            stats.publications,
            stats.runs,
            stats.clusters,
            tuple(sorted(stats.annotations.items())),
            tuple(sorted(stats.copies.items())),
            store.corpus.storyline_count(),  # storylines are updated apart from analysis
        )

    def get(self, store: Store, *, outlet: str | None = None) -> Dashboard:
        """The dashboard for `outlet`, computed again only when the store changed."""
        stats = store.stats()
        key = self._key(store, stats)
        with self._lock:  # one computation at a time; waiting requests then reuse it
            hit = self._items.get(outlet)
            if hit is not None and hit[0] == key:
                self._items.move_to_end(outlet)
                return hit[1]
            board = dashboard(store, outlet=outlet, stats=stats)
            self._items[outlet] = (key, board)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return board


# -- search ----------------------------------------------------------------------------------------
FACETS = ("outlet", "language", "narrative", "technique", "entity", "speaker")


@dataclass(slots=True)
class SearchParams:
    """A search request: text, facet filters, date range, and where in the results to go on."""

    q: str = ""
    outlet: str | None = None
    language: str | None = None
    narrative: str | None = None
    technique: str | None = None
    entity: str | None = None
    speaker: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None
    limit: int = 25

    def __post_init__(self) -> None:
        self.limit = max(1, min(int(self.limit), MAX_PAGE))
        self.q = (self.q or "").strip()

    def filters(self) -> dict[str, Any]:
        """The non-empty filters (for links and for the corpus view's query)."""
        out: dict[str, Any] = {"q": self.q} if self.q else {}
        for name in (*FACETS, "date_from", "date_to"):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value.isoformat() if isinstance(value, date) else value
        return out


@dataclass(slots=True)
class SearchResult:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    note: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "results": self.rows,
            "next_cursor": self.next_cursor,
            "total": self.total,
            "facets": {
                k: [{"value": v, "count": n} for v, n in vs] for k, vs in self.facets.items()
            },
            "note": self.note,
        }


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"bad cursor {cursor[:40]!r}") from exc


def search(store: Store, params: SearchParams, *, facets: bool = True) -> SearchResult:
    """One page of search results with facet counts; `next_cursor` continues it (keyset)."""
    corpus_search = corpus_function("search.search")
    query_class = corpus_function("search.SearchQuery")
    if corpus_search is None or query_class is None:
        return _browse(store, params)
    try:
        return _corpus_search(store, params, corpus_search, query_class, facets=facets)
    except BadRequest:
        raise
    except Exception as exc:  # the corpus view's index not built for this store (yet)
        log.exception("corpus search failed")
        if params.cursor:
            raise BadRequest(f"search unavailable: {type(exc).__name__}: {exc}") from exc
        result = _browse(store, params)
        result.note = (
            f"Full-text search unavailable ({type(exc).__name__}: {exc}); listing documents."
        )
        return result


def _browse(store: Store, params: SearchParams) -> SearchResult:
    """Documents by id, filtered by outlet and language: the list until full-text search lands."""
    after = None
    if params.cursor:
        after = decode_cursor(params.cursor)
        if not isinstance(after, str):
            raise BadRequest("bad cursor")
    docs = list(
        store.documents(
            outlet=params.outlet, language=params.language, after_id=after, limit=params.limit + 1
        )
    )
    more = len(docs) > params.limit
    docs = docs[: params.limit]
    unsupported = [
        k
        for k in ("q", "narrative", "technique", "entity", "speaker", "date_from", "date_to")
        if params.filters().get(k)
    ]
    note = (
        "Full-text search and these filters come with the corpus view, not built yet: "
        + ", ".join(unsupported)
        if unsupported
        else ""
    )
    return SearchResult(
        rows=[summary(d) for d in docs],
        next_cursor=encode_cursor(docs[-1].id) if more and docs else None,
        note=note,
    )


def _corpus_search(
    store: Store, params: SearchParams, run: Any, query_class: Any, *, facets: bool
) -> SearchResult:
    names = {f.name for f in dataclasses.fields(query_class)}
    values: dict[str, Any] = {}
    for key, value in {
        **dataclasses.asdict(params),
        "text": params.q,
        "query": params.q,
        "after": params.cursor,
        "since": params.date_from,
        "until": params.date_to,
    }.items():
        if key in names and value not in (None, ""):
            values[key] = value
    try:
        page = run(store, query_class(**values), facets=facets)
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc
    data = plain(page)
    hits: list[Any] = next(
        (data[k] for k in ("hits", "results", "rows", "documents") if k in data), []
    )
    cursor = next((data[k] for k in ("next_cursor", "cursor", "next") if k in data), None)
    counted: dict[str, list[tuple[str, int]]] = {}
    for name, counts in (data.get("facets") or {}).items():
        if isinstance(counts, dict):
            counted[name] = sorted(
                ((str(k), int(v)) for k, v in counts.items()), key=lambda kv: -kv[1]
            )
        elif isinstance(counts, list):
            counted[name] = [
                (str(c.get("value")), int(c.get("count", 0)))
                if isinstance(c, dict)
                else (str(c[0]), int(c[1]))
                for c in counts
            ]
    return SearchResult(
        rows=[h if isinstance(h, dict) else {"value": h} for h in hits],
        next_cursor=cursor,
        total=data.get("total"),
        facets=counted,
    )


def all_results(store: Store, params: SearchParams) -> Iterator[dict[str, Any]]:
    """Every result of a search, page after page (for downloads; no row cap)."""
    params = dataclasses.replace(params, limit=MAX_PAGE)
    while True:
        page = search(store, params, facets=False)
        yield from page.rows
        if not page.next_cursor or not page.rows:
            return
        params = dataclasses.replace(params, cursor=page.next_cursor)


# -- outlets and entities --------------------------------------------------------------------------
@dataclass(slots=True)
class Profile:
    name: str
    profile: Panel
    documents: list[dict[str, Any]]
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href built from ids)

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile.json(),
            "documents": self.documents,
            "links": [{"label": label, "href": href} for label, href in self.links],
        }


def outlets(store: Store) -> Panel:
    return call("profiles.outlets", store)


def outlet(store: Store, name: str) -> Profile:
    """An outlet's profile from the corpus view, and its latest documents."""
    docs = [summary(d) for d in store.documents(outlet=name, limit=50)]
    profile = call("profiles.outlet_profile", store, name)
    if not docs and (not profile.ok or profile.data is None):
        raise NotFound(f"no outlet {name!r}")
    return Profile(name, profile, docs)


def entity(store: Store, entity_id: str) -> Profile:
    """An entity's profile: where it is quoted and how it is cast (from the corpus view)."""
    profile = call("profiles.entity_profile", store, entity_id)
    if profile.ok and profile.data is None:
        raise NotFound(f"no entity {entity_id!r}")
    name = str(getattr(profile.data, "name", None) or entity_id)
    links = [
        ("Articles that mention it", "/search?" + urlencode({"entity": entity_id})),
        ("Articles that quote it", "/search?" + urlencode({"speaker": name})),
    ]
    return Profile(name, profile, [], links)


def highlight_parts(text: str, spans: Any) -> list[tuple[str, bool]]:
    """`text` cut into (piece, highlighted) at the half-open `spans` (for the search snippets)."""
    parts, last = [], 0
    for start, end in sorted((int(a), int(b)) for a, b in spans or ()):
        start, end = max(start, last), min(end, len(text))
        if start >= end:
            continue
        if start > last:
            parts.append((text[last:start], False))
        parts.append((text[start:end], True))
        last = end
    if last < len(text):
        parts.append((text[last:], False))
    return parts


# -- storylines and similar sentences --------------------------------------------------------------
def storyline(store: Store, storyline_id: str) -> Panel:
    """One storyline with its member sentences by outlet and date (corpus view)."""
    panel = call("storylines.storyline", store, storyline_id)
    if panel.ok and panel.data is None:
        raise NotFound(f"no storyline {storyline_id!r}")
    return panel


@dataclass(slots=True)
class Similar:
    """Stored sentences most like one sentence of a document, or like a text."""

    query: str
    doc_id: str | None
    sentence: int | None
    results: Panel

    def json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "doc_id": self.doc_id,
            "sentence": self.sentence,
            "results": self.results.json(),
        }


def similar(
    store: Store,
    *,
    doc_id: str | None = None,
    sentence: int | None = None,
    text: str = "",
    k: int = 20,
    encoder: Any = None,
) -> Similar:
    """Semantic search over the stored sentence vectors (by a stored sentence, or a text)."""
    k = max(1, min(k, 100))
    if doc_id is not None and sentence is not None:
        doc = store.document(doc_id)
        if doc is None or not 0 <= sentence < len(doc.sentences):
            raise NotFound(f"no sentence {sentence} in document {doc_id!r}")
        vectors = store.vectors(doc.id)
        if vectors is None or len(vectors) <= sentence:
            raise NotFound(f"no sentence vectors stored for document {doc.id}")
        s, e = doc.sentences[sentence]
        panel = call(
            "search.similar_sentences",
            store,
            doc.text[s:e],
            k=k,
            vector=vectors[sentence],
            exclude_doc=doc.id,
        )
        return Similar(doc.text[s:e], doc.id, sentence, panel)
    if not text.strip():
        raise BadRequest("give a text, or a document and a sentence index")
    panel = call("search.similar_sentences", store, text.strip(), k=k, encoder=encoder)
    return Similar(text.strip(), None, None, panel)
