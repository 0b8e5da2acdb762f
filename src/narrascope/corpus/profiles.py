"""Outlet and entity profiles: what one outlet publishes, and how the corpus casts one entity.

An outlet profile gives article count, genre mix, technique rate per 1,000 words, narrative mix,
most-quoted people, the entities it casts as villain, hero or victim, and its copy relations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from narrascope.corpus import entities
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET

ROLE_NAMES = {"Antagonist": "villain", "Protagonist": "hero", "Innocent": "victim"}
"""SemEval-2025 main roles as an analyst says them."""


@dataclass(frozen=True, slots=True)
class OutletSummary:
    """One outlet in the corpus: how many articles and words, over which dates."""

    name: str
    documents: int
    words: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A label or name with the documents (and annotations) behind it."""

    name: str
    documents: int
    count: int = 0


@dataclass(slots=True)
class OutletProfile:
    """Everything the corpus view knows about one outlet."""

    name: str
    documents: int
    words: int
    first: datetime | None
    last: datetime | None
    genres: list[Ranked] = field(default_factory=list)
    techniques_per_1000_words: float = 0.0
    techniques: list[Ranked] = field(default_factory=list)  # count = spans
    narratives: list[Ranked] = field(default_factory=list)
    subnarratives: list[Ranked] = field(default_factory=list)
    quoted: list[Ranked] = field(default_factory=list)
    villains: list[Ranked] = field(default_factory=list)
    heroes: list[Ranked] = field(default_factory=list)
    victims: list[Ranked] = field(default_factory=list)
    copies_from: list[Ranked] = field(default_factory=list)  # outlets it republished
    copied_by: list[Ranked] = field(default_factory=list)  # outlets that republished it


@dataclass(slots=True)
class EntityProfile:
    """One entity across the corpus: mentions, outlets, roles it is cast in, its quotes."""

    entity_id: str
    name: str
    type: str | None
    mentions: int
    documents: int
    outlets: list[Ranked] = field(default_factory=list)
    roles: list[Ranked] = field(default_factory=list)
    quotes: int = 0
    aliases: list[entities.Alias] = field(default_factory=list)  # surface forms, and why
    merged: list[entities.MergedId] = field(default_factory=list)  # ids joined across articles


def outlets(store: Store) -> list[OutletSummary]:
    """Every outlet with its article count, most articles first."""
    rows = [
        OutletSummary(name or NO_OUTLET, docs, words, first, last)
        for name, docs, words, first, last in store.corpus.outlet_counts()
    ]
    return sorted(rows, key=lambda o: (-o.documents, o.name))


def _ranked(store: Store, layers: list[Layer], outlet: str) -> list[Ranked]:
    rows = store.corpus.label_counts(layers, by="all", outlet=outlet)
    return sorted(
        (Ranked(r.label, r.documents, r.annotations) for r in rows),
        key=lambda r: (-r.documents, -r.count, r.name),
    )


def outlet_profile(store: Store, outlet: str, *, top: int = 10) -> OutletProfile | None:
    """The profile of one outlet (by name; "(no outlet)" for documents without one)."""
    summary = next((o for o in outlets(store) if o.name == outlet), None)
    if summary is None:
        return None
    profile = OutletProfile(
        summary.name, summary.documents, summary.words, summary.first, summary.last
    )
    profile.genres = _ranked(store, [Layer.GENRE], outlet)
    profile.techniques = _ranked(store, [Layer.TECHNIQUE], outlet)
    spans = sum(r.count for r in profile.techniques)
    profile.techniques_per_1000_words = (
        round(1000 * spans / summary.words, 2) if summary.words else 0
    )
    profile.narratives = _ranked(store, [Layer.NARRATIVE], outlet)[:top]
    profile.subnarratives = _ranked(store, [Layer.SUBNARRATIVE], outlet)[:top]
    # One person is one row, whatever each article called them (#17).
    ids = entities.person_ids(store)
    speakers = store.corpus.entity_rows(
        Layer.QUOTE, id_attr="speaker_id", name_attr="speaker", outlet=outlet
    )
    profile.quoted = [
        Ranked(name, docs, n) for _, name, n, docs in entities.ranked(speakers, ids, top=top)
    ]
    for role, attr in (
        ("Antagonist", "villains"),
        ("Protagonist", "heroes"),
        ("Innocent", "victims"),
    ):
        rows = store.corpus.entity_rows(Layer.ROLE, outlet=outlet, label=role)
        cast = entities.ranked(rows, ids, top=top)
        setattr(profile, attr, [Ranked(name, docs, n) for _, name, n, docs in cast])
    from narrascope.corpus.copies import copy_graph  # the graph is corpus-wide; filter here

    graph = copy_graph(store)
    profile.copies_from = sorted(
        (Ranked(e.source, e.documents, e.words) for e in graph.edges if e.copier == outlet),
        key=lambda r: (-r.documents, r.name),
    )
    profile.copied_by = sorted(
        (Ranked(e.copier, e.documents, e.words) for e in graph.edges if e.source == outlet),
        key=lambda r: (-r.documents, r.name),
    )
    return profile


def entity_profile(store: Store, entity_id: str, *, top: int = 10) -> EntityProfile | None:
    """How the corpus mentions and casts one entity (by `entity_id` or canonical name).

    A person named by surname alone in some articles is counted with the one full name the
    corpus holds for that surname (`corpus.entities`), whichever of the two ids is asked for.
    """
    members = entities.member_ids(store, entity_id)
    mentions = store.corpus.entity_mentions(members)
    if not mentions:
        return None
    entity_id = members[0]
    names = Counter(name for _, name, _ in mentions)
    name = max(names, key=lambda n: (len(n.split()) > 1, names[n]))
    docs = {doc_id for doc_id, _, _ in mentions}
    infos = store.corpus.doc_infos(sorted(docs))
    per_outlet: dict[str, set[str]] = {}
    for doc_id in docs:
        info = infos.get(doc_id)
        per_outlet.setdefault((info.outlet if info else None) or NO_OUTLET, set()).add(doc_id)
    roles = store.corpus.entity_roles(members)
    found = entities.corpus_entity(store, entity_id)
    speakers = store.corpus.entity_rows(
        Layer.QUOTE, id_attr="speaker_id", name_attr="speaker", ids=members
    )
    quotes = sum(r.annotations for r in speakers)
    return EntityProfile(
        entity_id=entity_id,
        name=name,
        type=mentions[0][2],
        mentions=len(mentions),
        documents=len(docs),
        outlets=sorted(
            (Ranked(o, len(d)) for o, d in per_outlet.items()), key=lambda r: (-r.documents, r.name)
        )[:top],
        roles=[Ranked(ROLE_NAMES.get(role, role), docs_, n) for role, n, docs_ in roles],
        quotes=quotes,
        aliases=found.aliases if found else [],
        merged=found.merged if found else [],
    )
