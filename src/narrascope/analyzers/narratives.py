"""Narratives and subnarratives of an article (SemEval-2025 Task 10 subtask 2 taxonomy).

One analyzer emits both levels: `Layer.NARRATIVE` annotations and, under them,
`Layer.SUBNARRATIVE` annotations whose narrative is always emitted too. Each label is a
document label with a score and, as evidence, the sentences that support it most.

The score blends two views of the article's sentence vectors (shared encoder):
- a linear head over the article's mean- and max-pooled sentence vectors, trained on the
  Task 10 articles (Ukraine war, climate change);
- similarity to our own one-line definition of each label (`resources/taxonomy/`).
The blend is then Platt-calibrated per label (`platt_a`, `platt_b` in the head's info), so a
stored score is the probability that the label holds, measured out of fold. The head's level
cuts apply to that probability or to the uncalibrated blend (`cut_space` in its info), and a
label is shown only if its probability also reaches the head's `floor` (`decide`).

The taxonomy covers two domains only: the domain gate (`analyzers/domain.py`) is asked first,
and an article outside both gets no label but one `not-analyzed` note with its reason. It reads
only its training languages (`T10_LANGUAGES`, those the encoder reads among them): held out of
training, a language's shown labels were right less often and stored at scores off by 0.14 on
average (#15; `benchmarks/unseen_languages.py --head narratives`), so another language gets the
run loop's `not-analyzed` note.
"Other" (no narrative of the taxonomy) is the absence of narrative annotations here; the
official-format writer in `training.narratives` spells it out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers import cannot_read
from narrascope.analyzers.domain import GATE_FILE, DomainGate, article_features
from narrascope.encode import Encoder
from narrascope.heads import (
    BLOCK_ROWS,
    RESOURCES,
    LinearHead,
    ModelFileError,
    apply_platt,
    head_path,
    row_blocks,
)
from narrascope.model import Annotation, Document, Layer

TAXONOMY = RESOURCES / "taxonomy" / "narratives.json"
HEAD_FILE = RESOURCES / "narratives-v5.safetensors"
DEFINITIONS_FILE = RESOURCES / "narratives-v5-definitions.safetensors"
OTHER = "Other"
EVIDENCE_SENTENCES = 3
T10_LANGUAGES: frozenset[str] = frozenset({"en", "bg", "hi", "pt", "ru"})
"""The five languages of the SemEval-2025 Task 10 train split (ISO codes): the narrative
heads' training languages."""


@dataclass(frozen=True, slots=True)
class NarrativeLabel:
    """One label of the taxonomy: official string, level, parent narrative and our definition."""

    label: str
    level: str  # "narrative" | "subnarrative"
    definition: str
    parent: str | None = None
    domain: str | None = None
    official: bool = True

    @property
    def is_other(self) -> bool:
        """True for "Other" and for the "<narrative>: Other" catch-all subnarratives."""
        return self.label == OTHER or self.label.endswith(": Other")


def read_taxonomy(path: Path = TAXONOMY) -> list[NarrativeLabel]:
    """Every narrative and subnarrative label with its definition, in file order."""
    rows = json.loads(path.read_text(encoding="utf-8"))["labels"]
    return [
        NarrativeLabel(
            label=r["label"],
            level=r["level"],
            definition=r["definition"],
            parent=r.get("parent"),
            domain=r.get("domain"),
            official=r.get("official", True),
        )
        for r in rows
    ]


def head_labels(taxonomy: Sequence[NarrativeLabel]) -> list[str]:
    """The labels a head scores: "Other" (no narrative), every narrative and listed subnarrative.

    The "<narrative>: Other" catch-alls are not scored: they follow from the decision.
    """
    return [OTHER] + [t.label for t in taxonomy if not t.is_other]


def is_subnarrative(label: str) -> bool:
    """True for "<domain>: <narrative>: <subnarrative>" labels."""
    return label.count(": ") >= 2


def parent_of(label: str) -> str:
    """The narrative of a subnarrative label."""
    return label.rsplit(": ", 1)[0]


