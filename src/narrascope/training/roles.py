"""Training and evaluation of the entity-role heads (SemEval-2025 Task 10 subtask 1).

Every gold mention becomes one example: its features are those the analyzer computes for an
entity (the sentences naming it, their neighbours, the article), where the entity's mentions
are the occurrences of the mention string in the article. `train` fits the main-role
(softmax) and fine-role (one-vs-rest) heads on all train languages with article-grouped CV;
`evaluate` scores the shipped heads on any split with the official measures (exact match
ratio on fine roles, main-role accuracy, fine-role micro-F1), paired by mention key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from narrascope.analyzers.roles import (
    FINE_FILE,
    MAIN_FILE,
    RoleAnalyzer,
    RoleDecision,
    decide_roles,
    entity_features,
    read_taxonomy,
    sentence_index,
)
from narrascope.encode import Encoder, default_encoder
from narrascope.heads import LinearHead, softmax
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report, trained_date
from narrascope.training.calibrate import (
    apply_temperature,
    cross_fitted_platt,
    fit_platt_all,
    fit_temperature,
    fold_platt,
    fold_temperature,
    operating_points,
)
from narrascope.training.corrections import WEIGHT, one_label_rows, weighted_in
from narrascope.training.fit import (
    cross_validate,
    fit_logistic,
    fit_softmax,
    grouped_folds,
    rest_of,
)
from narrascope.training.role_cuts import (
    MIN_PRECISION,
    MIN_SKILL,
    MIN_SUPPORT,
    fine_role_rows,
    language_cuts,
    nested_language_shown,
    shown_scores,
)
from narrascope.training.semeval2025 import (
    MAIN_ROLES,
    EncodedArticle,
    Mention,
    cache_path,
    encode_articles,
    language_dirs,
    mention_files,
    read_articles,
    read_mentions,
    read_offset_conventions,
    write_mentions,
)

CACHE = TRAINING_CACHE / "semeval2025"
C_MAIN = 1.0
C_FINE = 1.0
MODEL_ID = "roles-v4"
SECOND_ROLE_GRID = (0.8, 0.9, 0.95, 1.01)  # a second fine role needs this score (1.01: never)


@dataclass(slots=True)
class RoleExample:
    """One mention with the sentence rows that name its entity in the encoded article."""

    mention: Mention
    encoded: EncodedArticle
    rows: list[int]

    @property
    def language(self) -> str:
        return self.encoded.article.language


def mention_rows(encoded: EncodedArticle, mention: Mention) -> list[int]:
    """Sentences naming the mention string anywhere in the article, the mention's own included."""
    text = encoded.article.text
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(mention.text), text)]
    spans.append((mention.start, mention.end))
    return sentence_index(encoded.document(), spans)


def read_split(
    data: Path,
    split: str,
    *,
    encoder: Encoder,
    cache_dir: Path | None = CACHE,
    languages: Sequence[str] | None = None,
) -> list[RoleExample]:
    """Every subtask-1 mention of `split` (gold where present, else the input mentions), encoded."""
    conventions = read_offset_conventions(data)
    examples = []
    for language, lang_dir in language_dirs(data, split).items():
        if languages and language.lower() not in {code.lower() for code in languages}:
            continue
        gold, given = mention_files(lang_dir)
        source = gold or given
        if source is None:
            continue
        mentions = read_mentions(source, lang_dir, split=split, conventions=conventions)
        articles = read_articles(lang_dir)
        if split == "train":  # the train cache holds every train article (shared with narratives)
            needed = articles
        else:
            needed = {m.article_id: articles[m.article_id] for m in mentions}
        cache = cache_path(cache_dir, split, language, encoder) if split == "train" else None
        encoded = encode_articles(needed, encoder=encoder, cache=cache)
        for m in mentions:
            examples.append(
                RoleExample(m, encoded[m.article_id], mention_rows(encoded[m.article_id], m))
            )
    return examples


