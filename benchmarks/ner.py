"""Speed of named-entity recognition and of the entity and quote analyzers, in words per second.

Runs the five example articles, repeated, through spaCy's NER alone (the component the
entity analyzer loads), then through `EntityAnalyzer.analyze` (NER + grouping mentions into
entities) and `QuoteAnalyzer.analyze` on the entity annotations. Threads are capped at the
machine's cores (2 here).

    .venv/bin/python benchmarks/ner.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="passes over the five articles")
    args = parser.parse_args()

    from narrascope.analyzers.entities import EntityAnalyzer
    from narrascope.analyzers.quotes import QuoteAnalyzer
    from narrascope.model import Document, SourceRef
    from narrascope.text import segment

    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    docs = [segment(Document(text=t, source=SourceRef("bench"), language="en")) for t in texts]
    words = sum(doc.word_count for doc in docs) * args.repeat
    no_vectors = np.zeros((0, 512), dtype=np.float32)

    started = time.perf_counter()
    entities = EntityAnalyzer.load()
    quotes = QuoteAnalyzer.load()
    load_seconds = time.perf_counter() - started

    nlp = entities.english.nlp  # type: ignore[union-attr]
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            nlp(text)
    ner_seconds = time.perf_counter() - started

    started = time.perf_counter()
    priors = []
    for _ in range(args.repeat):
        priors = [entities.analyze(doc, no_vectors) for doc in docs]
    entity_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for _ in range(args.repeat):
        for doc, prior in zip(docs, priors, strict=True):
            quotes.analyze(doc, no_vectors, prior=tuple(prior))
    quote_seconds = time.perf_counter() - started

    print(f"cores: {os.cpu_count()}, words: {words} ({len(docs)} articles x {args.repeat})")
    print(f"model load: {load_seconds:.1f} s (spaCy en_core_web_md NER + natasha)")
    print(f"spaCy NER alone:        {words / ner_seconds:8.0f} words/s")
    print(f"EntityAnalyzer.analyze: {words / entity_seconds:8.0f} words/s")
    print(f"QuoteAnalyzer.analyze:  {words / quote_seconds:8.0f} words/s")


if __name__ == "__main__":
    main()