def sentence_features(vectors: np.ndarray) -> np.ndarray:
    """Each sentence seen as a one-sentence article (mean = max = the sentence), shape (n, 2 * dim)."""
    return np.concatenate([vectors, vectors], axis=1).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Decision:
    """The labels chosen for one article, with scores, in the official label strings.

    `narratives` is ``{"Other": s}`` when nothing applies; every chosen narrative has at least
    one subnarrative, ``"<narrative>: Other"`` when no listed subnarrative passed.
    """

    narratives: dict[str, float]
    subnarratives: dict[str, float]


def decide(
    scores: np.ndarray,
    labels: Sequence[str],
    thresholds: np.ndarray,
    *,
    cut_scores: np.ndarray | None = None,
    floor: float = 0.0,
) -> Decision:
    """Official label sets from one article's scores (one per label, `labels` of a head).

    `scores` are the calibrated probabilities (what is stored and ranked); the `thresholds`
    apply to `cut_scores` (the uncalibrated blend, when the head cuts there) or to `scores`.
    "Other" wins when it passes its threshold. Otherwise every narrative and subnarrative
    that passes its threshold and whose probability reaches `floor` is kept, a subnarrative
    brings its narrative, the best-scored narrative is kept if it reaches `floor` (the task
    gives every article a label; below the floor the article gets "Other": nothing shown), and
    a narrative without a passing subnarrative gets "<narrative>: Other".
    """
    by_label = dict(zip(labels, scores.tolist(), strict=True))
    cut_by = by_label if cut_scores is None else dict(zip(labels, cut_scores.tolist(), strict=True))
    if OTHER in cut_by and cut_by[OTHER] >= thresholds[list(labels).index(OTHER)]:
        return Decision({OTHER: by_label[OTHER]}, {OTHER: by_label[OTHER]})
    # Articles are about one domain (war or climate): keep the labels of the likelier one,
    # so that an article outside both does not get a mix of the two taxonomies.
    domain = max(
        (label for label in labels if label != OTHER and not is_subnarrative(label)),
        key=lambda label: by_label[label],
        default="",
    ).split(": ", 1)[0]
    passed = {
        label: s
        for label, s, cut in zip(labels, scores.tolist(), thresholds, strict=True)
        if cut_by[label] >= cut
        and s >= floor
        and label != OTHER
        and label.startswith(f"{domain}: ")
    }
    subs = {label: s for label, s in passed.items() if is_subnarrative(label)}
    narratives = {label: s for label, s in passed.items() if not is_subnarrative(label)}
    for sub, s in subs.items():
        narratives.setdefault(parent_of(sub), max(by_label.get(parent_of(sub), 0.0), s))
    candidates = [
        label for label in labels if label.startswith(f"{domain}: ") and not is_subnarrative(label)
    ]
    if candidates:  # the best narrative is always among those kept, if it reaches the floor
        best = max(candidates, key=lambda label: by_label[label])
        if by_label[best] >= floor:
            narratives.setdefault(best, by_label[best])
    if not narratives:
        return Decision({OTHER: 1.0}, {OTHER: 1.0})
    covered = {parent_of(sub) for sub in subs}
    for narrative, s in narratives.items():
        if narrative not in covered:
            subs[f"{narrative}: Other"] = s
    return Decision(narratives, subs)


