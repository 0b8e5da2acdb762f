"""Technique corrections in German reach the German head (#19): a measured check.

Draws `--articles` German SemEval-2023 Task 3 train articles (seeded), stores them in a real
Narrascope database as German documents with their USE sentence vectors and the technique
labels the `--plain` model (a folder written by `narrascope train techniques --out DIR`, no
corrections) shows on them, and answers every stored label as an analyst who knows the gold
spans would: accept where a gold span of that technique overlaps the label's sentence, reject
where none does, and add each gold span whose technique no stored label covers. Then it runs
`train techniques --corrections DB --out OUT` (the project's path) and compares, on the cells
the verdicts rule on (sentence, technique, as `train` reads them), the decisions of the head
each model reads German with before and after, and whether the other heads stayed put.

The corrected articles are train articles, so the refit sees their gold twice (once as
labelled data, once as 5x verdicts): this checks that the verdicts reach the German head and
move it their way, not what they buy on unseen articles.

    SOURCE_DATE_EPOCH=$(date -u -d 2026-12-07 +%s) PYTHONPATH=src nice -n 10 python \\
        benchmarks/technique_corrections.py --data ../shared/data/semeval2023_task3 \\
        --plain /tmp/corrlang2/plain --out /tmp/corrlang2/de --articles 10
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.encode import default_encoder
from narrascope.heads import LinearHead
from narrascope.model import Annotation, CorrectionRefused, Document, SourceRef
from narrascope.review import Review
from narrascope.store import Store
from narrascope.text import segment
from narrascope.training import semeval2023, train
from narrascope.training.techniques import read_corrections

FOLDER, LANGUAGE = "ge", "de"


def build_store(db: Path, t3: Path, ids: list[str], analyzer: TechniqueAnalyzer, encoder) -> dict:
    """The drawn articles with the plain model's labels, and the simulated analyst's verdicts."""
    articles = semeval2023.read_articles(t3, FOLDER, "train", 3)
    spans = semeval2023.read_spans(t3, FOLDER, "train", articles)
    counts = {"accept": 0, "reject": 0, "add": 0, "refused": 0}
    with Store.open(str(db), create=True) as store:
        review = Review(store)
        for article_id in ids:
            source = SourceRef(f"semeval2023_task3/{FOLDER}/train/article{article_id}.txt")
            doc = segment(Document(articles[article_id].text, source, language=LANGUAGE))
            vectors = encoder.encode(doc.sentence_texts())
            anns = analyzer.analyze(doc, vectors)
            store.add(
                doc, anns, vectors=vectors, encoder=encoder.name, analyzers=[analyzer.version]
            )
            gold = spans.get(article_id, [])
            covered: set[tuple[str, int, int]] = set()
            for row, ann in store.corrections.annotated(doc.id):
                hits = [g for g in gold if g[0] == ann.label and _overlaps(g[1:], ann)]
                covered.update(hits)
                action = "accept" if hits else "reject"
                review.correct(action, user="analyst", annotation_id=row)
                counts[action] += 1
            for label, start, end in sorted(set(gold) - covered, key=lambda g: g[1:]):
                try:
                    review.correct(
                        "add", user="analyst", doc_id=doc.id, layer="technique", label=label,
                        start=start, end=end,
                    )  # fmt: skip
                    counts["add"] += 1
                except CorrectionRefused:  # overlaps a span of the same label already added
                    counts["refused"] += 1
    return counts


def _overlaps(span: tuple[int, int], ann: Annotation) -> bool:
    assert ann.start is not None and ann.end is not None
    return span[0] < ann.end and ann.start < span[1]


def agreement(models: Path, encoder, x: np.ndarray, y: np.ndarray, ruled: np.ndarray) -> dict:
    """How the German-reading head's decisions on the ruled cells match the verdicts."""
    analyzer = TechniqueAnalyzer.load(encoder, models=models)
    shown = analyzer.head_for(LANGUAGE).score(x) >= analyzer.thresholds(LANGUAGE)
    holds, fails = ruled & (y == 1), ruled & (y == 0)
    return {
        "cells": int(ruled.sum()),
        "agree": int((shown == (y == 1))[ruled].sum()),
        "shown_where_holds": f"{int(shown[holds].sum())}/{int(holds.sum())}",
        "shown_where_rejected": f"{int(shown[fails].sum())}/{int(fails.sum())}",
        "shown_on_corrected_sentences": int(shown.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the semeval2023_task3 bundle")
    parser.add_argument("--plain", type=Path, required=True, help="model folder, no corrections")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.time()
    encoder = default_encoder()
    plain = TechniqueAnalyzer.load(encoder, models=args.plain)
    every = sorted(semeval2023.read_articles(args.data, FOLDER, "train", 3))
    ids = sorted(random.Random(args.seed).sample(every, args.articles))
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "corrections-de.db"
    db.unlink(missing_ok=True)
    counts = build_store(db, args.data, ids, plain, encoder)
    report = train("techniques", args.data, out=args.out, corrections=str(db))
    corrected = read_corrections(str(db), encoder.name)
    cells = (corrected.x, corrected.y, corrected.ruled)
    before = LinearHead.from_file(args.plain / "techniques-v5.safetensors")
    after = LinearHead.from_file(args.out / "techniques-v5.safetensors")
    outcome = {
        "articles": ids,
        "verdicts": counts,
        "corrections_by_language": corrected.by_language,
        "kept_before": sorted(before.info.get("languages", {})),
        "kept_after": sorted(after.info.get("languages", {})),
        "cv_scores_equal": _cv_scores(args.plain) == _cv_scores(args.out),
        "de_head_changed": not np.array_equal(
            before.extra["weights.de"], after.extra["weights.de"]
        ),
        "it_head_identical": all(
            np.array_equal(before.extra[f"{k}.it"], after.extra[f"{k}.it"])
            for k in ("weights", "bias", "thresholds")
        ),
        "pooled_changed": not np.array_equal(before.weights, after.weights),
        "before": agreement(args.plain, encoder, *cells),
        "after": agreement(args.out, encoder, *cells),
        "card_lines": [line for line in report.lines if "correction" in line.lower()],
        "seconds": round(time.time() - started),
        "load": os.getloadavg()[0],
    }
    print(json.dumps(outcome, indent=1))


def _cv_scores(models: Path) -> list[str]:
    """The card's CV score lines (`cv_...: value`), which corrections must leave alone."""
    card = (models / "techniques-v5.md").read_text(encoding="utf-8")
    return [line.strip() for line in card.splitlines() if line.strip().startswith("cv_")]


if __name__ == "__main__":
    main()
