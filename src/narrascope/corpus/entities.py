"""People and organisations across the corpus: one entity per person, whatever the article
called them, with the surface forms and ids merged into it and why (#17).

Within an article the entity analyzer has grouped "Vladimir Putin", "Putin" and "Mr Putin"
into one entity id (`v-putin`). Across articles one more join is made, conservatively
(`text.names.corpus_entity_ids`): an article that names a person by surname alone gives the
id `putin`, which joins the full name only when the corpus holds exactly one person with that
surname. Profiles (villains, heroes, victims, most quoted), the entity page and
`narrascope entities` all count through `person_ids()`, so one person is one row everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from narrascope.model import Layer
from narrascope.store import Store
from narrascope.store.counts import EntityRow
from narrascope.text.names import alias_reason, corpus_entity_ids, is_entity_id


@dataclass(frozen=True, slots=True)
class Alias:
    """A surface form counted as the entity, in how many documents, and the rule that joined it."""

    form: str
    documents: int
    why: str


@dataclass(frozen=True, slots=True)
class MergedId:
    """An article-level entity id folded into the corpus entity, and why."""

    entity_id: str
    name: str
    documents: int
    why: str


@dataclass(slots=True)
class CorpusEntity:
    """One person, organisation or place across the corpus."""

    id: str
    name: str
    type: str
    mentions: int
    documents: int
    merged: list[MergedId] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)


_JOINS: dict[str, tuple[int, dict[str, str]]] = {}  # per database: (annotations mark, joins)


def person_ids(store: Store) -> dict[str, str]:
    """Each person id the entity layer holds → the id it is counted under across the corpus.

    Kept per store until annotations are added or redone, so a profile page does not read
    every person mention of the corpus on each request.
    """
    key = str(store.engine.url)
    mark = store.corpus.annotations_mark()
    cached = _JOINS.get(key)
    if cached is not None and cached[0] == mark:
        return cached[1]
    mark, ids = store.corpus.entity_ids("PER")
    joins = corpus_entity_ids(ids)
    if len(_JOINS) > 8:
        _JOINS.clear()
    _JOINS[key] = (mark, joins)
    return joins


def corpus_id(store: Store, entity: str) -> str:
    """The corpus id of an entity id (a surname-only id may join a full name); names pass."""
    return person_ids(store).get(entity, entity)


def member_ids(store: Store, entity: str) -> list[str]:
    """Every article-level id counted as the same corpus entity as `entity` (its corpus id
    first); `entity` is an id, or a canonical name ("Vladimir Putin"), read as the id most
    documents give that name."""
    ids = person_ids(store)
    if entity in ids:
        target = ids[entity]
    else:
        named = _named_id(store, entity)
        target = ids.get(named, named)
    return [target, *sorted(i for i, to in ids.items() if to == target and i != target)]


def _named_id(store: Store, entity: str) -> str:
    """`entity` if it is an entity id, else the id its canonical name stands for (if any).

    `/entity/Vladimir Putin` showed only the mentions carrying that exact name: no surname-only
    articles, no aliases, no merges (#17).
    """
    if is_entity_id(entity):  # an id: asking for a name costs a scan of every mention
        return entity
    named = store.corpus.entity_ids_named(entity)
    if not named or any(i == entity for i, _ in named):
        return entity
    return named[0][0]


def ranked(
    rows: Sequence[EntityRow], ids: dict[str, str], *, top: int | None = None
) -> list[tuple[str, str, int, int]]:
    """`(corpus id, name, annotations, documents)` with rows joined under their corpus id,
    most documents first; the name is the commonest one of the full id."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    count: Counter[str] = Counter()
    docs: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        key = ids.get(row.entity_id, row.entity_id)
        names[key][row.name] += 1 + 1000 * (row.entity_id == key)  # the full id's name wins
        count[key] += row.annotations
        docs[key].add(row.doc_id)
    out = [(key, names[key].most_common(1)[0][0], count[key], len(docs[key])) for key in count]
    out.sort(key=lambda r: (-r[3], -r[2], r[1]))
    return out[:top] if top else out


def corpus_entities(
    store: Store, *, type: str | None = None, name: str | None = None, limit: int | None = 50
) -> list[CorpusEntity]:
    """The corpus's entities, most documents first, each with its merged ids and aliases.

    `type` keeps PER, ORG or LOC; `name` keeps entities whose name or an alias contains it.
    """
    rows = store.corpus.entity_rows(Layer.ENTITY, label=type)
    ids = corpus_entity_ids(r.entity_id for r in rows if r.label == "PER")
    by_id: dict[str, list[EntityRow]] = defaultdict(list)
    for row in rows:
        by_id[ids.get(row.entity_id, row.entity_id)].append(row)
    found = [_entity(key, group) for key, group in by_id.items()]
    if name:
        needle = name.casefold()
        found = [
            e
            for e in found
            if needle in e.name.casefold() or any(needle in a.form.casefold() for a in e.aliases)
        ]
    found.sort(key=lambda e: (-e.documents, -e.mentions, e.name))
    return found[:limit] if limit else found


def corpus_entity(store: Store, entity: str) -> CorpusEntity | None:
    """One entity by id (a surname-only id finds its full name), with its aliases and merges."""
    members = member_ids(store, entity)
    rows = store.corpus.entity_rows(Layer.ENTITY, ids=members)
    return _entity(members[0], rows) if rows else None


def _entity(key: str, rows: Iterable[EntityRow]) -> CorpusEntity:
    rows = list(rows)
    (_, name, mentions, documents), *_ = ranked(rows, {r.entity_id: key for r in rows})
    label = Counter(r.label for r in rows).most_common(1)[0][0]
    merged_docs: dict[str, set[str]] = defaultdict(set)
    merged_names: dict[str, str] = {}
    forms: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.entity_id != key:
            merged_docs[row.entity_id].add(row.doc_id)
            merged_names.setdefault(row.entity_id, row.name)
        for form in row.aliases or (row.name,):
            forms[" ".join(form.split())].add(row.doc_id)
    merged = [
        MergedId(
            i,
            merged_names[i],
            len(d),
            f"named by surname alone; the corpus holds one person with that surname: {name}",
        )
        for i, d in sorted(merged_docs.items())
    ]
    aliases = [
        Alias(form, len(d), alias_reason(form, name, label=label))
        for form, d in sorted(forms.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return CorpusEntity(key, name, label, mentions, documents, merged, aliases)