class NarrativeAnalyzer:
    """Multi-label narratives and subnarratives per article, with the sentences that carry them."""

    name: ClassVar[str] = "narratives"
    version: ClassVar[str] = "narratives-v5"
    # what `load` reads: the heads and the domain gate's
    head_files: ClassVar[tuple[str, ...]] = (HEAD_FILE.name, DEFINITIONS_FILE.name, GATE_FILE.name)
    layer: ClassVar[Layer] = Layer.NARRATIVE
    requires: ClassVar[tuple[Layer, ...]] = ()
    # The encoder's languages cut to `trained_languages` (set at load): elsewhere the run loop
    # leaves a not-analyzed note saying so instead of an empty, silent result.
    languages: frozenset[str] | None = None
    # Held out of training, a language's shown labels were right 0.34 of the time against 0.43
    # in-language and stored at scores off by 0.14 (mean of five; English 0.21): past the
    # pre-registered bounds, so another language is not analyzed (#15; narratives-v5;
    # benchmarks/unseen_languages.py, RESULTS.md).
    trained_languages: ClassVar[frozenset[str] | None] = T10_LANGUAGES
    block_rows: int = BLOCK_ROWS  # sentences scored at once (issue 18)

    def __init__(
        self,
        head: LinearHead,
        definitions: LinearHead | None = None,
        gate: DomainGate | None = None,
        *,
        blend: float = 0.0,
        evidence: int = EVIDENCE_SENTENCES,
    ) -> None:
        self.head, self.definitions, self.gate = head, definitions, gate
        self.blend, self.evidence = blend, evidence
        k = len(head.labels)
        self.platt_a = np.asarray(head.info.get("platt_a", np.ones(k)), dtype=np.float64)
        self.platt_b = np.asarray(head.info.get("platt_b", np.zeros(k)), dtype=np.float64)
        # Where the level cuts apply ("calibrated" probabilities or the uncalibrated "blend")
        # and the calibrated probability every shown label reaches (`decide`).
        self.cut_space = str(head.info.get("cut_space", "calibrated"))
        self.floor = float(head.info.get("floor", 0.0))
        if definitions is not None and definitions.labels != head.labels:
            raise ModelFileError(
                "narrative heads disagree on labels; rebuild with `narrascope train narratives`"
            )
        # narratives-v4 on: a head per language (fitted on that language's articles alone, with its
        # own blend, calibration and rule) where one is stored; other languages get this one.
        self.by_language = {
            language: language_analyzer(head, definitions, language)
            for language in head.info.get("languages", {})
        }

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> NarrativeAnalyzer:
        head = LinearHead.from_file(
            head_path(HEAD_FILE, models), inputs=2 * encoder.dim, encoder=encoder
        )
        definitions = LinearHead.from_file(
            head_path(DEFINITIONS_FILE, models), inputs=encoder.dim, encoder=encoder
        )
        gate = DomainGate.load(encoder, models=models)
        analyzer = cls(head, definitions, gate, blend=float(head.info.get("blend", 0.0)))
        analyzer.languages = encoder.languages
        if cls.trained_languages is not None:
            analyzer.languages = cls.trained_languages & (
                encoder.languages or cls.trained_languages
            )
        return analyzer

    def scores(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated article probabilities (k,) and per-sentence support (n, k, uncalibrated)."""
        article, per_sentence = self.blended(vectors)
        return apply_platt(article, self.platt_a, self.platt_b), per_sentence

    def blended(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The uncalibrated blend per label for the article (k,) and per sentence (n, k).

        The sentences are scored `block_rows` at a time: the numbers of one pass over the whole
        matrix, without its (n, 2 * dim) features and (n, k) temporaries at once (issue 18)."""
        article = self.head.score(article_features(vectors))[0]
        blend = self.definitions is not None and self.blend > 0
        # "Other" has no definition to be similar to: only the head speaks for it.
        w = np.where(np.array(self.head.labels) == OTHER, 0.0, self.blend)
        per_sentence: np.ndarray | None = None
        most_similar: np.ndarray | None = None
        for block in row_blocks(len(vectors), self.block_rows):
            support = self.head.score(sentence_features(vectors[block]))
            if blend:
                assert self.definitions is not None
                similar = self.definitions.score(vectors[block])  # calibrated similarity
                top = similar.max(axis=0)
                most_similar = top if most_similar is None else np.maximum(most_similar, top)
                support = (1 - w) * support + w * similar
            if per_sentence is None:
                per_sentence = np.empty((len(vectors), support.shape[1]), dtype=support.dtype)
            per_sentence[block] = support
        if per_sentence is None:  # no sentence
            per_sentence = np.zeros((0, len(self.head.labels)), dtype=np.float32)
        if most_similar is not None:
            article = (1 - w) * article + w * most_similar
        return article, per_sentence

    def for_language(self, language: str | None) -> NarrativeAnalyzer:
        """The analyzer of `language`'s own head, else this (pooled) one."""
        return self.by_language.get((language or "").lower(), self)

    def decision(
        self, vectors: np.ndarray, language: str | None = None
    ) -> tuple[Decision, np.ndarray]:
        """The article's labels as the head's operating rule decides them (the head of
        `language` where there is one), and the per-sentence support (gate not asked: see
        `analyze`)."""
        if language is not None and self.for_language(language) is not self:
            return self.for_language(language).decision(vectors)
        blend, per_sentence = self.blended(vectors)
        article = apply_platt(blend, self.platt_a, self.platt_b)
        cut = self.head.thresholds
        if cut is None:
            cut = np.full(len(article), 0.5)
        cut_scores = blend if self.cut_space == "blend" else None
        decision = decide(article, self.head.labels, cut, cut_scores=cut_scores, floor=self.floor)
        return decision, per_sentence

    def _evidence(self, doc: Document, support: np.ndarray) -> list[int]:
        """The best-supporting sentences, a repeated sentence counted once, at its first place.

        Copies of one sentence get vectors equal only up to the BLAS kernel's rounding, so
        which copy ranks first differs between CPUs: rank each text by its best copy and
        cite its first occurrence, the same on every machine.
        """
        first: dict[str, int] = {}
        best: dict[str, float] = {}
        for i, span in enumerate(doc.sentences):
            text = " ".join(doc.text[slice(*span)].split())
            first.setdefault(text, i)
            best[text] = max(best.get(text, -np.inf), float(support[i]))
        ranked = sorted(best, key=lambda text: (-best[text], first[text]))
        return [first[text] for text in ranked[: self.evidence]]

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.sentences or len(vectors) != len(doc.sentences):
            return []  # no vectors: the pipeline did not encode this language
        if cannot_read(doc, min_words=1, languages=self.languages):
            return []  # a language it does not read: the run loop notes why
        if self.gate is not None:
            verdict = self.gate.verdict(vectors, doc.text)
            if not verdict.inside:
                return [self.gate.note(doc, self.name, verdict)]
        decision, per_sentence = self.decision(vectors, doc.language)
        column = {label: j for j, label in enumerate(self.head.labels)}
        anns = []
        for layer, chosen in (
            (Layer.NARRATIVE, decision.narratives),
            (Layer.SUBNARRATIVE, decision.subnarratives),
        ):
            for label, score in sorted(chosen.items(), key=lambda item: -item[1]):
                if label == OTHER or label.endswith(": Other"):
                    continue
                support = per_sentence[:, column[label]]
                top = self._evidence(doc, support)
                anns.append(
                    Annotation(
                        doc_id=doc.id,
                        layer=layer,
                        label=label,
                        model=self.version,
                        score=float(np.clip(score, 0.0, 1.0)),
                        evidence=sorted(doc.sentences[i] for i in top),
                        attrs={
                            "parent": label.rsplit(": ", 1)[0]
                            if layer is Layer.SUBNARRATIVE
                            else None,
                            "sentence_scores": [round(float(support[i]), 4) for i in top],
                        },
                    )
                )
        return anns


def language_analyzer(
    head: LinearHead, definitions: LinearHead | None, language: str
) -> NarrativeAnalyzer:
    """The analyzer of the head fitted on `language` alone, stored in `head`'s (and
    `definitions`') extra tensors `<name>.<language>` with its facts in `info["languages"]`."""
    info = head.info["languages"][language]
    try:
        own = head.variant(language, info)
        own_definitions = definitions.variant(language) if definitions is not None else None
    except KeyError as exc:
        raise ModelFileError(
            f"narrative head for {language!r} incomplete ({exc}); rebuild with "
            "`narrascope train narratives`"
        ) from exc
    return NarrativeAnalyzer(own, own_definitions, None, blend=float(info.get("blend", 0.0)))
