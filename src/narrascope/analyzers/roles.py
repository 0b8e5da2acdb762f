"""Entity roles: who an article casts as protagonist, antagonist or innocent (SemEval-2025 Task 10 ST1).

For each person, organisation or country of the article (the `Layer.ENTITY` annotations of an
earlier analyzer, or a simple capitalised-name finder when none ran), a main role (softmax over
3) and fine roles (22, restricted to the main role's children), each with a score and the
mention sentences that show it most. Features are the shared sentence vectors: the sentences
that mention the entity, their neighbours and the whole article.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead, ModelFileError
from narrascope.model import Annotation, Document, Layer, Span
from narrascope.text.names import capitalised_names, entity_id

TAXONOMY = RESOURCES / "taxonomy" / "roles.json"
MAIN_FILE = RESOURCES / "roles-v1.safetensors"
FINE_FILE = RESOURCES / "roles-v1-fine.safetensors"
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
    """Group the `Layer.ENTITY` mention annotations of `prior` by entity id."""
    found: dict[str, Entity] = {}
    for ann in prior:
        if ann.layer is not Layer.ENTITY or ann.start is None or ann.end is None:
            continue
        entity_id = str(ann.attrs.get("entity_id") or ann.attrs.get("entity") or "")
        if not entity_id:
            continue
        name = str(ann.attrs.get("entity") or entity_id)
        entity = found.setdefault(entity_id, Entity(name, entity_id, ann.label))
        entity.mentions.append((ann.start, ann.end))
    return list(found.values())


def find_names(doc: Document) -> list[Entity]:
    """Stand-in entity finder: runs of capitalised words, grouped by entity id (type "NAME").

    As with the entity analyzer's mentions, names with one id ("US", "United States") are one
    entity, under the name seen first.
    """
    found: dict[str, Entity] = {}
    for name, spans in capitalised_names(doc.text, doc.sentences).items():
        key = entity_id(name)
        found.setdefault(key, Entity(name, key, "NAME")).mentions.extend(spans)
    for entity in found.values():
        entity.mentions.sort()
    return list(found.values())


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


def decide_roles(
    main_probs: np.ndarray,
    fine_probs: np.ndarray,
    main_labels: Sequence[str],
    fine_labels: Sequence[str],
    thresholds: np.ndarray,
    parents: dict[str, str],
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
    )


class RoleAnalyzer:
    """Main and fine roles of the article's main actors, with the sentences that show them."""

    name: ClassVar[str] = "roles"
    version: ClassVar[str] = "roles-v1"
    layer: ClassVar[Layer] = Layer.ROLE
    # Entities come from `prior` (the entities analyzer); called without them, a stand-in
    # finds capitalised names.
    requires: ClassVar[tuple[Layer, ...]] = (Layer.ENTITY,)
    languages: ClassVar[frozenset[str] | None] = None

    def __init__(
        self,
        main: LinearHead,
        fine: LinearHead,
        *,
        max_entities: int = 8,
        min_mentions: int = 2,
        evidence: int = EVIDENCE_SENTENCES,
    ) -> None:
        self.main, self.fine = main, fine
        self.max_entities, self.min_mentions, self.evidence = max_entities, min_mentions, evidence
        self.parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
        if set(fine.labels) - set(self.parents):
            raise ModelFileError(
                f"{FINE_FILE}: unknown roles; rebuild with `narrascope train roles`"
            )

    @classmethod
    def load(cls, encoder: Encoder) -> RoleAnalyzer:
        inputs = 3 * encoder.dim + NAME_DIM + len(LANGUAGES)  # see `entity_features`
        main = LinearHead.from_file(MAIN_FILE, inputs=inputs, encoder=encoder)
        return cls(main, LinearHead.from_file(FINE_FILE, inputs=inputs, encoder=encoder))

    def entities(self, doc: Document, prior: Sequence[Annotation]) -> list[Entity]:
        """The entities to cast: the most mentioned ones, from `prior` or the stand-in finder."""
        found = entities_from(prior) or find_names(doc)
        found.sort(key=lambda e: (-len(e.mentions), e.mentions[0][0] if e.mentions else 0))
        frequent = [e for e in found if len(e.mentions) >= self.min_mentions]
        return (frequent or found[:3])[: self.max_entities]

    def decide(
        self, vectors: np.ndarray, rows: Sequence[int], name: str, language: str | None
    ) -> RoleDecision:
        """Roles of the entity `name` mentioned in sentences `rows`."""
        x = entity_features(vectors, rows, name, language)
        cut = self.fine.thresholds
        if cut is None:
            cut = np.ones(len(self.fine.labels))
        return decide_roles(
            self.main.score(x)[0],
            self.fine.score(x)[0],
            self.main.labels,
            self.fine.labels,
            cut,
            self.parents,
        )

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences or len(vectors) != len(doc.sentences):
            return []  # no vectors: the pipeline did not encode this language
        anns = []
        for entity in self.entities(doc, prior):
            rows = sentence_index(doc, entity.mentions)
            if not rows:
                continue
            decision = self.decide(vectors, rows, entity.name, doc.language)
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
            best = [
                rows[i] for i in np.argsort(-support[:, column], kind="stable")[: self.evidence]
            ]
            evidence = sorted(doc.sentences[i] for i in best)
            common = {
                "entity": entity.name,
                "entity_id": entity.entity_id,
                "entity_type": entity.type,
                "mentions": [list(span) for span in entity.mentions],
            }
            anns.append(
                Annotation(
                    doc_id=doc.id,
                    layer=self.layer,
                    label=decision.main,
                    model=self.version,
                    score=decision.main_score,
                    evidence=evidence,
                    attrs={
                        **common,
                        "level": "main",
                        "main_scores": decision.main_scores,
                        "fine_roles": [r for r, _ in decision.fine],
                    },
                )
            )
            anns += [
                Annotation(
                    doc_id=doc.id,
                    layer=self.layer,
                    label=role,
                    model=self.version,
                    score=score,
                    evidence=evidence,
                    attrs={**common, "level": "fine", "main": decision.main},
                )
                for role, score in decision.fine
            ]
        return anns
