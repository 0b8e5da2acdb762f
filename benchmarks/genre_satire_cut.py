"""The satire cut: how often real web pages are called satire, against what T3 CV loses.

Pre-registered in RESULTS.md ("Satire on real web pages: the satire cut"). Two inputs:
- a Narrascope database in which the genre analyzer read the benchmark pages (each genre
  label keeps its three probabilities in `attrs.scores`); pages are split by the folder they
  came from: the extraction benchmark chooses the cut, the date benchmark checks it;
- the T3 train split, for out-of-fold probabilities (`training.genre.out_of_fold`, seed 13).

    narrascope analyze ../shared/data/article-extraction-benchmark/html \
        ../shared/data/date-extraction-benchmark/html --only stats --only genre --db pages.db
    PYTHONPATH=src .venv/bin/python benchmarks/genre_satire_cut.py --pages-db pages.db \
        --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import choose_genre
from narrascope.encode import default_encoder
from narrascope.training import semeval2023
from narrascope.training.genre import (
    CACHE,
    SATIRE_GATE,
    _weights,
    cross_fitted_confidence,
    genre_documents,
    out_of_fold,
)
from narrascope.training.semeval2023 import GENRES
from narrascope.training.vectors import VectorCache

CUTS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01)  # 1.01: never
CHOOSE, CHECK = "article-extraction-benchmark", "date-extraction-benchmark"


def page_probabilities(db: Path, choose: str = CHOOSE) -> dict[str, np.ndarray]:
    """Per benchmark (`CHOOSE`, `CHECK`), the (pages, 3) genre probabilities stored there; a
    page belongs to the choosing set when its location holds `choose`."""
    rows = sqlite3.connect(db).execute(
        "SELECT d.location, a.attrs FROM annotations a JOIN documents d ON d.id = a.doc_id"
        " WHERE a.layer = 'genre'"
    )
    found: dict[str, list[list[float]]] = {CHOOSE: [], CHECK: []}
    for location, attrs in rows:
        scores = json.loads(attrs)["scores"]
        bench = CHOOSE if choose in location else CHECK
        found[bench].append([scores[g] for g in GENRES])
    return {bench: np.array(p) for bench, p in found.items()}


def satire_rate(probabilities: np.ndarray, cut: float) -> tuple[int, float]:
    """How many rows show satire at `cut`, and their share."""
    shown = choose_genre(probabilities, np.array([0.0, 0.0, cut]))
    n = int((shown == GENRES.index("satire")).sum())
    return n, n / max(len(probabilities), 1)


def cv_at(calibrated: np.ndarray, docs, cut: float) -> dict[str, float]:
    """Out-of-fold macro-F1 per language and satire precision / recall at `cut`."""
    shown = choose_genre(calibrated, np.array([0.0, 0.0, cut]))
    predicted = [GENRES[k] for k in shown]
    out: dict[str, float] = {}
    for folder in sorted(set(docs.folders)):
        rows = [i for i, f in enumerate(docs.folders) if f == folder]
        gold = {docs.ids[i]: docs.labels[i][0] for i in rows}
        guess = {docs.ids[i]: predicted[i] for i in rows}
        out[folder] = semeval2023.genre_macro_f1(gold, guess)
    truth = np.array([lab[0] == "satire" for lab in docs.labels])
    said = np.array([p == "satire" for p in predicted])
    english = np.array([f == "en" for f in docs.folders])
    for name, rows in (("all", np.ones(len(truth), bool)), ("en", english)):
        hits = int((said & truth & rows).sum())
        out[f"satire_p_{name}"] = hits / max(int((said & rows).sum()), 1)
        out[f"satire_r_{name}"] = hits / max(int((truth & rows).sum()), 1)
    return out


def floor_report(calibrated: np.ndarray, docs, held_out, pages_db: Path, floor: float) -> None:
    """What a floor on the stored score removes: T3 CV articles and benchmark pages."""
    labels = [lab[0] for lab in docs.labels]
    truth = np.array([GENRES.index(lab) for lab in labels])
    shown = choose_genre(calibrated, SATIRE_GATE)
    confidence = cross_fitted_confidence(
        calibrated, shown, truth, _weights(labels, docs.folders), held_out
    )
    right = shown == truth
    for name, rows in (("all", np.ones(len(truth), bool)), ("en", np.array(docs.folders) == "en")):
        kept, dropped = rows & (confidence >= floor), rows & (confidence < floor)
        print(
            f"CV {name}: {dropped.sum()} of {rows.sum()} articles ({dropped.sum() / rows.sum():.1%})"
            f" lose their genre; accuracy of kept {right[kept].mean():.3f}, of dropped "
            f"{right[dropped].mean() if dropped.any() else float('nan'):.3f}"
        )
    scores = [
        s
        for (s,) in sqlite3.connect(pages_db).execute(
            "SELECT score FROM annotations WHERE layer = 'genre'"
        )
    ]
    low = sum(s < floor for s in scores)
    print(
        f"pages: {low} of {len(scores)} genre labels ({low / max(len(scores), 1):.1%}) below {floor}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages-db", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--choose", default=CHOOSE, help="what the choosing set's paths hold")
    parser.add_argument("--floor", type=float, help="report a floor on the stored score instead")
    args = parser.parse_args()
    # T3 train, out of fold (seed 13, 5 folds), as the card's CV
    docs = genre_documents(args.data, VectorCache(CACHE, default_encoder()))
    _, calibrated, held_out = out_of_fold(docs, [lab[0] for lab in docs.labels], 13, 5)
    if args.floor is not None:
        floor_report(calibrated, docs, held_out, args.pages_db, args.floor)
        return
    pages = page_probabilities(args.pages_db, args.choose)
    print(f"genre-labelled pages: choosing {len(pages[CHOOSE])}, checking {len(pages[CHECK])}")
    chosen = next(c for c in CUTS if satire_rate(pages[CHOOSE], c)[1] <= 0.01)
    print(
        "cut   choosing      checking      CV macro-F1 en / all-language mean   satire P/R all, en"
    )
    for cut in CUTS:
        a, b = satire_rate(pages[CHOOSE], cut), satire_rate(pages[CHECK], cut)
        cv = cv_at(calibrated, docs, cut)
        mean = float(np.mean([cv[f] for f in sorted(set(docs.folders))]))
        print(
            f"{'never' if cut > 1 else f'{cut:.2f}'}  {a[0]:3d} ({a[1]:.1%})  {b[0]:3d} ({b[1]:.1%})"
            f"   {cv['en']:.4f} / {mean:.4f}   {cv['satire_p_all']:.2f}/{cv['satire_r_all']:.2f},"
            f" {cv['satire_p_en']:.2f}/{cv['satire_r_en']:.2f}"
            + ("   <- chosen" if cut == chosen else "")
        )
    verdict = satire_rate(pages[CHECK], chosen)[1] <= 0.02
    print(
        f"chosen cut {'never' if chosen > 1 else chosen}; checking set "
        f"{satire_rate(pages[CHECK], chosen)[1]:.1%}: {'ships' if verdict else 'satire never shown'}"
    )


if __name__ == "__main__":
    main()
