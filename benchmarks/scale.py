r"""Scale-out benchmark: throughput, peak memory and dedup accuracy of `analyze` on a Dask cluster.

Runs one configuration per call on a generated corpus (`generate_corpus.py`, made here when
missing) and prints one JSON line: documents/s, driver and per-worker peak RSS, the database's
size per document, and dedup precision/recall against the planted copies in `truth.jsonl`.

    # no analyzers (ingest, clean, language, segmentation, dedup and storing only), 2 workers
    .venv/bin/python benchmarks/scale.py /work/cache/scale-100k --docs 100000 --limit 10000 \
        --workers 2 --lean
    # every analyzer, on a sample, with 1 and then 2 workers
    .venv/bin/python benchmarks/scale.py /work/cache/scale-100k --docs 100000 --limit 200 --workers 1
    # the same on PostgreSQL: a server URL and --new-database to create an empty database on it
    .venv/bin/python benchmarks/scale.py /work/cache/scale-100k --docs 100000 --limit 2000 \
        --workers 2 --lean --db postgresql://postgres@127.0.0.1:5432/postgres --new-database

`--docs` is the generated corpus's size (made once in the folder); `--limit` analyzes only its
first N documents. CPU seconds (`driver_cpu_s`, `worker_cpu_s`) are the figures that survive a
shared machine; `worker_cpu_s` includes loading the models once (~5.5 CPU-s for all of them).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import resource
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from narrascope import pipeline
from narrascope.analyzers import available
from narrascope.run import WorkerCosts
from narrascope.store import Store

ROOT = Path(__file__).resolve().parents[1]


def ensure_corpus(folder: Path, docs: int, per_file: int) -> None:
    """Generate the corpus unless `folder` already holds one of `docs` documents."""
    truth = folder / "truth.jsonl"
    if truth.exists() and sum(1 for _ in truth.open()) == docs:
        # The truth is keyed by part file and line: parts of another size would score nonsense.
        parts = len(list(folder.glob("part-*.jsonl")))
        if parts != -(-docs // per_file):
            raise SystemExit(f"{folder}: {parts} part files, not {docs} / --per-file {per_file}")
        return
    spec = importlib.util.spec_from_file_location("gen", ROOT / "benchmarks" / "generate_corpus.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)  # type: ignore[union-attr]
    material = (
        ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "ground-truth.json"
    )
    gen.generate(folder, docs=docs, copy_rate=0.05, near_rate=0.05, per_file=per_file, seed=7,
                 material=material if material.exists() else None)  # fmt: skip


def limited_sources(folder: Path, limit: int | None, per_file: int) -> list[str]:
    parts = sorted(str(p) for p in folder.glob("part-*.jsonl"))
    if limit is None:
        return parts
    return parts[: max(1, -(-limit // per_file))]


def dedup_scores(store: Store, truth_file: Path, per_file: int, limit: int | None) -> dict:
    """Pairwise precision/recall of copy groups: planted (truth) against found (exact + near)."""
    group: dict[str, str] = {}  # input (location#record) -> the original it copies
    names = {}
    for n, line in enumerate(truth_file.open()):
        if limit is not None and n >= limit:
            break
        row = json.loads(line)
        i = int(row["id"].rsplit("-", 1)[1])
        where = f"part-{i // per_file:05}.jsonl#{i % per_file + 1}"
        names[where] = row["id"]
        group[where] = row["copy_of"] if row["kind"] != "original" else row["id"]
    # Found groups: the publications of one text, joined through exact and near copy edges.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    inputs_of: dict[str, list[str]] = defaultdict(list)
    for doc in store.documents():
        for pub in store.sources(doc.id):
            key = f"{Path(pub.location).name}#{pub.record}"
            if key in group:
                inputs_of[doc.id].append(key)
    for edge in store.copies():
        if edge.kind in ("exact", "near"):
            parent[find(edge.copy_id)] = find(edge.original_id)
    found: dict[str, str] = {}
    for doc_id, keys in inputs_of.items():
        for key in keys:
            found[key] = find(doc_id)

    def pairs(assign: dict[str, str]) -> set[tuple[str, str]]:
        members: dict[str, list[str]] = defaultdict(list)
        for key, g in assign.items():
            members[g].append(key)
        return {
            tuple(sorted(p))  # type: ignore[misc]
            for m in members.values()
            if len(m) > 1
            for p in itertools.combinations(m, 2)
        }

    true_pairs = pairs({k: g for k, g in group.items() if k in found})
    found_pairs = pairs(found)
    hits = len(true_pairs & found_pairs)
    # A planted near copy edited past the threshold (a paragraph added to a short article) is
    # not a near copy but should still be linked to its original as partial reuse.
    doc_of = {key: doc_id for doc_id, keys in inputs_of.items() for key in keys}
    missed = true_pairs - found_pairs
    as_partial = sum(
        any(
            edge.kind == "partial" and {edge.copy_id, edge.original_id} == {doc_of[a], doc_of[b]}
            for edge in store.copies(doc_of[a])
        )
        for a, b in missed
    )
    return {
        "planted_pairs": len(true_pairs),
        "found_pairs": len(found_pairs),
        "precision": round(hits / len(found_pairs), 4) if found_pairs else None,
        "recall": round(hits / len(true_pairs), 4) if true_pairs else None,
        "missed_pairs": len(missed),
        "missed_found_as_partial_reuse": as_partial,
    }


def database_bytes(store: Store, db: str) -> int:
    if "://" not in db:
        return sum(p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*"))
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())


def new_postgres_database(server: str) -> str:
    import psycopg

    name = f"narrascope_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--docs", type=int, default=100_000, help="size of the generated corpus")
    parser.add_argument("--limit", type=int, default=None, help="analyze only the first N")
    parser.add_argument("--per-file", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="an existing cluster instead")
    parser.add_argument("--lean", action="store_true", help="no analyzers (and so no encoder)")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--db", default=None, help="SQLite path or PostgreSQL URL (default: temp)")
    parser.add_argument("--new-database", action="store_true", help="create one on --db's server")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--checkpoint", type=int, default=5000, help="report every N inputs")
    args = parser.parse_args()

    ensure_corpus(args.corpus, args.docs, args.per_file)
    sources = limited_sources(args.corpus, args.limit, args.per_file)
    tmp = tempfile.TemporaryDirectory(dir="/work/cache" if Path("/work/cache").is_dir() else None)
    db = args.db or str(Path(tmp.name) / "scale.db")
    if args.new_database:
        db = new_postgres_database(db)
    skip = available() if args.lean else ()
    costs = WorkerCosts()
    every = args.checkpoint
    progress: dict = {"n": 0, "rss": [], "workers": [], "cpu": [], "last": (0, _cpu(), 0.0)}

    def on_progress(n: int) -> None:
        # At every `every` inputs: the driver's and each worker's peak RSS so far, and the
        # driver's CPU ms per input since the last checkpoint (flat = dedup does not slow down).
        progress["n"] += n
        done = progress["n"]
        if done // every == (done - n) // every:
            return
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        progress["rss"].append((done, round(rss)))
        progress["workers"].append((done, sorted(round(v) for v in costs.peak_rss_mb.values())))
        last_n, last_cpu, _ = progress["last"]
        cpu = _cpu()
        progress["cpu"].append((done, round(1000 * (cpu - last_cpu) / (done - last_n), 1)))
        progress["last"] = (done, cpu, time.perf_counter())
        print(json.dumps({"checkpoint": done, "driver_rss_mb": round(rss),
                          "workers_rss_mb": progress["workers"][-1][1],
                          "driver_cpu_ms_per_input": progress["cpu"][-1][1],
                          "elapsed_s": round(time.perf_counter() - started, 1)}), flush=True)  # fmt: skip

    with Store.open(db) as store:
        inputs = _limit_inputs(sources, args.limit, Path(tmp.name))
        started = time.perf_counter()
        report = pipeline.analyze(
            inputs,
            store,
            only=args.only,
            skip=skip,
            workers=args.workers,
            scheduler=args.scheduler,
            batch_size=args.batch_size,
            costs=costs,
            on_progress=on_progress,
        )
        seconds = time.perf_counter() - started
        driver_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before scoring
        driver_cpu = _cpu()
        n = report.counts["inputs"]
        scores = dedup_scores(store, args.corpus / "truth.jsonl", args.per_file, args.limit)
        size = database_bytes(store, db)
        documents = store.stats().documents
    result = {
        "docs": n,
        "workers": args.workers,
        "database": "postgresql" if "://" in db else "sqlite",
        "analyzers": "none (lean)" if args.lean else (args.only or "all"),
        "seconds": round(seconds, 1),
        "docs_per_s": round(n / seconds, 2),
        "driver_peak_rss_mb": round(driver_peak),
        "driver_peak_rss_by_docs": progress["rss"],
        "worker_peak_rss_by_docs": progress["workers"],
        "driver_cpu_ms_per_input_by_docs": progress["cpu"],
        "driver_cpu_s": round(driver_cpu, 1),
        "worker_peak_rss_mb": {w: round(v) for w, v in costs.peak_rss_mb.items()},
        "worker_cpu_s": {w: round(v, 1) for w, v in costs.cpu_seconds.items()},
        "stored_documents": documents,
        "db_bytes_per_document": round(size / max(documents, 1)),
        "counts": dict(report.counts),
        "dedup": scores,
        "stages_s": {k: round(v, 1) for k, v in report.stage_seconds.most_common()},
    }
    print(json.dumps(result))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_inputs(sources: list[str], limit: int | None, scratch: Path) -> list[str]:
    """The sources, or the first `limit` lines of them through a temp JSONL when limited."""
    if limit is None:
        return sources
    out = scratch / "inputs"
    out.mkdir()
    left = limit
    paths = []
    for source in sources:
        lines = Path(source).read_text(encoding="utf-8").splitlines(keepends=True)[:left]
        target = out / Path(source).name  # same names: truth keys stay valid
        target.write_text("".join(lines), encoding="utf-8")
        paths.append(str(target))
        left -= len(lines)
        if left <= 0:
            break
    return paths


if __name__ == "__main__":
    main()
