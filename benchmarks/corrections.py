"""Applying a correction in the web app on a 10,000-article store (#19): p50/p95 latency.

Reuses `web.py`'s synthetic store (built once, cached at `--db`), then, in process through
FastAPI's TestClient (no network), times N corrections of random stored labels (reject,
relabel, accept in turn) and N undos, each one HTTP request.

    .venv/bin/python benchmarks/corrections.py --docs 10000 --db web-bench-10k.db
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

RELABEL = {"technique": "Slogans", "narrative": "URW: Russia is the Victim"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=Path("web-bench-10k.db"))
    parser.add_argument("-n", type=int, default=200, help="corrections to time")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import web
    from fastapi.testclient import TestClient

    from narrascope.store import Store
    from narrascope.web import create_app

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
    with TestClient(create_app(work)) as client:
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
    print(f"{docs} documents; {len(picks)} corrections ({refused} refused), {len(done)} undos")
    for what, values in timings.items():
        values.sort()
        if not values:
            continue
        p50 = values[len(values) // 2] * 1000
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))] * 1000
        print(f"{what}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
