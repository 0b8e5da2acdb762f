"""Lexical features for English genre (issue 15): TF-IDF n-grams, alone and fused with genre-v3.

Pre-registered in benchmarks/RESULTS.md ("Genre on English: lexical n-grams") before scoring.
English articles of the T3 train split; outer folds are those of `training.genre.out_of_fold`
(5 folds grouped by article over all languages, drawn by the fold seed), restricted to English,
so genre-v3's recipe is re-run here exactly as `narrascope train genre` runs it. Each candidate
makes every choice inside the training folds of each outer fold, by an inner CV over the other
four outer folds:

- the vocabulary: terms of the fitting rows with document frequency >= 2, the most frequent
  (by document frequency) up to the cap; IDF from the fitting rows;
- C of the class-balanced logistic regression over the TF-IDF rows (sublinear tf, L2);
- the fusion weight w: fused logits = log p_v3(raw) + w log p_lex (genre-v3's raw softmax of
  models that never saw the rows scored; inner: fitted without the outer and the inner fold);
- one temperature over the fused (or lexical) probabilities, weighted to equal priors;
- the satire gate stays genre-v3's (0.5); the stored score is the shown genre's calibrated
  probability through a Platt scaling per shown genre, fitted on the inner out-of-fold rows.

(C, w) are chosen together by inner English macro-F1 (ties: smaller C, then smaller w).

    PYTHONPATH=src .venv/bin/python benchmarks/genre_lexical.py --data ../shared/data \\
        --seeds 7,13,29
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import choose_genre, shown_confidence
from narrascope.encode import default_encoder
from narrascope.heads import softmax
from narrascope.training import semeval2023
from narrascope.training.calibrate import (
    apply_temperature,
    ece_noise_floor,
    expected_calibration_error,
    fit_temperature,
)
from narrascope.training.fit import on_one_blas_thread, rest_of
from narrascope.training.genre import (
    CACHE,
    SATIRE_GATE,
    _fit,
    _weights,
    fit_shown_platt,
    genre_documents,
    out_of_fold,
)
from narrascope.training.semeval2023 import GENRES
from narrascope.training.vectors import VectorCache

CANDIDATES = ("word", "v3+word", "v3+char", "v3+word+char")
C_GRID = (1.0, 4.0, 16.0, 64.0)
W_GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
VOCABULARY = 50_000  # terms per candidate (word+char: half each)
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def word_terms(text: str) -> Counter:
    """Word 1- and 2-gram counts of `text` (lowercased \\w+ tokens)."""
    words = _WORD.findall(text.lower())
    grams = Counter(words)
    grams.update(f"{a} {b}" for a, b in pairwise(words))
    return grams


def char_terms(text: str) -> Counter:
    """Character 3- to 5-gram counts of `text` (lowercased, white space runs as one space)."""
    flat = _SPACE.sub(" ", text.lower()).strip()
    grams: Counter = Counter()
    for n in (3, 4, 5):
        grams.update(flat[i : i + n] for i in range(len(flat) - n + 1))
    return grams


def count_matrix(counts: list[Counter]):
    """All documents' term counts as one sparse matrix, columns in alphabetical term order."""
    from scipy.sparse import csr_matrix

    terms = sorted(set().union(*(c.keys() for c in counts)))
    index = {t: j for j, t in enumerate(terms)}
    data, cols, ptr = [], [], [0]
    for c in counts:
        cols.extend(index[t] for t in c)
        data.extend(c.values())
        ptr.append(len(cols))
    return csr_matrix(
        (np.array(data, dtype=np.float64), cols, ptr), shape=(len(counts), len(terms))
    )


