"""Applying a correction in the web app on a 10,000-article store (#19): p50/p95 latency.

Reuses `web.py`'s synthetic store (built once, cached at `--db`), then times N corrections
of random stored labels (reject, relabel, accept in turn) and N undos, each one HTTP request:
in process through FastAPI's TestClient (no network), or with `--server`, over loopback to
`narrascope serve` while `--clients` colleagues read reader, search and API pages (web.py's
mix) — the analyst's correction in a team at work.

    .venv/bin/python benchmarks/corrections.py --docs 10000 --db web-bench-10k.db
    .venv/bin/python benchmarks/corrections.py --db web-bench-10k.db --server --clients 7
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

RELABEL = {"technique": "Slogans", "narrative": "URW: Russia is the Victim"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("web-bench-10k.db"))
    parser.add_argument("-n", type=int, default=200, help="corrections to time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--server", action="store_true", help="over loopback to `serve`")
    parser.add_argument("--clients", type=int, default=0, help="readers at the same time")
    args = parser.parse_args()

    import web

    from narrascope.store import Store

    web.build(args.db, docs=args.docs, seed=args.seed)
    work = Path(tempfile.mkdtemp()) / "corrections.db"
    shutil.copy(args.db, work)  # the cached store stays uncorrected
    rng = random.Random(args.seed)
    with Store.open(work) as store:
        docs = store.stats().documents
        ids = [
            (row, ann.layer.value, ann.label)
            for doc in store.documents(limit=args.n * 3)
            for row, ann in store.corrections.annotated(doc.id)
            if ann.layer.value in RELABEL and ann.label != RELABEL[ann.layer.value]
        ]
    picks = rng.sample(ids, min(args.n, len(ids)))
    timings: dict[str, list[float]] = {"correct": [], "undo": []}
    refused = 0
    with _client(work, args) as client:
        done = []
        for i, (row, layer, _) in enumerate(picks):
            body = [
                {"action": "reject", "annotation_id": row},
                {"action": "relabel", "annotation_id": row, "label": RELABEL[layer]},
                {"action": "accept", "annotation_id": row},
            ][i % 3]
            start = time.perf_counter()
            response = client.post("/api/v1/corrections", json=body)
            timings["correct"].append(time.perf_counter() - start)
            if response.status_code == 201:
                done.append(response.json()["id"])
            else:
                refused += 1  # e.g. a relabel onto a span that already has that label
        for correction_id in done:
            start = time.perf_counter()
            client.delete(f"/api/v1/corrections/{correction_id}")
            timings["undo"].append(time.perf_counter() - start)
    where = f"loopback server, {args.clients} readers at once" if args.server else "in process"
    print(f"{docs} documents ({where}); {len(picks)} corrections ({refused} refused), ", end="")
    print(f"{len(done)} undos")
    for what, values in timings.items():
        values.sort()
        if not values:
            continue
        p50 = values[len(values) // 2] * 1000
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))] * 1000
        print(f"{what}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


@contextmanager
def _client(db: Path, args: argparse.Namespace) -> Iterator[Any]:
    """A client of the app over `db`: in process, or over loopback with readers at work."""
    if not args.server:
        from fastapi.testclient import TestClient

        from narrascope.web import create_app

        with TestClient(create_app(db)) as client:
            yield client
        return
    import httpx
    import web

    stop = threading.Event()
    with web.served(db, workers=args.workers) as (base, client):
        urls = web.targets(client, random.Random(args.seed), 200)
        mix = [u for kind in web.LOAD_KINDS for u in urls[kind]]

        def read() -> None:
            rng = random.Random()
            with httpx.Client(base_url=base, timeout=30) as reader:
                while not stop.is_set():
                    reader.get(rng.choice(mix))

        readers = [threading.Thread(target=read) for _ in range(args.clients)]
        for thread in readers:
            thread.start()
        try:
            yield client
        finally:
            stop.set()
            for thread in readers:
                thread.join()


if __name__ == "__main__":
    main()
