"""Language identification on articles whose language is known: the candidate set and mode.

Reads the SemEval-2023 Task 3 train articles (en, fr, de, it, pl, ru) and the SemEval-2025
Task 10 train documents (bg, en, hi, pt, ru) by path, and scores `LanguageIdentifier` on the
whole opening (3,000 characters) and on the first 200 characters, with time per text.
With `--pages`, also the benchmark HTML pages (extraction and date benchmarks): where the
language a page declares (`<html lang>`) and the one its cleaned text reads as differ, each
disagreement with the text's opening, and what `LanguageIdentifier.resolve` keeps.

    PYTHONPATH=src .venv/bin/python benchmarks/language_id.py --data ../shared/data [--pages]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import time
from collections import Counter
from pathlib import Path

from narrascope.clean import clean
from narrascope.ingest.html import read_html
from narrascope.model import BadInput
from narrascope.text.language import DEFAULT_LANGUAGES, LanguageIdentifier

T3 = {"en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru"}
T10 = {"BG": "bg", "EN": "en", "HI": "hi", "PT": "pt", "RU": "ru"}


def labelled_texts(data: Path, per_language: int) -> list[tuple[str, str]]:
    """(language, text) pairs: up to `per_language` articles per language and set."""
    pairs = []
    for folder, code in T3.items():
        files = sorted(
            (data / "semeval2023_task3/data" / folder / "train-articles-subtask-3").glob("*.txt")
        )
        pairs += [(code, f.read_text(encoding="utf-8")) for f in files[:per_language]]
    for folder, code in T10.items():
        files = sorted((data / "semeval2025_task10/train" / folder / "raw-documents").glob("*.txt"))
        pairs += [(code, f.read_text(encoding="utf-8")) for f in files[:per_language]]
    return [(code, text) for code, text in pairs if text.strip()]


def declared_vs_text(data: Path, identifier: LanguageIdentifier) -> None:
    """Every benchmark page whose declared language and text's language differ."""
    pages = sorted((data / "article-extraction-benchmark/html").glob("*.html.gz"))
    pages += sorted((data / "date-extraction-benchmark/html").glob("*.html.gz"))
    counts: Counter[str] = Counter()
    for path in pages:
        try:
            doc = clean(read_html(str(path), gzip.decompress(path.read_bytes())))
        except BadInput:  # nothing left after cleaning: no language to name
            counts["no text"] += 1
            continue
        read = identifier.identify(doc.text)
        kept = identifier.resolve(doc.text, doc.language)
        if doc.language is None or read == doc.language:
            counts["agree" if doc.language else "nothing declared"] += 1
            continue
        counts["differ"] += 1
        opening = " ".join(doc.text[:70].split())
        print(f"  {path.name[:16]}  declared {doc.language}, text {read}, kept {kept}: {opening}")
    print(f"{len(pages)} pages: {dict(counts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--per-language", type=int, default=60)
    parser.add_argument("--languages", nargs="*", help="candidate set (default: the shipped one)")
    parser.add_argument("--high-accuracy", action="store_true", help="lingua's n-grams up to 5")
    parser.add_argument("--pages", action="store_true", help="declared vs text on HTML pages")
    args = parser.parse_args()
    pairs = labelled_texts(args.data, args.per_language)
    identifier = LanguageIdentifier(
        args.languages or DEFAULT_LANGUAGES, low_accuracy=not args.high_accuracy
    )
    identifier.identify("warm up")
    for chars in (3000, 1000, 200):
        wrong: Counter[tuple[str, str | None]] = Counter()
        started = time.perf_counter()
        for code, text in pairs:
            found = identifier.identify(text[:chars])
            if found != code:
                wrong[(code, found)] += 1
        took = time.perf_counter() - started
        right = 1 - sum(wrong.values()) / len(pairs)
        print(
            f"{chars} chars: {len(pairs)} texts, accuracy {right:.4f}, "
            f"{took / len(pairs) * 1000:.1f} ms a text; wrong: {dict(wrong.most_common(8))}"
        )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    if args.pages:
        declared_vs_text(args.data, identifier)


if __name__ == "__main__":
    main()
