"""Genre's stored-score ECE across CV fold seeds (issue 15): is the card's number a lucky draw?

genre-v3 stores, per article, the probability that the genre shown is right on equal genre
priors within the article's language: the temperature-calibrated softmax probability of the
shown genre through a Platt scaling per shown genre (six parameters, `info.shown_platt`). With
equal priors ten English satire articles carry a third of English's weight, so its ECE moves
with the fold seed. Here, for several fold seeds (the same recipe as `narrascope train genre`,
`training.genre.out_of_fold`), three maps of the stored score, each cross-fitted (fitted on the
other folds):

- `per-genre Platt` (genre-v3): a Platt (a, b) per shown genre, 6 parameters;
- `one Platt`: one (a, b) for every shown genre, pooled across genres and languages, 2;
- `temperature only`: the calibrated probability of the shown genre as it is, 0 more.

ECE on the stated mix (equal priors: each article weighted by its balancing weight), beside the
noise floor (what scores calibrated by construction would show on the same rows and weights),
and moved to each language's train mix (Bayes' rule), as the card reports them.

    PYTHONPATH=src .venv/bin/python benchmarks/genre_ece_seeds.py --data ../shared/data \\
        --seeds 7,13,29,41,97
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import choose_genre
from narrascope.encode import default_encoder
from narrascope.heads import apply_platt
from narrascope.training.calibrate import ece_noise_floor, expected_calibration_error, fit_platt
from narrascope.training.fit import rest_of
from narrascope.training.genre import (
    CACHE,
    SATIRE_GATE,
    _weights,
    fit_shown_platt,
    genre_documents,
    language_mix,
    out_of_fold,
    with_confidence,
    with_mix,
)
from narrascope.training.semeval2023 import GENRES
from narrascope.training.vectors import VectorCache

MAPS = ("per-genre Platt", "one Platt", "temperature only")


def stored_scores(calibrated, shown, truth, balance, held_out) -> dict[str, np.ndarray]:
    """The stored score of every article under each map, cross-fitted over `held_out`."""
    rows = np.arange(len(shown))
    top = calibrated[rows, shown]
    out = {name: np.zeros(len(shown)) for name in MAPS}
    out["temperature only"] = top
    for held in held_out:
        rest = rest_of(held, len(shown))
        a, b = fit_shown_platt(calibrated[rest], shown[rest], truth[rest], balance[rest])
        out["per-genre Platt"][held] = apply_platt(top[held], a[shown[held]], b[shown[held]])
        right = shown[rest] == truth[rest]
        one_a, one_b = fit_platt(top[rest], right, weights=balance[rest])
        out["one Platt"][held] = apply_platt(top[held], one_a, one_b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="holds semeval2023_task3")
    parser.add_argument("--seeds", default="7,13,29,41,97")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    started = time.time()
    docs = genre_documents(args.data / "semeval2023_task3", VectorCache(CACHE, default_encoder()))
    labels = [lab[0] for lab in docs.labels]
    truth = np.array([GENRES.index(lab) for lab in labels])
    balance = _weights(labels, docs.folders)
    english = np.array(docs.folders) == "en"
    satire = english & (truth == GENRES.index("satire"))
    print(
        f"English satire: {int(satire.sum())} articles, "
        f"{balance[satire].sum() / balance[english].sum():.2f} of English's weight, "
        f"{balance[satire].sum() / balance.sum():.3f} of all",
        flush=True,
    )
    print(
        "| seed | map | ECE stored score, equal priors | noise floor | ECE moved to train mix "
        "| noise floor (train mix) |\n|---|---|---|---|---|---|",
        flush=True,
    )
    results: dict[str, list[float]] = {name: [] for name in MAPS}
    for seed in (int(s) for s in args.seeds.split(",")):
        _, calibrated, held_out = out_of_fold(docs, labels, seed, args.folds)
        shown = choose_genre(calibrated, SATIRE_GATE)
        right = shown == truth
        for name, stored in stored_scores(calibrated, shown, truth, balance, held_out).items():
            moved = np.zeros(len(shown))
            for held in held_out:
                rest = rest_of(held, len(shown))
                mix = language_mix(truth[rest], [docs.folders[i] for i in rest])
                folders = [docs.folders[i] for i in held]
                probabilities = with_confidence(calibrated[held], shown[held], stored[held])
                moved[held] = with_mix(probabilities, folders, mix)[
                    np.arange(len(held)), shown[held]
                ]
            ece = expected_calibration_error(stored, right, weights=balance)
            results[name].append(ece)
            print(
                f"| {seed} | {name} | {ece:.4f} | {ece_noise_floor(stored, weights=balance):.4f} "
                f"| {expected_calibration_error(moved, right):.4f} | "
                f"{ece_noise_floor(moved):.4f} |",
                flush=True,
            )
    for name, values in results.items():
        print(
            f"{name}: equal-prior ECE over seeds mean {np.mean(values):.4f}, "
            f"min {np.min(values):.4f}, max {np.max(values):.4f}"
        )
    print(f"total {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
