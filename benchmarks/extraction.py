"""Article-body extraction quality and speed on the ScrapingHub article-extraction benchmark.

Runs every page of DATA_DIR/html/*.html.gz through `narrascope.clean.clean` and scores the text
against ground-truth.json with that benchmark's own metric, reimplemented here: `\\w+` tokens,
4-token shingles compared as multisets, per-document precision and recall normalised and then
averaged, F1 of the averages, bootstrap standard deviation over 1000 resamples.

    .venv/bin/python benchmarks/extraction.py ../shared/data/article-extraction-benchmark
    .venv/bin/python benchmarks/extraction.py DATA_DIR --reference trafilatura   # check the metric
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

_TOKEN = re.compile(r"\w+", re.UNICODE)
Counts = tuple[int, int, int]  # true positives, false positives, false negatives (shingles)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of n-token shingles of a text (a text under n tokens gives one shingle)."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def shingle_counts(expected: str, predicted: str) -> Counts:
    """Shingle overlap of a prediction with the truth: (tp, fp, fn)."""
    truth, pred = shingles(expected), shingles(predicted)
    tp = sum((truth & pred).values())
    return tp, sum((pred - truth).values()), sum((truth - pred).values())


def precision_recall_f1(counts: Sequence[Counts]) -> tuple[float, float, float]:
    """Per-document precision and recall, averaged over documents, and the F1 of the averages."""
    precisions, recalls = [], []
    for tp, fp, fn in counts:
        total = tp + fp + fn
        if total == 0 or (fp == 0 and fn == 0):
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        tp_n, fp_n, fn_n = tp / total, fp / total, fn / total
        if tp_n + fp_n > 0:
            precisions.append(tp_n / (tp_n + fp_n))
        if tp_n + fn_n > 0:
            recalls.append(tp_n / (tp_n + fn_n))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(truth: Mapping[str, str], predicted: Mapping[str, str], *, seed: int = 0) -> dict:
    """Precision, recall, F1, exact-match accuracy and their bootstrap standard deviations."""
    keys = sorted(truth)
    counts = [shingle_counts(truth[k], predicted.get(k, "")) for k in keys]
    exact = [_TOKEN.findall(truth[k]) == _TOKEN.findall(predicted.get(k, "")) for k in keys]
    precision, recall, f1 = precision_recall_f1(counts)
    rng = random.Random(seed)
    samples = []
    for _ in range(1000):
        idx = [rng.randrange(len(keys)) for _ in keys]
        samples.append(precision_recall_f1([counts[i] for i in idx]))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": sum(exact) / len(keys),
        "precision_std": statistics.pstdev(s[0] for s in samples),
        "recall_std": statistics.pstdev(s[1] for s in samples),
        "f1_std": statistics.pstdev(s[2] for s in samples),
        "documents": len(keys),
    }


def load_truth(data: Path) -> dict[str, dict]:
    return json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))


def load_reference(data: Path, name: str) -> dict[str, str]:
    """Another extractor's published output (the benchmark's reference-outputs/NAME.json)."""
    outputs = json.loads((data / "reference-outputs" / f"{name}.json").read_text(encoding="utf-8"))
    outputs = outputs.get("output", outputs) if "version" in outputs else outputs
    return {k: (v or {}).get("articleBody") or "" for k, v in outputs.items()}


def extract_all(data: Path, truth: Mapping[str, dict]) -> tuple[dict[str, str], float, int]:
    """Clean every page; returns texts by id, seconds spent in `clean`, and how many failed."""
    from narrascope.clean import clean
    from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef

    texts, seconds, failed = {}, 0.0, 0
    for key in sorted(truth):
        path = data / "html" / f"{key}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        raw = RawDocument(SourceRef(str(path)), html, InputFormat.HTML, url=truth[key].get("url"))
        start = time.perf_counter()
        try:
            texts[key] = clean(raw).text
        except BadInput:
            texts[key], failed = "", failed + 1
        seconds += time.perf_counter() - start
    return texts, seconds, failed


def baseline_throughput(data: Path, truth: Mapping[str, dict]) -> float:
    """docs/s of `trafilatura.extract` alone (default settings) on the same pages, same run."""
    import trafilatura

    pages = [
        (
            gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()).decode(
                "utf-8", "replace"
            ),
            truth[key].get("url"),
        )
        for key in sorted(truth)
    ]
    start = time.perf_counter()
    for html, url in pages:
        trafilatura.extract(html, url=url)
    return len(pages) / (time.perf_counter() - start)


def text_throughput(folder: Path, *, rounds: int = 20) -> tuple[float, int]:
    """Plain-text cleaning speed: docs/s over every .txt in `folder`, cleaned `rounds` times."""
    from narrascope.clean import clean
    from narrascope.model import InputFormat, RawDocument, SourceRef

    raws = [
        RawDocument(SourceRef(str(p)), p.read_text(encoding="utf-8"), InputFormat.TEXT)
        for p in sorted(folder.glob("*.txt"))
    ]
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in raws:
            clean(raw)
    return rounds * len(raws) / (time.perf_counter() - start), len(raws)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the article-extraction-benchmark folder")
    parser.add_argument("--reference", help="score reference-outputs/NAME.json instead of ours")
    parser.add_argument("--dump", type=Path, help="write our texts as JSON here")
    parser.add_argument(
        "--baseline", action="store_true", help="also time trafilatura.extract alone, side by side"
    )
    parser.add_argument(
        "--text",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022",
        help="plain-text pages to time the text cleaner on (default: the example corpus)",
    )
    args = parser.parse_args(argv)
    truth = load_truth(args.data)
    expected = {k: v.get("articleBody") or "" for k, v in truth.items()}
    if args.reference:
        result = score(expected, load_reference(args.data, args.reference))
        label, rate = f"reference {args.reference}", ""
    else:
        texts, seconds, failed = extract_all(args.data, truth)
        if args.dump:
            args.dump.write_text(json.dumps(texts, ensure_ascii=False, indent=1), "utf-8")
        result = score(expected, texts)
        label = "narrascope.clean (trafilatura + htmldate)"
        text_rate, text_docs = text_throughput(args.text)
        rate = (
            f"\nthroughput HTML {len(texts) / seconds:.1f} docs/s ({seconds:.1f} s, 1 process), "
            f"{failed} pages without text"
            f"\nthroughput plain text {text_rate:.0f} docs/s ({text_docs} pages of {args.text.name})"
        )
        if args.baseline:
            rate += f"\nthroughput trafilatura.extract alone {baseline_throughput(args.data, truth):.1f} docs/s"
    print(
        f"{label} on {result['documents']} pages:\n"
        f"precision {result['precision']:.3f} ± {result['precision_std']:.3f}  "
        f"recall {result['recall']:.3f} ± {result['recall_std']:.3f}  "
        f"F1 {result['f1']:.3f} ± {result['f1_std']:.3f}  "
        f"accuracy {result['accuracy']:.3f}{rate}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
