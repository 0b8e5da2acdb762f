"""Are the technique and frame heads trustworthy in a language they never saw? (#15)

Leave-one-language-out (LOLO) on the SemEval-2023 Task 3 train split: for each of the six
languages, the head's whole shipped recipe is fitted on the other five (5-fold CV grouped by
article, Platt, operating points; for techniques also the rule nested CV chooses and the
per-language shown Platt with its pooled pair) and the held-out language is scored as an
unseen language gets it. Beside it, the same language's in-language CV numbers (frames
recomputed with the shipped recipe on the shipped folds; techniques from its card).

    PYTHONPATH=src nice -n 10 python benchmarks/unseen_languages.py --head frames \
        --data ../shared/data/semeval2023_task3 --out /tmp/lolo
    PYTHONPATH=src nice -n 10 python benchmarks/unseen_languages.py --head techniques \
        --languages en fr ge --data ../shared/data/semeval2023_task3 --out /tmp/lolo
    python benchmarks/unseen_languages.py --summary --out /tmp/lolo

Each held-out language's numbers go to `OUT/<head>-<language>.json` as soon as they exist,
so that a run cut short keeps what it measured. Vectors come from the training caches
(nothing is re-encoded).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.frames import document_features
from narrascope.encode import default_encoder
from narrascope.heads import apply_platt
from narrascope.training import Report
from narrascope.training import frames as frames_training
from narrascope.training import techniques as techniques_training
from narrascope.training.calibrate import (
    POOLED,
    choose_rule,
    cross_calibrated,
    cross_fit_platt,
    ece_noise_floor,
    expected_calibration_error,
    fit_platt_all,
    fit_shown_platt_by_group,
    fold_platt,
    operating_points,
)
from narrascope.training.fit import cross_validate_sigmoid, fit_sigmoid, grouped_folds, sigmoid
from narrascope.training.genre import load_documents
from narrascope.training.semeval2023 import FRAMES
from narrascope.training.vectors import VectorCache

SEED, FOLDS = 13, 5
LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")  # T3 folder names
# The techniques-v4 card's in-language CV numbers (shipped folds, seed 13), per language.
TECHNIQUES_CARD = Path(__file__).parents[1] / "src/narrascope/resources/techniques-v4.md"


def shown_numbers(stored: np.ndarray, shown: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Precision of the shown labels, and the ECE (with its noise floor) of their stored scores."""
    truth = y > 0
    count = int(shown.sum())
    return {
        "shown": count,
        "shown_precision": float(np.sum(shown & truth)) / max(count, 1),
        "shown_recall": float(np.sum(shown & truth)) / max(int(truth.sum()), 1),
        "ece_shown": expected_calibration_error(stored[shown], y[shown]) if count else 0.0,
        "ece_shown_noise_floor": ece_noise_floor(stored[shown]) if count else 0.0,
        "mean_stored_shown": float(stored[shown].mean()) if count else 0.0,
    }


# --------------------------------------------------------------------------- techniques


