"""Does a narrative head per language beat the pooled one? (issue 16 item 4, issue 15: T10 EN)

Measures, ships nothing. The recipe of `narratives.train` (mean+max features, logistic C=10,
definition-similarity blend chosen among `BLENDS` with `BLEND_TOLERANCE`, the operating rule
`CHOSEN` picked by nested CV: `nested_cut_rules`) run two ways on the same outer folds (all
five languages' annotated train articles, grouped by article, 5 folds, seed 13):

  (P) pooled        today's fit on every language (what `train` measures in the card)
  (L) per language  for each language with >= MIN_ARTICLES annotated articles, the whole recipe
                    (head, similarity calibration, blend, Platt, nested cut rule) on that
                    language's articles alone, over the outer folds restricted to it; other
                    languages keep (P)'s decisions.
  (S) own or pooled per language, chosen inside each outer fold: for outer fold k and
                    language g, the own head's decisions if its nested fine samples-F1 over g's
                    articles in the other folds is >= the pooled head's there, else (P)'s;
                    fold k's own scores never enter its choice.

Prints per language and over all articles: nested coarse and fine samples-F1 (over articles,
and the mean over the 5 folds), shown precision, and the rule's verdict; JSON to --out.

Usage: PYTHONPATH=src python benchmarks/narratives_per_language.py [--out FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narrascope.analyzers.narratives import OTHER, article_features, head_labels, read_taxonomy
from narrascope.encode import default_encoder
from narrascope.training import narratives as nr
from narrascope.training.calibrate import apply_platt, fit_platt_all
from narrascope.training.fit import fit_calibration, fit_logistic, grouped_folds, rest_of
from narrascope.training.narrative_rules import (
    CHOSEN,
    PRECISION_TARGET,
    Decider,
    NestedResult,
)
from narrascope.training.narrative_scoring import BLEND_TOLERANCE, BLENDS

DATA = Path("/work/shared/data/semeval2025_task10")
SEED, FOLDS = 13, 5
MIN_ARTICLES = 200  # fewer annotated train articles: the language keeps the pooled head
LANGUAGES = ("BG", "EN", "HI", "PT", "RU")
RISE = 0.02  # English nested coarse and fine must each rise by this much over (P)
ENGLISH_SLACK = 0.005  # (S) may trail (L) in English nested coarse and fine by at most this


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def recipe(
    examples: Sequence[nr.Example],
    x: np.ndarray,
    y: np.ndarray,
    folds: list[np.ndarray],
    definitions: np.ndarray,
    labels: Sequence[str],
    taxonomy,
    decider: Decider,
) -> tuple[NestedResult, float]:
    """`train`'s measured path on these rows: out-of-fold head, blend, nested `CHOSEN` rule."""
    probabilities = np.zeros(y.shape, dtype=np.float32)
    for held in folds:
        rest = rest_of(held, len(y))
        weights, bias = fit_logistic(x[rest], y[rest], c=nr.C, seed=SEED)
        probabilities[held] = 1.0 / (1.0 + np.exp(-(x[held] @ weights + bias)))
    similarity = nr.definition_similarity(examples, definitions)
    named = [j for j, label in enumerate(labels) if label != OTHER]
    slope, intercept = fit_calibration(similarity[:, named], y[:, named], seed=SEED)
    similar = 1.0 / (1.0 + np.exp(-(slope * similarity + intercept)))
    is_other = np.array([label == OTHER for label in labels])
    by_blend = {}
    for blend in BLENDS:
        blended = np.where(is_other, probabilities, (1 - blend) * probabilities + blend * similar)
        calibrated = apply_platt(blended, *fit_platt_all(blended, y))
        _, s = nr.choose_thresholds(examples, taxonomy, labels, calibrated)
        by_blend[blend] = (s["f1_fine_official"], blended)
    best = max(v[0] for v in by_blend.values())
    blend = max(b for b, v in by_blend.items() if v[0] >= best - BLEND_TOLERANCE)
    candidates = {CHOSEN: nr.candidate_rules()[CHOSEN]}
    nested = nr.nested_cut_rules(decider, examples, y, by_blend[blend][1], folds, candidates)
    return nested[CHOSEN], blend


def measure(
    result: NestedResult, y: np.ndarray, rows: np.ndarray, folds: list[np.ndarray]
) -> dict[str, float]:
    """Nested measures over `rows`, and coarse/fine as the mean over the folds' rows."""
    m = result.measures(y, rows)
    per_fold = [np.intersect1d(held, rows) for held in folds]
    per_fold = [r for r in per_fold if len(r)]
    return {
        "coarse": m["f1_coarse"],
        "fine": m["f1_fine"],
        "coarse_fold_mean": float(np.mean([result.coarse[r].mean() for r in per_fold])),
        "fine_fold_mean": float(np.mean([result.fine[r].mean() for r in per_fold])),
        "precision": m["precision"],
        "shown_per_article": m["shown_per_article"],
        "articles": len(rows),
    }


