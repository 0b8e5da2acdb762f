"""Entity roles: who an article casts as protagonist, antagonist or innocent (SemEval-2025 Task 10 ST1).

Only named actors get a role: the persons, organisations and places (countries included) that
the entities analyzer recognised (`Layer.ENTITY` in `prior`), in the languages it reads; a
lower-case word never does, and nothing is guessed when no entity layer ran. Only articles
the domain gate (`analyzers/domain.py`) places in the taxonomy's two domains are cast; any
other gets a `not-analyzed` note. Each entity gets ONE annotation per article: its main role
(softmax over 3, temperature-calibrated) as label and score, its fine roles (children of that
main role only, Platt-calibrated) with their scores in attrs, and the mention sentences that
show the role most. An entity whose main role is under the head's operating point is not
cast. Features are the shared sentence vectors (the sentences that mention the entity, their
neighbours, the whole article), a hashed bag of the name and the language.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers.domain import GATE_FILE, DomainGate
from narrascope.analyzers.entities import EntityAnalyzer
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead, ModelFileError, head_path
from narrascope.model import Annotation, Document, Layer, Span

TAXONOMY = RESOURCES / "taxonomy" / "roles.json"
MAIN_FILE = RESOURCES / "roles-v4.safetensors"
FINE_FILE = RESOURCES / "roles-v4-fine.safetensors"
NAMED_TYPES = frozenset({"PER", "ORG", "LOC", "GPE", "NORP", "GROUP"})
"""Entity types that may carry a role: persons, organisations, places/countries, groups."""
CONTEXT = 1  # neighbouring sentences on each side counted as context
NAME_DIM = 512
LANGUAGES = ("en", "ru", "bg", "pt", "hi")  # the training languages, for their role priors
EVIDENCE_SENTENCES = 3


@dataclass(frozen=True, slots=True)
class RoleLabel:
    """A main or fine role with our one-line definition."""

    label: str
    level: str  # "main" | "fine"
    definition: str
    parent: str | None = None


def read_taxonomy(path: Path = TAXONOMY) -> list[RoleLabel]:
    """The 3 main and 22 fine roles with their definitions."""
    rows = json.loads(path.read_text(encoding="utf-8"))["labels"]
    return [RoleLabel(r["label"], r["level"], r["definition"], r.get("parent")) for r in rows]


@dataclass(slots=True)
class Entity:
    """One entity of an article: canonical name, id, type and the spans of its mentions."""

    name: str
    entity_id: str
    type: str
    mentions: list[Span] = field(default_factory=list)


def entities_from(prior: Sequence[Annotation]) -> list[Entity]:
    """The named actors of `prior`'s `Layer.ENTITY` mentions, grouped by entity id.

    Only the types in `NAMED_TYPES`, and never a name without a capital letter in a script
    that has them (a common noun the tagger took for a name).
    """
    found: dict[str, Entity] = {}
    for ann in prior:
        if ann.layer is not Layer.ENTITY or ann.start is None or ann.end is None:
            continue
        entity_id = str(ann.attrs.get("entity_id") or ann.attrs.get("entity") or "")
        name = str(ann.attrs.get("entity") or entity_id)
        if not entity_id or ann.label not in NAMED_TYPES or not is_named(name):
            continue
        entity = found.setdefault(entity_id, Entity(name, entity_id, ann.label))
        entity.mentions.append((ann.start, ann.end))
    return list(found.values())


def is_named(name: str) -> bool:
    """True unless `name` is written in a cased script and has no capital letter."""
    cased = [c for c in name if c.isalpha() and c.lower() != c.upper()]
    return not cased or any(c.isupper() for c in cased)


def sentence_index(doc: Document, spans: Sequence[Span]) -> list[int]:
    """Indices of the sentences that contain the start of each span (sorted, unique)."""
    starts = np.array([s for s, _ in doc.sentences])
    found = {int(np.searchsorted(starts, a, side="right") - 1) for a, _ in spans}
    return sorted(i for i in found if 0 <= i < len(doc.sentences))


def name_features(name: str, *, dim: int = NAME_DIM) -> np.ndarray:
    """A hashed bag of the name's character 3-grams and words, L2-normalised, shape (dim,).

    Who an entity is weighs on its role as much as what the sentences say; hashing the name
    gives that signal without a second encoder pass.
    """
    vector = np.zeros(dim, dtype=np.float32)
    padded = f" {name.lower()} "
    grams = [padded[i : i + 3] for i in range(len(padded) - 2)] + name.lower().split()
    for gram in grams:
        vector[zlib.crc32(gram.encode("utf-8")) % dim] += 1.0
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def language_features(language: str | None) -> np.ndarray:
    """One-hot of the training languages (all zero for any other), shape (5,)."""
    code = (language or "").lower()
    return np.array([code == known for known in LANGUAGES], dtype=np.float32)


def entity_features(
    vectors: np.ndarray,
    rows: Sequence[int],
    name: str,
    language: str | None,
    *,
    context: int = CONTEXT,
    name_vector: np.ndarray | None = None,
) -> np.ndarray:
    """(1, 3 * dim + NAME_DIM + 5): mention sentences, them with neighbours, article; name; language.

    `name_vector` is `name_features(name)` when the caller already has it.
    """
    rows = list(rows) or [0]
    window = sorted(
        {j for i in rows for j in range(i - context, i + context + 1) if 0 <= j < len(vectors)}
    )
    parts = [
        vectors[rows].mean(axis=0),
        vectors[window].mean(axis=0),
        vectors.mean(axis=0),
        name_features(name) if name_vector is None else name_vector,
        language_features(language),
    ]
    return np.concatenate(parts)[None, :].astype(np.float32)


@dataclass(frozen=True, slots=True)
class RoleDecision:
    """Main role with its score, all main-role scores, and the chosen fine roles (best first)."""

    main: str
    main_score: float
    main_scores: dict[str, float]
    fine: list[tuple[str, float]]
    fine_scores: list[tuple[str, float]] = field(default_factory=list)  # every child, best first


def decide_roles(
    main_probs: np.ndarray,
    fine_probs: np.ndarray,
    main_labels: Sequence[str],
    fine_labels: Sequence[str],
    thresholds: np.ndarray,
    parents: Mapping[str, str | None],
) -> RoleDecision:
    """Main role = argmax; fine roles = the main role's best child, plus any other over threshold.

    Nine mentions in ten have a single fine role, so a second one needs a high score.
    """
    k = int(np.argmax(main_probs))
    main = main_labels[k]
    children = sorted(
        (j for j, label in enumerate(fine_labels) if parents[label] == main),
        key=lambda j: -fine_probs[j],
    )
    chosen = children[:1] + [j for j in children[1:] if fine_probs[j] >= thresholds[j]]
    return RoleDecision(
        main,
        float(main_probs[k]),
        {label: float(p) for label, p in zip(main_labels, main_probs, strict=True)},
        [(fine_labels[j], float(fine_probs[j])) for j in chosen],
        [(fine_labels[j], float(fine_probs[j])) for j in children],
    )


class RoleAnalyzer:
    """One role record per named actor of an in-domain article, with the sentences that show it."""

    name: ClassVar[str] = "roles"
    version: ClassVar[str] = "roles-v4"
    # what `load` reads: the heads and the domain gate's
    head_files: ClassVar[tuple[str, ...]] = (MAIN_FILE.name, FINE_FILE.name, GATE_FILE.name)
    layer: ClassVar[Layer] = Layer.ROLE
    requires: ClassVar[tuple[Layer, ...]] = (Layer.ENTITY,)
    # A role needs a recognised name: only the languages the entities analyzer reads.
    languages: ClassVar[frozenset[str] | None] = EntityAnalyzer.languages

    def __init__(
        self,
        main: LinearHead,
        fine: LinearHead,
        gate: DomainGate | None = None,
        *,
        max_entities: int = 8,
        min_mentions: int = 2,
        evidence: int = EVIDENCE_SENTENCES,
    ) -> None:
        self.main, self.fine, self.gate = main, fine, gate
        self.max_entities, self.min_mentions, self.evidence = max_entities, min_mentions, evidence
        self.parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
        if set(fine.labels) - set(self.parents):
            raise ModelFileError(
                f"{FINE_FILE}: unknown roles; rebuild with `narrascope train roles`"
            )
        # the official decision's cut for a second fine role (T10 answers every mention)
        self.second = float(fine.info.get("t_second_role", 1.01))

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> RoleAnalyzer:
        inputs = 3 * encoder.dim + NAME_DIM + len(LANGUAGES)  # see `entity_features`
        main = LinearHead.from_file(head_path(MAIN_FILE, models), inputs=inputs, encoder=encoder)
        fine = LinearHead.from_file(head_path(FINE_FILE, models), inputs=inputs, encoder=encoder)
        return cls(main, fine, DomainGate.load(encoder, models=models))

    def entities(self, prior: Sequence[Annotation]) -> list[Entity]:
        """The named actors to cast: the most mentioned entities of `prior`."""
        found = entities_from(prior)
        found.sort(key=lambda e: (-len(e.mentions), e.mentions[0][0] if e.mentions else 0))
        frequent = [e for e in found if len(e.mentions) >= self.min_mentions]
        return (frequent or found[:3])[: self.max_entities]

    def decide(
        self, vectors: np.ndarray, rows: Sequence[int], name: str, language: str | None
    ) -> RoleDecision:
        """Roles of the entity `name` mentioned in sentences `rows` (the task's answer: always one)."""
        x = entity_features(vectors, rows, name, language)
        return decide_roles(
            self.main.score(x)[0],
            self.fine.score(x)[0],
            self.main.labels,
            self.fine.labels,
            np.full(len(self.fine.labels), self.second),
            self.parents,
        )

    def shown(self, decision: RoleDecision, language: str | None = None) -> bool:
        """Whether the main role passes its operating point in `language` (`shows_role`)."""
        return shows_role(self.main, decision, language)

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences or len(vectors) != len(doc.sentences):
            return []  # no vectors: the pipeline did not encode this language
        actors = self.entities(prior)
        if not actors:
            return []
        if self.gate is not None:
            verdict = self.gate.verdict(vectors, doc.text)
            if not verdict.inside:
                return [self.gate.note(doc, self.name, verdict)]
        anns = []
        for entity in actors:
            rows = sentence_index(doc, entity.mentions)
            if not rows:
                continue
            decision = self.decide(vectors, rows, entity.name, doc.language)
            if self.shown(decision, doc.language):
                anns.append(self._record(doc, vectors, entity, rows, decision))
        return anns

    def _record(
        self,
        doc: Document,
        vectors: np.ndarray,
        entity: Entity,
        rows: list[int],
        decision: RoleDecision,
    ) -> Annotation:
        """The entity's one role annotation: main role, fine roles and the sentences showing it.

        `fine_roles` are the main role's children that pass their operating point (best
        first); `fine_scores` holds every child's calibrated probability.
        """
        name_vector = name_features(entity.name)
        support = self.main.score(
            np.vstack(
                [
                    entity_features(
                        vectors, [i], entity.name, doc.language, name_vector=name_vector
                    )
                    for i in rows
                ]
            )
        )
        column = self.main.labels.index(decision.main)
        best = [rows[i] for i in np.argsort(-support[:, column], kind="stable")[: self.evidence]]
        return role_record(doc, entity, decision, best, self.fine, self.version)


def shows_role(main: LinearHead, decision: RoleDecision, language: str | None) -> bool:
    """Whether `decision`'s main role passes the main head's precision-first operating point:
    the language's (`language_thresholds` in the head's metadata, roles-v3 on) or else the
    head's own."""
    cut = main.info.get("language_thresholds", {}).get(language or "", main.thresholds)
    if cut is None:
        return True
    return decision.main_score >= float(cut[main.labels.index(decision.main)])


def role_record(
    doc: Document,
    entity: Entity,
    decision: RoleDecision,
    best: Sequence[int],
    fine: LinearHead,
    model: str,
) -> Annotation:
    """The entity's one role annotation with sentences `best` as evidence: `fine_roles` are the
    main role's children over `fine`'s operating points (best first); `fine_scores` holds every
    child's calibrated probability."""
    cut = fine.thresholds
    index = {label: j for j, label in enumerate(fine.labels)}
    shown = [
        role for role, score in decision.fine if cut is None or score >= float(cut[index[role]])
    ]
    return Annotation(
        doc_id=doc.id,
        layer=Layer.ROLE,
        label=decision.main,
        model=model,
        score=decision.main_score,
        evidence=sorted(doc.sentences[i] for i in best),
        attrs={
            "entity": entity.name,
            "entity_id": entity.entity_id,
            "entity_type": entity.type,
            "mentions": [list(span) for span in entity.mentions],
            "main_scores": decision.main_scores,
            "fine_roles": shown,
            "fine_scores": {role: round(score, 4) for role, score in decision.fine_scores},
        },
    )
