"""How much the technique, genre and frame analyzers add to encoding the same text (issue 3).

Budget: the technique analyzer adds at most 20% to the encoder's time on the same sentences.
Run: `.venv/bin/python benchmarks/techniques.py [--repeat N]` (uses the example articles).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from narrascope.analyzers import load_analyzers
from narrascope.analyzers.frames import FrameAnalyzer
from narrascope.analyzers.genre import GenreAnalyzer
from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Document, SourceRef
from narrascope.text import segment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    docs = [
        segment(
            Document(text=p.read_text(encoding="utf-8"), source=SourceRef(str(p)), language="en")
        )
        for p in sorted(EXAMPLES.glob("*.txt"))
    ]
    encoder = UniversalSentenceEncoder(threads=1)
    encoder.encode(["warm up"])
    analyzers = load_analyzers([TechniqueAnalyzer, GenreAnalyzer, FrameAnalyzer], encoder)
    n_sentences = sum(len(d.sentences) for d in docs)
    encode_time, analyzer_time = 0.0, {a.name: 0.0 for a in analyzers}
    for _ in range(args.repeat):
        for doc in docs:
            start = time.perf_counter()
            vectors = encoder.encode(doc.sentence_texts())
            encode_time += time.perf_counter() - start
            for analyzer in analyzers:
                start = time.perf_counter()
                analyzer.analyze(doc, vectors)
                analyzer_time[analyzer.name] += time.perf_counter() - start
    print(f"{len(docs)} articles, {n_sentences} sentences, x{args.repeat}")
    print(f"encode: {encode_time:.3f}s ({args.repeat * n_sentences / encode_time:.0f} sentences/s)")
    for name, seconds in analyzer_time.items():
        print(f"{name}: {seconds:.3f}s = {100 * seconds / encode_time:.1f}% of encoding")


if __name__ == "__main__":
    main()
