"""The narrative heads per language (narratives-v4): `train`'s recipe on one language's
articles alone, kept where its nested samples-F1 is at least the pooled head's. A refit with an
analyst's corrections (#19) fits each kept head with the corrections of documents in its
language; the pooled head takes them all (`corrections.corrections_by_head` says which went
where).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from narrascope.analyzers.narratives import (
    OTHER,
    NarrativeLabel,
)
from narrascope.training.calibrate import (
    apply_platt,
    cross_fitted_platt,
    fit_platt_all,
)
from narrascope.training.corrections import CorrectedSet
from narrascope.training.fit import cross_validate, fit_calibration, grouped_folds
from narrascope.training.narrative_corrections import fit_head
from narrascope.training.narrative_rules import (
    CHOSEN,
    Decider,
    NestedResult,
    candidate_rules,
    nested_cut_rules,
    pick_rule,
    score_rules,
)
from narrascope.training.narrative_scoring import (
    BLEND_TOLERANCE,
    BLENDS,
    C,
    Example,
    choose_thresholds,
    cv_scores,
    definition_similarity,
)

# A language with at least this many annotated train articles gets a head of its own (fitted on
# its articles alone, blend, calibration and rule too): nested CV, benchmarks/RESULTS.md
# "Narratives: a head per language vs the pooled head" (EN fine 0.430 -> 0.465).
MIN_LANGUAGE_ARTICLES = 200
REFIT_PER_LANGUAGE = True
"""Whether a refit with an analyst's corrections (`train --corrections`) fits the heads per
language too, each with its language's corrections; False: the pooled head alone takes them all
and every language is analysed with it (the refit before #19's per-language one). Decided by
`benchmarks/learning_curve.py --within EN`, benchmarks/RESULTS.md "Corrections per language"."""
OWN_WEIGHT = 1
"""How many training rows one analyst's verdict counts as in a head per language's refit (the
pooled head's stays `corrections.WEIGHT`, 5; the anchors are weighed against `WEIGHT` either
way). 1, not 5: pre-registered on HI and RU, `benchmarks/learning_curve_within.py
--own-weight 1`, benchmarks/RESULTS.md "The own head's corrections weight"."""
PER_LANGUAGE_NOTE = """\
- Heads per language (narratives-v4): each language with at least 200 annotated train
  articles gets a head fitted on its articles alone (own similarity calibration, blend, Platt
  pairs and operating rule, chosen as above on its own articles), kept only if its nested
  fine samples-F1 on those articles is at least the pooled head's (the comparison is listed
  under "Heads per language"); the analyzer uses the article's language's head, the pooled
  head (measured below) for any other language. Pre-registered nested CV
  (`benchmarks/narratives_per_language.py`, coarse / fine samples-F1), pooled -> own:
  EN 0.521 / 0.430 -> 0.554 / 0.465; RU 0.495 / 0.351 -> 0.606 / 0.445; PT 0.580 / 0.361 ->
  0.622 / 0.389; HI 0.307 / 0.263 -> 0.337 / 0.310 (0.36 labels shown per article);
  BG 0.523 / 0.330 -> 0.505 / 0.287 (worse: BG keeps the pooled head). Own-or-pooled chosen
  inside each outer fold: all articles 0.487 / 0.348 (pooled) -> 0.524 / 0.383
  (shown precision 0.449 -> 0.499)."""


@dataclass
class LanguageHead:
    """A head fitted on one language's articles alone, as `train` fits the pooled one."""

    head_tensors: dict[str, np.ndarray]  # weights, bias, thresholds
    definition_tensors: dict[str, np.ndarray]  # weights, bias of the definitions head
    info: dict[str, object]
    scores: dict[str, float]  # CV samples-F1 of the chosen rule on these articles
    nested_coarse: float  # nested CV samples-F1 over these articles (rule chosen on other folds)
    nested_fine: float

    def line(self, language: str) -> str:
        return (
            f"- {language.upper()} ({self.info['articles']} articles): blend "
            f"{self.info['blend']}, {self.info['operating_rule']}; CV coarse "
            f"{self.scores['f1_coarse_official']:.4f} fine {self.scores['f1_fine_official']:.4f}"
        )

    def verdict(self, language: str, pooled_coarse: float, pooled_fine: float) -> str:
        kept = "own head kept" if self.kept(pooled_fine) else "pooled head kept"
        return (
            f"- {language.upper()}: {kept}; nested coarse / fine own {self.nested_coarse:.4f} / "
            f"{self.nested_fine:.4f}, pooled {pooled_coarse:.4f} / {pooled_fine:.4f}"
        )

    def kept(self, pooled_fine: float) -> bool:
        """The own head ships only if its nested fine samples-F1 is at least the pooled one's."""
        return self.nested_fine >= pooled_fine


