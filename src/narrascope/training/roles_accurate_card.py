"""The model card of the accurate role heads (`roles-accurate-vN.md`), written by
`narrascope train roles --profile accurate`: data and terms, features, heads, what analysis
shows, CV scores beside the fast head's, and per fine role.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narrascope.analyzers.roles_accurate import MAX_SENTENCES, ROLES_ACCURATE_VERSION
from narrascope.training import Report, trained_date
from narrascope.training.role_cuts import MIN_PRECISION, MIN_SKILL, MIN_SUPPORT, fine_role_rows


def write_card(
    path: Path,
    report: Report,
    calibrated: np.ndarray,
    y: np.ndarray,
    cuts: np.ndarray,
    labels: Sequence[str],
) -> None:
    """The model card: data and terms, features, heads, CV scores beside the fast head's."""
    rows = fine_role_rows(calibrated, y, cuts, labels)
    lines = [
        f"# {ROLES_ACCURATE_VERSION}: entity roles read in context (accurate profile, English)",
        "",
        "Main role (Protagonist / Antagonist / Innocent) and fine roles (22) of a named entity in an",
        "article (SemEval-2025 Task 10 subtask 1 taxonomy), from the entity's own word pieces.",
        "",
        "- Built by `narrascope train roles --profile accurate --data DIR` (seed 13, 5 folds grouped",
        "  by article); needs no torch: the token states come from the accurate technique model",
        "  (`techniques-accurate-v1.onnx`, run with ONNX Runtime: its `token_states` output, and",
        "  layer 5 added as an output in memory at load), in the run that gives the techniques.",
        "- Data: the English train split of SemEval-2025 Task 10 subtask 1 (gold mentions). Research",
        "  use only: the organisers state no licence; read by path, never redistributed. The files",
        "  hold weights, not text.",
        "- Features of an entity (one row per gold mention in training, where the entity's mentions",
        "  are the occurrences of the mention string in the article): the mean token state of the",
        "  mentions' word pieces over the sentences naming the entity (at most the first",
        f"  {MAX_SENTENCES}), each sentence read as `[CLS] sentence [SEP] previous sentence [SEP]` (128",
        "  word pieces), at MiniLM layers 5 (all-MiniLM-L6-v2's own) and 6 (fine-tuned on",
        "  techniques); then the fast role head's features (use-multilingual-v3 vectors of the",
        "  mention sentences, with neighbours, the article; hashed name; language). Standardised;",
        "  the standardisation is folded into the weights.",
        "- Heads: multinomial logistic regression for the main role (temperature folded in), and",
        "  class-balanced one-vs-rest logistic regression for the fine roles (Platt per role folded",
        "  in), both L2, C chosen by CV on exact match plus main-role accuracy. The answer: main",
        "  role = argmax; fine roles = that main role's children only, the best always, a second",
        "  over `t_second_role`.",
        "- Analysis shows an entity's role only when its main-role probability passes that role's",
        "  English cut (`language_thresholds` in the main head's metadata), the fast head's rule:",
        "  F0.5, floor 0.5, on calibrated out-of-fold probabilities, among the cuts right at least",
        f"  {MIN_PRECISION:.0%} of the time on at least {MIN_SUPPORT} mentions and at least base +",
        f"  (1 - base) * {MIN_SKILL:g}, base the role's share of English mentions (a role common in",
        "  English must beat guessing it, #15), else never; and only the fine roles over their own",
        "  operating point. One record per entity, named actors only. Other languages: the fast",
        "  role head (`analyzers.roles`) and a `not-analyzed` note.",
        f"- Trained {trained_date()}.",
        *report.lines,
        "",
        "## Cross-validated scores (English train, paired by mention key)",
        "",
        "`emr`: official exact match ratio; `main_accuracy`; `fine_micro_f1`. `fast_en_*`: the fast",
        "head's recipe fitted on the same English rows of each fold; `fast_all_*`: fitted as it",
        "ships, with every other train language's mentions added to each fold's training rows",
        "(English rows scored). Always answering Antagonist: main-role accuracy 0.695. The chosen C",
        "is selected on these same folds (`select_*`), so the accurate scores lean slightly high.",
        "`*_ece`: expected calibration error of cross-fitted calibrated probabilities (main: of the",
        "chosen role's probability; fine: over every mention and role); `main_ece_seed*`: the",
        "main ECE with the folds drawn by other seeds (one seed's is noisy on 686 mentions; its",
        "noise floor is ~0.03). `main_shown_*`: mentions whose main role passes the English cuts",
        "chosen on all folds; `EN_main_shown_*_language_cut`: those cuts chosen on the other folds",
        "(nested); `*_global_cut`: the F0.5 cuts alone (what v1 showed).",
        "",
        "| score | value |",
        "|---|---|",
        *[f"| {k} | {v:.4f} |" for k, v in report.scores.items()],
        "",
        "## Per fine role (out of fold, calibrated, at its operating point, before the decision rule)",
        "",
        "| role | mentions | operating point | precision | F1 |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
