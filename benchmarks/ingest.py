"""Ingest throughput: documents per second through `narrascope.ingest.iter_inputs`, per format.

Reads (1) the article-extraction benchmark's 181 gzipped HTML pages as they lie in DATA_DIR/html,
(2) the same pages packed into one WARC.gz, (3) a folder of plain-text files (the five example
articles, copied), and (4) a synthetic JSONL of `--lines` articles, streamed, with the peak
resident memory of the process after each pass (the corpus must never sit in memory). Only
ingest is timed: no cleaning, no analysis. Inputs for (2)–(4) are written to a temporary folder.

    .venv/bin/python benchmarks/ingest.py ../shared/data/article-extraction-benchmark/html
    .venv/bin/python benchmarks/ingest.py DATA_DIR/html --repeat 5 --lines 100000 --text-files 2000
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from narrascope.ingest import iter_inputs
from narrascope.model import BadInput

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(sources: Sequence[str | Path], repeat: int) -> dict[str, float]:
    """Documents, bad inputs, seconds and rates over `repeat` full passes over `sources`."""
    docs = bad = chars = 0
    started = time.perf_counter()
    for _ in range(repeat):
        for item in iter_inputs(sources):
            if isinstance(item, BadInput):
                bad += 1
            else:
                docs += 1
                chars += len(item.content)
    seconds = time.perf_counter() - started
    return {
        "docs": docs,
        "bad": bad,
        "seconds": round(seconds, 3),
        "docs_per_s": round(docs / seconds, 1),
        "mb_per_s": round(chars / seconds / 1e6, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def write_warc(pages: Sequence[Path], out: Path) -> None:
    """One response record per page, gzipped record by record as crawlers write them."""
    with out.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            body = gzip.decompress(page.read_bytes())
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                f"https://bench.example/{page.name.split('.')[0]}",
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
            )
            writer.write_record(record)


def write_text_files(out: Path, count: int) -> None:
    articles = sorted(EXAMPLES.glob("*.txt"))
    for i in range(count):
        shutil.copyfile(articles[i % len(articles)], out / f"{i:06}.txt")


def write_jsonl(out: Path, lines: int) -> None:
    """`lines` articles built from the example paragraphs, written line by line."""
    paragraphs = [
        p.strip()
        for path in sorted(EXAMPLES.glob("*.txt"))
        for p in path.read_text(encoding="utf-8").split("\n")
        if len(p.split()) >= 20
    ]
    with out.open("w", encoding="utf-8") as stream:
        for i in range(lines):
            body = "\n\n".join(paragraphs[(i + k) % len(paragraphs)] for k in range(6))
            row = {"text": body, "url": f"https://bench.example/{i}", "date": "2022-01-07"}
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html_dir", type=Path, help="folder of benchmark pages (*.html.gz)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the small inputs")
    parser.add_argument("--text-files", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=100_000, help="JSONL articles to stream")
    args = parser.parse_args(argv)
    pages = sorted(args.html_dir.glob("*.html*"))
    if not pages:
        parser.error(f"no HTML pages in {args.html_dir}")
    results: dict[str, dict[str, float]] = {}
    results["html.gz files"] = timed([args.html_dir], args.repeat)
    with tempfile.TemporaryDirectory(prefix="narrascope-ingest-") as tmp:
        folder = Path(tmp)
        write_warc(pages, folder / "pages.warc.gz")
        results["warc.gz records"] = timed([folder / "pages.warc.gz"], args.repeat)
        (folder / "text").mkdir()
        write_text_files(folder / "text", args.text_files)
        results["text files"] = timed([folder / "text"], args.repeat)
        write_jsonl(folder / "corpus.jsonl", args.lines)
        size_mb = (folder / "corpus.jsonl").stat().st_size / 1e6
        results[f"jsonl lines ({size_mb:.0f} MB file)"] = timed([folder / "corpus.jsonl"], 1)
    width = max(len(name) for name in results)
    print(
        f"{'input':<{width}}  {'docs':>7} {'bad':>4} {'seconds':>8} {'docs/s':>8} {'MB/s':>6} {'peak RSS MB':>11}"
    )
    for name, r in results.items():
        print(
            f"{name:<{width}}  {r['docs']:>7} {r['bad']:>4} {r['seconds']:>8} "
            f"{r['docs_per_s']:>8} {r['mb_per_s']:>6} {r['peak_rss_mb']:>11}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
