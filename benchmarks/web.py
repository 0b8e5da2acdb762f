"""Web latency and throughput on a 10,000-article store: reader, search, API and dashboard.

Builds (once, cached) a store of synthetic articles from `generate_corpus.py` material,
segmented by the real segmenter, deduplicated by the real deduplicator, with annotations of
every layer at realistic density placed on real sentences (building it through the models
would take hours on 2 cores; the pages read the same tables either way). Then starts
`narrascope serve` in its own process and measures, over loopback:

1. latency: median and p95 of N sequential requests per page kind, and the server's CPU
   per request (Linux; what a request costs whatever else the machine runs);
2. a team at work (#17): a fixed number of requests (default 2,000) from C concurrent clients
   (default 8), bounded in time, of reader pages, search pages and the API (document, search)
   in random order: throughput, errors (any status other than 200), and median and p95
   latency per kind under that load, each against the target (`--target-ms`, 150), and the
   server's CPU per request. The load repeats the latency phase's URLs, so the server's
   caches of recent searches answer its searches; `--varied-searches` draws them afresh
   from a few hundred words of the store instead (a team searching many things).

    .venv/bin/python benchmarks/web.py --docs 10000 --db web-bench-10k.db
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVE = [sys.executable, "-m", "narrascope", "serve"]
sys.path.insert(0, str(ROOT / "benchmarks"))

TECHNIQUES = [
    "Loaded_Language",
    "Name_Calling-Labeling",
    "Doubt",
    "Exaggeration-Minimisation",
    "Appeal_to_Fear-Prejudice",
    "Flag_Waving",
    "Questioning_the_Reputation",
    "Repetition",
    "Causal_Oversimplification",
    "Appeal_to_Authority",
    "Slogans",
    "Whataboutism",
]
NARRATIVES = [
    "URW: Discrediting the West, Diplomacy",
    "URW: Blaming the war on others rather than the invader",
    "URW: Russia is the Victim",
    "CC: Criticism of climate policies",
    "URW: Speculating war outcomes",
    "CC: Amplifying Climate Fears",
    "URW: Discrediting Ukraine",
]
PEOPLE = [
    "Antony Blinken",
    "Kassym-Jomart Tokayev",
    "Vladimir Putin",
    "Maria Zakharova",
    "Josep Borrell",
    "Liz Truss",
    "Joe Biden",
    "Emmanuel Macron",
]
ROLES = ["Antagonist", "Protagonist", "Innocent"]
QUERIES = [
    "security",
    "government",
    "election",
    "police",
    "Russia",
    "market",
    "climate",
    "minister",
    "protest",
    "energy",
    "troops",
    "president",
    "court",
    "water",
    "school",
]


def annotations(doc, rng: random.Random):
    """Annotations of every layer at about the density the analyzers produce, on real sentences."""
    from narrascope.model import Annotation, Layer

    s = doc.sentences
    out = []
    for a, b in s:
        if rng.random() < 0.15:
            out.append(
                Annotation(
                    doc.id,
                    Layer.TECHNIQUE,
                    rng.choice(TECHNIQUES),
                    "techniques-v1",
                    a,
                    b,
                    round(rng.uniform(0.3, 0.95), 3),
                )
            )
        if rng.random() < 0.08:
            out.append(
                Annotation(
                    doc.id,
                    Layer.CLAIM,
                    "check-worthy",
                    "claims-v1",
                    a,
                    b,
                    round(rng.uniform(0.5, 0.95), 3),
                )
            )
    for label in rng.sample(NARRATIVES, rng.randint(0, 2)):
        ev = sorted(rng.sample(s, min(3, len(s))))
        out.append(
            Annotation(
                doc.id,
                Layer.NARRATIVE,
                label,
                "narratives-v1",
                score=round(rng.uniform(0.3, 0.9), 3),
                evidence=ev,
            )
        )
    out.append(
        Annotation(
            doc.id,
            Layer.GENRE,
            rng.choice(["reporting", "opinion"]),
            "genre-v1",
            score=0.8,
            evidence=[s[0]],
        )
    )
    for person in rng.sample(PEOPLE, 2):
        slug = person.lower().replace(" ", "-")
        a, b = rng.choice(s)
        attrs = {"entity": person, "entity_id": slug, "aliases": []}
        out.append(
            Annotation(doc.id, Layer.ENTITY, "PER", "entities-v1", a, min(b, a + 8), attrs=attrs)
        )
        if rng.random() < 0.5:
            out.append(
                Annotation(
                    doc.id,
                    Layer.QUOTE,
                    "direct",
                    "quotes-v1",
                    a,
                    b,
                    attrs={"speaker": person, "cue": "said"},
                )
            )
        if rng.random() < 0.3:
            out.append(
                Annotation(
                    doc.id,
                    Layer.ROLE,
                    rng.choice(ROLES),
                    "roles-v1",
                    score=0.6,
                    evidence=[(a, b)],
                    attrs={**attrs, "level": "main", "fine_roles": []},
                )
            )
    return out


def build(db: Path, *, docs: int, seed: int) -> None:
    """Store `docs` distinct synthetic articles: rounds of generated inputs until there are.

    A round's exact copies become extra publications of a stored text, so later rounds
    top the count up with fresh articles (another seed, no exact copies).
    """
    from narrascope.store import Store

    with Store.open(db) as store:
        stored = store.stats().documents
    round_ = 1 if stored else 0
    while stored < docs:
        count = docs if round_ == 0 else docs - stored
        store_round(db, docs=count, seed=seed + round_, copy_rate=0.05 if round_ == 0 else 0.0)
        with Store.open(db) as store:
            stored = store.stats().documents
        round_ += 1


def store_round(db: Path, *, docs: int, seed: int, copy_rate: float) -> None:
    """Generate `docs` inputs and store them with their annotations and copies."""
    import generate_corpus

    from narrascope.dedup import Deduplicator
    from narrascope.model import Document, SourceRef
    from narrascope.store import Store
    from narrascope.text import segment

    material = (
        ROOT.parent / "shared" / "data" / "article-extraction-benchmark" / "ground-truth.json"
    )
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix=f"web-bench-{seed}-") as tmp:
        folder = Path(tmp)
        generate_corpus.generate(
            folder,
            docs=docs,
            copy_rate=copy_rate,
            near_rate=0.05,
            per_file=5000,
            seed=seed,
            material=material,
        )
        started = time.perf_counter()
        with Store.open(db) as store:
            dedup = Deduplicator(store)
            n = 0
            for part in sorted(folder.glob("part-*.jsonl")):
                lines = part.read_text(encoding="utf-8").splitlines()
                for start in range(0, len(lines), 200):
                    with store.batch():
                        for line_no, line in enumerate(lines[start : start + 200], start + 1):
                            row = json.loads(line)
                            doc = segment(
                                Document(
                                    text=row["text"],
                                    source=SourceRef(str(part), str(line_no), row["id"]),
                                    url=row["url"],
                                    outlet=urlsplit(row["url"]).hostname,
                                    title=row["title"],
                                    published=datetime.fromisoformat(row["published"]),
                                    language="en",
                                )
                            )
                            if store.has_document(doc.id):
                                store.add_source(
                                    doc.id,
                                    doc.source,
                                    url=doc.url,
                                    outlet=doc.outlet,
                                    published=doc.published,
                                )
                                continue
                            store.add(
                                doc,
                                annotations(doc, rng),
                                copies=dedup.find(doc),
                                fingerprint=dedup.fingerprint(doc),
                            )
                            n += 1
                    print(
                        f"\r  stored {n} documents, {time.perf_counter() - started:.0f} s",
                        end="",
                        file=sys.stderr,
                        flush=True,
                    )
        print(file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process `pid` and its workers have used so far;
    0.0 where `/proc` is not there to read (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(path: Path) -> list[str]:
        return path.read_text().rsplit(")", 1)[1].split()

    total = 0.0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = stat(entry / "stat")
            except OSError:
                continue
            if int(entry.name) == pid or int(fields[1]) == pid:  # the server or a worker
                total += (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return 0.0
    return total


def load_average() -> str:
    """The machine's 1-minute load average (the benchmark shares its cores), or "?"."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


