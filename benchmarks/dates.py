"""Publication-date accuracy and speed on the htmldate Media Cloud 2020 benchmark (200 pages).

Runs every page of DATA_DIR through `narrascope.clean.clean` (the page's URL given, as a crawl
would) and compares `Document.published` with the gold date at day precision, scored as
htmldate's evaluation does: a right date is a true positive, a wrong one a false positive, a
missing one a false negative, and no date where the gold has none (NaN) a true negative;
accuracy = (tp + tn) / all, precision = tp / (tp + fp), recall = tp / (tp + fn).

    .venv/bin/python benchmarks/dates.py ../shared/data/date-extraction-benchmark
    .venv/bin/python benchmarks/dates.py DATA_DIR --htmldate   # htmldate alone, for comparison
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def score(gold: Mapping[str, str | None], found: Mapping[str, str | None]) -> dict[str, float]:
    """htmldate's evaluation counts over day-precision dates ("YYYY-MM-DD" or None)."""
    tp = fp = fn = tn = 0
    for key, truth in gold.items():
        guess = found.get(key)
        if guess is None:
            tn, fn = (tn + 1, fn) if truth is None else (tn, fn + 1)
        elif guess == truth:
            tp += 1
        else:
            fp += 1
    total = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": (tp + tn) / total if total else 0.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def load_gold(data: Path) -> dict[str, dict]:
    """{url: {"file": ..., "date": "YYYY-MM-DD" or None}}; the file's NaN dates become None."""
    entries = json.loads((data / "eval_mediacloud_2020.json").read_text(encoding="utf-8"))
    for entry in entries.values():
        date = entry.get("date")
        if date is None or (isinstance(date, float) and math.isnan(date)):
            entry["date"] = None
    return entries


def read_page(data: Path, name: str) -> str:
    raw = gzip.decompress((data / "html" / f"{name}.gz").read_bytes())
    from charset_normalizer import from_bytes

    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(raw).best()
        return str(best) if best is not None else raw.decode("utf-8", errors="replace")


def dates_by_clean(data: Path, gold: Mapping[str, dict]) -> tuple[dict[str, str | None], float]:
    from narrascope.clean import clean
    from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef

    found: dict[str, str | None] = {}
    seconds = 0.0
    for url, entry in gold.items():
        html = read_page(data, entry["file"])
        raw = RawDocument(SourceRef(entry["file"]), html, InputFormat.HTML, url=url)
        start = time.perf_counter()
        try:
            published = clean(raw).published
        except BadInput:
            published = None
        seconds += time.perf_counter() - start
        found[url] = published.strftime("%Y-%m-%d") if published else None
    return found, seconds


def dates_by_htmldate(data: Path, gold: Mapping[str, dict]) -> tuple[dict[str, str | None], float]:
    from htmldate import find_date

    found: dict[str, str | None] = {}
    seconds = 0.0
    for url, entry in gold.items():
        html = read_page(data, entry["file"])
        start = time.perf_counter()
        found[url] = find_date(html, url=url, original_date=True, extensive_search=True)
        seconds += time.perf_counter() - start
    return found, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the date-extraction-benchmark folder")
    parser.add_argument("--htmldate", action="store_true", help="score htmldate.find_date alone")
    parser.add_argument("--errors", action="store_true", help="list the pages we got wrong")
    args = parser.parse_args(argv)
    gold = load_gold(args.data)
    extract = dates_by_htmldate if args.htmldate else dates_by_clean
    found, seconds = extract(args.data, gold)
    result = score({url: e["date"] for url, e in gold.items()}, found)
    label = "htmldate.find_date (extensive, original)" if args.htmldate else "narrascope.clean"
    if args.errors:
        for url, entry in gold.items():
            if found.get(url) != entry["date"]:
                print(f"  gold {entry['date']}  found {found.get(url)}  {entry['file']}  {url}")
    print(
        f"{label} on {len(gold)} pages: accuracy {result['accuracy']:.3f}  "
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
        f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']})\n"
        f"throughput {len(gold) / seconds:.1f} docs/s ({seconds:.1f} s, 1 process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
