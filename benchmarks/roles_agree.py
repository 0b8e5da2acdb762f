"""The accurate role head shown only where the fast head agrees (issue 15, pre-registered in
RESULTS.md): out of fold on the English Task 10 train mentions, what share of the accurate
head's shown main roles the agreement rule removes, and the shown precision before and after.

The accurate head's out-of-fold main-role probabilities are the trainer's (`out_of_fold` at the
shipped C, 5 folds grouped by article, seed 13); its shown mentions are those over its English
lift cut (`language_cuts(..., min_skill=MIN_SKILL)`), chosen on four folds and applied to the
fifth (nested; the cut on all folds beside it). The fast head's main role on each mention is the
argmax of the shipped recipe (`training.roles.fit_main`, all five languages) fitted on the same
four folds' English mentions plus every other language's: the trainer's `fast_all` comparison,
main role only (argmax: its temperature does not move it). The rule keeps a shown mention only
where the two argmaxes agree. Paired bootstrap over articles of shown precision after minus
before.

    PYTHONPATH=src .venv/bin/python benchmarks/roles_agree.py --data ../shared/data/semeval2025_task10
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from narrascope.analyzers.roles import read_taxonomy
from narrascope.analyzers.roles_accurate import TokenStates
from narrascope.encode import default_encoder
from narrascope.training.fit import grouped_folds, rest_of
from narrascope.training.role_cuts import MIN_SKILL, language_cuts
from narrascope.training.roles import CACHE, features, fit_main, read_split
from narrascope.training.roles_accurate import LANGUAGE, labels_of, out_of_fold, token_features
from narrascope.training.semeval2025 import MAIN_ROLES


def fast_argmax(
    x_en: np.ndarray,
    y_en: np.ndarray,
    x_other: np.ndarray,
    y_other: np.ndarray,
    held_out: list[np.ndarray],
    seed: int,
) -> np.ndarray:
    """The fast head's main role (index) on each English mention, out of fold: fitted as it
    ships (every language) on the other folds' English mentions and all other languages'."""
    chosen = np.zeros(len(y_en), dtype=np.int64)
    for held in held_out:
        rest = rest_of(held, len(y_en))
        w, b = fit_main(
            np.vstack([x_en[rest], x_other]), np.concatenate([y_en[rest], y_other]), seed
        )
        chosen[held] = (x_en[held] @ w + b).argmax(axis=1)
    return chosen


def shown_nested(main: np.ndarray, y: np.ndarray, held_out: list[np.ndarray]) -> np.ndarray:
    """Whether each mention's main role passes the English lift cut chosen on the other folds."""
    spoken = np.array([LANGUAGE.lower()] * len(y))
    chosen, top = main.argmax(axis=1), main.max(axis=1)
    shown = np.zeros(len(y), bool)
    for held in held_out:
        cut = language_cuts(main, y, spoken, rest_of(held, len(y)), min_skill=MIN_SKILL)["en"]
        shown[held] = top[held] >= cut[chosen[held]]
    return shown


