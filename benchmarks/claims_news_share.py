"""Claims on news prose: the share of sentences the shipped head flags, at its cut and others (#15).

The claims head is trained on debate transcripts; on news prose its scores run high (claims-v1
flagged 30 of 46 sentences of one opinion piece). This measures, with no labels, what share of
news sentences each cut flags, so the default cut can be chosen to flag a small share:

- the five examples (`examples/kazakhstan-2022`),
- every 7th SemEval-2023 Task 3 English train article (subtask 1),
- every 14th PolNeAR train article,

each cleaned, segmented and encoded as `narrascope analyze` does (English documents only).
Vectors are cached under `--cache`, so a second run encodes nothing.

    .venv/bin/python benchmarks/claims_news_share.py --data ../shared/data
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from narrascope.analyzers.claims import ClaimAnalyzer
from narrascope.encode import default_encoder
from narrascope.ingest import iter_inputs
from narrascope.model import BadInput
from narrascope.run.analysis import DocumentAnalysis, StageTimes
from narrascope.training.vectors import VectorCache

CUTS = (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)


def corpora(data: Path, examples: Path) -> dict[str, list[Path]]:
    """The news-prose samples, by name."""
    t3 = data / "semeval2023_task3" / "data" / "en" / "train-articles-subtask-1"
    polnear = data / "polnear" / "data" / "train" / "text"
    return {
        "examples": sorted(examples.glob("0*.txt")),
        "t3-en-train": sorted(t3.glob("*.txt"))[::7],
        "polnear-train": sorted(polnear.glob("*.txt"))[::14],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--examples", type=Path, default=Path("examples/kazakhstan-2022"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/narrascope-news-vectors"))
    args = parser.parse_args()

    encoder = default_encoder()
    analyzer = ClaimAnalyzer.load(encoder)
    analysis = DocumentAnalysis([], encoder=encoder)
    cache = VectorCache(args.cache, encoder, prefix="news_")
    f1_cut = float(analyzer.head.info.get("f1_cut", analyzer.threshold))
    cuts = sorted({*CUTS, f1_cut, analyzer.threshold})
    print(f"{analyzer.version}, default cut {analyzer.threshold:.2f}, F1 cut {f1_cut:.2f}")
    print("corpus            docs  sentences  " + "  ".join(f"{c:>5.2f}" for c in cuts))
    for name, files in corpora(args.data, args.examples).items():
        scores: list[np.ndarray] = []
        worst: dict[str, float] = defaultdict(float)
        for raw in iter_inputs([str(f) for f in files]):
            if isinstance(raw, BadInput):
                continue
            doc = analysis.clean(raw, StageTimes())
            texts = doc.sentence_texts()
            if doc.language != "en" or not texts:
                continue
            # As stored: the analysis hands analyzers float16-rounded vectors.
            vectors = cache.vectors(texts).astype(np.float16).astype(np.float32)
            found = analyzer.scores(texts, vectors)
            scores.append(found)
            if len(texts) >= 10:  # a share of a two-line page says little
                worst[str(raw.source)] = float(np.mean(found >= analyzer.threshold))
        every = np.concatenate(scores) if scores else np.zeros(0)
        shares = "  ".join(f"{float(np.mean(every >= c)):>5.3f}" for c in cuts)
        print(f"{name:<16} {len(scores):>5}  {len(every):>9}  {shares}")
        if worst:
            top = max(worst.values())
            print(f"{'':16} most flagged article (10+ sentences) at the default cut: {top:.2f}")


if __name__ == "__main__":
    main()