def language_head(
    examples: Sequence[Example],
    x: np.ndarray,
    y: np.ndarray,
    definitions: np.ndarray,
    labels: Sequence[str],
    taxonomy: Sequence[NarrativeLabel],
    decider: Decider,
    *,
    seed: int,
    folds: int,
    corrected: CorrectedSet | None = None,
    weight: int = OWN_WEIGHT,
) -> LanguageHead:
    """`train`'s recipe (head, similarity calibration, blend, Platt, the `CHOSEN` rule) on one
    language's articles alone, over its own grouped folds; `corrected`, that language's
    corrections, weigh in the final fit only, each verdict as `weight` training rows."""
    groups = [ex.encoded.article.id for ex in examples]
    cv = cross_validate(x, y, groups, c=C, seed=seed, folds=folds)
    similarity = definition_similarity(examples, definitions)
    named = [j for j, label in enumerate(labels) if label != OTHER]
    slope, intercept = fit_calibration(similarity[:, named], y[:, named], seed=seed)
    similar = 1.0 / (1.0 + np.exp(-(slope * similarity + intercept)))
    is_other = np.array([label == OTHER for label in labels])
    by_blend = {}
    for blend in BLENDS:
        blended = np.where(
            is_other, cv.probabilities, (1 - blend) * cv.probabilities + blend * similar
        )
        _, s = choose_thresholds(
            examples, taxonomy, labels, apply_platt(blended, *fit_platt_all(blended, y))
        )
        by_blend[blend] = (s["f1_fine_official"], blended)
    best = max(v[0] for v in by_blend.values())
    blend = max(b for b, v in by_blend.items() if v[0] >= best - BLEND_TOLERANCE)
    blended = by_blend[blend][1]
    platt_a, platt_b = fit_platt_all(blended, y)
    own_folds = grouped_folds(groups, folds, seed)
    crossfit = cross_fitted_platt(blended, y, own_folds)
    # Nested CV of this head on its own folds: what `train` weighs against the pooled head's
    # nested decisions on the same articles before it keeps this head.
    nested = nested_cut_rules(
        decider, examples, y, blended, own_folds, {CHOSEN: candidate_rules()[CHOSEN]}
    )[CHOSEN]
    rules, min_precision = candidate_rules()[CHOSEN]
    scored = score_rules(decider, decider.gold(examples), y, crossfit, blended, rules)
    rule = pick_rule(scored, rules, min_precision)
    cut = rule.thresholds(labels)
    cut_scores = blended if rule.space == "blend" else None
    scores = cv_scores(examples, taxonomy, labels, crossfit, cut, cut_scores, rule.floor)
    weights, bias = fit_head(x, y, corrected, c=C, seed=seed, weight=weight)
    info: dict[str, object] = {
        "articles": len(examples),
        "blend": blend,
        "platt_a": [round(float(v), 6) for v in platt_a],
        "platt_b": [round(float(v), 6) for v in platt_b],
        "cut_space": rule.space,
        "floor": rule.floor,
        "operating_rule": rule.describe(),
        "slope": slope,
        "intercept": intercept,
    }
    if corrected is not None and len(corrected.x):
        info["corrections"] = corrected.info(weight)
    return LanguageHead(
        {"weights": weights, "bias": bias, "thresholds": cut},
        {
            "weights": np.ascontiguousarray(slope * definitions.T, dtype=np.float32),
            "bias": np.where(is_other, -10.0, intercept).astype(np.float32),
        },
        info,
        {k: scores[k] for k in ("f1_coarse_official", "f1_fine_official")},
        float(nested.coarse.mean()),
        float(nested.fine.mean()),
    )


@dataclass
class LanguageHeads:
    """The heads per language `train` keeps, as the extra tensors of the pooled head's file and
    of the definitions head's, with their facts (`info["languages"]`) and the card's lines."""

    head_extra: dict[str, np.ndarray] = field(default_factory=dict)
    definition_extra: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, dict[str, object]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)


def language_heads(
    examples: Sequence[Example],
    x: np.ndarray,
    y: np.ndarray,
    definitions: np.ndarray,
    labels: Sequence[str],
    taxonomy: Sequence[NarrativeLabel],
    decider: Decider,
    pooled: NestedResult,
    *,
    seed: int,
    folds: int,
    corrected: CorrectedSet | None = None,
    weight: int = OWN_WEIGHT,
) -> LanguageHeads:
    """A head for every language with `MIN_LANGUAGE_ARTICLES` articles, kept where its nested
    fine samples-F1 is at least the `pooled` head's nested decisions on the same articles.

    With an analyst's `corrected` documents, a language's head is fitted with the corrections of
    documents in that language (the pooled head takes them all, `train`), so a corpus's verdicts
    reach the head its documents are analysed with (#19); each verdict counts `weight` rows."""
    out = LanguageHeads()
    language_of = np.array([ex.language.lower() for ex in examples])
    out.lines += [
        "",
        "## Heads per language (kept if its nested fine samples-F1 is at least the pooled"
        " head's; cut rule chosen by CV on the language alone)",
        "",
    ]
    for language in sorted(set(language_of)):
        mine = np.flatnonzero(language_of == language)
        if len(mine) < MIN_LANGUAGE_ARTICLES:
            continue
        fitted = language_head(
            [examples[int(i)] for i in mine], x[mine], y[mine], definitions, labels, taxonomy,
            decider, seed=seed, folds=folds,
            corrected=corrected.in_language(language) if corrected is not None else None,
            weight=weight,
        )  # fmt: skip
        pooled_coarse = float(pooled.coarse[mine].mean())
        pooled_fine = float(pooled.fine[mine].mean())
        out.lines.append(fitted.verdict(language, pooled_coarse, pooled_fine))
        if not fitted.kept(pooled_fine):
            continue
        for name, tensor in fitted.head_tensors.items():
            out.head_extra[f"{name}.{language}"] = tensor
        for name, tensor in fitted.definition_tensors.items():
            out.definition_extra[f"{name}.{language}"] = tensor
        out.info[language] = fitted.info
        out.lines.append(fitted.line(language))
        out.scores |= {f"own_{language.upper()}_{k}": v for k, v in fitted.scores.items()}
    return out
