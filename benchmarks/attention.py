"""Attention over time on a synthetic store: how long one `attention()` call takes.

Builds (once, cached) the web benchmark's store (`benchmarks/web.py`: synthetic articles with
labels at realistic density), then times `narrascope.corpus.attention.attention` for a few
searches — common words, words by outlet normalised, a technique filter, a narrative filter
with words, and every article — taking the median and the slowest of `--repeat` runs each.

    .venv/bin/python benchmarks/attention.py --docs 10000 --db web-bench-10k.db
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("web-bench-10k.db"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import web

    from narrascope.corpus.attention import attention
    from narrascope.store import Store
    from narrascope.store.search import SearchQuery

    web.build(args.db, docs=args.docs, seed=args.seed)
    cases = {
        "words": ([SearchQuery(text="government")], {}),
        "words, by outlet, normalised": (
            [SearchQuery(text="government")],
            {"by_outlet": True, "normalize": True},
        ),
        "two queries compared, by week": (
            [SearchQuery(text="government"), SearchQuery(text="minister")],
            {"interval": "week"},
        ),
        "technique filter": ([SearchQuery(technique="Loaded_Language")], {}),
        "narrative filter with words": (
            [SearchQuery(text="government", narrative="URW: Russia is the Victim")],
            {},
        ),
        "every article, by outlet": ([SearchQuery()], {"by_outlet": True}),
    }
    with Store.open(args.db) as store:
        print(f"{store.stats().documents} documents in {args.db}")
        for name, (queries, options) in cases.items():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                found = attention(store, queries, **options)
                times.append(time.perf_counter() - start)
            matched = sum(s.documents + s.undated for s in found.series)
            print(
                f"{name:32s} median {1000 * statistics.median(times):7.1f} ms, "
                f"max {1000 * max(times):7.1f} ms; {len(found.buckets)} {found.interval}s, "
                f"{len(found.series)} series, {matched} matching documents"
            )


if __name__ == "__main__":
    main()
