"""Entity roles learning from analysts' corrections (#19): `narrascope train roles --corrections DB`.

A role label is about one entity of one article, so each corrected entity becomes one row of
the role heads' features (`analyzers.roles.entity_features`: the sentences naming it, their
neighbours, the article, its name, the language), built from the article's stored vectors and
the entity's mentions (those the role label keeps, else the article's entity mentions of the
same id). A verdict covers its own label and what the role taxonomy implies: a fine role that
holds brings its main role; a main role that does not hold takes its fine roles with it.
`training.roles.train` then weights the rows into the main-role softmax (rows whose verdicts
name the main role) and the fine-role heads (per cell).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from narrascope.analyzers.roles import (
    Entity,
    entities_from,
    entity_features,
    read_taxonomy,
    sentence_index,
)
from narrascope.model import Annotation, Document, Layer, subject_of
from narrascope.store import Store
from narrascope.training.corrections import (
    CorrectedReads,
    CorrectedSet,
    database_name,
    fingerprint,
    verdicts,
)


def role_labels(main_roles: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The columns of a role verdict row (main roles, then fine roles) and each fine role's
    main role."""
    parents = {r.label: str(r.parent) for r in read_taxonomy() if r.level == "fine"}
    return [*main_roles, *parents], parents


def implied_roles(label: str, truth: float, parents: dict[str, str]) -> Iterator[tuple[str, float]]:
    """What a verdict on a role implies in the taxonomy."""
    if truth and label in parents:
        yield parents[label], 1.0
    elif not truth and label not in parents:
        yield from ((fine, 0.0) for fine, main in parents.items() if main == label)


def corrected_entities(
    db: str, main_roles: Sequence[str], *, encoder: str
) -> tuple[CorrectedSet, int]:
    """Every entity with a standing role correction in database `db`, as one row of the role
    heads' features, with the corrected roles as truth on the cells a verdict covers (columns:
    `role_labels(main_roles)`), and how many verdicts were left out because their entity's
    mentions are unknown. An article without vectors of `encoder` is left out (`skipped`)."""
    labels, parents = role_labels(main_roles)
    index = {label: j for j, label in enumerate(labels)}
    rows: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    unknown = 0
    with Store.open(db) as store:
        reads = CorrectedReads(store, (Layer.ROLE,), encoder=encoder)
        for doc, vectors, corrections in reads:
            named = {e.entity_id: e for e in entities_from(list(store.annotations(doc.id)))}
            for correction in corrections:
                for ann, truth in verdicts(correction):
                    key = (doc.id, subject_of(ann))
                    if key not in rows:
                        x = _features(doc, vectors, ann, named)
                        if x is None:
                            unknown += 1
                            continue
                        shape = (len(labels),)
                        rows[key] = (x, np.zeros(shape, np.float32), np.zeros(shape, bool))
                    _, y, ruled = rows[key]
                    for label, value in [
                        (ann.label, truth),
                        *implied_roles(ann.label, truth, parents),
                    ]:
                        if label in index:
                            y[index[label]], ruled[index[label]] = value, True
    kept = list(rows.values())
    dim = kept[0][0].shape[0] if kept else 0
    corrected = CorrectedSet(
        np.vstack([x for x, _, _ in kept]) if kept else np.zeros((0, dim), np.float32),
        np.vstack([y for _, y, _ in kept]) if kept else np.zeros((0, len(labels)), np.float32),
        np.vstack([r for _, _, r in kept]) if kept else np.zeros((0, len(labels)), bool),
        len(reads.done),
        reads.documents,
        reads.skipped,
        database_name(db),
        fingerprint(reads.done),
        (Layer.ROLE,),
    )
    return corrected, unknown


def _features(
    doc: Document, vectors: np.ndarray, ann: Annotation, named: dict[str, Entity]
) -> np.ndarray | None:
    """The role heads' row for the entity `ann` is about, or None when its mentions are unknown."""
    entity = named.get(subject_of(ann))
    spans = [(int(s), int(e)) for s, e in ann.attrs.get("mentions") or ()]
    if not spans and entity is not None:
        spans = list(entity.mentions)
    name = str(ann.attrs.get("entity") or (entity.name if entity else ""))
    found = sentence_index(doc, spans)
    if not found or not name:
        return None
    return entity_features(vectors, found, name, doc.language)[0]
