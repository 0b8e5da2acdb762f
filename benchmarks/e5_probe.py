"""Are multilingual-e5-small's sentence vectors worth a Russian accurate profile? (issue 16, item 5)

Measures, ships nothing. Stages (run one at a time, each in the background with a log):

  speed       sentences/s of `E5Encoder` on Russian T3 train sentences, 1 and 2 threads (one
              process each: `--threads`), and whether a text's vector depends on its batch.
  encode      e5 vectors of the T3 train sentences, Russian first, cached under
              ~/.cache/narrascope/e5probe/ (npz, no pickle); `--languages` picks which.
  techniques  the fast technique head's recipe and folds (5, grouped by article, seed 13) on
              (a) USE vectors, (b) e5 vectors, (c) USE ⊕ e5; official T3-ST3 micro-F1 by line
              per fold and on all of a language's train articles, for the languages fitted on.

Usage: PYTHONPATH=src python benchmarks/e5_probe.py STAGE [options]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from narrascope.encode import E5Encoder
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import semeval2023
from narrascope.training.vectors import VectorCache

DATA = Path("/work/shared/data")
T3 = DATA / "semeval2023_task3"
E5_CACHE = TRAINING_CACHE / "e5probe"
ENCODE_ORDER = ("ru", "en", "fr", "ge", "it", "po")


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def speed(threads: int, count: int) -> None:
    """Sentences/s on `count` Russian train sentences (every k-th, so all articles), and the
    largest change of a vector between encoding it alone and in a batch."""
    sentences = semeval2023.read_techniques(T3, "ru", "train").sentences
    step = max(1, len(sentences) // count)
    texts = [s.text for s in sentences[::step][:count]]
    encoder = E5Encoder(threads=threads)
    encoder.encode(["warm-up"])
    print(f"{len(texts)} sentences, mean {np.mean([len(t) for t in texts]):.0f} chars; {uptime()}")
    wall, cpu = time.perf_counter(), cpu_seconds()
    batched = encoder.encode(texts)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(
        f"threads={threads}: {len(texts) / wall:.1f} sentences/s ({wall:.1f} s wall, "
        f"{cpu:.1f} s CPU, CPU/wall {cpu / wall:.2f}); {uptime()}"
    )
    alone = np.vstack([encoder.encode([t]) for t in texts[:50]])
    again = encoder.encode(texts)
    print(
        f"max |Δ| alone vs batched (50 texts): {np.abs(alone - batched[:50]).max():.3g}; "
        f"repeat run: {np.abs(again - batched).max():.3g}"
    )


def encode(languages: list[str]) -> None:
    """e5 vectors of every T3 train sentence of `languages` into the probe's cache."""
    store = VectorCache(E5_CACHE / "techniques", E5Encoder())
    for folder in languages:
        texts = [s.text for s in semeval2023.read_techniques(T3, folder, "train").sentences]
        print(f"{folder}: {len(texts)} sentences; {uptime()}", flush=True)
        start = time.perf_counter()
        store.vectors(texts)
        took = time.perf_counter() - start
        print(
            f"{folder}: {took:.0f} s, {len(texts) / took:.1f} sentences/s; {uptime()}", flush=True
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["speed", "encode", "techniques"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--languages", nargs="+", default=list(ENCODE_ORDER))
    args = parser.parse_args(argv)
    if args.stage == "speed":
        speed(args.threads, args.count)
    elif args.stage == "encode":
        encode(args.languages)
    else:
        raise SystemExit("techniques: not written yet")


if __name__ == "__main__":
    sys.exit(main())
