"""The technique of a phrase (#16): a softmax head over the 23 techniques on a span's token
states from the accurate model's ONNX run (PTC's technique classification, TC).

The accurate technique analyzer finds phrases with the span head and asks this head which
technique each phrase shows; `narrascope evaluate techniques --profile accurate` asks it the
technique of PTC's gold spans. The features of a span are built here once, for training and
analysis alike (`phrase_features`): its pieces' last-layer states pooled, and as the head's
metadata names them, the sentence head's probabilities, length and position cues, the pieces
around it and the layer below the last.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.heads import LinearHead, ModelFileError

PHRASE_TC_VERSION = "techniques-tc-accurate-v1"
CONTEXT_PIECES = 4  # pieces each side whose mean state is the span's context
FEATURE_PARTS = ("pooled", "sentence", "cues", "context", "lower")
N_CUES = 5


@dataclass(frozen=True)
class SentenceTokens:
    """One sentence as the accurate model read it: its pieces' last-layer `states` (pieces,
    width), the layer below's `lower` (pieces, width; empty when not read), their character
    `offsets` (pieces, 2) and the sentence's `span`, both in the coordinates of the spans asked
    about, and the sentence head's calibrated `scores` (techniques,)."""

    states: np.ndarray
    lower: np.ndarray
    offsets: np.ndarray
    span: tuple[int, int]
    scores: np.ndarray


def _mean_max(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    return np.concatenate([x.mean(0), x.max(0)])


def phrase_features(
    sentences: Sequence[SentenceTokens], start: int, end: int, parts: Sequence[str]
) -> np.ndarray | None:
    """The head's input for the span [start, end) (character offsets) over the sentences it
    overlaps, in order: `parts` of `FEATURE_PARTS`, in that order. None when no word piece
    overlaps it (a span past the model's 128 pieces)."""
    states = np.concatenate([s.states for s in sentences])
    offsets = np.concatenate([s.offsets.reshape(-1, 2) for s in sentences])
    inside = (offsets[:, 0] < end) & (offsets[:, 1] > start)
    if not inside.any():
        return None
    found = np.flatnonzero(inside)
    out = []
    if "pooled" in parts:
        out.append(_mean_max(states[inside]))
    if "sentence" in parts:
        out.append(np.max([s.scores for s in sentences], axis=0).astype(np.float32))
    if "cues" in parts:
        first = sentences[0].span
        length = sum(e - s for s, e in (x.span for x in sentences))
        cues = [
            np.log1p(end - start) / 5,
            np.log1p(len(found)) / 3,
            min(len(sentences), 3) / 3,
            min((end - start) / max(length, 1), 1.0),
            min(max(start - first[0], 0) / max(first[1] - first[0], 1), 1.0),
        ]
        out.append(np.asarray(cues, dtype=np.float32))
    if "context" in parts:
        width = states.shape[1]
        before = states[max(found[0] - CONTEXT_PIECES, 0) : found[0]]
        after = states[found[-1] + 1 : found[-1] + 1 + CONTEXT_PIECES]
        for side in (before, after):
            out.append(
                side.astype(np.float32).mean(0) if len(side) else np.zeros(width, np.float32)
            )
    if "lower" in parts:
        lower = np.concatenate([s.lower for s in sentences])
        out.append(_mean_max(lower[inside]))
    return np.concatenate(out)


class PhraseTechniqueHead:
    """A softmax over the techniques of a span, on `phrase_features` of the parts it names."""

    def __init__(self, head: LinearHead, parts: Sequence[str]) -> None:
        unknown = set(parts) - set(FEATURE_PARTS)
        if unknown:
            raise ModelFileError(f"{head.model_id}: unknown feature parts {sorted(unknown)}")
        self.head, self.parts = head, tuple(parts)

    @property
    def labels(self) -> list[str]:
        return self.head.labels

    @property
    def model_id(self) -> str:
        return self.head.model_id

    @property
    def reads_lower(self) -> bool:
        """Whether the head needs the layer below the last (`SentenceTokens.lower`)."""
        return "lower" in self.parts

    @classmethod
    def from_file(cls, path: Path) -> PhraseTechniqueHead:
        """Read the head (its feature parts in the card facts, `info["features"]`)."""
        head = LinearHead.from_file(path)
        return cls(head, head.info["features"])

    def probabilities(
        self, sentences: Sequence[SentenceTokens], spans: Sequence[tuple[int, int]]
    ) -> np.ndarray:
        """Probabilities (len(spans), techniques) of each span (rows of zeros for a span no
        word piece overlaps); `sentences` must not overlap each other."""
        out = np.zeros((len(spans), len(self.labels)), dtype=np.float32)
        rows, found = [], []
        ordered = sorted(sentences, key=lambda s: s.span)
        starts = [s.span[0] for s in ordered]
        ends = [s.span[1] for s in ordered]
        for k, (start, end) in enumerate(spans):
            # the sentences it overlaps, by bisection (they do not overlap each other)
            over = ordered[bisect.bisect_right(ends, start) : bisect.bisect_left(starts, end)]
            x = phrase_features(over, start, end, self.parts) if over else None
            if x is not None:
                rows.append(k)
                found.append(x)
        if found:
            out[rows] = self.head.score(np.vstack(found))
        return out
