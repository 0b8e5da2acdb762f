"""What a shown main role tells beyond the base rate (issue 15): per training language and
role, how many mentions are shown, how often they are right, the share of the language's
mentions that play the role (base), the lift (right / base) and the skill
((right - base) / (1 - base)).

Default: the fast head's per-language cuts as shipped (`language_cuts` with the lift rule,
`MIN_SKILL`; roles-v4) chosen on all folds of the trainer's out-of-fold probabilities
(`training.roles.main_out_of_fold`, same folds and seed). With `--nested`: the cuts of each
rule chosen on four article-grouped folds and applied to the fifth, for the fast head (all
languages) and the accurate head (English; its out-of-fold probabilities at its chosen C),
under the rule the heads had before (roles-v3's: right >= 75%; the accurate head's F0.5) and
under the lift rule (`min_skill=0.5`, pre-registered in RESULTS.md, shipped in roles-v4 and
roles-accurate-v2).

    PYTHONPATH=src .venv/bin/python benchmarks/roles_lift.py --data ../shared/data/semeval2025_task10
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np

from narrascope.encode import default_encoder
from narrascope.training.calibrate import operating_points
from narrascope.training.fit import grouped_folds, rest_of
from narrascope.training.role_cuts import MIN_SKILL, language_cuts
from narrascope.training.roles import CACHE, features, main_out_of_fold, read_split
from narrascope.training.semeval2025 import MAIN_ROLES

Cuts = Callable[[np.ndarray], dict[str, np.ndarray]]  # choosing rows -> cuts per language


def fast_out_of_fold(
    data: Path, seed: int, folds: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """The fast head's calibrated out-of-fold main-role probabilities, truth, languages, folds."""
    examples = read_split(data, "train", encoder=default_encoder(), cache_dir=CACHE)
    examples = [ex for ex in examples if ex.mention.main_role in MAIN_ROLES]
    x = np.vstack([features(ex) for ex in examples])
    y = np.array([MAIN_ROLES.index(ex.mention.main_role) for ex in examples])
    spoken = np.array([ex.language.lower() for ex in examples])
    held_out = grouped_folds([ex.mention.article_id for ex in examples], folds, seed)
    calibrated, _ = main_out_of_fold(x, y, held_out, seed)
    return calibrated, y, spoken, held_out


