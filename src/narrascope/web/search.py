"""The search page and its JSON twin: one `SearchQuery` (the store's), one corpus search call.

The request's parameters become a `narrascope.store.search.SearchQuery` (`api.search_params`);
`search()` runs `narrascope.corpus.search.search` on it, `search_json()` is the API's answer
and `url_params()` the query string that links (facets, next page, downloads) carry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from narrascope.corpus import labels
from narrascope.corpus import search as corpus_search
from narrascope.corpus.search import SearchPage
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.search import BadCursor, SearchQuery
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


def search(store: Store, query: SearchQuery, *, facets: bool = True) -> SearchPage:
    """One page of search results with facet counts; `next_cursor` continues it (keyset)."""
    try:
        with store.snapshot():
            return corpus_search.search(store, query, facets=facets)
    except (BadCursor, labels.UnknownLabel) as exc:
        raise BadRequest(str(exc)) from exc


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
