"""Does a technique head per language beat the pooled one? (issue 16: T3-ST3 EN and RU)

Measures, ships nothing. The fast technique head's measured path (`techniques.train`:
`features`, `fit_sigmoid` L2 1e-3 out of fold, Platt and operating rule cross-fitted with the
rule chosen by nested CV = the shipped rule; techniques-v1's F1-tuned cuts beside it) run two
ways on the same outer folds (all six languages' T3 train articles, grouped by article, 5
folds, seed 13):

  (P) pooled        today's fit on every language (what the techniques-v4 card measures)
  (L) own head      for each language, the whole recipe on that language's rows alone, over
                    the outer folds restricted to it
  (S) own or pooled, chosen inside CV, for the languages that pass stage 1 only: for outer
                    fold k and language g, the own head's decisions if its shipped-rule
                    micro-F1 over g's lines in the other folds is >= the pooled head's there

Scores: official T3-ST3 micro-F1 by line per language and outer fold (mean over folds is the
rule's measure), and over all of a language's articles. Rule: benchmarks/RESULTS.md,
"Techniques: a head per language vs the pooled head". JSON to --out.

Usage: PYTHONPATH=src python benchmarks/techniques_per_language.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from e5_probe import T3, uptime

from narrascope.encode import UniversalSentenceEncoder
from narrascope.training import semeval2023, techniques
from narrascope.training.fit import grouped_folds
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.technique_languages import (
    MIN_GAIN,
    Decisions,
    compare,
    decide,
    fold_micro_f1,
    subset,
)
from narrascope.training.vectors import VectorCache

SEED, FOLDS = 13, 5


def rules(decisions: Decisions) -> list[str]:
    """The shipped rule each outer fold chose."""
    return [r.describe() for r in decisions.crossed.rules]


def chosen(decisions: Decisions, rule: str) -> np.ndarray:
    """The decisions of `rule`: "shipped" (nested-CV rule) or "v1" (F1-tuned cuts)."""
    return decisions.crossed.shown if rule == "shipped" else decisions.v1


def micro_macro(corpus: techniques.Corpus, shown: np.ndarray, folder: str) -> tuple[float, float]:
    """Official T3-ST3 micro/macro-F1 over all of `folder`'s lines."""
    predicted = techniques.line_predictions(corpus, shown, folder)
    return semeval2023.multilabel_f1(corpus.line_labels[folder], predicted, TECHNIQUES)


def summary(per_fold: list[float], corpus, shown, folder: str) -> dict[str, object]:
    micro, macro = micro_macro(corpus, shown, folder)
    return {
        "folds": [round(f, 4) for f in per_fold],
        "mean": round(float(np.mean(per_fold)), 4),
        "micro_all": round(micro, 4),
        "macro_all": round(macro, 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/techniques_per_language.json"))
    parser.add_argument("--languages", nargs="+", help="folders (a smoke test; default all six)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(f"start; {uptime()}", flush=True)
    store = VectorCache(techniques.CACHE, UniversalSentenceEncoder())
    corpus = techniques.load_corpus(T3, "train", store=store, languages=args.languages)
    folds = grouped_folds(corpus.groups(), FOLDS, SEED)
    folders = np.array(corpus.folders)
    languages = list(corpus.line_labels)
    print(f"{len(corpus.y)} train sentences, {languages}; {uptime()}", flush=True)

    pooled = decide(corpus, folds, techniques.L2)
    print(f"(P) done, {time.perf_counter() - start:.0f} s; {uptime()}", flush=True)
    report: dict[str, object] = {"pooled_rules": rules(pooled), "languages": {}}
    for g in languages:
        rows = np.flatnonzero(folders == g)
        mine = subset(corpus, rows, g)
        local = [np.searchsorted(rows, np.intersect1d(held, rows)) for held in folds]
        own = decide(mine, local, techniques.L2)
        entry: dict[str, object] = {"sentences": len(rows), "own_rules": rules(own)}
        delta: dict[str, float] = {}
        ahead: dict[str, int] = {}
        for rule in ("shipped", "v1"):
            p_folds = [fold_micro_f1(corpus, chosen(pooled, rule), h, g) for h in folds]
            l_folds = [fold_micro_f1(mine, chosen(own, rule), h, g) for h in local]
            entry[f"P_{rule}"] = summary(p_folds, corpus, chosen(pooled, rule), g)
            entry[f"L_{rule}"] = summary(l_folds, mine, chosen(own, rule), g)
            delta[rule] = float(np.mean(l_folds) - np.mean(p_folds))
            ahead[rule] = int(sum(b > a for a, b in zip(p_folds, l_folds, strict=True)))
            entry[f"delta_{rule}"], entry[f"ahead_{rule}"] = round(delta[rule], 4), ahead[rule]
        entry["stage1"] = compare(corpus, pooled, mine, own, folds, local, g).kept()
        if entry["stage1"]:
            entry["stage2"] = select(corpus, pooled, mine, own, rows, folds, local, g)
        report["languages"][g] = entry  # type: ignore[index]
        print(json.dumps({g: entry}), "|", uptime(), flush=True)
    report["seconds"] = round(time.perf_counter() - start)
    report["load_end"] = uptime()
    args.out.write_text(json.dumps(report, indent=1))
    print(f"done, {report['seconds']} s; {uptime()}", flush=True)


def select(
    corpus: techniques.Corpus,
    pooled: Decisions,
    mine: techniques.Corpus,
    own: Decisions,
    rows: np.ndarray,
    folds: list[np.ndarray],
    local: list[np.ndarray],
    g: str,
) -> dict[str, object]:
    """(S) for language `g`: per outer fold, own or pooled by the shipped-rule micro-F1 over
    g's lines in the other folds; then both rules scored with those choices."""
    choices = []
    for k in range(len(folds)):
        elsewhere_pooled = np.setdiff1d(rows, folds[k])
        elsewhere_own = np.setdiff1d(np.arange(len(rows)), local[k])
        own_there = fold_micro_f1(mine, own.crossed.shown, elsewhere_own, g)
        pooled_there = fold_micro_f1(corpus, pooled.crossed.shown, elsewhere_pooled, g)
        choices.append("own" if own_there >= pooled_there else "pooled")
    out: dict[str, object] = {"choices": choices}
    delta: dict[str, float] = {}
    for rule in ("shipped", "v1"):
        selected = chosen(pooled, rule).copy()
        for k, choice in enumerate(choices):
            if choice == "own":
                selected[rows[local[k]]] = chosen(own, rule)[local[k]]
        s_folds = [fold_micro_f1(corpus, selected, h, g) for h in folds]
        p_folds = [fold_micro_f1(corpus, chosen(pooled, rule), h, g) for h in folds]
        out[f"S_{rule}"] = summary(s_folds, corpus, selected, g)
        delta[rule] = float(np.mean(s_folds) - np.mean(p_folds))
        out[f"delta_{rule}"] = round(delta[rule], 4)
    out["holds"] = delta["shipped"] >= MIN_GAIN and delta["v1"] >= 0
    return out


if __name__ == "__main__":
    sys.exit(main())
