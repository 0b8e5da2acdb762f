"""The search page and its JSON twin: one `SearchQuery` (the store's), one corpus search call.

The request's parameters become a `narrascope.store.search.SearchQuery` (`api.search_params`);
`search()` runs `narrascope.corpus.search.search` on it, `search_json()` is the API's answer
and `url_params()` the query string that links (facets, next page, downloads) carry.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from narrascope.corpus import labels
from narrascope.corpus import search as corpus_search
from narrascope.corpus.search import SearchPage
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.search import BadCursor, FacetPair, SearchQuery, facet_counts
from narrascope.web.panels import plain
from narrascope.web.queries import BadRequest

MAX_PAGE = 200
"""Results per page the API accepts."""

URL_NAMES = {"text": "q", "since": "date_from", "until": "date_to"}
"""`SearchQuery` fields whose query-string name differs (the API's names since v1)."""

FACETS = ("outlet", "language", "narrative", "technique", "entity", "speaker", "since", "until")


def url_params(query: SearchQuery) -> dict[str, str]:
    """The query's words and facets as query-string parameters (empty ones left out)."""
    out = {}
    for name in ("text", *FACETS):
        value = getattr(query, name)
        if value not in (None, ""):
            out[URL_NAMES.get(name, name)] = str(value)
    return out


def search(
    store: Store, query: SearchQuery, *, facets: bool = True, cache: SearchCache | None = None
) -> SearchPage:
    """One page of search results with facet counts; `next_cursor` continues it (keyset).

    With `cache` (the app's), a page or facet counts asked before in this state of the store
    are not computed again.
    """
    try:
        with store.snapshot():
            if cache is None:
                return corpus_search.search(store, query, facets=facets)
            return cache.search(store, query, facets=facets)
    except (BadCursor, labels.UnknownLabel) as exc:
        raise BadRequest(str(exc)) from exc


class SearchCache:
    """Recent search pages and facet counts, reused while the store stays the same (#17).

    One search costs ~30 ms of CPU at 10,000 articles, over half of it the database ranking
    the matches and counting their facets, and a team repeats searches: links shared, pages
    reloaded, back and forth between pages (each page of a query has the same facets). Every
    entry belongs to one `change_stamp()`; when it moves (an analysis, a correction or its undo
    wrote something), all are dropped. Owned by the app; bounded (least recently used go).
    """

    MAX_CACHED_LIMIT = 50
    """Pages longer than this (scripts paging through everything) are not kept."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._stamp: Any = None
        self._pages: OrderedDict[tuple[SearchQuery, bool], SearchPage] = OrderedDict()
        self._facets: OrderedDict[SearchQuery, list[FacetPair]] = OrderedDict()
        self._lock = threading.Lock()

    def search(self, store: Store, query: SearchQuery, *, facets: bool = True) -> SearchPage:
        """`corpus.search.search(store, query)`, or its copy from an earlier request in this
        state of the store (call inside `store.snapshot()`: the stamp and the page agree)."""
        stamp = store.corpus.change_stamp()
        key = (query, facets)
        page = self._get(self._pages, key, stamp)
        if page is not None:
            return page
        page = corpus_search.search(store, query, facets=False)
        if facets and not page.capped:
            page.facets = self._facets_of(store, query, stamp)
        if query.limit <= self.MAX_CACHED_LIMIT:
            self._put(self._pages, key, page, stamp)
        return page

    def _facets_of(
        self, store: Store, query: SearchQuery, stamp: Any
    ) -> dict[str, list[tuple[str, int]]]:
        """The query's facet counts, summed from (outlet, language) pairs: those of the same
        search without its outlet and language when kept (an analyst clicking an outlet after
        searching), else those counted now: of words alone without the outlet and language
        (cheap, and they serve every outlet clicked next), else of the query's own filters
        (counting every match of a filtered search only to keep one outlet's would cost more
        than it saves). One count serves every page of a query."""
        own = dataclasses.replace(query, cursor=None, limit=1)
        wide = dataclasses.replace(own, outlet=None, language=None)
        pairs = self._get(self._facets, wide, stamp)
        if pairs is None:
            pairs = self._get(self._facets, own, stamp)
        if pairs is None:
            # Words alone count from a covering index (a few ms, #17): count those, whose
            # pairs then serve this outlet or language and every other one clicked next.
            counted = wide if wide == SearchQuery(text=wide.text, limit=1) else own
            pairs = corpus_search.facet_pairs(store, counted)
            self._put(self._facets, counted, pairs, stamp)
        # The outlet as the search matched it ("journal-neo" is journal-neo.org).
        outlet = labels.resolve_query(store, SearchQuery(outlet=query.outlet)).outlet
        return facet_counts(pairs, outlet=outlet, language=query.language)

    def _get(self, items: OrderedDict[Any, Any], key: Any, stamp: Any) -> Any:
        with self._lock:
            if stamp != self._stamp:
                self._pages.clear()
                self._facets.clear()
                self._stamp = stamp
                return None
            found = items.get(key)
            if found is not None:
                items.move_to_end(key)
            return found

    def _put(self, items: OrderedDict[Any, Any], key: Any, value: Any, stamp: Any) -> None:
        with self._lock:
            if stamp != self._stamp:  # the store moved on while this was computed
                return
            items[key] = value
            while len(items) > self.size:
                items.popitem(last=False)


def choices(store: Store) -> dict[str, list[str]]:
    """The pick-lists of the search form: the labels and outlets the store holds."""
    with store.snapshot():
        return _choices(store)


def _choices(store: Store) -> dict[str, list[str]]:
    return {
        "outlet": labels.outlets_present(store),
        "narrative": labels.labels_present(store, labels.NARRATIVE_LAYERS),
        "technique": labels.labels_present(store, [Layer.TECHNIQUE]),
    }


def search_json(page: SearchPage) -> dict[str, Any]:
    """A search page as the API returns it."""
    return {
        "results": [plain(hit) for hit in page.hits],
        "next_cursor": page.next_cursor,
        "total": page.total,
        "capped": page.capped,
        "facets": {k: [{"value": v, "count": n} for v, n in vs] for k, vs in page.facets.items()},
    }


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


def all_results(store: Store, query: SearchQuery) -> Iterator[dict[str, Any]]:
    """Every result of a search, page after page (for downloads; no row cap)."""
    query = dataclasses.replace(query, limit=MAX_PAGE)
    while True:
        page = search(store, query, facets=False)
        yield from (plain(hit) for hit in page.hits)
        if not page.next_cursor or not page.hits:
            return
        query = dataclasses.replace(query, cursor=page.next_cursor)
