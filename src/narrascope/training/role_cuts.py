"""Which main roles an entity-role head shows, per language, and how what it shows scores.

Both role heads (fast `training.roles`, accurate `training.roles_accurate`) show a main role only
where it is right often enough and beats guessing it (#15); one rule, one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narrascope.training.calibrate import (
    expected_calibration_error,
    operating_points,
    reliability,
)
from narrascope.training.fit import rest_of

MIN_PRECISION = 0.75
"""A main role is shown in a language only at a cut where it is right this often out of fold:
roles-v2's shown accuracy over all languages (0.754). Its English Protagonists were right 45%
of the time, its English Innocents 41%; no language's shown roles may be noisier than the
whole."""
MIN_SUPPORT = 10
"""Out-of-fold mentions a (language, role) cut must show to count; fewer: the role is not shown
in that language."""
MIN_SKILL = 0.5
"""A main role is shown in a language only at a cut where it also puts right at least half of
what guessing it for every mention of the language gets wrong: precision >= base + (1 - base)
/ 2, base the role's share of the language's mentions (#15). English is 70% Antagonist: a
label right 79% of the time told an analyst little; now it must be right 85% of the time.
Fixed by that principle, pre-registered in benchmarks/RESULTS.md, not tuned."""


def language_cuts(
    main_cal: np.ndarray,
    y_main: np.ndarray,
    languages: np.ndarray,
    rows: np.ndarray | None = None,
    *,
    min_skill: float = 0.0,
) -> dict[str, np.ndarray]:
    """Per training language, each main role's operating point (F0.5, floor 0.5) among the cuts
    where it is right at least `MIN_PRECISION` of the time on at least `MIN_SUPPORT` shown
    mentions, and at least `base + (1 - base) * min_skill` where base is the role's share of the
    language's mentions; 1.01 (never) where there is none. `rows`: only these rows choose."""
    use = np.ones(len(y_main), bool) if rows is None else np.isin(np.arange(len(y_main)), rows)
    one_hot = np.eye(main_cal.shape[1])[y_main]
    chosen, top = main_cal.argmax(axis=1), main_cal.max(axis=1)
    cuts = {}
    for language in sorted(set(languages.tolist())):
        m = use & (languages == language)
        base = one_hot[m].mean(axis=0)
        needed = np.full(len(base), MIN_PRECISION)
        if min_skill:  # a role common in the language must beat guessing it (#15)
            needed = np.maximum(needed, base + (1 - base) * min_skill)
        cut = np.concatenate(
            [
                operating_points(main_cal[m][:, [j]], one_hot[m][:, [j]], min_precision=need)
                for j, need in enumerate(needed)
            ]
        )
        for j, c in enumerate(cut):
            if ((chosen[m] == j) & (top[m] >= c)).sum() < MIN_SUPPORT:
                cut[j] = 1.01
        cuts[language] = cut
    return cuts


def nested_language_shown(
    main_cal: np.ndarray,
    y_main: np.ndarray,
    languages: np.ndarray,
    held_out: Sequence[np.ndarray],
    main_cut: np.ndarray,
) -> dict[str, float]:
    """Per language, the share of mentions whose main role is shown and how often it is right,
    with the per-language cuts chosen on the other folds (nested), beside the one global cut."""
    chosen, top = main_cal.argmax(axis=1), main_cal.max(axis=1)
    shown = np.zeros(len(y_main), bool)
    for held in held_out:
        cuts = language_cuts(
            main_cal, y_main, languages, rest_of(held, len(y_main)), min_skill=MIN_SKILL
        )
        for i in held:
            cut = cuts.get(str(languages[i]))
            shown[i] = cut is not None and top[i] >= cut[chosen[i]]
    right = chosen == y_main
    globally = top >= main_cut[chosen]
    scores: dict[str, float] = {}
    for language in sorted(set(languages.tolist())):
        m = languages == language
        for name, mask in (("language_cut", shown), ("global_cut", globally)):
            s = m & mask
            key = f"{language.upper()}_main_shown"
            scores[f"{key}_share_{name}"] = float(s.sum() / m.sum())
            scores[f"{key}_accuracy_{name}"] = float(right[s].mean()) if s.any() else 0.0
    return scores


def shown_scores(
    main_cal: np.ndarray,
    y_main: np.ndarray,
    main_cut: np.ndarray,
    fine_cal: np.ndarray,
    y_fine: np.ndarray,
    fine_cut: np.ndarray,
) -> dict[str, float]:
    """What the analyzer shows at its operating points, out of fold, and the cross-fitted ECE."""
    chosen = main_cal.argmax(axis=1)
    top = main_cal[np.arange(len(chosen)), chosen]
    shown = top >= main_cut[chosen]
    fine = reliability(fine_cal, y_fine, fine_cut)
    return {
        "main_ece": expected_calibration_error(top, (chosen == y_main).astype(float)),
        "main_shown_share": float(shown.mean()),
        "main_shown_accuracy": float((chosen == y_main)[shown].mean()) if shown.any() else 0.0,
        "fine_ece": fine.ece,
        "fine_ece_shown": fine.ece_shown,
        "fine_shown_precision": fine.shown_precision,
        "fine_shown_recall": fine.shown_recall,
    }


def fine_role_rows(
    calibrated: np.ndarray, y: np.ndarray, cuts: np.ndarray, labels: Sequence[str]
) -> list[str]:
    """The card's table rows: per fine role, its mentions, operating point, and precision and F1
    there (out of fold, before the decision rule)."""
    rows = []
    for j, label in enumerate(labels):
        truth, pred = y[:, j].astype(bool), calibrated[:, j] >= cuts[j]
        tp = int((truth & pred).sum())
        f1 = 2 * tp / max(int(truth.sum() + pred.sum()), 1)
        precision = tp / max(int(pred.sum()), 1)
        rows.append(
            f"| {label} | {int(truth.sum())} | {cuts[j]:.2f} | {precision:.3f} | {f1:.3f} |"
        )
    return rows
