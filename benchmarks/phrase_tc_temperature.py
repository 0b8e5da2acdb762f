"""Can the phrase technique head's temperature come from `calibrate.fit_temperature`? Both fits
on the same out-of-fold logits: the phrase head's 5-fold CV as `phrase_tc.train` runs it (the
shipped features, seed 13), and seeded synthetic logits; and, on the synthetic ones, the argmin
of the phrase head's loss on a fine grid, to tell a different loss from a different search.

Run (torch venv; the int8 ONNX outputs come from the training cache):
`PYTHONPATH=src nice -n 10 /work/venv-acc/bin/python benchmarks/phrase_tc_temperature.py
--data ../shared/data`
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narrascope.heads import RESOURCES, softmax
from narrascope.training import semeval2023
from narrascope.training.calibrate import fit_temperature
from narrascope.training.finetune import phrase_tc
from narrascope.training.finetune.trainer import Settings
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.techniques import find_data


def by_calibrate(logits: np.ndarray, gold: Sequence[Sequence[str]]) -> float:
    """`calibrate.fit_temperature` on one row per gold row of a span, weighted 1/k."""
    index = {name: j for j, name in enumerate(TECHNIQUES)}
    rows = [i for i, found in enumerate(gold) for _ in found]
    y = np.array([index[t] for found in gold for t in found])
    weights = np.array([1.0 / len(found) for found in gold for _ in found])
    return fit_temperature(softmax(logits[rows].astype(np.float32)), y, weights=weights)


def phrase_loss(logits: np.ndarray, gold: Sequence[Sequence[str]], t: float) -> float:
    """`phrase_tc.fit_temperature`'s loss at temperature `t`."""
    index = {name: j for j, name in enumerate(TECHNIQUES)}
    p = softmax((logits / t).astype(np.float32))
    return -float(
        np.mean(
            [
                np.mean([np.log(p[i, index[g]] + 1e-12) for g in found])
                for i, found in enumerate(gold)
            ]
        )
    )


def synthetic(scale: float, rng: np.random.Generator) -> tuple[np.ndarray, list[list[str]]]:
    """2000 spans over the 23 techniques, every 7th with a second gold technique."""
    y = rng.integers(0, len(TECHNIQUES), 2000)
    z = (rng.normal(size=(len(y), len(TECHNIQUES))) + 2.0 * np.eye(len(TECHNIQUES))[y]) * scale
    gold = [
        [TECHNIQUES[j]] + ([TECHNIQUES[(j + 1) % len(TECHNIQUES)]] if i % 7 == 0 else [])
        for i, j in enumerate(y)
    ]
    return z.astype(np.float32), gold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    deltas = []
    for scale in (0.5, 1.0, 2.0):
        z, gold = synthetic(scale, rng)
        grid, golden = phrase_tc.fit_temperature(z, gold, TECHNIQUES), by_calibrate(z, gold)
        fine = np.geomspace(0.25, 4.0, 2001)
        best = fine[int(np.argmin([phrase_loss(z, gold, t) for t in fine]))]
        deltas.append(abs(grid - golden))
        print(
            f"synthetic, scale {scale}: grid {grid:.6f}, golden section {golden:.6f}, "
            f"|d| {abs(grid - golden):.6f}; argmin of the grid's loss on 2001 points {best:.5f}"
        )
    t3, _ = find_data(args.data)
    assert t3 is not None
    settings = Settings(seed=13, folds=5, epochs=3, lr_encoder=8e-5, top=1)
    parts = phrase_tc.SHIPPED_PARTS
    readings = phrase_tc.read_all(
        t3, RESOURCES / "techniques-accurate-v1.onnx", settings, lower="lower" in parts
    )
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    spans = semeval2023.read_spans(t3, "en", "train", articles)
    table = phrase_tc.span_table(
        readings, {a: s for a, s in spans.items() if a not in readings.held}
    )
    started = time.monotonic()
    _, logits, kept = phrase_tc.cross_validate(table, parts, TECHNIQUES, seed=settings.seed)
    gold = [table.gold[i] for i in kept]
    grid, golden = phrase_tc.fit_temperature(logits, gold, TECHNIQUES), by_calibrate(logits, gold)
    print(
        f"phrase head's out-of-fold logits ({len(kept)} spans, CV {time.monotonic() - started:.0f} "
        f"s): grid {grid:.6f}, golden section {golden:.6f}, |d| {abs(grid - golden):.6f}; "
        f"loss {phrase_loss(logits, gold, grid):.6f} vs {phrase_loss(logits, gold, golden):.6f}"
    )
    print(f"max |d|: synthetic {max(deltas):.6f}, real {abs(grid - golden):.6f}")


if __name__ == "__main__":
    main()