def techniques_lolo(corpus: techniques_training.Corpus, held: str) -> dict[str, object]:
    """techniques-v4's recipe (`training.techniques.train`) fitted without `held`, scored on it."""
    folders = np.array(corpus.folders)
    fit_rows = np.flatnonzero(folders != held)
    test_rows = np.flatnonzero(folders == held)
    x, y = corpus.x[fit_rows], corpus.y[fit_rows]
    groups = [corpus.groups()[i] for i in fit_rows]
    languages = [corpus.languages()[i] for i in fit_rows]
    inner = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(x, y, inner, l2=techniques_training.L2)
    rule = choose_rule(cross_calibrated(raw, y, inner), y, inner)
    a, b = fit_platt_all(raw, y)
    calibrated = apply_platt(raw, a, b)
    cuts = rule.cuts(calibrated, y)
    pairs = fit_shown_platt_by_group(calibrated, y, calibrated >= cuts, languages)
    weights, bias = fold_platt(*fit_sigmoid(x, y, l2=techniques_training.L2), a, b)
    probability = sigmoid(corpus.x[test_rows] @ weights + bias)
    shown_test = probability >= cuts
    stored = apply_platt(probability, *pairs[POOLED])  # what a language outside the six gets
    passed = np.zeros(corpus.y.shape, dtype=bool)
    passed[test_rows] = shown_test
    report = Report("techniques")
    techniques_training.score_lines(corpus, passed, report, "")
    articles = len({corpus.sentences[i].article for i in test_rows})
    return {
        "head": "techniques",
        "language": held,
        "rule": rule.describe(),
        "silenced": int(np.sum(cuts > 1.0)),
        "micro_f1": report.scores[f"st3_micro_f1_{held}"],
        "macro_f1": report.scores[f"st3_macro_f1_{held}"],
        "articles": articles,
        "shown_per_article": float(shown_test.sum()) / articles,
        **shown_numbers(stored, shown_test, corpus.y[test_rows]),
        # For reference: the same shown labels scored by the head's probability alone.
        "ece_shown_unmapped": expected_calibration_error(
            probability[shown_test], corpus.y[test_rows][shown_test]
        ),
    }


def techniques_card() -> dict[str, dict[str, float]]:
    """The card's in-language CV numbers per language."""
    scores = {}
    for line in TECHNIQUES_CARD.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().partition(": ")
        if key.startswith("cv_") and value:
            try:
                scores[key] = float(value)
            except ValueError:
                continue
    return {
        lang: {
            "micro_f1": scores[f"cv_st3_micro_f1_{lang}"],
            "shown_precision": scores[f"cv_shown_precision_{lang}"],
            "shown_recall": scores[f"cv_shown_recall_{lang}"],
            "ece_shown": scores[f"cv_ece_shown_{lang}"],
        }
        for lang in LANGUAGES
    }


# --------------------------------------------------------------------------- frames


def frames_matrix(docs) -> np.ndarray:
    return np.array([[f in labels for f in FRAMES] for labels in docs.labels], dtype=np.float32)


def frames_fit(x: np.ndarray, y: np.ndarray, groups: list[str]):
    """frames-v2's recipe (`training.frames.train`): the head with Platt folded in, and its cuts."""
    held_out = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(x, y, held_out, l2=frames_training.L2)
    a, b = fit_platt_all(raw, y)
    cuts = operating_points(apply_platt(raw, a, b), y)
    weights, bias = fold_platt(*fit_sigmoid(x, y, l2=frames_training.L2), a, b)
    return weights, bias, cuts


def frames_numbers(docs, rows: np.ndarray, probability, shown, y, lang: str) -> dict[str, object]:
    report = Report("frames")
    passed = np.zeros(y.shape, dtype=bool)
    passed[rows] = shown
    sub = type(docs)(
        [docs.ids[i] for i in rows],
        [docs.folders[i] for i in rows],
        docs.x[rows],
        [docs.labels[i] for i in rows],
    )
    frames_training.score(sub, shown, report, "")
    return {
        "micro_f1": report.scores[f"st2_micro_f1_{lang}"],
        "macro_f1": report.scores[f"st2_macro_f1_{lang}"],
        "articles": len(rows),
        "shown_per_article": float(shown.sum()) / len(rows),
        **shown_numbers(probability, shown, y[rows]),
    }


