"""The work behind one search request, in process (no HTTP): what a server's core pays per search.

On the store `web.py` builds, 60 searches of `web.py`'s fixed queries (every other one with an
outlet facet), each: the search with its facets, its JSON and the search form's pick-lists.
Printed as p50 / p95 ms: uncached; then, where the app has a cache of recent searches
(`narrascope.web.search.SearchCache`), the same searches again from it, and an outlet facet
clicked after its search; and the dashboard cache's check that its board still holds.
The same script runs against any checkout (`PYTHONPATH=that/src`), for side-by-side runs.

    PYTHONPATH=src .venv/bin/python benchmarks/search_work.py --db web-bench-10k.db
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import QUERIES, percentile

from narrascope.store import Store
from narrascope.store.search import SearchQuery
from narrascope.web import search as web_search
from narrascope.web.dashboard import DashboardCache


def timed(work, items) -> list[float]:
    """Milliseconds `work(item)` took, per item."""
    out = []
    for item in items:
        started = time.perf_counter()
        work(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def shown(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} / {percentile(times, 0.95):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("web-bench-10k.db"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    store = Store.open(args.db, create=False)
    queries = [
        SearchQuery(
            text=rng.choice(QUERIES),
            limit=25,
            outlet=f"outlet{rng.randrange(40):02}.example" if i % 2 else None,
        )
        for i in range(60)
    ]
    web_search.search(store, SearchQuery(text="x"))  # warm the pick-lists and the connection
    web_search.choices(store)
    cache_type = getattr(web_search, "SearchCache", None)

    def run(cache):
        def one(query: SearchQuery) -> None:
            page = web_search.search(store, query, **({"cache": cache} if cache else {}))
            web_search.search_json(page)
            web_search.choices(store)

        return one

    plain = [q for q in queries if q.outlet is None]
    faceted = [q for q in queries if q.outlet is not None]
    print(f"search, uncached: {shown(timed(run(None), plain))}")
    print(f"search + outlet facet, uncached: {shown(timed(run(None), faceted))}")
    if cache_type is not None:
        cache = cache_type()
        timed(run(cache), queries)
        print(f"search or search + facet, cached: {shown(timed(run(cache), queries))}")
        cache = cache_type()
        timed(run(cache), [SearchQuery(text=w, limit=25) for w in QUERIES])
        clicks = [
            SearchQuery(text=w, limit=25, outlet=f"outlet{rng.randrange(40):02}.example")
            for w in QUERIES * 2
        ]
        print(f"outlet facet clicked after its search: {shown(timed(run(cache), clicks))}")
    dashboards = DashboardCache()
    dashboards.get(store)
    checks = timed(lambda _: dashboards.get(store), range(30))
    print(f"dashboard cache hit (its check): {shown(checks)}")


if __name__ == "__main__":
    main()
