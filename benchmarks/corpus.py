"""Corpus view benchmark: incremental storyline update cost at 100k documents, and id stability.

Two measurements, both on synthetic sentence vectors (512-d, the encoder's size) with planted
storylines: each document has `--sentences` sentences; one in ten is a paraphrase of a
storyline active around the document's date (topic vector + noise, pairwise cosine ≈ 0.7), the
rest are random directions (cosine ≈ 0 to everything).

`update` (default): a store of `--docs` documents over `--days` days is bulk-loaded with SQL
(documents, sentences and their FTS rows; vectors only for the last `--vector-days` days, the
only ones any window of the new documents reaches), storylines are computed by the real
incremental update over those recent documents, and older documents are marked as seen. Then
`--new` documents dated in the last days are added through `Store.add`, and a fresh process
times `update_storylines` and reports its peak RSS.

`stability`: `--docs` documents (all with vectors) are split 90/10 at random; storylines are
computed on the 90%, the 10% are added, and we report the share of storyline ids unchanged
after the incremental update and after a full rebuild.

    .venv/bin/python benchmarks/corpus.py update --docs 100000 --new 1000 --db /tmp/bench.db
    .venv/bin/python benchmarks/corpus.py stability --docs 10000 --db /tmp/stab.db
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

DIM = 512
START = datetime(2022, 1, 1)


class Synthetic:
    """Planted storylines: topic vectors with a centre date and a few days' life."""

    def __init__(self, days: int, seed: int = 7, per_day: int = 8, stream: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        n = days * per_day
        self.topics = self.rng.normal(size=(n, DIM)).astype(np.float32)
        self.topics /= np.linalg.norm(self.topics, axis=1, keepdims=True)
        self.centre = np.sort(self.rng.uniform(0, days, size=n))
        # The same storylines, fresh sentences: each --offset run draws its own noise.
        self.rng = np.random.default_rng([seed, stream])

    def vectors(self, day: float, rows: int) -> np.ndarray:
        out = self.rng.normal(size=(rows, DIM)).astype(np.float32)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        lo, hi = np.searchsorted(self.centre, [day - 2, day + 2])
        for i in range(rows):
            if hi > lo and self.rng.random() < 0.1:
                topic = self.topics[self.rng.integers(lo, hi)]
                noise = self.rng.normal(size=DIM).astype(np.float32)
                v = topic + 0.6 * noise / np.linalg.norm(noise)
                out[i] = v / np.linalg.norm(v)
        return out


def text_of(i: int, rows: int) -> tuple[str, list[tuple[int, int]]]:
    parts = [
        f"Sentence number {k} of synthetic article {i} carries forty-odd characters."
        for k in range(rows)
    ]
    spans, pos = [], 0
    for part in parts:
        spans.append((pos, pos + len(part)))
        pos += len(part) + 1
    return " ".join(parts), spans


def bulk_load(db: Path, docs: int, days: int, rows: int, vector_days: int, syn: Synthetic) -> list:
    """Documents, sentences (FTS rows by trigger) and recent vectors, written with plain SQL."""
    from narrascope.store import Store
    from narrascope.store import schema as t

    recent: list[tuple[str, float]] = []
    with Store.open(db) as store, store.engine.begin() as conn:
        conn.execute(
            t.outlets.insert(), [{"id": k + 1, "name": f"outlet{k:02}.example"} for k in range(40)]
        )
        batch_docs, batch_sents, batch_vecs = [], [], []
        for i in range(docs):
            day = days * i / docs
            text, spans = text_of(i, rows)
            doc_id = hashlib.sha256(text.encode()).hexdigest()[:16]
            published = START + timedelta(days=day)
            batch_docs.append(
                {
                    "id": doc_id,
                    "text": text,
                    "outlet_id": 1 + i % 40,
                    "authors": [],
                    "published": published.isoformat(),
                    "published_utc": published,
                    "language": "en",
                    "words": len(text.split()),
                    "location": f"synthetic/{i}",
                    "raw_sha256": doc_id,
                    "added_at": datetime(2023, 1, 1),
                }
            )
            batch_sents += [
                {"doc_id": doc_id, "idx": k, "start": s, "end": e} for k, (s, e) in enumerate(spans)
            ]
            if day >= days - vector_days:
                matrix = syn.vectors(day, rows).astype(np.float16)
                batch_vecs.append(
                    {
                        "doc_id": doc_id,
                        "encoder": "synthetic",
                        "rows": rows,
                        "dim": DIM,
                        "data": matrix.tobytes(),
                    }
                )
                recent.append((doc_id, day))
            if len(batch_docs) >= 2000 or i == docs - 1:
                conn.execute(t.documents.insert(), batch_docs)
                conn.execute(t.sentences.insert(), batch_sents)
                if batch_vecs:
                    conn.execute(t.vectors.insert(), batch_vecs)
                batch_docs, batch_sents, batch_vecs = [], [], []
    return recent


def mark_old_seen(db: Path, before: datetime) -> int:
    """Documents older than every window: recorded as seen by storylines (no vectors to read)."""
    from sqlalchemy import select

    from narrascope.store import Store
    from narrascope.store import schema as t
    from narrascope.store.storylines import storyline_docs

    with Store.open(db) as store, store.engine.begin() as conn:
        d = t.documents.c
        rows = conn.execute(select(d.id, d.published_utc).where(d.published_utc < before)).all()
        stamp = datetime(2023, 1, 1)
        for k in range(0, len(rows), 5000):
            conn.execute(
                storyline_docs.insert(),
                [{"doc_id": i, "at": at, "processed_at": stamp} for i, at in rows[k : k + 5000]],
            )
    return len(rows)


def add_new(db: Path, first: int, n: int, days: int, rows: int, syn: Synthetic) -> float:
    """`n` documents dated in the last three days, through `Store.add` (the real write path)."""
    from narrascope.model import Document, SourceRef
    from narrascope.store import Store

    started = time.perf_counter()
    with Store.open(db) as store:
        for k in range(0, n, 200):
            with store.batch():
                for i in range(first + k, first + min(k + 200, n)):
                    day = days - 3 + 3 * (i - first) / n
                    text, spans = text_of(i, rows)
                    doc = Document(
                        text=text,
                        source=SourceRef(f"synthetic/new/{i}"),
                        outlet=f"outlet{i % 40:02}.example",
                        published=START + timedelta(days=day),
                        language="en",
                        sentences=spans,
                        paragraphs=[(0, len(text))],
                    )
                    store.add(doc, [], vectors=syn.vectors(day, rows), encoder="synthetic")
    return time.perf_counter() - started


def timed_update(db: Path) -> dict:
    """Run `update_storylines` in a fresh process: seconds, peak RSS, and what it did."""
    code = (
        "import json,resource,time,sys\n"
        "from narrascope.store import Store\n"
        "from narrascope.corpus.storylines import update_storylines\n"
        "store=Store.open(sys.argv[1]); base=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t=time.perf_counter(); r=update_storylines(store); s=time.perf_counter()-t\n"
        "u=resource.getrusage(resource.RUSAGE_SELF); peak=u.ru_maxrss\n"
        "print(json.dumps({'seconds':round(s,2),'rss_before_mb':base//1024,'peak_rss_mb':peak//1024,"
        "'cpu_seconds':round(u.ru_utime+u.ru_stime,2),'documents':r.documents,'sentences':r.sentences,'created':r.created,'grown':r.grown,'members':r.members}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(db)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_update(args: argparse.Namespace) -> None:
    from narrascope.corpus.storylines import update_storylines
    from narrascope.store import Store

    db = Path(args.db)
    if db.exists() and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    syn = Synthetic(args.days, stream=args.offset)
    if not args.reuse:
        t0 = time.perf_counter()
        recent = bulk_load(db, args.docs, args.days, args.sentences, args.vector_days, syn)
        print(
            f"bulk load: {args.docs} documents ({len(recent)} with vectors) in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        seen = mark_old_seen(db, START + timedelta(days=args.days - args.vector_days))
        t0 = time.perf_counter()
        with Store.open(db) as store:
            base = update_storylines(store)
            lines = store.corpus.storyline_count()
        print(
            f"older documents marked seen: {seen}; storylines over the recent {base.documents}: {lines} in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    secs = add_new(db, args.docs + args.offset, args.new, args.days, args.sentences, syn)
    print(f"added {args.new} documents through Store.add in {secs:.1f} s", flush=True)
    result = timed_update(db)
    result.update(store_documents=args.docs + args.new, sentences_per_doc=args.sentences)
    print(json.dumps(result))


def run_stability(args: argparse.Namespace) -> None:
    from narrascope.corpus.storylines import update_storylines
    from narrascope.model import Document, SourceRef
    from narrascope.store import Store

    db = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    syn = Synthetic(args.days)
    rng = np.random.default_rng(11)
    order = rng.permutation(args.docs)
    held = set(order[: args.docs // 10].tolist())
    made = {}
    for i in range(args.docs):
        day = args.days * i / args.docs
        text, spans = text_of(i, args.sentences)
        made[i] = (
            Document(
                text=text,
                source=SourceRef(f"s/{i}"),
                outlet=f"outlet{i % 40:02}.example",
                published=START + timedelta(days=day),
                language="en",
                sentences=spans,
                paragraphs=[(0, len(text))],
            ),
            syn.vectors(day, args.sentences),
        )
    with Store.open(db) as store:

        def add(ids):
            for k in range(0, len(ids), 200):
                with store.batch():
                    for i in ids[k : k + 200]:
                        doc, vectors = made[i]
                        store.add(doc, [], vectors=vectors, encoder="synthetic")

        add([i for i in range(args.docs) if i not in held])
        update_storylines(store)
        before = {r.id: r.members for r in store.corpus.storyline_rows()}
        add(sorted(held))
        report = update_storylines(store)
        after = {r.id: r.members for r in store.corpus.storyline_rows()}
        update_storylines(store, rebuild=True)
        rebuilt = {r.id for r in store.corpus.storyline_rows()}
    print(
        json.dumps(
            {
                "documents": args.docs,
                "held_out": len(held),
                "storylines_before": len(before),
                "storylines_after": len(after),
                "created_by_update": report.created,
                "grown_by_update": report.grown,
                "ids_unchanged_incremental": round(
                    len(set(before) & set(after)) / max(1, len(before)), 4
                ),
                "ids_unchanged_rebuild": round(len(set(before) & rebuilt) / max(1, len(before)), 4),
                "storylines_rebuilt": len(rebuilt),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("update", "stability"))
    parser.add_argument("--db", default="/tmp/narrascope-corpus-bench.db")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sentences", type=int, default=25)
    parser.add_argument("--vector-days", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the loaded store; only add and time."
    )
    parser.add_argument(
        "--offset", type=int, default=0, help="With --reuse: numbering of the new documents."
    )
    args = parser.parse_args()
    (run_update if args.mode == "update" else run_stability)(args)


if __name__ == "__main__":
    main()
