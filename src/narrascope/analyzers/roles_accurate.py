"""Entity roles, accurate profile: the entity read in context by MiniLM's token states (English).

The fast role head (`analyzers/roles.py`) sees an entity only through the vectors of the
sentences that name it, so it cannot tell the attacker from the attacked in one sentence. This
one reads the word pieces of the entity's mentions: the first sentences that name the entity
(`MAX_SENTENCES`) are read by the accurate profile's MiniLM (the ONNX model of
`techniques_accurate`, as `[CLS] sentence [SEP] previous sentence [SEP]`), and the token states
of the mention's word pieces, averaged over its mentions there, stand for the entity in context
(layers 5 and 6 of 6; layer 5 is all-MiniLM-L6-v2's own, the 6th is the one fine-tuned on
techniques). Beside them: the fast head's entity features (the shared sentence vectors, the
name, the language). No second model file and no second run: the roles model is the heads
only, and the token states come from the one run of the document that gives the technique
analyzer its logits and phrases (`techniques_accurate.shared_pair_model`, `PairModel.read`).

Main role and fine roles are one decision: a softmax over the 3 main roles
(temperature-calibrated) picks the main role, and the fine roles are that main role's children
only (Platt-calibrated one-vs-rest), the best one always, a second only over a high cut; one
record per entity per article, as the fast head stores it. English only: any other language
the fast head reads gets the fast head's roles and a `not-analyzed` note saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, cast

import numpy as np

from narrascope.analyzers import load_analyzer, not_analyzed
from narrascope.analyzers.roles import (
    LANGUAGES,
    NAME_DIM,
    Entity,
    RoleAnalyzer,
    RoleDecision,
    decide_roles,
    entity_features,
    read_taxonomy,
    role_record,
    sentence_index,
    shows_role,
)
from narrascope.analyzers.techniques_accurate import (
    model_files,
    sentence_pairs,
    shared_pair_model,
)
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead, ModelFileError
from narrascope.model import Annotation, Document, Layer, Span

ROLES_ACCURATE_VERSION = "roles-accurate-v2"
ROLES_ACCURATE_FILE = RESOURCES / f"{ROLES_ACCURATE_VERSION}.safetensors"
STATE_WIDTH = 2 * 384  # layers 5 and 6 of MiniLM, side by side
MAX_SENTENCES = 3  # sentences read per entity: the first ones that name it (bounds the cost;
# CV on English train: 1, 3 and 12 score alike, exact match 0.22-0.24, RESULTS.md)


@dataclass(frozen=True, slots=True)
class SentenceStates:
    """One sentence read in context: its word pieces' character spans (in the document) and
    their token states at layers 5 and 6 side by side, (pieces, STATE_WIDTH)."""

    spans: np.ndarray
    states: np.ndarray


class TokenStates:
    """Token states of a document's sentences from the accurate profile's MiniLM: the run the
    technique analyzer reads too (`shared_pair_model`), so the two cost one run."""

    def __init__(self, directory: Path = RESOURCES) -> None:
        files = model_files(directory)
        if not files["onnx"].is_file() or not files["vocab"].is_file():
            raise ModelFileError(f"accurate MiniLM missing: {files['onnx']}")
        self.model = shared_pair_model(directory)
        if not self.model.has_tokens:
            raise ModelFileError(f"{files['onnx']}: gives no token states (`token_states`)")
        self.vocab = self.model.vocab

    def read(
        self, doc_text: str, sentences: Sequence[Span], rows: Sequence[int]
    ) -> dict[int, SentenceStates]:
        """Token states of sentences `rows` of a document, by row. The model reads every
        sentence of the document, each with the previous one as context, exactly as the
        technique analyzer reads them, and keeps that run for it (`PairModel.read`): the int8
        model quantizes activations per batch, so a run of some sentences only would give
        other states (and other logits) than the run the heads were fitted on."""
        if not rows:
            return {}
        texts = [doc_text[start:end] for start, end in sentences]
        reading = self.model.read(sentence_pairs(texts))
        out = {}
        for i in rows:
            states = np.concatenate([reading.lower[i], reading.states[i]], axis=1)
            _, offsets = self.vocab.tokenize_with_offsets(texts[i])
            spans = np.asarray(offsets[: len(states)], dtype=np.int64).reshape(-1, 2)
            out[i] = SentenceStates(spans + sentences[i][0], states)
        return out


def mention_pieces(sentence: SentenceStates, mentions: Sequence[Span]) -> np.ndarray:
    """Which of the sentence's word pieces lie inside one of `mentions` (boolean mask)."""
    inside = np.zeros(len(sentence.spans), dtype=bool)
    for start, end in mentions:
        inside |= (sentence.spans[:, 0] < end) & (sentence.spans[:, 1] > start)
    return inside


def mention_states(
    read: dict[int, SentenceStates], rows: Sequence[int], mentions: Sequence[Span]
) -> np.ndarray:
    """(states,): the mean token state of the mentions' word pieces over every sentence in
    `rows` (zeros if none survived the 128-piece cut). The sentences' own mean state was
    measured too and left out: it added nothing by CV (benchmarks/RESULTS.md)."""
    picked = []
    for i in rows:
        sentence = read.get(i)
        if sentence is None or not len(sentence.states):
            continue
        mask = mention_pieces(sentence, mentions)
        if mask.any():
            picked.append(sentence.states[mask])
    if not picked:
        return np.zeros(STATE_WIDTH, np.float32)
    return np.vstack(picked).mean(axis=0).astype(np.float32)


