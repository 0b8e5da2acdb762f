"""The domain gate: is an article about the war in Ukraine, climate change, or neither?

The narrative and role taxonomies (SemEval-2025 Task 10) cover those two domains only. The
narratives and roles analyzers ask the gate first; an article it rejects gets no narrative and
no role, but one `not-analyzed` note that says why and with what probability. The gate is a
3-way softmax head (`URW`, `CC`, `outside`) over the same article features as the narrative
head (mean and max of the sentence vectors), trained by `narrascope train domain` on the Task
10 articles against pages from clearly unrelated sources (`training/domain.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers import not_analyzed
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead, apply_platt, head_path
from narrascope.model import Annotation, Document

GATE_FILE = RESOURCES / "domain-v1.safetensors"
DOMAINS = ("URW", "CC", "outside")
OUTSIDE = "outside"
DEFAULT_CUT = 0.5
NAMED_TOPIC_CUT = 0.1
"""The cut for an article that names a topic (`TOPIC_WORDS`): the learned gate alone silenced too
many Task 10 articles at the cut that keeps unrelated pages out (see domain-v1.md)."""
TOPIC_WORDS = re.compile(
    "|".join(
        [
            # en (and the Latin-script stems shared with de, fr, it, pl, pt)
            *("ukrain", "kyiv", "kiev", "kreml", "putin", "zelensk", "donbas", "crimea"),
            *("climat", "clima", "klima", "klimat", "global warming", "greenhouse", "carbon"),
            *("co2", "fossil fuel", "renewable", "net zero", "ipcc", "ucrân", "ucran"),
            *("aquecimento global", "erderwärmung", "réchauffement", "riscaldamento globale"),
            *("ocieplenie", "zełensk"),
            # ru, bg
            *("украин", "украйн", "киев", "кремл", "путин", "зеленск", "донбас", "крым"),
            *("климат", "потеплени", "затопляне", "парников"),
            # hi
            *("यूक्रेन", "कीव", "पुतिन", "क्रेमलिन", "जलवायु", "ग्लोबल वार्मिंग"),
        ]
    ),
    re.IGNORECASE,
)
"""Words naming the war in Ukraine or climate change in the Task 10 and Task 3 languages."""


def mentions_topics(text: str) -> bool:
    """True when `text` names the war in Ukraine or climate change (keyword list)."""
    return TOPIC_WORDS.search(text) is not None


def article_features(vectors: np.ndarray) -> np.ndarray:
    """One row per article: mean and max of its sentence vectors, shape (1, 2 * dim)."""
    if len(vectors) == 0:
        return np.zeros((1, 2 * vectors.shape[1]), dtype=np.float32)
    return np.concatenate([vectors.mean(axis=0), vectors.max(axis=0)])[None, :].astype(np.float32)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's answer for one article: the likelier domain and P(inside the taxonomy)."""

    domain: str  # "URW" | "CC"
    p_inside: float
    inside: bool

    def reason(self) -> str:
        """What the `not-analyzed` note says."""
        return f"outside the taxonomy (war in Ukraine, climate change): p={self.p_inside:.2f}"


class DomainGate:
    """Answers, per article, whether the Task 10 taxonomies apply (calibrated probability)."""

    def __init__(self, head: LinearHead, *, cut: float | None = None) -> None:
        self.head = head
        self.cut = float(head.info.get("cut", DEFAULT_CUT)) if cut is None else cut
        a, b = head.info.get("platt", (1.0, 0.0))  # P(inside) is calibrated, not the raw softmax
        self.platt = (float(a), float(b))

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> DomainGate:
        path = head_path(GATE_FILE, models)
        return cls(LinearHead.from_file(path, inputs=2 * encoder.dim, encoder=encoder))

    def verdict(self, vectors: np.ndarray, text: str = "") -> Verdict:
        """The gate's verdict on an article's sentence vectors (and text: does it name a topic?).

        An article that names neither topic must pass the learned cut (chosen so that pages
        of unrelated sources stay out); one that names a topic needs only `NAMED_TOPIC_CUT`.
        """
        p = self.head.score(article_features(vectors))[0]
        by = dict(zip(self.head.labels, p.tolist(), strict=True))
        inside = float(apply_platt(np.array([1.0 - by[OUTSIDE]]), *self.platt)[0])
        domain = "URW" if by["URW"] >= by["CC"] else "CC"
        cut = NAMED_TOPIC_CUT if text and mentions_topics(text) else self.cut
        return Verdict(domain, inside, inside >= cut)

    @staticmethod
    def note(doc: Document, analyzer: str, verdict: Verdict) -> Annotation:
        """The `not-analyzed` note an analyzer leaves on an article the gate rejects."""
        return not_analyzed(doc, analyzer, verdict.reason())
