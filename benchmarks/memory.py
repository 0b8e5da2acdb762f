"""Memory of one maximal document (issue 18, item 6): peak RSS of a fresh process per analyzer.

Builds one legal article just under the 500,000-character cap from distinct real paragraphs
(the five Kazakhstan examples, then the article bodies of the ScrapingHub extraction
benchmark in ../shared/data, in a fixed order), so that neither dedup nor the repeated-block
cleaner shrinks it; `--sentence-words N` cuts the words of those paragraphs into N-word
sentences (4: about 18,000 sentences; 1: about 64,000), for the work that grows with the
number of sentences or its square; `--russian` uses the Russian articles of SemEval-2025
Task 10 instead (natasha's NER, razdel's sentences). Two modes:

- default: runs `narrascope analyze FILE` in a fresh process with every analyzer (and, for each
  analyzer named by `--only`, once with that one alone), and prints peak RSS (from `wait4`) and
  seconds per row;
- `--stages`: one process runs clean, segment, encode and each analyzer in turn and prints
  the peak RSS reached inside each stage (a thread samples /proc/self/statm every 5 ms).

    .venv/bin/python benchmarks/memory.py [--chars 470000] [--sentence-words 4] [--only entities] [--stages]
    .venv/bin/python benchmarks/memory.py --src /tmp/before/src   # the same on another tree
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"
BODIES = ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "ground-truth.json"
RUSSIAN = ROOT.parent / "shared" / "data" / "semeval2025_task10" / "train" / "RU" / "raw-documents"
PAGE = os.sysconf("SC_PAGE_SIZE")


def maximal_article(chars: int = 470_000, *, sentence_words: int = 0, russian: bool = False) -> str:
    """One article of `chars` characters made of distinct real paragraphs (or, `short`, of
    their words cut into sentences of `sentence_words` words); `russian`: of the SemEval-2025 Russian articles (all
    of them hold about 437,000 characters)."""
    paragraphs: list[str] = []
    if russian:
        for path in sorted(RUSSIAN.glob("*.txt")):
            paragraphs += path.read_text(encoding="utf-8").split("\n")
    else:
        for path in sorted(EXAMPLES.glob("*.txt")):
            paragraphs += path.read_text(encoding="utf-8").split("\n\n")
        bodies = json.loads(BODIES.read_text(encoding="utf-8"))
        for key in sorted(bodies):
            paragraphs += bodies[key].get("articleBody", "").split("\n")
    seen: set[str] = set()
    out: list[str] = []
    size = 0
    for paragraph in (" ".join(p.split()) for p in paragraphs):
        if len(paragraph) < 80 or paragraph in seen:
            continue
        seen.add(paragraph)
        out.append(paragraph)
        size += len(paragraph) + 2
        if size >= chars:
            break
    if sentence_words:
        words = [w for p in out for w in re.sub(r"[,;.]", "", p).split()]
        n = sentence_words
        pieces = [" ".join(words[i : i + n]) for i in range(0, len(words), n)]
        sentences = [f"{piece[0].upper()}{piece[1:]}." for piece in pieces]
        out = [" ".join(sentences[i : i + 8]) for i in range(0, len(sentences), 8)]
    return "\n\n".join(out)[:chars]


def run_cli(path: Path, only: list[str], db: Path, src: Path) -> tuple[float, float, str]:
    """Peak RSS (MB) and seconds of `narrascope analyze` in a fresh process, and its last line."""
    args = [sys.executable, "-m", "narrascope", "analyze", str(path), "--db", str(db)]
    if only:
        args += ["--only", *only]
    path = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "250"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    summary = next((" ".join(line.split()) for line in lines if line.startswith("run ")), "")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        labels = conn.execute("SELECT count(*) FROM annotations").fetchone()[0]
    return usage.ru_maxrss / 1024, seconds, f"exit {code}, {labels:,} labels: {summary}"


class RssSampler:
    """Samples this process's resident set every few milliseconds; `peak` since `reset()`."""

    def __init__(self, every: float = 0.005) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def now(self) -> int:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * PAGE

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.now())

    def reset(self) -> None:
        self.peak = self.now()

    @contextmanager
    def stage(self, name: str, rows: list[tuple[str, float, float, float]]) -> Iterator[None]:
        self.reset()
        before, started = self.now(), time.perf_counter()
        yield
        self.peak = max(self.peak, self.now())
        rows.append((name, before / 2**20, self.peak / 2**20, time.perf_counter() - started))


def profile_stages(path: Path, only: list[str]) -> None:
    """Run each stage in this process and print the peak RSS reached inside each."""
    from narrascope.ingest import read_path
    from narrascope.run.analysis import StageTimes, load_analysis

    sampler = RssSampler()
    rows: list[tuple[str, float, float, float]] = []
    times = StageTimes()
    with sampler.stage("load models", rows):
        analysis = load_analysis(only or None)
    raw = next(item for item in read_path(path))
    with sampler.stage("clean + segment", rows):
        doc = analysis.clean(raw, times)  # type: ignore[arg-type]
    with sampler.stage("encode", rows):
        vectors, _ = analysis.encode(doc)
    anns: list = []
    for analyzer in analysis.analyzers:
        with sampler.stage(f"analyzer {analyzer.name}", rows):
            anns.extend(analyzer.analyze(doc, vectors, prior=tuple(anns)))
    print(f"{len(doc.text):,} characters, {len(doc.sentences):,} sentences, {len(anns):,} labels")
    print("| stage | RSS before | peak RSS inside | s |\n|---|---|---|---|")
    for name, before, peak, seconds in rows:
        print(f"| {name} | {before:,.0f} MB | {peak:,.0f} MB | {seconds:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=470_000, help="length of the article")
    parser.add_argument("--only", nargs="*", default=None, help="analyzers, a row each")
    parser.add_argument("--sentence-words", type=int, default=0, help="cut into N-word sentences")
    parser.add_argument("--russian", action="store_true", help="Russian paragraphs")
    parser.add_argument("--stages", action="store_true", help="per-stage peaks in one process")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the sources to measure")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.src))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.txt"
        path.write_text(
            maximal_article(args.chars, sentence_words=args.sentence_words, russian=args.russian),
            encoding="utf-8",
        )
        if args.stages:
            profile_stages(path, args.only or [])
            return 0
        rows = [[name] for name in (args.only or [])] + [[]]
        print("| analyzers | peak RSS | s | outcome |\n|---|---|---|---|")
        for n, only in enumerate(rows):
            peak, seconds, line = run_cli(path, only, Path(tmp) / f"{n}.db", args.src)
            print(
                f"| {' '.join(only) or 'every analyzer'} | {peak:,.0f} MB | {seconds:.0f} | {line} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