@contextmanager
def served(
    db: Path, *, workers: int = 1, on_start: Callable[[int], None] | None = None
) -> Iterator[tuple[str, httpx.Client]]:
    """`narrascope serve` on `db` on a free loopback port, once it answers: (base URL, client).

    `on_start` is told the server's process id (to read the CPU it uses)."""
    base = f"http://127.0.0.1:{free_port()}"
    port = base.rsplit(":", 1)[1]
    server = subprocess.Popen(
        [*SERVE, "--db", str(db), "--port", port, "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
    )
    if on_start is not None:
        on_start(server.pid)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 300  # a loaded machine starts it slowly
            while True:
                try:
                    client.get("/api/v1/openapi.json")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield base, client
    finally:
        server.terminate()
        server.wait(timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def targets(client: httpx.Client, rng: random.Random, count: int) -> dict[str, list[str]]:
    """URLs per page kind: readers of random stored documents, searches, dashboards."""
    ids: list[str] = []
    cursor = None
    while len(ids) < 2000:
        page = client.get(
            "/api/v1/search", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        ).json()
        ids += [r.get("doc_id") or r.get("id") for r in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return {
        "reader": [f"/doc/{rng.choice(ids)}" for _ in range(count)],
        "search": [f"/search?q={rng.choice(QUERIES)}" for _ in range(count)],
        "search+facet": [
            f"/search?q={rng.choice(QUERIES)}&outlet=outlet{rng.randrange(40):02}.example"
            for _ in range(count)
        ],
        "api document": [f"/api/v1/documents/{rng.choice(ids)}" for _ in range(count)],
        "api search": [f"/api/v1/search?q={rng.choice(QUERIES)}" for _ in range(count)],
        "dashboard": ["/"] * max(10, count // 5),
    }


def search_url(kind: str, word: str, rng: random.Random) -> str:
    """A search of `kind` (page, page with an outlet facet, API) for `word`."""
    if kind == "search":
        return f"/search?q={word}"
    if kind == "search+facet":
        return f"/search?q={word}&outlet=outlet{rng.randrange(40):02}.example"
    return f"/api/v1/search?q={word}"


def vocabulary(client: httpx.Client) -> list[str]:
    """Words of six letters or more from the hits of the fixed queries (a few hundred)."""
    words: set[str] = set()
    for q in QUERIES:
        page = client.get("/api/v1/search", params={"q": q, "limit": 200}).json()
        for hit in page["results"]:
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{6,}", hit["snippet"]))
    return sorted(words)


def varied(
    mix: list[tuple[str, str]], words: list[str], rng: random.Random
) -> list[tuple[str, str]]:
    """The load's searches drawn afresh from `words` (each kind its own draw): a team searching
    for many things, where a cache of recent searches helps little, unlike the fixed queries
    repeated (the latency phase has asked every one of those before the load)."""
    return [
        (kind, search_url(kind, rng.choice(words), rng) if "search" in kind else url)
        for kind, url in mix
    ]


LOAD_KINDS = ("reader", "search", "search+facet", "api document", "api search")
"""What the clients of the load phase ask for (the dashboard is one cached page: left out)."""


def latency(
    client: httpx.Client, urls: list[str], *, pid: int | None = None
) -> tuple[float, float, int, float]:
    """Median and p95 ms of requesting `urls` one after another, the errors, and the server's
    CPU ms per request (what a request costs whatever the machine's load; 0 without `pid`)."""
    times, errors = [], 0
    cpu = server_cpu(pid) if pid else 0.0
    for url in urls:
        started = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        errors += r.status_code != 200
    cpu_ms = (server_cpu(pid) - cpu) * 1000 / len(urls) if pid else 0.0
    return statistics.median(times), percentile(times, 0.95), errors, cpu_ms


def load(
    base: str, urls: list[tuple[str, str]], *, clients: int, seconds: float
) -> tuple[dict[str, list[float]], int, float]:
    """Send `(kind, url)`s from `clients` threads until done or `seconds` pass.

    Returns the latencies (ms) per kind, the errors, and the elapsed seconds.
    """
    lock, errors = threading.Lock(), [0]
    times: dict[str, list[float]] = {}
    deadline = time.perf_counter() + seconds
    queue = iter(urls)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            while time.perf_counter() < deadline:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return
                kind, url = item
                started = time.perf_counter()
                ok = c.get(url).status_code == 200
                took = (time.perf_counter() - started) * 1000
                with lock:
                    times.setdefault(kind, []).append(took)
                    errors[0] += not ok

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(worker)
    return times, errors[0], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("web-bench-10k.db"))
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    parser.add_argument("--requests", type=int, default=200, help="per page kind, latency phase")
    parser.add_argument("--load-requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=300.0, help="bound on the load phase")
    parser.add_argument(
        "--target-ms", type=float, default=150.0, help="p95 each kind must stay under at load"
    )
    parser.add_argument(
        "--varied-searches",
        action="store_true",
        help="load-phase searches drawn from a few hundred words, rarely repeated (default: the "
        "latency phase's URLs again, every one already asked once)",
    )
    args = parser.parse_args()
    print(f"building {args.docs} documents into {args.db} (kept for reruns)", file=sys.stderr)
    build(args.db, docs=args.docs, seed=args.seed)
    pids: list[int] = []
    with served(args.db, workers=args.workers, on_start=pids.append) as (base, client):
        stats = client.get("/api/v1/dashboard").json()["stats"]
        print(
            f"store: {stats['documents']} documents, "
            f"{sum(stats['annotations'].values())} annotations, copies {stats['copies']}"
        )
        rng = random.Random(args.seed)
        urls = targets(client, rng, args.requests)
        for kind in urls:
            client.get(urls[kind][0])  # warm caches once
        print(f"load average {load_average()} before the latency phase")
        header = f"{'page':<14}{'requests':>9}{'median ms':>11}{'p95 ms':>9}{'errors':>8}"
        print(f"{header}{'server CPU ms':>15}")
        for kind, kind_urls in urls.items():
            median, p95, errors, cpu_ms = latency(client, kind_urls, pid=pids[0])
            print(
                f"{kind:<14}{len(kind_urls):>9}{median:>11.1f}{p95:>9.1f}{errors:>8}{cpu_ms:>15.1f}"
            )
        mix = [(kind, u) for kind in LOAD_KINDS for u in urls[kind]]
        rng.shuffle(mix)
        mix = (mix * (args.load_requests // len(mix) + 1))[: args.load_requests]
        if args.varied_searches:
            mix = varied(mix, vocabulary(client), rng)
        searches = [url for kind, url in mix if "search" in kind]
        print(f"load searches: {len(searches)}, {len(set(searches))} distinct")
        before, cpu = load_average(), server_cpu(pids[0])
        times, errors, elapsed = load(base, mix, clients=args.clients, seconds=args.seconds)
        cpu = server_cpu(pids[0]) - cpu
        done = sum(len(v) for v in times.values())
        print(
            f"load: {done} requests from {args.clients} clients in {elapsed:.1f} s "
            f"= {done / elapsed:.1f} req/s, {errors} errors, server CPU "
            f"{cpu * 1000 / max(done, 1):.1f} ms a request; load average {before} before, "
            f"{load_average()} after"
        )
        print(f"{'under load':<14}{'requests':>9}{'median ms':>11}{'p95 ms':>9}  target")
        everything = [t for kind in LOAD_KINDS for t in times.get(kind, [])]
        for kind, values in [*((k, times.get(k, [])) for k in LOAD_KINDS), ("all", everything)]:
            if values:
                median, p95 = statistics.median(values), percentile(values, 0.95)
                verdict = "met" if p95 < args.target_ms else "NOT met"
                print(f"{kind:<14}{len(values):>9}{median:>11.1f}{p95:>9.1f}  {verdict}")


if __name__ == "__main__":
    main()
