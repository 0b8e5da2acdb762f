"""Throughput and peak memory of `analyze` while streaming a large synthetic corpus.

Generates N documents with `generate_corpus.py` (real paragraphs, planted copies), analyzes
them into a fresh SQLite file and samples the process's resident memory every half second, so
a growing footprint shows. Prints docs/s every 10% and the peak RSS at the end.

    .venv/bin/python benchmarks/throughput.py --docs 100000 --only stats
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from narrascope import pipeline
from narrascope.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from generate_corpus import generate  # a sibling script, not a package


class MemorySampler(threading.Thread):
    """Samples this process's RSS in the background; `peak` and `samples` in MB."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every, self.peak, self.samples = every, 0.0, []
        self._stop_event = threading.Event()
        self._process = psutil.Process()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            rss = self._process.memory_info().rss / 2**20
            self.samples.append(rss)
            self.peak = max(self.peak, rss)

    def stop(self) -> None:
        self._stop_event.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", default=["stats"], help="analyzers (default: stats)")
    parser.add_argument("--keep", type=Path, help="keep the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        generate(
            corpus,
            docs=args.docs,
            copy_rate=0.05,
            near_rate=0.05,
            per_file=5000,
            seed=7,
            material=None,
        )
        db = args.keep or Path(tmp) / "stream.db"
        sampler = MemorySampler()
        sampler.start()
        done, started = 0, time.perf_counter()

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if done % max(args.docs // 10, 1) == 0:
                rate = done / (time.perf_counter() - started)
                print(
                    f"  {done:>8} docs  {rate:7.1f} docs/s  rss {sampler.samples[-1] if sampler.samples else 0:.0f} MB",
                    flush=True,
                )

        with Store.open(db) as store:
            report = pipeline.analyze(
                [str(corpus)], store, only=args.only or None, on_progress=progress
            )
        seconds = time.perf_counter() - started
        sampler.stop()
    print(report.summary())
    print(
        f"{args.docs} docs in {seconds:.0f} s: {args.docs / seconds:.1f} docs/s; peak RSS {sampler.peak:.0f} MB"
    )
    print("stages:")
    print(report.stage_table())


if __name__ == "__main__":
    main()
