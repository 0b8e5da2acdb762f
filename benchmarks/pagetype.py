"""Page type (#15): how many article pages are wrongly called not-articles, and what it costs.

Cleans every page of the article sets (the extraction and date benchmarks' HTML, the Kazakhstan
examples, the SemEval-2023 task 3 train articles of every language, and as further plain-text
news the SemEval-2025 task 10 and SemEval-2020 PTC train articles) and the not-article test
pages in `tests/data/pages/`, and counts the decisions per set. Every article page called
something else is listed with its reason. The decision's own time is measured apart from
cleaning (it runs again on the clean document).

    .venv/bin/python benchmarks/pagetype.py ../shared/data
    .venv/bin/python benchmarks/pagetype.py ../shared/data --markdown   # the RESULTS.md table
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from narrascope.clean import clean
from narrascope.clean.pagetype import decide_page_type
from narrascope.model import BadInput, InputFormat, PageType, RawDocument, SourceRef

ROOT = Path(__file__).resolve().parents[1]

Page = tuple[str, RawDocument]  # (set name, raw page)


def article_pages(data: Path) -> Iterator[Page]:
    """Every article page: (set name, raw document), HTML with its URL where the set gives one."""
    extraction = data / "article-extraction-benchmark"
    urls = json.loads((extraction / "ground-truth.json").read_text(encoding="utf-8"))
    for path in sorted((extraction / "html").glob("*.html.gz")):
        key = path.name.split(".")[0]
        yield "extraction benchmark", _html(path, urls.get(key, {}).get("url"))
    dates = data / "date-extraction-benchmark"
    gold = json.loads((dates / "eval_mediacloud_2020.json").read_text(encoding="utf-8"))
    url_of = {entry["file"]: url for url, entry in gold.items()}
    for path in sorted((dates / "html").glob("*.html.gz")):
        yield "date benchmark", _html(path, url_of.get(path.name))
    for path in sorted((ROOT / "examples" / "kazakhstan-2022").glob("*.txt")):
        yield "kazakhstan examples", _text(path)
    for path in sorted((ROOT / "tests" / "data" / "leaked").iterdir()):
        raw = _html(path, None, gzipped=False) if path.suffix == ".html" else _text(path)
        yield "test articles with leaked script text", raw
    for folder in sorted((data / "semeval2023_task3" / "data").glob("*/train-articles-subtask-1")):
        for path in sorted(folder.glob("*.txt")):
            yield f"semeval2023 {folder.parent.name} train", _text(path)
    for folder in sorted((data / "semeval2025_task10" / "train").glob("*/raw-documents")):
        for path in sorted(folder.glob("*.txt")):
            yield f"semeval2025 {folder.parent.name} train", _text(path)
    for path in sorted(
        (data / "semeval2020_task11_ptc" / "datasets" / "train-articles").glob("*.txt")
    ):
        yield "semeval2020 PTC train", _text(path)


def not_article_pages() -> Iterator[Page]:
    for path in sorted((ROOT / "tests" / "data" / "pages").glob("*.html")):
        yield "test pages (not articles)", _html(path, None, gzipped=False)


def _html(path: Path, url: str | None, *, gzipped: bool = True) -> RawDocument:
    data = path.read_bytes()
    html = (gzip.decompress(data) if gzipped else data).decode("utf-8", "replace")
    return RawDocument(SourceRef(str(path)), html, InputFormat.HTML, url=url)


def _text(path: Path) -> RawDocument:
    return RawDocument(SourceRef(str(path)), path.read_text(encoding="utf-8"), InputFormat.TEXT)


@dataclass
class Outcome:
    """Decisions per set, the wrong calls on article pages, the not-articles missed, timing."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    decided: int = 0


def run(data: Path) -> Outcome:
    """Clean and decide every page."""
    out = Outcome()
    counts, wrong, missed, unreadable = out.counts, out.wrong, out.missed, out.unreadable
    pages = [(name, raw, True) for name, raw in article_pages(data)]
    pages += [(name, raw, False) for name, raw in not_article_pages()]
    for name, raw, is_article in pages:
        tally = counts.setdefault(name, Counter())
        try:
            doc = clean(raw)
        except BadInput as exc:
            tally["unreadable"] += 1  # cleaning refused it: not stored, so no page type
            unreadable.append(f"{name}: {exc}")
            continue
        started = time.perf_counter()
        decision = decide_page_type(doc)
        out.seconds += time.perf_counter() - started
        out.decided += 1
        tally[str(decision.type)] += 1
        where = f"{name}: {Path(raw.source.location).name} ({doc.url or 'no URL'})"
        if is_article and not decision.is_article:
            wrong.append(f"{where}\n    title {doc.title!r}\n    {decision.reason}")
        elif not is_article and decision.is_article:
            missed.append(where)
    return out


def table(counts: dict[str, Counter[str]]) -> str:
    kinds = [str(kind) for kind in PageType]
    head = "| set | pages | unreadable | " + " | ".join(kinds) + " |"
    rule = "|---" * (len(kinds) + 3) + "|"
    rows = [head, rule]
    for name, tally in counts.items():
        total = sum(tally.values())
        cells = [str(tally.get(kind, 0) or "") for kind in kinds]
        rows.append(
            f"| {name} | {total} | {tally.get('unreadable', 0) or ''} | " + " | ".join(cells) + " |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("--markdown", action="store_true", help="print only the table")
    args = parser.parse_args()
    out = run(args.data)
    print(table(out.counts))
    if args.markdown:
        return
    articles = sum(
        sum(t.values()) - t.get("unreadable", 0)
        for name, t in out.counts.items()
        if "not articles" not in name
    )
    print(f"\narticle pages called not-articles: {len(out.wrong)} of {articles}")
    for line in out.wrong:
        print(f"  {line}")
    print(f"not-article test pages called articles: {len(out.missed)}")
    for line in out.missed:
        print(f"  {line}")
    print(f"unreadable (cleaning refused, not stored): {len(out.unreadable)}")
    for line in out.unreadable:
        print(f"  {line}")
    ms = 1000 * out.seconds / max(out.decided, 1)
    print(f"decision time: {ms:.2f} ms a page ({out.decided} pages)")


if __name__ == "__main__":
    main()