def frames_all(data: Path, out: Path, languages: list[str]) -> None:
    store = VectorCache(frames_training.CACHE, default_encoder())
    docs = load_documents(data, "train", 2, document_features, store=store)
    y = frames_matrix(docs)
    groups = [f"{f}/{a}" for f, a in zip(docs.folders, docs.ids, strict=True)]
    folders = np.array(docs.folders)
    # In-language CV: the card's recipe on the card's folds, per language.
    held_out = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(docs.x, y, held_out, l2=frames_training.L2)
    crossed = cross_fit_platt(raw, y, held_out)
    for lang in languages:
        started = time.time()
        rows = np.flatnonzero(folders == lang)
        cv = frames_numbers(docs, rows, crossed.calibrated[rows], crossed.shown[rows], y, lang)
        fit = np.flatnonzero(folders != lang)
        weights, bias, cuts = frames_fit(docs.x[fit], y[fit], [groups[i] for i in fit])
        probability = sigmoid(docs.x[rows] @ weights + bias)
        lolo = frames_numbers(docs, rows, probability, probability >= cuts, y, lang)
        lolo["silenced"] = int(np.sum(cuts > 1.0))
        result = {"head": "frames", "language": lang, "lolo": lolo, "cv": cv}
        result["seconds"] = round(time.time() - started, 1)
        (out / f"frames-{lang}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result), flush=True)


def techniques_all(data: Path, out: Path, languages: list[str]) -> None:
    store = VectorCache(techniques_training.CACHE, default_encoder())
    corpus = techniques_training.load_corpus(data, "train", store=store)
    card = techniques_card()
    for lang in languages:
        started = time.time()
        lolo = techniques_lolo(corpus, lang)
        result = {"head": "techniques", "language": lang, "lolo": lolo, "cv": card[lang]}
        result["seconds"] = round(time.time() - started, 1)
        (out / f"techniques-{lang}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- summary


def summary(out: Path) -> None:
    """One table per head and the pre-registered verdict (#15 rule in benchmarks/RESULTS.md)."""
    for head in ("techniques", "frames"):
        found = [
            json.loads((out / f"{head}-{lang}.json").read_text())
            for lang in LANGUAGES
            if (out / f"{head}-{lang}.json").is_file()
        ]
        if not found:
            continue
        print(f"\n{head}: {len(found)} of 6 languages")
        print(
            "| language | micro-F1 LOLO (CV) | shown precision LOLO (CV) | shown/article LOLO (CV)"
            " | ECE shown LOLO (CV) | ECE noise floor LOLO | silenced LOLO |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in found:
            lolo, cv = r["lolo"], r["cv"]
            if "shown_per_article" not in cv:  # the card has precision and recall, not counts
                positives = lolo["shown"] * lolo["shown_precision"] / lolo["shown_recall"]
                shown = cv["shown_recall"] * positives / cv["shown_precision"]
                cv["shown_per_article"] = shown / lolo["articles"]
            print(
                f"| {r['language']} | {lolo['micro_f1']:.4f} ({cv['micro_f1']:.4f})"
                f" | {lolo['shown_precision']:.4f} ({cv['shown_precision']:.4f})"
                f" | {lolo['shown_per_article']:.2f} ({cv.get('shown_per_article', float('nan')):.2f})"
                f" | {lolo['ece_shown']:.4f} ({cv['ece_shown']:.4f})"
                f" | {lolo['ece_shown_noise_floor']:.4f} | {lolo.get('silenced', '')} |"
            )
        precision = np.mean([r["lolo"]["shown_precision"] for r in found])
        cv_precision = np.mean([r["cv"]["shown_precision"] for r in found])
        ece = np.mean([r["lolo"]["ece_shown"] for r in found])
        keep = precision >= 0.8 * cv_precision and ece <= 0.10
        print(
            f"mean LOLO shown precision {precision:.4f} vs 0.8 x CV {cv_precision:.4f} ="
            f" {0.8 * cv_precision:.4f} (ratio {precision / cv_precision:.3f}); mean LOLO ECE shown"
            f" {ece:.4f} (<= 0.10?) -> {'KEEP' if keep else 'RESTRICT'}"
            + ("" if len(found) == 6 else " (not all six languages: not a verdict)")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", choices=("techniques", "frames"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data/semeval2023_task3"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/lolo"))
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summary:
        summary(args.out)
    elif args.head == "frames":
        frames_all(args.data, args.out, args.languages)
    elif args.head == "techniques":
        techniques_all(args.data, args.out, args.languages)


if __name__ == "__main__":
    main()
