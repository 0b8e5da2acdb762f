"""Technique spans (#16): the token head that finds the phrases of a sentence where its
techniques are, from the last layer's token states of the accurate model's run (`pair_model`).

`techniques-spans-v1` gives each word piece a calibrated probability of lying inside a
technique span (`SpanHead`); `decode_spans` turns a sentence's runs of pieces at or above its
cut into phrases of whole words (the words an analyst expects, as Prta marks them). The
accurate technique analyzer stores its labels on them; training (`training.finetune.spans`)
fits the head and chooses its cut and gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.heads import apply_platt, sigmoid

SPANS_VERSION = "techniques-spans-v1"
WINDOW = 2  # word pieces each side that the span head's first layer reads


@dataclass
class SpanHead:
    """A word piece's probability of lying inside a technique span, from the last layer's
    states of it and of its `WINDOW` neighbours each side: a 1-D convolution to `hidden`
    units (`w1` (2*WINDOW+1, width, hidden), `b1`), GELU, one logit (`w2` (hidden,), `b2`),
    then Platt scaling (`a`, `b`). Spans: runs of pieces at or above `cut`, gaps of at most
    `gap` pieces bridged."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    a: float = 1.0
    b: float = 0.0
    cut: float = 0.5
    gap: int = 1

    @classmethod
    def from_file(cls, path: Path) -> SpanHead:
        """Read the head's `.safetensors` (cut and gap in its metadata)."""
        from safetensors import safe_open

        with safe_open(str(path), "numpy") as found:
            meta = found.metadata() or {}
            tensors = {key: found.get_tensor(key) for key in found.keys()}  # noqa: SIM118
        return cls(
            tensors["w1"],
            tensors["b1"],
            tensors["w2"],
            float(tensors["b2"]),
            float(tensors["platt_a"]),
            float(tensors["platt_b"]),
            float(meta["cut"]),
            int(meta["gap"]),
        )

    def logits(self, states: np.ndarray) -> np.ndarray:
        """Raw logits (pieces,) of one sentence's states (pieces, width)."""
        n, width = states.shape
        padded = np.zeros((n + 2 * WINDOW, width), dtype=np.float32)
        padded[WINDOW : WINDOW + n] = states
        hidden: np.ndarray = np.repeat(self.b1.astype(np.float32)[None, :], n, 0)
        for k in range(2 * WINDOW + 1):
            hidden += padded[k : k + n] @ self.w1[k]
        hidden = 0.5 * hidden * (1.0 + np.tanh(0.7978845608 * (hidden + 0.044715 * hidden**3)))
        return hidden @ self.w2 + self.b2

    def probabilities(self, states: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (pieces,) of one sentence's pieces."""
        return apply_platt(sigmoid(self.logits(states)), self.a, self.b)


APOSTROPHES = "'’"


def _inside_word(text: str, k: int) -> bool:
    """Whether offset `k` falls inside a word of `text`: between two letters or digits, or
    beside an apostrophe within one (word pieces split "Tokayev's" at the apostrophe)."""
    if k <= 0 or k >= len(text):
        return False
    before, after = text[k - 1], text[k]
    if before in APOSTROPHES:
        return k >= 2 and text[k - 2].isalnum() and after.isalnum()
    if after in APOSTROPHES:
        return before.isalnum() and k + 1 < len(text) and text[k + 1].isalnum()
    return before.isalnum() and after.isalnum()


def decode_spans(
    probabilities: np.ndarray, offsets: np.ndarray, text: str, *, cut: float, gap: int
) -> list[tuple[int, int, float]]:
    """Phrase spans (start, end, mean probability) from one sentence's piece probabilities and
    their character offsets (pieces, 2) into `text`: runs of pieces at or above `cut`, gaps of
    at most `gap` pieces bridged, each run widened to whole words of `text`."""
    on = np.flatnonzero(probabilities >= cut)
    if not len(on):
        return []
    runs: list[list[int]] = [[int(on[0]), int(on[0])]]
    for k in on[1:]:
        if k - runs[-1][1] <= gap + 1:
            runs[-1][1] = int(k)
        else:
            runs.append([int(k), int(k)])
    out = []
    for first, last in runs:
        start, end = int(offsets[first, 0]), int(offsets[last, 1])
        while _inside_word(text, start):
            start -= 1
        while _inside_word(text, end):
            end += 1
        out.append((start, end, float(probabilities[first : last + 1].mean())))
    return out
