"""Filters that find: what a user typed for a technique, narrative or outlet, as a stored name.

Matching is tolerant — case, spaces for underscores and hyphens (the legend shows
"Loaded Language" for `Loaded_Language`), a narrative's short name without its "URW: " or
"CC: " prefix, an unambiguous prefix ("journal-neo" for journal-neo.org) — and a name that
matches nothing raises `UnknownLabel` with the nearest names ("did you mean"). The search
(`narrascope.corpus.search`) and the storylines list resolve their filters here; the web's
pick-lists come from `labels_present`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.search import SearchQuery

NARRATIVE_LAYERS = (Layer.NARRATIVE, Layer.SUBNARRATIVE)


class UnknownLabel(ValueError):
    """A filter value that names nothing stored; the message suggests the nearest names."""

    def __init__(self, kind: str, value: str, suggestions: Sequence[str], *, several: bool = False):
        self.kind, self.value, self.suggestions = kind, value, list(suggestions)
        head = f"{kind} {value!r} " + ("matches several" if several else "matches nothing stored")
        hint = "; did you mean: " + ", ".join(repr(s) for s in self.suggestions[:5])
        super().__init__(head + (hint if self.suggestions else ""))


def normal(text: str) -> str:
    """Case, underscores, hyphens and runs of spaces folded: "Loaded_Language" → "loaded language"."""
    return re.sub(r"[\s_\-/]+", " ", text.strip().lower()).strip()


def _short(name: str) -> str:
    """A taxonomy label without its domain prefix: "URW: Russia is the Victim" → "Russia is…"."""
    return name.split(": ", 1)[1] if re.match(r"^[A-Z]{2,4}: ", name) else name


def resolve(kind: str, value: str, names: Sequence[str]) -> str:
    """The one stored name `value` means; `UnknownLabel` with suggestions if none or several."""
    if value in names:
        return value
    want = normal(value)
    for keyed in (normal, lambda n: normal(_short(n))):
        hits = sorted({n for n in names if keyed(n) == want})
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise UnknownLabel(kind, value, hits, several=True)
    prefixed = sorted(
        {n for n in names if normal(n).startswith(want) or normal(_short(n)).startswith(want)}
    )
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise UnknownLabel(kind, value, prefixed, several=True)
    by_normal = {normal(n): n for n in names}
    close = difflib.get_close_matches(want, list(by_normal), n=5, cutoff=0.6)
    inside = [n for k, n in sorted(by_normal.items()) if want and want in k]
    raise UnknownLabel(kind, value, list(dict.fromkeys([by_normal[c] for c in close] + inside)))


def labels_present(store: Store, layers: Sequence[Layer]) -> list[str]:
    """Labels of these layers that some stored document carries, sorted.

    Distinct names from the index, not counts: counting every label's documents took ~0.85 s
    on 10,000 articles, paid by every filtered search and every search page (#17); and those
    once per state of the store.
    """
    return _present(store, tuple(layers), lambda: store.corpus.label_names(list(layers)))


def outlets_present(store: Store) -> list[str]:
    """Named outlets of the stored documents, sorted."""
    return _present(
        store, "outlets", lambda: sorted(n for n, *_ in store.corpus.outlet_counts() if n)
    )


_PRESENT: weakref.WeakKeyDictionary[Store, tuple[Any, dict[Any, list[str]]]] = (
    weakref.WeakKeyDictionary()
)
_PRESENT_LOCK = threading.Lock()


def _present(store: Store, key: Any, compute: Callable[[], list[str]]) -> list[str]:
    """`compute()` once per state of the store: it aggregates the whole corpus (a second at
    10,000 articles), and every search with a filter and every search page needs it (#17)."""
    stamp = store.corpus.change_stamp()
    with _PRESENT_LOCK:
        seen, found = _PRESENT.get(store, (None, {}))
        if seen == stamp and key in found:
            return list(found[key])
    names = compute()
    with _PRESENT_LOCK:
        seen, found = _PRESENT.get(store, (None, {}))
        _PRESENT[store] = (stamp, {**(found if seen == stamp else {}), key: names})
    return list(names)


def resolve_filters(
    store: Store, *, narrative: str | None, outlet: str | None
) -> tuple[str | None, str | None]:
    """A narrative and an outlet filter as stored names (empty ones as None); `UnknownLabel`."""
    if narrative:
        narrative = resolve("narrative", narrative, labels_present(store, NARRATIVE_LAYERS))
    if outlet:
        outlet = resolve("outlet", outlet, outlets_present(store))
    return narrative or None, outlet or None


def resolve_query(store: Store, query: SearchQuery) -> SearchQuery:
    """The query with its technique, narrative and outlet filters as stored names, and its
    entity with the ids the corpus counts as the same person (`corpus.entities`)."""
    changes: dict[str, Any] = {}
    if query.technique:
        changes["technique"] = resolve(
            "technique", query.technique, labels_present(store, [Layer.TECHNIQUE])
        )
    if query.narrative:
        changes["narrative"] = resolve(
            "narrative", query.narrative, labels_present(store, NARRATIVE_LAYERS)
        )
    if query.outlet and query.outlet != "(no outlet)":
        changes["outlet"] = resolve("outlet", query.outlet, outlets_present(store))
    if query.entity:
        from narrascope.corpus.entities import member_ids

        changes["entity_ids"] = tuple(member_ids(store, query.entity))
    return dataclasses.replace(query, **changes) if changes else query