def features(ex: RoleExample) -> np.ndarray:
    """The analyzer's entity features for one mention (its string stands for the entity name)."""
    return entity_features(ex.encoded.vectors, ex.rows, ex.mention.text, ex.language)


# --- the official measures, paired by mention key -------------------------------------------


RoleSet = tuple[str | None, tuple[str, ...]]


def role_scores(
    gold: Mapping[tuple, RoleSet], predicted: Mapping[tuple, RoleSet], *, prefix: str = ""
) -> dict[str, float]:
    """T10-ST1 measures by mention key.

    `emr` is the official exact match (main role and the list of fine roles, in order, as the
    official script compares them); `emr_set` ignores the order of fine roles. A mention
    without a prediction counts as wrong.
    """
    if not gold:
        return {}
    missing: RoleSet = (None, ())
    pairs = [(g, predicted.get(k, missing)) for k, g in gold.items()]
    emr = np.mean([g[0] == p[0] and tuple(g[1]) == tuple(p[1]) for g, p in pairs])
    emr_set = np.mean([g[0] == p[0] and set(g[1]) == set(p[1]) for g, p in pairs])
    main = np.mean([g[0] == p[0] for g, p in pairs])
    tp = sum(len(set(g[1]) & set(p[1])) for g, p in pairs)
    fp = sum(len(set(p[1]) - set(g[1])) for g, p in pairs)
    fn = sum(len(set(g[1]) - set(p[1])) for g, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {
        f"{prefix}emr": float(emr),
        f"{prefix}emr_set": float(emr_set),
        f"{prefix}main_accuracy": float(main),
        f"{prefix}fine_micro_precision": precision,
        f"{prefix}fine_micro_recall": recall,
        f"{prefix}fine_micro_f1": f1,
    }


# --- training ------------------------------------------------------------------------------


def fit_main(
    x: np.ndarray, y: np.ndarray, seed: int, *, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The main-role softmax over the 3 main roles; weights (dim, 3), bias (3,)."""
    classes = range(len(MAIN_ROLES))
    return fit_softmax(
        x,
        y,
        classes,
        c=C_MAIN,
        seed=seed,
        max_iter=3000,
        absent_bias=-10.0,
        sample_weight=sample_weight,
    )


def train(
    data: Path,
    *,
    out: Path,
    seed: int,
    folds: int,
    encoder: Encoder | None = None,
    cache_dir: Path | None = CACHE,
    languages: Sequence[str] | None = None,
    corrections: str | None = None,
) -> Report:
    """Fit the main- and fine-role heads on `data`'s train split with article-grouped CV.

    `corrections`: a Narrascope database whose corrected entity roles are weighted into the
    final fits (the CV scores, calibration and cuts stay those of the labelled data alone).
    """
    encoder = encoder or default_encoder()
    taxonomy = read_taxonomy()
    fine_labels = [r.label for r in taxonomy if r.level == "fine"]
    parents = {r.label: r.parent for r in taxonomy if r.level == "fine"}
    examples = read_split(data, "train", encoder=encoder, cache_dir=cache_dir, languages=languages)
    examples = [ex for ex in examples if ex.mention.main_role in MAIN_ROLES]
    x = np.vstack([features(ex) for ex in examples])
    y_main = np.array([MAIN_ROLES.index(ex.mention.main_role) for ex in examples])
    column = {label: j for j, label in enumerate(fine_labels)}
    y_fine = np.zeros((len(examples), len(fine_labels)), dtype=np.int8)
    for row, ex in enumerate(examples):
        for role in ex.mention.fine_roles:
            if role in column:
                y_fine[row, column[role]] = 1
    groups = [ex.mention.article_id for ex in examples]

    held_out = grouped_folds(groups, folds, seed)
    main_cal, t = main_out_of_fold(x, y_main, held_out, seed)
    fine_cv = cross_validate(x, y_fine, groups, c=C_FINE, seed=seed, folds=folds)
    # Platt per fine role; the reported reliability is cross-fitted (each fold calibrated on
    # the other folds' scores)
    fine_a, fine_b = fit_platt_all(fine_cv.probabilities, y_fine)
    fine_cal = cross_fitted_platt(fine_cv.probabilities, y_fine, held_out)
    one_hot = np.eye(len(MAIN_ROLES))[y_main]
    main_cut = operating_points(main_cal, one_hot)
    fine_cut = operating_points(fine_cal, y_fine)
    spoken = np.array([ex.language.lower() for ex in examples])  # each mention's language
    by_language = language_cuts(main_cal, y_main, spoken, min_skill=MIN_SKILL)

    gold = {ex.mention.key: (ex.mention.main_role, ex.mention.fine_roles) for ex in examples}
    best = None
    for second in SECOND_ROLE_GRID:
        cut = np.full(len(fine_labels), second, dtype=np.float32)
        predicted = {}
        for row, ex in enumerate(examples):
            d = decide_roles(main_cal[row], fine_cal[row], MAIN_ROLES, fine_labels, cut, parents)
            predicted[ex.mention.key] = (d.main, tuple(r for r, _ in d.fine))
        scores = role_scores(gold, predicted)
        if best is None or scores["emr"] > best[0]["emr"]:
            best = (scores, predicted, cut, second)
    assert best is not None
    scores, predicted, cut, second = best
    report = Report("roles", {"t_second_role": second, **scores})
    for language in sorted({ex.language for ex in examples}):
        keys = [ex.mention.key for ex in examples if ex.language == language]
        report.scores |= role_scores({k: gold[k] for k in keys}, predicted, prefix=f"{language}_")
    report.scores |= shown_scores(main_cal, y_main, main_cut, fine_cal, y_fine, fine_cut)
    report.scores |= nested_language_shown(main_cal, y_main, spoken, held_out, main_cut)
    report.scores["temperature"] = t

    main_fit, fine_fit = (x, y_main, None), (x, y_fine, None)
    went_in: dict[str, object] = {}
    if corrections is not None:
        main_fit, fine_fit, went_in = _with_corrections(
            corrections, x, y_main, y_fine, encoder.name, report
        )
    w, b = fold_temperature(*fit_main(main_fit[0], main_fit[1], seed, sample_weight=main_fit[2]), t)
    info = {
        "c": C_MAIN,
        "seed": seed,
        "folds": folds,
        "context": 1,
        "features": "mention sentences mean, with neighbours mean, article mean",
        "temperature": t,
        "language_thresholds": {k: [round(float(v), 4) for v in c] for k, c in by_language.items()},
        **went_in,
    }
    LinearHead(
        w,
        b,
        list(MAIN_ROLES),
        MODEL_ID,
        encoder.name,
        thresholds=main_cut,
        activation="softmax",
        info=info,
    ).save(out / MAIN_FILE.name)
    x_fine, y_fit, cells = fine_fit
    w, b = fold_platt(
        *fit_logistic(x_fine, y_fit, c=C_FINE, seed=seed, cell_weights=cells), fine_a, fine_b
    )
    LinearHead(
        w,
        b,
        fine_labels,
        MODEL_ID,
        encoder.name,
        thresholds=fine_cut,
        info={**info, "c": C_FINE, "t_second_role": second, "calibration": "Platt per role"},
    ).save(out / FINE_FILE.name)
    write_model_card(
        out / f"{MODEL_ID}.md", report, y_fine, fine_cal, fine_cut, fine_labels, len(examples)
    )
    return report


def _with_corrections(
    db: str, x: np.ndarray, y_main: np.ndarray, y_fine: np.ndarray, encoder: str, report: Report
) -> tuple[tuple, tuple, dict[str, object]]:
    """The main- and fine-role training sets with database `db`'s corrected entities weighted
    in, as (x, y, weights) each, and what the head's metadata says about them (the card's
    lines go into `report`). A main-role row needs a verdict naming its main role; the fine
    roles learn from every cell a verdict covers."""
    from narrascope.training.role_corrections import corrected_entities

    corrected, unknown = corrected_entities(db, MAIN_ROLES, encoder=encoder)
    k = len(MAIN_ROLES)
    main = replace(corrected, y=corrected.y[:, :k], ruled=corrected.ruled[:, :k])
    fine = replace(corrected, y=corrected.y[:, k:], ruled=corrected.ruled[:, k:])
    x_more, mains, left_out = one_label_rows(main, MAIN_ROLES)
    main_set = (
        np.vstack([x, x_more]).astype(np.float32) if len(mains) else x,
        np.concatenate([y_main, [MAIN_ROLES.index(m) for m in mains]]).astype(int),
        np.concatenate([np.ones(len(y_main)), np.full(len(mains), float(WEIGHT))]),
    )
    report.lines.append(corrected.card_line(WEIGHT))
    report.lines.append(
        f"  {len(corrected.x)} corrected entities: {len(mains)} teach the main role "
        f"({left_out} say only which role an entity does not play), "
        f"{int(fine.ruled.any(axis=1).sum())} the fine roles"
        + (f"; {unknown} verdicts on entities without known mentions left out." if unknown else ".")
    )
    info = {
        **corrected.info(WEIGHT),
        "entities": len(corrected.x),
        "main_rows": len(mains),
        "unknown_entities": unknown,
    }
    return main_set, weighted_in(x, y_fine, fine, WEIGHT), {"corrections": info}


def main_out_of_fold(
    x: np.ndarray, y_main: np.ndarray, held_out: Sequence[np.ndarray], seed: int
) -> tuple[np.ndarray, float]:
    """The main-role head's out-of-fold probabilities calibrated with a temperature cross-fitted
    over the folds (each fold's from the other folds' scores), and the temperature fitted on
    all of them (what the shipped head folds in)."""
    main_oof = np.zeros((len(y_main), len(MAIN_ROLES)), dtype=np.float32)
    for held in held_out:
        rest = rest_of(held, len(y_main))
        w, b = fit_main(x[rest], y_main[rest], seed)
        main_oof[held] = softmax(x[held] @ w + b)
    main_cal = np.zeros(main_oof.shape)
    for held in held_out:
        rest = rest_of(held, len(y_main))
        main_cal[held] = apply_temperature(
            main_oof[held], fit_temperature(main_oof[rest], y_main[rest])
        )
    return main_cal, fit_temperature(main_oof, y_main)


def write_model_card(
    path: Path,
    report: Report,
    y: np.ndarray,
    calibrated: np.ndarray,
    cuts: np.ndarray,
    labels: Sequence[str],
    n: int,
) -> None:
    """The model card: data and terms, encoder, seed, CV scores overall, per language, per role."""
    rows = fine_role_rows(calibrated, y, cuts, labels)
    lines = [
        f"# {MODEL_ID}",
        "",
        "Main role (Protagonist / Antagonist / Innocent) and fine roles (22) of an entity in an article",
        "(SemEval-2025 Task 10 subtask 1 taxonomy).",
        "",
        f"- Data: SemEval-2025 Task 10 train split ({n} gold mentions, all five languages). Research",
        "  use only: the organisers state no licence; read by path, never redistributed.",
        "- Encoder: use-multilingual-v3 (512-d). Features: mean vector of the sentences naming the",
        "  entity, the same with one neighbour on each side, the article mean, a hashed bag of",
        "  the name's character 3-grams and words (512) and a one-hot of the training language.",
        f"- Heads: multinomial logistic regression for the main role (`{MAIN_FILE.name}`),",
        "  one temperature folded in; class-balanced one-vs-rest logistic regression for fine",
        f"  roles (`{FINE_FILE.name}`), Platt per role folded in. Stored scores are calibrated",
        "  probabilities. The task's answer (evaluate, EMR) restricts fine roles to the chosen main",
        "  role's children: the best one, a second only over `t_second_role`.",
        "- Analysis shows an entity's role only when its main-role probability passes that role's",
        "  operating point in the article's language (F0.5, floor 0.5, on calibrated out-of-fold",
        f"  probabilities, among the cuts right at least {MIN_PRECISION:.0%} of the time on at least",
        f"  {MIN_SUPPORT} mentions of that language and right at least base + (1 - base) *",
        f"  {MIN_SKILL:g}, base the role's share of the language's mentions (a role common in a",
        "  language must beat guessing it), else never: `language_thresholds` in the main",
        "  head's metadata; the head's thresholds for another language), and only the fine roles",
        "  (children of the main role) over their own operating point (1.01 = never shown). One",
        "  record per entity, named actors only. `*_main_shown_*_language_cut`: the per-language",
        "  cuts chosen on the other folds (nested); `*_global_cut`: one cut for all languages.",
        f"- Seed 13, 5 article-grouped folds. Trained {trained_date()};",
        "  rebuild with `narrascope train roles --data DIR`.",
        *report.lines,
        "",
        "## Cross-validated scores (paired by mention key)",
        "",
        "`emr` is the official exact match ratio (main role and ordered fine roles); `emr_set`",
        "ignores the order of fine roles. For scale: always answering the majority main role",
        "(Antagonist) scores main-role accuracy 0.47 overall, 0.70 on EN, 0.55 on RU.",
        "`main_shown_*`: mentions whose main role passes the operating point, and their accuracy;",
        "`*_ece`: expected calibration error, calibration cross-fitted (main: of the shown",
        "probability; fine: over every mention and role); `fine_shown_*`: micro precision and",
        "recall of the fine roles over their operating points.",
        "",
        "| score | value |",
        "|---|---|",
        *[f"| {k} | {v:.4f} |" for k, v in report.scores.items()],
        "",
        "## Per fine role (out-of-fold, calibrated, at its operating point, before the decision rule)",
        "",
        "| role | mentions | operating point | precision | F1 |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


# --- evaluation ----------------------------------------------------------------------------


def evaluate(
    data: Path,
    *,
    split: str,
    predictions: Path | None,
    encoder: Encoder | None = None,
    cache_dir: Path | None = CACHE,
    models: Path | None = None,
) -> Report:
    """Score the shipped heads (or a model folder's, `models`) on `split`'s mentions; write official predictions per language if asked."""
    encoder = encoder or default_encoder()
    analyzer = RoleAnalyzer.load(encoder, models=models)
    examples = read_split(data, split, encoder=encoder, cache_dir=cache_dir)
    report = Report("roles")
    for language in sorted({ex.language for ex in examples}):
        mine = [ex for ex in examples if ex.language == language]
        decisions = [
            analyzer.decide(ex.encoded.vectors, ex.rows, ex.mention.text, ex.language)
            for ex in mine
        ]
        write_and_score(report, mine, decisions, language, predictions)
    return report


def write_and_score(
    report: Report,
    examples: Sequence[RoleExample],
    decisions: Sequence[RoleDecision],
    language: str,
    predictions: Path | None,
) -> None:
    """The decisions on one language's mentions as the official answer: written under
    `predictions/LANGUAGE/` when given, scored against the gold roles when there are any."""
    rows = [
        Mention(
            ex.mention.article_id,
            ex.mention.text,
            ex.mention.start,
            ex.mention.end,
            ex.mention.official_start,
            ex.mention.official_end,
            d.main,
            tuple(r for r, _ in d.fine),
        )
        for ex, d in zip(examples, decisions, strict=True)
    ]
    if predictions is not None:
        path = predictions / language / "subtask-1-predictions.txt"
        write_mentions(path, rows)
        report.lines.append(f"  wrote {path}")
    gold = {
        ex.mention.key: (ex.mention.main_role, ex.mention.fine_roles)
        for ex in examples
        if ex.mention.main_role
    }
    if gold:
        predicted = {r.key: (r.main_role, r.fine_roles) for r in rows}
        report.scores |= role_scores(gold, predicted, prefix=f"{language}_")
