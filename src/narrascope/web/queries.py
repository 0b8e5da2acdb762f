"""The query functions behind the reader, profile, storyline and similar-sentence pages.

Each takes the `Store` (and the parsed request) and returns plain records or `Panel`s;
`pages.py` renders them as HTML and `api.py` as JSON. Per-document reads go through the
`Store` API; anything across documents is a corpus view (`narrascope.corpus`) imported here
and called through `panel()`. The dashboard and search have their own modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from narrascope.corpus import profiles, search, storylines
from narrascope.model import Annotation, Document
from narrascope.store import Store
from narrascope.store.records import CopyEdge, Publication, analyzer_family
from narrascope.web.definitions import Definitions
from narrascope.web.panels import Panel, panel, plain
from narrascope.web.reader import ReaderView, reader_view


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
    with store.snapshot():
        return _reader(store, defs, doc_id)


def _reader(store: Store, defs: Definitions, doc_id: str) -> Reader:
    doc = store.document(doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id!r}")
    anns = list(store.annotations(doc.id))
    return Reader(
        view=reader_view(doc, anns, defs),
        annotations=anns,
        publications=store.sources(doc.id),
        copies=_copy_rows(store, doc.id, list(store.copies(doc.id))),
        cluster_size=store.cluster_size(doc.id),
        storylines=panel(storylines.storylines_for, store, doc.id),
        analyzers={analyzer_family(v) for v in store.analyzers_run(doc.id)}
        | {analyzer_family(a.model) for a in anns},
        has_vectors=store.has_vectors(doc.id),
    )


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
    """Every outlet with its counts (corpus view)."""
    return panel(profiles.outlets, store)


def outlet(store: Store, name: str) -> Profile:
    """An outlet's profile from the corpus view, and its latest documents."""
    docs = [summary(d) for d in store.documents(outlet=name, limit=50)]
    profile = panel(profiles.outlet_profile, store, name)
    if not docs and profile.data is None:
        raise NotFound(f"no outlet {name!r}")
    return Profile(name, profile, docs)


def entity(store: Store, entity_id: str) -> Profile:
    """An entity's profile: where it is quoted and how it is cast (from the corpus view)."""
    profile = panel(profiles.entity_profile, store, entity_id)
    if profile.data is None:
        raise NotFound(f"no entity {entity_id!r}")
    name = str(getattr(profile.data, "name", None) or entity_id)
    links = [
        ("Articles that mention it", "/search?" + urlencode({"entity": profile.data.entity_id})),
        ("Articles that quote it", "/search?" + urlencode({"speaker": name})),
    ]
    return Profile(name, profile, [], links)


# -- storylines and similar sentences --------------------------------------------------------------
def storyline(store: Store, storyline_id: str) -> Panel:
    """One storyline with its member sentences by outlet and date (corpus view)."""
    found = panel(storylines.storyline, store, storyline_id)
    if found.data is None:
        raise NotFound(f"no storyline {storyline_id!r}")
    return found


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
        found = panel(
            search.similar_sentences,
            store,
            doc.text[s:e],
            k=k,
            vector=vectors[sentence],
            exclude_doc=doc.id,
        )
        return Similar(doc.text[s:e], doc.id, sentence, found)
    if not text.strip():
        raise BadRequest("give a text, or a document and a sentence index")
    found = panel(search.similar_sentences, store, text.strip(), k=k, encoder=encoder)
    return Similar(text.strip(), None, None, found)
