"""The domain gate: is an article about the war in Ukraine, climate change, or neither?

The narrative and role taxonomies (SemEval-2025 Task 10) cover those two domains only. The
narratives and roles analyzers ask the gate first; an article it rejects gets no narrative and
no role, but one `not-analyzed` note that says why and with what probability. The gate is a
3-way softmax head (`URW`, `CC`, `outside`) over the same article features as the narrative
head (mean and max of the sentence vectors), trained by `narrascope train domain` on the Task
10 articles against pages from clearly unrelated sources (`training/domain.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from narrascope.analyzers import not_analyzed
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Annotation, Document

GATE_FILE = RESOURCES / "domain-v1.safetensors"
DOMAINS = ("URW", "CC", "outside")
OUTSIDE = "outside"
DEFAULT_CUT = 0.5


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

    @classmethod
    def load(cls, encoder: Encoder) -> DomainGate:
        return cls(LinearHead.from_file(GATE_FILE, inputs=2 * encoder.dim, encoder=encoder))

    def verdict(self, vectors: np.ndarray) -> Verdict:
        """The gate's verdict on an article's sentence vectors."""
        p = self.head.score(article_features(vectors))[0]
        by = dict(zip(self.head.labels, p.tolist(), strict=True))
        inside = 1.0 - by[OUTSIDE]
        domain = "URW" if by["URW"] >= by["CC"] else "CC"
        return Verdict(domain, inside, inside >= self.cut)

    @staticmethod
    def note(doc: Document, analyzer: str, verdict: Verdict) -> Annotation:
        """The `not-analyzed` note an analyzer leaves on an article the gate rejects."""
        return not_analyzed(doc, analyzer, verdict.reason())
