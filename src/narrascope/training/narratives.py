"""Training and evaluation of the narrative heads (SemEval-2025 Task 10 subtask 2).

`train` fits one linear head over pooled sentence vectors for every narrative and listed
subnarrative on all train languages, calibrates the blended score per label (Platt, on the
out-of-fold scores), picks thresholds (and the weight of the definition-similarity view) by
article-grouped cross-validation, and writes the heads and their model card with the
cross-fitted calibration error. Operating rules (issue 15: level cuts on the calibrated
probability or on the uncalibrated blend, and a floor on the calibrated probability) are
measured by nested CV (`nested_cut_rules`, the vectorised `Decider` standing in for `decide`);
`CUT_CHOICE` says whether the shipped head keeps narratives-v2's rule. `evaluate` scores the
shipped heads on any split in the official layout with the official metric (samples-F1 over
articles, coarse and fine), paired by article id.

The data and the metric live in `narrative_scoring`, the operating rules and their nested CV in
`narrative_rules`, the heads per language in `narrative_languages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narrascope.analyzers.domain import GATE_FILE, DomainGate
from narrascope.analyzers.narratives import (
    DEFINITIONS_FILE,
    HEAD_FILE,
    OTHER,
    NarrativeAnalyzer,
    article_features,
    head_labels,
    read_taxonomy,
)
from narrascope.encode import Encoder, default_encoder
from narrascope.heads import LinearHead
from narrascope.training import Report
from narrascope.training.calibrate import (
    apply_platt,
    cross_fitted_platt,
    fit_platt_all,
    reliability,
)
from narrascope.training.corrections import WEIGHT, corrections_by_head, heads_of_corrections
from narrascope.training.fit import cross_validate, fit_calibration, grouped_folds
from narrascope.training.narrative_corrections import corpus_shift, fit_head, read_corrections
from narrascope.training.narrative_languages import (
    OWN_WEIGHT,
    PER_LANGUAGE_NOTE,
    REFIT_PER_LANGUAGE,
    LanguageHeads,
    language_heads,
)
from narrascope.training.narrative_rules import (
    CHOSEN,
    PRECISION_TARGET,
    V2_RULES,
    CutRule,
    Decider,
    candidate_rules,
    nested_cut_rules,
    nested_lines,
    pick_rule,
    score_rules,
)
from narrascope.training.narrative_scoring import (
    BLEND_TOLERANCE,
    BLENDS,
    CACHE,
    LEVELS,
    C,
    Example,
    choose_thresholds,
    cv_scores,
    definition_similarity,
    definition_texts,
    level_thresholds,
    read_split,
    score_decisions,
    targets,
)
from narrascope.training.narratives_card import write_model_card
from narrascope.training.semeval2025 import (
    NarrativeLabels,
    write_narrative_labels,
)

MODEL_ID = "narratives-v5"
# How `train` picks the shipped rule: "levels" (narratives-v2: cuts on the calibrated
# probabilities, no floor) or "nested" (CHOSEN's candidates, as nested CV measures them).
CUT_CHOICE = "nested"


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
    cut_choice: str = CUT_CHOICE,
) -> Report:
    """Fit the narrative heads on `data`'s train split; thresholds and blend chosen by grouped CV
    (a database's `corrections` weigh in the final fit only: see `narrative_corrections`; the
    pooled head takes them all, a language's own head those of documents in that language).

    `cut_choice`: "levels" (cuts on the calibrated probabilities, no floor) or "nested" (cut
    space and floor too, the rule `CHOSEN` that nested CV measures); both are measured."""
    encoder = encoder or default_encoder()
    taxonomy = read_taxonomy()
    labels = head_labels(taxonomy)
    examples = [
        ex
        for ex in read_split(
            data, "train", encoder=encoder, cache_dir=cache_dir, languages=languages
        )
        if ex.gold
    ]
    x = np.vstack([article_features(ex.encoded.vectors) for ex in examples])
    y = targets(examples, labels)
    groups = [ex.encoded.article.id for ex in examples]
    cv = cross_validate(x, y, groups, c=C, seed=seed, folds=folds)

    definitions = encoder.encode(definition_texts(taxonomy, labels))
    definitions[labels.index(OTHER)] = 0.0  # "Other" is never matched by meaning
    similarity = definition_similarity(examples, definitions)
    named = [j for j, label in enumerate(labels) if label != OTHER]
    slope, intercept = fit_calibration(similarity[:, named], y[:, named], seed=seed)
    similar = 1.0 / (1.0 + np.exp(-(slope * similarity + intercept)))
    is_other = np.array([label == OTHER for label in labels])

    report = Report("narratives")
    by_blend = {}
    for blend in BLENDS:
        blended = np.where(
            is_other, cv.probabilities, (1 - blend) * cv.probabilities + blend * similar
        )
        a, b = fit_platt_all(blended, y)
        calibrated = apply_platt(blended, a, b)
        cut, s = choose_thresholds(examples, taxonomy, labels, calibrated)
        by_blend[blend] = (cut, s, blended, a, b)
        report.lines.append(
            f"  blend {blend:.1f}: coarse {s['f1_coarse_official']:.4f} fine {s['f1_fine_official']:.4f}"
        )
    best = max(v[1]["f1_fine_official"] for v in by_blend.values())
    blend = max(
        b for b, v in by_blend.items() if v[1]["f1_fine_official"] >= best - BLEND_TOLERANCE
    )
    cut, scores, blended, platt_a, platt_b = by_blend[blend]
    held_out = grouped_folds(groups, folds, seed)
    crossfit = cross_fitted_platt(blended, y, held_out)
    decider = Decider(labels, taxonomy)
    candidates = candidate_rules()
    nested = nested_cut_rules(decider, examples, y, blended, held_out, candidates)
    rule = CutRule("calibrated", 0.0, *(scores[f"t_{level}"] for level in LEVELS))
    if cut_choice == "nested":  # the rule on all rows, as each outer fold chose it
        rules, min_precision = candidates[CHOSEN]
        scored = score_rules(decider, decider.gold(examples), y, crossfit, blended, rules)
        rule = pick_rule(scored, rules, min_precision)
        cut = rule.thresholds(labels)
        cut_scores = blended if rule.space == "blend" else None
        scores = {
            **{f"t_{level}": getattr(rule, level) for level in LEVELS},
            "floor": rule.floor,
            **cv_scores(examples, taxonomy, labels, crossfit, cut, cut_scores, rule.floor),
        }
    cut_on = blended if rule.space == "blend" else crossfit
    shown = reliability(crossfit, y, cut, cut_on, rule.floor)
    measured = nested[CHOSEN if cut_choice == "nested" else V2_RULES]
    english = np.array([i for i, ex in enumerate(examples) if ex.language.upper() == "EN"])
    report.scores = {
        "blend": blend,
        **scores,
        **{f"cal_{k}": v for k, v in shown.as_dict().items()},
        **{f"nested_{k}": v for k, v in measured.measures(y).items()},
        "nested_per_label_precision": measured.per_label_precision(y),
        **(
            {f"nested_EN_{k}": v for k, v in measured.measures(y, english).items()}
            if len(english)
            else {}
        ),
    }
    floor = level_thresholds(labels, 0.5, 0.5, 0.5)
    at_floor = cv_scores(examples, taxonomy, labels, apply_platt(blended, platt_a, platt_b), floor)
    report.lines.append(
        "  cuts all at 0.5 instead (precision-first floor): coarse "
        f"{at_floor['f1_coarse_official']:.4f} fine {at_floor['f1_fine_official']:.4f}, EN coarse "
        f"{at_floor.get('EN_f1_coarse_official', 0.0):.4f} fine {at_floor.get('EN_f1_fine_official', 0.0):.4f}"
    )
    gated_on = crossfit if cut_choice == "nested" else apply_platt(blended, platt_a, platt_b)
    report.scores |= gated_scores(
        examples,
        taxonomy,
        labels,
        gated_on,
        cut,
        encoder,
        blended if rule.space == "blend" else None,
        rule.floor,
    )
    report.lines += nested_lines(nested, examples, y)

    corrected = read_corrections(corrections, labels, encoder) if corrections else None
    weights, bias = fit_head(x, y, corrected, c=C, seed=seed)
    info: dict[str, object] = {
        "blend": blend,
        "c": C,
        "seed": seed,
        "folds": folds,
        "features": "mean+max of sentence vectors",
        "trained_on": "SemEval-2025 Task 10 train, "
        + ",".join(sorted({ex.language for ex in examples})),
        "platt_a": [round(float(v), 6) for v in platt_a],
        "platt_b": [round(float(v), 6) for v in platt_b],
        "cut_space": rule.space,
        "floor": rule.floor,
        "operating_rule": rule.describe()
        + (" (chosen by nested CV)" if cut_choice == "nested" else ""),
    }
    if corrected is not None:
        report.lines.append(corrected.card_line(WEIGHT))
    own = LanguageHeads()
    # One language alone: the pooled head is already its own.
    if len({ex.language.lower() for ex in examples}) > 1 and (
        corrected is None or REFIT_PER_LANGUAGE
    ):
        own = language_heads(
            examples, x, y, definitions, labels, taxonomy, decider, nested[CHOSEN],
            seed=seed, folds=folds, corrected=corrected,
        )  # fmt: skip
        report.lines += own.lines
        report.scores |= own.scores
        info["languages"] = own.info
    if corrected is not None:
        report.lines += corrections_by_head(corrected, own.info, OWN_WEIGHT)
        info["corrections"] = corrected.info(WEIGHT) | {
            "languages": heads_of_corrections(corrected, own.info),
            "own_weight": OWN_WEIGHT,
        }
    head = LinearHead(
        weights,
        bias,
        labels,
        MODEL_ID,
        encoder.name,
        thresholds=cut,
        info=info,
        extra=own.head_extra,
    )
    head.save(out / HEAD_FILE.name)
    def_head = LinearHead(
        # C order: safetensors writes the buffer as is, and a transposed view would be scrambled
        np.ascontiguousarray(slope * definitions.T, dtype=np.float32),
        np.where(is_other, -10.0, intercept).astype(np.float32),
        labels,
        MODEL_ID,
        encoder.name,
        info={"slope": slope, "intercept": intercept, "texts": "label name + our definition"},
        extra=own.definition_extra,
    )
    def_head.save(out / DEFINITIONS_FILE.name)
    if corrections and corrected is not None:
        refitted = NarrativeAnalyzer(head, def_head, DomainGate.load(encoder), blend=blend)
        report.lines.append(corpus_shift(corrections, refitted, encoder).line())
    passes = (cut_on >= cut[None, :]) & (crossfit >= rule.floor)
    card = (report, y, passes, labels, cut, len(examples), seed, folds)
    rule_text = ""
    if cut_choice == "nested":
        rule_text = (
            "- Operating rule (issue 15), chosen by nested CV among the candidates measured below:\n"
            "  level cuts (narrative, subnarrative, Other) on the calibrated probabilities or on\n"
            "  the uncalibrated blend, and a floor (0.15-0.35) that every shown label's calibrated\n"
            "  probability reaches (the best narrative too: under it the article gets `Other`,\n"
            "  nothing shown); of the rules whose shown labels are right at least\n"
            f"  {PRECISION_TARGET:.0%} of the time (narratives-v2's), the best samples-F1. Shipped:\n"
            f"  {rule.describe()}; the stored score stays the calibrated probability."
        )
    if own.info:
        rule_text += "\n" + PER_LANGUAGE_NOTE
    write_model_card(out / f"{MODEL_ID}.md", *card, rule=rule_text)
    return report


def gated_scores(
    examples, taxonomy, labels, probabilities, cut, encoder, cut_scores=None, floor=0.0
) -> dict[str, float]:
    """Samples-F1 when the shipped domain gate silences articles ("Other"), as analysis does.

    The gate was fitted on these articles too (its article-grouped CV is in its own card);
    empty when no gate file is there or the gate reads another encoder.
    """
    if not GATE_FILE.is_file():
        return {}
    gate = DomainGate.load(encoder)
    silenced = np.array(
        [not gate.verdict(ex.encoded.vectors, ex.encoded.article.text).inside for ex in examples]
    )
    other = labels.index(OTHER)
    gated = np.where(silenced[:, None], 0.0, probabilities)
    gated[:, other] = np.where(silenced, 1.0, probabilities[:, other])
    if cut_scores is not None:
        cut_scores = np.where(silenced[:, None], 0.0, cut_scores)
        cut_scores[:, other] = np.where(silenced, 1.0, cut_scores[:, other])
    scores = cv_scores(examples, taxonomy, labels, gated, cut, cut_scores, floor)
    out = {"gate_silenced": float(silenced.mean())}
    for key in ("f1_coarse_official", "f1_fine_official"):
        out[f"gated_{key}"] = scores[key]
        if "EN_" + key in scores:
            out[f"gated_EN_{key}"] = scores["EN_" + key]
    return out


# --- evaluation ----------------------------------------------------------------------------


def predict(analyzer: NarrativeAnalyzer, examples: Sequence[Example]) -> dict[str, NarrativeLabels]:
    """Official-format labels for every article, from the shipped heads."""
    out = {}
    for ex in examples:
        article_id = ex.encoded.article.id
        d, _ = analyzer.decision(ex.encoded.vectors, ex.language)
        out[article_id] = NarrativeLabels(article_id, tuple(d.narratives), tuple(d.subnarratives))
    return out


def evaluate(
    data: Path,
    *,
    split: str,
    predictions: Path | None,
    encoder: Encoder | None = None,
    cache_dir: Path | None = CACHE,
    models: Path | None = None,
) -> Report:
    """Score the shipped heads (or a model folder's) on `split`; write predictions if asked."""
    encoder = encoder or default_encoder()
    analyzer = NarrativeAnalyzer.load(encoder, models=models)
    taxonomy = read_taxonomy()
    examples = read_split(data, split, encoder=encoder, cache_dir=cache_dir)
    predicted = predict(analyzer, examples)
    report = Report("narratives")
    for language in sorted({ex.language for ex in examples}):
        mine = [ex for ex in examples if ex.language == language]
        rows = [predicted[ex.encoded.article.id] for ex in mine]
        if predictions is not None:
            path = predictions / language / "subtask-2-predictions.txt"
            write_narrative_labels(path, rows)
            report.lines.append(f"  wrote {path}")
        gold = {ex.encoded.article.id: ex.gold for ex in mine if ex.gold is not None}
        if gold:
            report.scores |= score_decisions(
                gold, {r.article_id: r for r in rows}, taxonomy, prefix=f"{language}_"
            )
    return report
