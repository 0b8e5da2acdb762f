"""What the accurate profile costs (issue 16): `analyze` of the example articles, fast vs accurate,
timed side by side in one process, and the fine-tuned ONNX model's sentences per second.

Run: `.venv/bin/python benchmarks/profiles.py [--repeat N] [--threads T]`
(needs the accurate technique model in `src/narrascope/resources/`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from narrascope import pipeline
from narrascope.analyzers.pair_model import sentence_pairs
from narrascope.analyzers.techniques_accurate import FineTunedTechniques
from narrascope.heads import RESOURCES
from narrascope.model import Document, SourceRef
from narrascope.store import Store
from narrascope.text import segment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"


def time_analyze(profile: str, folder: Path) -> float:
    """Seconds for `analyze` of the examples into a fresh database (models loaded inside)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store.open(str(Path(tmp) / "b.db"), create=True) as store,
    ):
        started = time.perf_counter()
        pipeline.analyze([str(folder)], store, profile=profile)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"fast": [], "accurate": []}
    for _ in range(args.repeat):
        for profile in timings:
            timings[profile].append(time_analyze(profile, EXAMPLES))
    for profile, seconds in timings.items():
        print(
            f"analyze, {profile:8s}: best {min(seconds):.2f} s, all {[round(s, 2) for s in seconds]}"
        )
    print(f"accurate / fast: {min(timings['accurate']) / min(timings['fast']):.2f}x (best of each)")

    docs = [
        segment(
            Document(text=p.read_text(encoding="utf-8"), source=SourceRef(str(p)), language="en")
        )
        for p in sorted(EXAMPLES.glob("*.txt"))
    ]
    pairs = [pair for doc in docs for pair in sentence_pairs(doc.sentence_texts())]
    model = FineTunedTechniques(RESOURCES, threads=args.threads)
    model.logits(pairs[:8])
    best = float("inf")
    for _ in range(args.repeat):
        started = time.perf_counter()
        model.logits(pairs)
        best = min(best, time.perf_counter() - started)
    print(
        f"ONNX int8, {args.threads} thread(s): {len(pairs)} sentences (with context) in "
        f"{best:.2f} s = {len(pairs) / best:.0f} sentences/s (tokenizing included)"
    )
    if model.span_head is not None:
        texts = [doc.sentence_texts() for doc in docs]
        timed: dict[str, float] = {}
        for name, run in (("sentences", model.scores), ("+ phrases", model.scores_and_phrases)):
            timed[name] = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                for found in texts:
                    run(found)
                timed[name] = min(timed[name], time.perf_counter() - started)
        print(
            f"technique sentences alone {timed['sentences']:.2f} s, with phrase spans "
            f"{timed['+ phrases']:.2f} s ({timed['+ phrases'] / timed['sentences']:.2f}x; "
            f"{len(pairs)} sentences in {len(docs)} documents, best of {args.repeat})"
        )


if __name__ == "__main__":
    main()
