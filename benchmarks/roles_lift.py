"""What a shown main role tells beyond the base rate (issue 15): per training language and
role, how many mentions roles-v3's per-language cuts show out of fold, how often they are
right, the share of the language's mentions that play the role, and the lift (right / share).

The out-of-fold probabilities are the trainer's (`training.roles.main_out_of_fold`, same
folds and seed); the cuts are the shipped rule (`language_cuts`) chosen on all folds.

    PYTHONPATH=src .venv/bin/python benchmarks/roles_lift.py --data ../shared/data/semeval2025_task10
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from narrascope.encode import default_encoder
from narrascope.training.fit import grouped_folds
from narrascope.training.roles import (
    CACHE,
    features,
    language_cuts,
    main_out_of_fold,
    read_split,
)
from narrascope.training.semeval2025 import MAIN_ROLES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    examples = read_split(args.data, "train", encoder=default_encoder(), cache_dir=CACHE)
    examples = [ex for ex in examples if ex.mention.main_role in MAIN_ROLES]
    x = np.vstack([features(ex) for ex in examples])
    y = np.array([MAIN_ROLES.index(ex.mention.main_role) for ex in examples])
    spoken = np.array([ex.language.lower() for ex in examples])
    held_out = grouped_folds([ex.mention.article_id for ex in examples], args.folds, args.seed)
    calibrated, _ = main_out_of_fold(x, y, held_out, args.seed)
    cuts = language_cuts(calibrated, y, spoken)
    chosen, top = calibrated.argmax(axis=1), calibrated.max(axis=1)
    roles = " | ".join(f"{r}: shown, right, base rate (lift)" for r in MAIN_ROLES)
    print(f"| language | {roles} |")
    print("|---" * (len(MAIN_ROLES) + 1) + "|")
    for language, cut in cuts.items():
        m = spoken == language
        cells = []
        for j in range(len(MAIN_ROLES)):
            shown = m & (chosen == j) & (top >= cut[j])
            base = float((y[m] == j).mean())
            if not shown.any():
                cells.append("never")
                continue
            right = float((y[shown] == j).mean())
            cells.append(f"{int(shown.sum())}, {right:.2f}, {base:.2f} ({right / base:.2f})")
        print(f"| {language.upper()} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