def accurate_out_of_fold(
    data: Path, seed: int, folds: int, c: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """The accurate head's calibrated out-of-fold main-role probabilities (English) at C `c`."""
    from narrascope.analyzers.roles import read_taxonomy
    from narrascope.analyzers.roles_accurate import TokenStates
    from narrascope.training.roles_accurate import LANGUAGE, labels_of, out_of_fold, token_features

    fine_labels = [r.label for r in read_taxonomy() if r.level == "fine"]
    english = read_split(
        data, "train", encoder=default_encoder(), cache_dir=CACHE, languages=[LANGUAGE]
    )
    english = [ex for ex in english if ex.mention.main_role in MAIN_ROLES]
    labels = labels_of(english, fine_labels)
    x = token_features(english, TokenStates(), cache=CACHE)
    held_out = grouped_folds(labels.groups, folds, seed)
    oof = out_of_fold(x, labels, held_out, c_main=c, c_fine=c, seed=seed, scale=True)
    return oof.main, labels.main, np.array([LANGUAGE.lower()] * len(english)), held_out


def nested_shown(
    calibrated: np.ndarray,
    y: np.ndarray,
    spoken: np.ndarray,
    held_out: list[np.ndarray],
    cuts: Cuts,
) -> np.ndarray:
    """Whether each mention's main role is shown, its fold decided by cuts chosen on the others."""
    chosen, top = calibrated.argmax(axis=1), calibrated.max(axis=1)
    shown = np.zeros(len(y), bool)
    for held in held_out:
        by_language = cuts(rest_of(held, len(y)))
        for i in held:
            cut = by_language.get(str(spoken[i]))
            shown[i] = cut is not None and top[i] >= cut[chosen[i]]
    return shown


def print_table(
    calibrated: np.ndarray, y: np.ndarray, spoken: np.ndarray, shown: np.ndarray
) -> None:
    """Per language: coverage, accuracy and skill of what is shown; per role: shown, right,
    base (lift, skill); and the pooled line."""
    chosen = calibrated.argmax(axis=1)
    right = chosen == y
    base = np.zeros(len(y))
    for language in set(spoken.tolist()):
        m = spoken == language
        for j in range(len(MAIN_ROLES)):
            base[m & (chosen == j)] = float((y[m] == j).mean())
    skill = (right - base) / (1 - base)  # per mention, against its language's and role's base
    roles = " | ".join(f"{r}: shown, right, base (lift, skill)" for r in MAIN_ROLES)
    print(f"| language | coverage | right | skill | {roles} |")
    print("|---" * (len(MAIN_ROLES) + 4) + "|")
    for language in [*sorted(set(spoken.tolist())), "all"]:
        m = np.ones(len(y), bool) if language == "all" else spoken == language
        s = m & shown
        cells = [f"{s.sum() / m.sum():.3f}"]
        cells += [f"{right[s].mean():.3f}", f"{skill[s].mean():.3f}"] if s.any() else ["-", "-"]
        for j in range(len(MAIN_ROLES)):
            r = s & (chosen == j)
            if language == "all" or not r.any():
                cells.append("never" if not r.any() else f"{int(r.sum())}")
                continue
            b, p = base[r][0], right[r].mean()
            cells.append(
                f"{int(r.sum())}, {p:.2f}, {b:.2f} ({p / b:.2f}, {(p - b) / (1 - b):+.2f})"
            )
        print(f"| {language.upper()} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--nested", action="store_true", help="both heads, both rules, nested")
    parser.add_argument("--c", type=float, default=0.001, help="the accurate head's chosen C")
    args = parser.parse_args()
    calibrated, y, spoken, held_out = fast_out_of_fold(args.data, args.seed, args.folds)
    if not args.nested:
        everything = np.arange(len(y))
        shown = nested_shown(
            calibrated,
            y,
            spoken,
            [everything],
            lambda _: language_cuts(calibrated, y, spoken, min_skill=MIN_SKILL),
        )
        print_table(calibrated, y, spoken, shown)
        return

    def per_language(skill: float, cal: np.ndarray, truth: np.ndarray, where: np.ndarray) -> Cuts:
        return lambda rows: language_cuts(cal, truth, where, rows, min_skill=skill)

    print("### fast head, roles-v3's rule, nested")
    print_table(
        calibrated,
        y,
        spoken,
        nested_shown(calibrated, y, spoken, held_out, per_language(0.0, calibrated, y, spoken)),
    )
    print("### fast head, lift rule (roles-v4), nested")
    print_table(
        calibrated,
        y,
        spoken,
        nested_shown(
            calibrated, y, spoken, held_out, per_language(MIN_SKILL, calibrated, y, spoken)
        ),
    )
    calibrated, y, spoken, held_out = accurate_out_of_fold(args.data, args.seed, args.folds, args.c)
    one_hot = np.eye(len(MAIN_ROLES))[y]

    def f05(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {"en": operating_points(calibrated[rows], one_hot[rows])}

    print("### accurate head, F0.5 cuts (roles-accurate-v1), nested")
    print_table(calibrated, y, spoken, nested_shown(calibrated, y, spoken, held_out, f05))
    print("### accurate head, roles-v3's rule (precision >= 0.75), nested")
    print_table(
        calibrated,
        y,
        spoken,
        nested_shown(calibrated, y, spoken, held_out, per_language(0.0, calibrated, y, spoken)),
    )
    print("### accurate head, lift rule (roles-accurate-v2), nested")
    print_table(
        calibrated,
        y,
        spoken,
        nested_shown(
            calibrated, y, spoken, held_out, per_language(MIN_SKILL, calibrated, y, spoken)
        ),
    )


if __name__ == "__main__":
    main()