def shown_all_folds(main: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether each mention passes the English lift cut chosen on every fold (as shipped)."""
    spoken = np.array([LANGUAGE.lower()] * len(y))
    cut = language_cuts(main, y, spoken, min_skill=MIN_SKILL)["en"]
    chosen = main.argmax(axis=1)
    return main.max(axis=1) >= cut[chosen]


def precision_difference(
    right: np.ndarray,
    shown: np.ndarray,
    kept: np.ndarray,
    groups: list[str],
    *,
    seed: int,
    draws: int = 2000,
) -> tuple[float, float, float]:
    """Shown precision with the rule minus without (point), and its 95% interval resampling
    whole articles."""
    names = sorted(set(groups))
    member = np.array([names.index(g) for g in groups])
    k = len(names)
    parts = [
        np.bincount(member, weights=(shown & mask & right).astype(float), minlength=k)
        for mask in (np.ones_like(shown), kept)
    ] + [
        np.bincount(member, weights=(shown & mask).astype(float), minlength=k)
        for mask in (np.ones_like(shown), kept)
    ]
    hit_before, hit_after, n_before, n_after = parts
    point = hit_after.sum() / n_after.sum() - hit_before.sum() / n_before.sum()
    picks = np.random.default_rng(seed).integers(0, k, size=(draws, k))
    with np.errstate(invalid="ignore"):
        diffs = hit_after[picks].sum(1) / n_after[picks].sum(1) - hit_before[picks].sum(
            1
        ) / n_before[picks].sum(1)
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return float(point), float(low), float(high)


def report(
    name: str,
    shown: np.ndarray,
    agree: np.ndarray,
    chosen: np.ndarray,
    y: np.ndarray,
    groups: list[str],
    seed: int,
) -> None:
    right = chosen == y
    kept = shown & agree
    removed = shown & ~agree
    point, low, high = precision_difference(right, shown, agree, groups, seed=seed)
    print(
        f"| {name} | {shown.sum()} ({shown.mean():.3f}) | {right[shown].mean():.4f} | "
        f"{kept.sum()} ({kept.mean():.3f}) | {right[kept].mean() if kept.any() else 0:.4f} | "
        f"{removed.sum()} / {shown.sum()} = **{removed.sum() / max(shown.sum(), 1):.3f}** | "
        f"{right[removed].mean() if removed.any() else 0:.3f} | "
        f"{point:+.4f} [{low:+.4f}, {high:+.4f}] |"
    )
    for j, role in enumerate(MAIN_ROLES):
        s, r = shown & (chosen == j), removed & (chosen == j)
        if s.any():
            print(
                f"|   {role} | {s.sum()} | {right[s].mean():.3f} | removed {r.sum()} "
                f"(right {right[r].mean() if r.any() else 0:.2f}) | | | | |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=0.001, help="the shipped head's chosen C")
    args = parser.parse_args()
    started = time.perf_counter()
    fine_labels = [r.label for r in read_taxonomy() if r.level == "fine"]
    every = read_split(args.data, "train", encoder=default_encoder(), cache_dir=CACHE)
    every = [ex for ex in every if ex.mention.main_role in MAIN_ROLES]
    english = [ex for ex in every if ex.encoded.article.language == LANGUAGE]
    others = [ex for ex in every if ex.encoded.article.language != LANGUAGE]
    labels = labels_of(english, fine_labels)
    x_fast = np.vstack([features(ex) for ex in english])
    x_other = np.vstack([features(ex) for ex in others])
    y_other = np.array([MAIN_ROLES.index(ex.mention.main_role) for ex in others])
    x = token_features(english, TokenStates(), cache=CACHE)
    print(
        f"{len(english)} English mentions, {len(set(labels.groups))} articles; "
        f"{len(others)} other-language mentions ({time.perf_counter() - started:.0f} s)"
    )
    print(
        "| fold seed, cut | accurate shown (share) | right | shown with the rule (share) | right"
        " | removed / shown | right among removed | precision after − before [95% CI] |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        held_out = grouped_folds(labels.groups, args.folds, seed)
        with threadpool_limits(limits=1):
            oof = out_of_fold(
                x, labels, held_out, c_main=args.c, c_fine=args.c, seed=seed, scale=True
            )
            fast = fast_argmax(x_fast, labels.main, x_other, y_other, held_out, seed)
        chosen = oof.main.argmax(axis=1)
        agree = chosen == fast
        print(
            f"(seed {seed}: main accuracy accurate {np.mean(chosen == labels.main):.4f}, fast "
            f"{np.mean(fast == labels.main):.4f}; argmaxes agree on {agree.mean():.3f} of "
            f"mentions; {time.perf_counter() - started:.0f} s)"
        )
        for name, shown in (
            ("nested", shown_nested(oof.main, labels.main, held_out)),
            ("all folds", shown_all_folds(oof.main, labels.main)),
        ):
            report(f"{seed}, {name}", shown, agree, chosen, labels.main, labels.groups, seed)


if __name__ == "__main__":
    main()
