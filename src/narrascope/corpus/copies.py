"""Who copies whom: the syndication graph from dedup's copy edges and the publications table.

Edges run from the outlet that published first to the outlet that republished (all of a text,
or passages of it), with how many documents and words moved; "N outlets carried this text"
comes from the publications of one stored text plus its near copies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET


@dataclass(frozen=True, slots=True)
class CopyLink:
    """One document that repeats another (exact, near or partial), with both outlets."""

    copy_id: str
    original_id: str
    kind: str
    similarity: float
    words: int  # words reused (partial), or the copy's length (near/exact)
    copy_outlet: str
    original_outlet: str
    copy_published: datetime | None
    original_published: datetime | None


@dataclass(frozen=True, slots=True)
class OutletEdge:
    """`copier` republished `documents` texts of `source`, `words` words in all."""

    source: str
    copier: str
    documents: int
    words: int
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CarriedText:
    """A text that several outlets published: the first publisher and everyone after."""

    doc_id: str
    title: str | None
    publications: int
    outlets: tuple[str, ...]  # earliest first
    first_outlet: str
    first_published: datetime | None


@dataclass(slots=True)
class CopyGraph:
    """Outlets as nodes (with their document counts), copying as edges, and the evidence."""

    outlets: dict[str, int] = field(default_factory=dict)
    edges: list[OutletEdge] = field(default_factory=list)
    links: list[CopyLink] = field(default_factory=list)
    carried: list[CarriedText] = field(default_factory=list)


def copy_graph(store: Store, *, carried_limit: int = 200) -> CopyGraph:
    """The syndication graph of the whole store (edges between outlets, links between texts)."""
    graph = CopyGraph()
    for outlet, docs, _, _, _ in store.corpus.outlet_counts():
        graph.outlets[outlet or NO_OUTLET] = docs
    edges = list(store.copies())
    infos = store.corpus.doc_infos([e.copy_id for e in edges] + [e.original_id for e in edges])
    per_pair: dict[tuple[str, str], list[CopyLink]] = defaultdict(list)
    for e in edges:
        c, o = infos.get(e.copy_id), infos.get(e.original_id)
        if c is None or o is None:
            continue
        words = sum(span[4] for span in e.spans) if e.spans else c.words
        link = CopyLink(
            e.copy_id,
            e.original_id,
            e.kind,
            float(e.similarity),
            int(words),
            c.outlet or NO_OUTLET,
            o.outlet or NO_OUTLET,
            c.published,
            o.published,
        )
        graph.links.append(link)
        per_pair[(link.original_outlet, link.copy_outlet)].append(link)
    for doc_id, pubs, _ in store.corpus.publication_counts()[:carried_limit]:
        outlets = store.corpus.publication_outlets([doc_id]).get(doc_id, [])
        names = tuple(dict.fromkeys(name or NO_OUTLET for name, _ in outlets))
        for later in names[1:]:
            per_pair[(names[0], later)].append(
                CopyLink(doc_id, doc_id, "exact", 1.0, 0, later, names[0], None, None)
            )
        info = store.corpus.doc_infos([doc_id]).get(doc_id)
        graph.carried.append(
            CarriedText(
                doc_id,
                info.title if info else None,
                pubs,
                names,
                names[0] if names else NO_OUTLET,
                outlets[0][1] if outlets else None,
            )
        )
    for (source, copier), links in sorted(per_pair.items()):
        graph.edges.append(
            OutletEdge(
                source,
                copier,
                len({(x.copy_id, x.original_id) for x in links}),
                sum(x.words for x in links),
                tuple(sorted({x.kind for x in links})),
            )
        )
    graph.edges.sort(key=lambda e: (-e.documents, e.source, e.copier))
    return graph
