"""Which softmax map calibrates `roles-accurate-v1`'s main role (issue 15, pre-registered in
RESULTS.md): per fold seed, the accurate recipe's out-of-fold logits at its chosen C, each
candidate map cross-fitted over the same folds, and the card's main ECE (chosen role's
probability), the ECE over every (mention, role) cell, EMR and main accuracy.

    PYTHONPATH=src .venv/bin/python benchmarks/roles_accurate_calibration.py \
        --data ../shared/data/semeval2025_task10
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from narrascope.analyzers.roles import read_taxonomy
from narrascope.analyzers.roles_accurate import TokenStates
from narrascope.encode import default_encoder
from narrascope.training.calibrate import ece_noise_floor, expected_calibration_error
from narrascope.training.fit import grouped_folds
from narrascope.training.roles import CACHE, read_split
from narrascope.training.roles_accurate import (
    LANGUAGE,
    best_second,
    labels_of,
    out_of_fold,
    token_features,
)
from narrascope.training.semeval2025 import MAIN_ROLES
from narrascope.training.softmax_maps import MAP_KINDS, cross_fitted_map


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13, 1, 2, 3, 4])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=0.001, help="the shipped head's chosen C")
    args = parser.parse_args()
    taxonomy = read_taxonomy()
    fine_labels = [r.label for r in taxonomy if r.level == "fine"]
    parents = {r.label: r.parent for r in taxonomy if r.level == "fine"}
    english = read_split(
        args.data, "train", encoder=default_encoder(), cache_dir=CACHE, languages=[LANGUAGE]
    )
    english = [ex for ex in english if ex.mention.main_role in MAIN_ROLES]
    labels = labels_of(english, fine_labels)
    x = token_features(english, TokenStates(), cache=CACHE)
    print(f"{len(english)} mentions, features {x.shape}")
    print("| seed | map | main ECE | ECE noise floor | cell ECE | EMR | main accuracy |")
    print("|---|---|---|---|---|---|---|")
    totals: dict[str, list[np.ndarray]] = {kind: [] for kind in MAP_KINDS}
    for seed in args.seeds:
        started = time.perf_counter()
        held_out = grouped_folds(labels.groups, args.folds, seed)
        with threadpool_limits(limits=1):
            oof = out_of_fold(
                x, labels, held_out, c_main=args.c, c_fine=args.c, seed=seed, scale=True
            )
        for kind in MAP_KINDS:
            main = cross_fitted_map(oof.main_logits, labels.main, held_out, kind)
            _, scores = best_second(replace(oof, main=main), english, labels, fine_labels, parents)
            chosen = main.argmax(axis=1)
            top = main.max(axis=1)
            right = (chosen == labels.main).astype(float)
            row = np.array(
                [
                    expected_calibration_error(top, right),
                    ece_noise_floor(top, seed=seed),
                    expected_calibration_error(main, np.eye(len(MAIN_ROLES))[labels.main]),
                    scores["emr"],
                    scores["main_accuracy"],
                ]
            )
            totals[kind].append(row)
            print(f"| {seed} | {kind} | " + " | ".join(f"{v:.4f}" for v in row) + " |", flush=True)
        print(f"(seed {seed}: {time.perf_counter() - started:.0f} s)", flush=True)
    for kind, rows in totals.items():
        mean = np.mean(rows, axis=0)
        print(f"| mean | {kind} | " + " | ".join(f"{v:.4f}" for v in mean) + " |")


if __name__ == "__main__":
    main()