def choose_per_fold(
    pooled: NestedResult,
    combined: NestedResult,
    rows_of: dict[str, np.ndarray],
    own: dict[str, dict[str, object]],
    folds: list[np.ndarray],
) -> tuple[NestedResult, dict[str, list[str]]]:
    """(S): per language and outer fold, the own head's decisions or the pooled head's.

    The choice for fold k compares the two heads' nested fine samples-F1 on the language's
    articles in the other folds (own kept on a tie); fold k's own scores never enter it.
    """
    selected = copy.deepcopy(pooled)
    choices: dict[str, list[str]] = {}
    for lang, mine in rows_of.items():
        if own[lang]["head"] != "own":
            choices[lang] = ["pooled"] * len(folds)
            continue
        choices[lang] = []
        for held in folds:
            scored = np.intersect1d(held, mine)
            elsewhere = np.setdiff1d(mine, held)
            own_is_better = combined.fine[elsewhere].mean() >= pooled.fine[elsewhere].mean()
            choices[lang].append("own" if own_is_better else "pooled")
            if own_is_better:
                for field in ("passes", "probabilities", "mask", "score", "coarse", "fine"):
                    getattr(selected, field)[scored] = getattr(combined, field)[scored]
    return selected, choices


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/narratives_per_language.json"))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(f"start; {uptime()}", flush=True)
    encoder = default_encoder()
    taxonomy = read_taxonomy()
    labels = head_labels(taxonomy)
    examples = [
        ex for ex in nr.read_split(DATA, "train", encoder=encoder, cache_dir=nr.CACHE) if ex.gold
    ]
    x = np.vstack([article_features(ex.encoded.vectors) for ex in examples])
    y = nr.targets(examples, labels)
    folds = grouped_folds([ex.encoded.article.id for ex in examples], FOLDS, SEED)
    definitions = encoder.encode(nr.definition_texts(taxonomy, labels))
    definitions[labels.index(OTHER)] = 0.0
    decider = Decider(labels, taxonomy)
    language = np.array([ex.language.upper() for ex in examples])
    rows_of = {lang: np.flatnonzero(language == lang) for lang in LANGUAGES}
    print(f"{len(examples)} annotated articles; {uptime()}", flush=True)

    pooled, pooled_blend = recipe(examples, x, y, folds, definitions, labels, taxonomy, decider)
    print(f"(P) done, blend {pooled_blend}, {time.perf_counter() - start:.0f} s; {uptime()}")
    combined = copy.deepcopy(pooled)
    own: dict[str, dict[str, object]] = {}
    for lang, mine in rows_of.items():
        if len(mine) < MIN_ARTICLES:
            own[lang] = {"head": "pooled (too few articles)"}
            continue
        local = [np.searchsorted(mine, np.intersect1d(held, mine)) for held in folds]
        result, blend = recipe(
            [examples[i] for i in mine], x[mine], y[mine], local, definitions, labels,
            taxonomy, decider,
        )  # fmt: skip
        for field in ("passes", "probabilities", "mask", "score", "coarse", "fine"):
            getattr(combined, field)[mine] = getattr(result, field)
        rules = "; ".join(dict.fromkeys(r.describe() for r in result.rules))
        own[lang] = {"head": "own", "blend": blend, "rules": rules}
        print(f"(L) {lang}: blend {blend}, {time.perf_counter() - start:.0f} s; {uptime()}")

    selected, choices = choose_per_fold(pooled, combined, rows_of, own, folds)
    everything = np.arange(len(y))
    table = {}
    for name, result in (("P", pooled), ("L", combined), ("S", selected)):
        per = {lang: measure(result, y, rows, folds) for lang, rows in rows_of.items()}
        per["all"] = measure(result, y, everything, folds)
        per["five-language mean fine"] = float(np.mean([per[g]["fine"] for g in LANGUAGES]))
        table[name] = per
    p, m = table["P"], table["L"]
    passes = {
        "EN fine +0.02": m["EN"]["fine"] - p["EN"]["fine"] >= RISE,
        "EN coarse +0.02": m["EN"]["coarse"] - p["EN"]["coarse"] >= RISE,
        "five-language mean fine not lower": m["five-language mean fine"]
        >= p["five-language mean fine"],
        "shown precision >= 0.44": m["all"]["precision"] >= PRECISION_TARGET,
    }
    s, e = table["S"], "EN"
    selected_passes = {
        "five-language mean fine >= (L)": s["five-language mean fine"]
        >= m["five-language mean fine"],
        "EN coarse within 0.005 of (L)": s[e]["coarse"] >= m[e]["coarse"] - ENGLISH_SLACK,
        "EN fine within 0.005 of (L)": s[e]["fine"] >= m[e]["fine"] - ENGLISH_SLACK,
        "shown precision >= 0.44": s["all"]["precision"] >= PRECISION_TARGET,
    }
    report = {
        "pooled_blend": pooled_blend,
        "pooled_rules": "; ".join(dict.fromkeys(r.describe() for r in pooled.rules)),
        "per_language": own,
        "table": table,
        "rule": passes,
        "verdict": "L ships as narratives-v4" if all(passes.values()) else "P stays",
        "S_choices": choices,
        "S_rule": selected_passes,
        "S_verdict": "S replaces L" if all(selected_passes.values()) else "L stays",
        "seconds": round(time.perf_counter() - start),
        "load_end": uptime(),
    }
    args.out.write_text(json.dumps(report, indent=1))
    for name in ("P", "L", "S"):
        for key, v in table[name].items():
            if isinstance(v, dict):
                print(
                    f"{name} {key}: coarse {v['coarse']:.4f} fine {v['fine']:.4f} (fold means "
                    f"{v['coarse_fold_mean']:.4f} / {v['fine_fold_mean']:.4f}) precision "
                    f"{v['precision']:.3f} shown/article {v['shown_per_article']:.2f} n={v['articles']}"
                )
            else:
                print(f"{name} {key}: {v:.4f}")
    print(json.dumps({"rule": passes, "verdict": report["verdict"]}), flush=True)
    print(json.dumps({"S_choices": choices}), flush=True)
    print(json.dumps({"S_rule": selected_passes, "S_verdict": report["S_verdict"]}), flush=True)
    print(f"done, {report['seconds']} s; {uptime()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