def vocabulary(counts, rows: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of terms in >= 2 of the `rows` documents, the `cap` most frequent by document
    frequency (ties alphabetical), and their smoothed IDF over those rows."""
    df = np.asarray((counts[rows] > 0).sum(axis=0)).ravel()
    order = np.lexsort((np.arange(len(df)), -df))  # by -df, then alphabetical column
    kept = order[df[order] >= 2][:cap]
    idf = np.log((1 + len(rows)) / (1 + df[kept])) + 1.0
    return kept, idf


def tfidf(counts, rows: np.ndarray, kept: np.ndarray, idf: np.ndarray):
    """Sparse rows: sublinear tf (1 + log tf) times IDF, L2-normalised per row."""
    from scipy.sparse import diags

    x = counts[rows][:, kept].tocsr()
    x.data = 1.0 + np.log(x.data)
    x = x @ diags(idf)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return diags(1.0 / np.maximum(norms, 1e-12)) @ x


@on_one_blas_thread
def fit_lexical(x, y: np.ndarray, c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit(x, y)
    return model


def lexical_probabilities(blocks, fit_rows, apply_rows, truth, c, seed) -> np.ndarray:
    """p_lex (len(apply_rows), 3) of a lexical model fitted on `fit_rows` (English indices);
    each block is (counts, cap): its vocabulary and IDF from `fit_rows` only."""
    from scipy.sparse import hstack

    fitted, applied = [], []
    for counts, cap in blocks:
        kept, idf = vocabulary(counts, fit_rows, cap)
        fitted.append(tfidf(counts, fit_rows, kept, idf))
        applied.append(tfidf(counts, apply_rows, kept, idf))
    model = fit_lexical(hstack(fitted).tocsr(), truth[fit_rows], c, seed)
    out = np.full((len(apply_rows), len(GENRES)), 1e-6)
    out[:, model.classes_] = model.predict_proba(hstack(applied).tocsr())
    return out / out.sum(axis=1, keepdims=True)


def fuse(p_v3: np.ndarray | None, p_lex: np.ndarray, w: float) -> np.ndarray:
    """softmax(log p_v3 + w log p_lex), or p_lex itself without genre-v3."""
    if p_v3 is None:
        return p_lex
    return softmax(np.log(np.clip(p_v3, 1e-12, 1)) + w * np.log(np.clip(p_lex, 1e-12, 1)))


def macro_f1(shown: np.ndarray, truth: np.ndarray) -> float:
    gold = {str(i): GENRES[k] for i, k in enumerate(truth)}
    guess = {str(i): GENRES[k] for i, k in enumerate(shown)}
    return semeval2023.genre_macro_f1(gold, guess)


def english_texts(data: Path, ids: list[str]) -> list[str]:
    """The English articles' sentence texts joined by newlines (as the analyzer sees them)."""
    articles = semeval2023.read_articles(data, "en", "train", 1)
    return [
        "\n".join(s.text for s in semeval2023.split_sentences(articles[article_id]))
        for article_id in ids
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="holds semeval2023_task3")
    parser.add_argument("--seeds", default="7,13,29")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument(
        "--also-char-alone", action="store_true", help="a diagnostic, not a candidate"
    )
    parser.add_argument(
        "--pooled-temperature",
        action="store_true",
        help="diagnostic `v3t+word` (post hoc, never a candidate): genre-v3's probabilities "
        "calibrated by its own pooled temperature (all languages, the fold's), fused with word "
        "n-grams, no English temperature refitted",
    )
    args = parser.parse_args()
    started = time.time()
    t3 = args.data / "semeval2023_task3"
    docs = genre_documents(t3, VectorCache(CACHE, default_encoder()))
    labels = [lab[0] for lab in docs.labels]
    truth_all = np.array([GENRES.index(lab) for lab in labels])
    balance_all = _weights(labels, docs.folders)
    english = np.flatnonzero(np.array(docs.folders) == "en")
    truth = truth_all[english]
    balance = _weights([labels[i] for i in english], ["en"] * len(english))
    texts = english_texts(t3, [docs.ids[i] for i in english])
    words = count_matrix([word_terms(t) for t in texts])
    chars = count_matrix([char_terms(t) for t in texts])
    half = VOCABULARY // 2
    lexicon = {
        "word": [(words, VOCABULARY)],
        "v3+word": [(words, VOCABULARY)],
        "v3+char": [(chars, VOCABULARY)],
        "v3+word+char": [(words, half), (chars, half)],
        "char": [(chars, VOCABULARY)],
        "v3t+word": [(words, VOCABULARY)],
    }
    candidates = args.candidates.split(",") + (["char"] if args.also_char_alone else [])
    candidates += ["v3t+word"] if args.pooled_temperature else []
    print(
        f"{len(english)} English articles; counts {np.bincount(truth)}; {time.time() - started:.0f}s"
    )
    results: dict[str, list[dict]] = {name: [] for name in ["v3", *candidates]}
    for seed in (int(s) for s in args.seeds.split(",")):
        raw, calibrated, held_all = out_of_fold(docs, labels, seed, args.folds)
        # genre-v3's recipe as `train` scores it: gate on the cross-fitted temperature, Platt
        # per shown genre fitted on the other folds (all languages), English rows read out.
        shown_all = choose_genre(calibrated, SATIRE_GATE)
        stored_all = np.zeros(len(labels))
        for held in held_all:
            rest = rest_of(held, len(labels))
            a, b = fit_shown_platt(
                calibrated[rest], shown_all[rest], truth_all[rest], balance_all[rest]
            )
            stored_all[held] = shown_confidence(calibrated[held], shown_all[held], a, b)
        position = {int(r): j for j, r in enumerate(english)}
        outer = [
            np.array([position[int(r)] for r in held if int(r) in position]) for held in held_all
        ]
        fold_of = np.zeros(len(english), dtype=int)
        for k, rows in enumerate(outer):
            fold_of[rows] = k
        shown = shown_all[english]
        stored = stored_all[english]
        results["v3"].append(score_row(seed, shown, stored, truth, balance))
        # genre-v3 raw probabilities for the inner folds: a model fitted without outer folds k
        # and j (all languages) scores the English rows of j, for both k and j.
        raw_en = raw[english]
        inner_raw: dict[tuple[int, int], np.ndarray] = {}
        for k, j in combinations(range(args.folds), 2):
            held = np.concatenate([held_all[k], held_all[j]])
            rest = rest_of(held, len(labels))
            weights, bias = _fit(
                docs.x[rest], [labels[i] for i in rest], [docs.folders[i] for i in rest], seed
            )
            for a_fold, b_fold in ((k, j), (j, k)):
                inner_raw[(a_fold, b_fold)] = softmax(
                    docs.x[english[outer[b_fold]]] @ weights + bias
                )
        print(f"seed {seed}: genre-v3 folds fitted, {time.time() - started:.0f}s", flush=True)
        for name in candidates:
            blocks = lexicon[name]
            with_v3 = name.startswith("v3")
            pooled_t = name.startswith("v3t+")
            shown_c = np.zeros(len(english), dtype=int)
            stored_c = np.zeros(len(english))
            chosen = []
            for k in range(args.folds):
                train_rows = np.flatnonzero(fold_of != k)
                rest = rest_of(held_all[k], len(labels))
                v3_t = (
                    fit_temperature(raw[rest], truth_all[rest], weights=balance_all[rest])
                    if pooled_t
                    else 1.0
                )
                inner_lex = {c: np.zeros((len(english), len(GENRES))) for c in C_GRID}
                inner_v3 = np.zeros((len(english), len(GENRES)))
                for j in range(args.folds):
                    if j == k:
                        continue
                    fit_rows = np.flatnonzero((fold_of != k) & (fold_of != j))
                    inner_v3[outer[j]] = apply_temperature(inner_raw[(k, j)], v3_t)
                    for c in C_GRID:
                        inner_lex[c][outer[j]] = lexical_probabilities(
                            blocks, fit_rows, outer[j], truth, c, seed
                        )
                best = None
                for c in C_GRID:
                    for w in W_GRID if with_v3 else (1.0,):
                        fused = fuse(
                            inner_v3[train_rows] if with_v3 else None, inner_lex[c][train_rows], w
                        )
                        t = (
                            1.0
                            if pooled_t
                            else fit_temperature(
                                fused, truth[train_rows], weights=balance[train_rows]
                            )
                        )
                        f1 = macro_f1(
                            choose_genre(apply_temperature(fused, t), SATIRE_GATE),
                            truth[train_rows],
                        )
                        if best is None or f1 > best[0] + 1e-12:
                            best = (f1, c, w, t)
                _, c, w, t = best
                chosen.append((c, w))
                inner_cal = apply_temperature(
                    fuse(inner_v3[train_rows] if with_v3 else None, inner_lex[c][train_rows], w), t
                )
                inner_shown = choose_genre(inner_cal, SATIRE_GATE)
                a, b = fit_shown_platt(
                    inner_cal, inner_shown, truth[train_rows], balance[train_rows]
                )
                held = outer[k]
                p_lex = lexical_probabilities(blocks, train_rows, held, truth, c, seed)
                v3_held = apply_temperature(raw_en[held], v3_t) if with_v3 else None
                cal = apply_temperature(fuse(v3_held, p_lex, w), t)
                shown_c[held] = choose_genre(cal, SATIRE_GATE)
                stored_c[held] = shown_confidence(cal, shown_c[held], a, b)
            row = score_row(seed, shown_c, stored_c, truth, balance)
            row["chosen"] = chosen
            results[name].append(row)
            print(f"seed {seed} {name}: {row} ({time.time() - started:.0f}s)", flush=True)
        print(f"seed {seed} v3: {results['v3'][-1]}", flush=True)
    print("\nsummary (English, 5-fold CV grouped by article)")
    print(
        "| candidate | "
        + " | ".join(f"macro-F1 seed {r['seed']}" for r in results["v3"])
        + " | mean | stored-score ECE per seed | mean ECE |"
    )
    for name, rows in results.items():
        f1s = [r["f1"] for r in rows]
        eces = [r["ece"] for r in rows]
        print(
            f"| {name} | "
            + " | ".join(f"{v:.4f}" for v in f1s)
            + f" | {np.mean(f1s):.4f} | "
            + " / ".join(f"{v:.4f}" for v in eces)
            + f" | {np.mean(eces):.4f} |"
        )
    for name, rows in results.items():
        for r in rows:
            print(name, r["seed"], "P/R", r["pr"], "chosen", r.get("chosen"), "noise", r["noise"])
    print(f"{time.time() - started:.0f}s")


def score_row(seed, shown, stored, truth, balance) -> dict:
    pr = []
    for k in range(len(GENRES)):
        said, really = shown == k, truth == k
        tp = (said & really).sum()
        pr.append(f"{tp / max(said.sum(), 1):.2f}/{tp / max(really.sum(), 1):.2f}")
    return {
        "seed": seed,
        "f1": round(macro_f1(shown, truth), 4),
        "ece": round(expected_calibration_error(stored, shown == truth, weights=balance), 4),
        "noise": round(ece_noise_floor(stored, weights=balance), 4),
        "pr": ", ".join(pr),
    }


if __name__ == "__main__":
    main()