def accurate_features(
    read: dict[int, SentenceStates],
    vectors: np.ndarray,
    rows: Sequence[int],
    mentions: Sequence[Span],
    name: str,
    language: str | None,
) -> np.ndarray:
    """(1, features): the entity's mention states (`mention_states`), then the fast head's
    features (`entity_features`)."""
    fast = entity_features(vectors, rows, name, language)
    return np.concatenate([mention_states(read, rows[:MAX_SENTENCES], mentions)[None, :], fast], 1)


def head_files(directory: Path = RESOURCES) -> dict[str, Path]:
    """The accurate role heads: main role (softmax) and fine roles (one-vs-rest)."""
    return {
        "main": directory / f"{ROLES_ACCURATE_VERSION}.safetensors",
        "fine": directory / f"{ROLES_ACCURATE_VERSION}-fine.safetensors",
    }


def feature_count(encoder: Encoder) -> int:
    """Width of `accurate_features` for vectors of `encoder`."""
    return STATE_WIDTH + 3 * encoder.dim + NAME_DIM + len(LANGUAGES)


class AccurateRoleAnalyzer:
    """One role record per named actor of an in-domain English article, read by MiniLM in
    context; the fast role head elsewhere."""

    name: ClassVar[str] = "roles"
    version: ClassVar[str] = ROLES_ACCURATE_VERSION
    # what `load` reads from a model folder: the fast fallback's heads and the domain gate
    head_files: ClassVar[tuple[str, ...]] = RoleAnalyzer.head_files
    layer: ClassVar[Layer] = Layer.ROLE
    requires: ClassVar[tuple[Layer, ...]] = (Layer.ENTITY,)
    reads: ClassVar[frozenset[str]] = frozenset({"en"})

    def __init__(
        self, main: LinearHead, fine: LinearHead, states: TokenStates, fallback: RoleAnalyzer
    ) -> None:
        self.main, self.fine, self.states, self.fallback = main, fine, states, fallback
        fast = cast(RoleAnalyzer, getattr(fallback, "analyzer", fallback))
        self.fast = fast  # the fast analyzer itself (a per-corpus model wraps it)
        self.parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
        if set(fine.labels) - set(self.parents):
            raise ModelFileError(
                f"{ROLES_ACCURATE_FILE}: unknown roles; rebuild with "
                "`narrascope train roles --profile accurate`"
            )
        self.second = float(fine.info.get("t_second_role", 1.01))
        self.languages = fallback.languages

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> AccurateRoleAnalyzer:
        # As the accurate technique analyzer: a model folder (#19) replaces the fast fallback's
        # heads; the accurate heads are always the shipped ones.
        fallback = load_analyzer(RoleAnalyzer, encoder, models=models)
        files, inputs = head_files(), feature_count(encoder)
        main = LinearHead.from_file(files["main"], inputs=inputs, encoder=encoder)
        fine = LinearHead.from_file(files["fine"], inputs=inputs, encoder=encoder)
        return cls(main, fine, TokenStates(), cast(RoleAnalyzer, fallback))

    def decide(self, features: np.ndarray) -> RoleDecision:
        """Main role (argmax) and its fine roles (its children only) for one entity's features."""
        return decide_roles(
            self.main.score(features)[0],
            self.fine.score(features)[0],
            self.main.labels,
            self.fine.labels,
            np.full(len(self.fine.labels), self.second),
            self.parents,
        )

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if doc.language not in self.reads:
            anns = self.fallback.analyze(doc, vectors, prior)
            if not anns or all(a.layer is Layer.STATS for a in anns):
                return anns  # nothing cast (no actors, or out of the domain): nothing to say
            reason = (
                f"accurate profile reads {', '.join(sorted(self.reads))} only; language "
                f"{doc.language or 'unknown'!r} got the fast head ({self.fast.version})"
            )
            return [*anns, not_analyzed(doc, self.name, reason)]
        if not doc.sentences or len(vectors) != len(doc.sentences):
            return []
        actors = self.fast.entities(prior)
        if not actors:
            return []
        if self.fast.gate is not None:
            verdict = self.fast.gate.verdict(vectors, doc.text)
            if not verdict.inside:
                return [self.fast.gate.note(doc, self.name, verdict)]
        rows_of = {e.entity_id: sentence_index(doc, e.mentions) for e in actors}
        needed = sorted({i for rows in rows_of.values() for i in rows[:MAX_SENTENCES]})
        read = self.states.read(doc.text, doc.sentences, needed)
        anns = []
        for entity in actors:
            rows = rows_of[entity.entity_id]
            if not rows:
                continue
            x = accurate_features(read, vectors, rows, entity.mentions, entity.name, doc.language)
            decision = self.decide(x)
            if shows_role(self.main, decision, doc.language):
                anns.append(self._record(doc, read, vectors, entity, rows, decision))
        return anns

    def _record(
        self,
        doc: Document,
        read: dict[int, SentenceStates],
        vectors: np.ndarray,
        entity: Entity,
        rows: list[int],
        decision: RoleDecision,
    ) -> Annotation:
        """The entity's one role annotation, as the fast head writes it; the evidence is the
        mention sentences whose own features give the main role the highest score."""
        read_rows = [i for i in rows if i in read] or rows[:1]
        support = self.main.score(
            np.vstack(
                [
                    accurate_features(
                        read, vectors, [i], entity.mentions, entity.name, doc.language
                    )
                    for i in read_rows
                ]
            )
        )
        column = self.main.labels.index(decision.main)
        order = np.argsort(-support[:, column], kind="stable")
        best = [read_rows[k] for k in order[: self.fast.evidence]]
        return role_record(doc, entity, decision, best, self.fine, self.version)
