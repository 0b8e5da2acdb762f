"""Training and evaluation of the narrative heads (SemEval-2025 Task 10 subtask 2).

`train` fits one linear head over pooled sentence vectors for every narrative and listed
subnarrative on all train languages, calibrates the blended score per label (Platt, on the
out-of-fold scores), picks thresholds (and the weight of the definition-similarity view) by
article-grouped cross-validation, and writes the heads and their model card with the
cross-fitted calibration error. Operating rules (issue 15: level cuts on the calibrated
probability or on the uncalibrated blend, and a floor on the calibrated probability) are
measured by nested CV (`nested_cut_rules`, the vectorised `Decider` standing in for `decide`);
`CUT_CHOICE` says whether the shipped head keeps narratives-v2's rule. `evaluate` scores the shipped heads on any split in the official layout
with the official metric (samples-F1 over articles, coarse and fine), paired by article id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.domain import GATE_FILE, DomainGate
from narrascope.analyzers.narratives import (
    DEFINITIONS_FILE,
    HEAD_FILE,
    OTHER,
    NarrativeAnalyzer,
    NarrativeLabel,
    article_features,
    decide,
    head_labels,
    is_subnarrative,
    parent_of,
    read_taxonomy,
)
from narrascope.encode import Encoder, default_encoder
from narrascope.heads import LinearHead
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report
from narrascope.training.calibrate import (
    apply_platt,
    cross_calibrated,
    cross_fitted_platt,
    expected_calibration_error,
    fit_platt_all,
    reliability,
)
from narrascope.training.corrections import WEIGHT
from narrascope.training.fit import cross_validate, fit_calibration, grouped_folds
from narrascope.training.narrative_corrections import corpus_shift, fit_head, read_corrections
from narrascope.training.narratives_card import write_model_card
from narrascope.training.semeval2025 import (
    EncodedArticle,
    NarrativeLabels,
    cache_path,
    encode_articles,
    language_dirs,
    read_articles,
    read_narrative_labels,
    write_narrative_labels,
)

CACHE = TRAINING_CACHE / "semeval2025"
C = 10.0  # chosen by CV among 0.3, 1, 3, 10 (fine samples-F1 0.300, 0.321, 0.335, 0.339)
BLENDS = (0.0, 0.1, 0.2, 0.3, 0.4)
BLEND_TOLERANCE = 0.01  # fine samples-F1 we give up, in CV, for out-of-domain reach
# Per-level cuts searched jointly for samples-F1 (not per label: see `choose_thresholds`).
# On calibrated probabilities: a cut is "how often right" (floors below 0.5 are shown in CV).
LEVEL_GRID = {
    "narrative": (0.3, 0.4, 0.5, 0.6),
    "subnarrative": (0.2, 0.3, 0.4, 0.5),
    "other": (0.3, 0.4, 0.5, 0.6),
}
MODEL_ID = "narratives-v4"
LEVELS = ("narrative", "subnarrative", "other")
# A language with at least this many annotated train articles gets a head of its own (fitted on
# its articles alone, blend, calibration and rule too): nested CV, benchmarks/RESULTS.md
# "Narratives: a head per language vs the pooled head" (EN fine 0.430 -> 0.465).
MIN_LANGUAGE_ARTICLES = 200
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


@dataclass(slots=True)
class Example:
    """An encoded article and its gold labels (None where the split has no gold)."""

    encoded: EncodedArticle
    gold: NarrativeLabels | None

    @property
    def language(self) -> str:
        return self.encoded.article.language


def read_split(
    data: Path,
    split: str,
    *,
    encoder: Encoder,
    cache_dir: Path | None = CACHE,
    languages: Sequence[str] | None = None,
) -> list[Example]:
    """Every subtask-2 article of `split` (all languages unless told), encoded, with its gold."""
    examples = []
    for language, lang_dir in language_dirs(data, split).items():
        if languages and language.lower() not in {code.lower() for code in languages}:
            continue
        gold_file = lang_dir / "subtask-2-annotations.txt"
        gold = read_narrative_labels(gold_file) if gold_file.is_file() else {}
        # dev/test keep subtask-1 and subtask-2 inputs apart: narratives read only their own
        articles = read_articles(lang_dir, folders=("raw-documents", "subtask-2-documents"))
        if gold:  # train keeps all texts in one folder; score only the annotated ones
            articles = {i: a for i, a in articles.items() if i in gold}
        cache = cache_path(cache_dir, split, language, encoder)
        encoded = encode_articles(articles, encoder=encoder, cache=cache)
        examples += [Example(encoded[i], gold.get(i)) for i in sorted(encoded)]
    return examples


# --- the official metric, paired by article id -------------------------------------------


def instance_f1(gold: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> float:
    """The official per-article F1: labels outside `classes` are ignored; nothing on both sides is 0."""
    known = set(classes)
    truth, guess = set(gold) & known, set(predicted) & known
    if not truth and not guess:
        return 0.0
    return 2 * len(truth & guess) / (len(truth) + len(guess))


def samples_f1(
    gold: Mapping[str, Sequence[str]],
    predicted: Mapping[str, Sequence[str]],
    classes: Sequence[str],
) -> tuple[float, float]:
    """T10-ST2 samples-F1 (mean, std over articles), pairing gold and prediction by article id.

    The official script pairs rows by file order; here an article missing from `predicted`
    counts as an empty prediction, and predictions for unknown articles are ignored.
    """
    if not gold:
        return 0.0, 0.0
    scores = np.array(
        [instance_f1(labels, predicted.get(i, ()), classes) for i, labels in gold.items()]
    )
    return float(scores.mean()), float(scores.std())


def official_classes(
    taxonomy: Sequence[NarrativeLabel], *, extended: bool
) -> tuple[list[str], list[str]]:
    """Coarse and fine class lists: the official lists, or with the gold-only subnarratives added."""
    keep = [t for t in taxonomy if extended or t.official]
    coarse = [t.label for t in keep if t.level == "narrative"]
    fine = [t.label for t in keep if t.level == "subnarrative"] + [OTHER]
    return coarse, fine


def score_decisions(
    gold: dict[str, NarrativeLabels],
    predicted: dict[str, NarrativeLabels],
    taxonomy: Sequence[NarrativeLabel],
    *,
    prefix: str = "",
) -> dict[str, float]:
    """Coarse and fine samples-F1 against the official lists and the extended ones."""
    scores = {}
    for extended in (False, True):
        coarse, fine = official_classes(taxonomy, extended=extended)
        tag = "extended" if extended else "official"
        gold_c = {i: g.narratives for i, g in gold.items()}
        gold_f = {i: g.subnarratives for i, g in gold.items()}
        pred_c = {i: p.narratives for i, p in predicted.items()}
        pred_f = {i: p.subnarratives for i, p in predicted.items()}
        scores[f"{prefix}f1_coarse_{tag}"] = samples_f1(gold_c, pred_c, coarse)[0]
        scores[f"{prefix}f1_fine_{tag}"] = samples_f1(gold_f, pred_f, fine)[0]
    return scores


# --- training ------------------------------------------------------------------------------


def targets(examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    """Binary (articles, labels) matrix from the gold narratives and subnarratives."""
    column = {label: j for j, label in enumerate(labels)}
    y = np.zeros((len(examples), len(labels)), dtype=np.int8)
    for row, ex in enumerate(examples):
        assert ex.gold is not None
        for label in (*ex.gold.narratives, *ex.gold.subnarratives):
            if label in column:
                y[row, column[label]] = 1
    return y


def _labels_of(
    decision_scores: np.ndarray,
    labels: Sequence[str],
    cut: np.ndarray,
    article_id: str,
    cut_scores: np.ndarray | None = None,
    floor: float = 0.0,
) -> NarrativeLabels:
    d = decide(decision_scores, labels, cut, cut_scores=cut_scores, floor=floor)
    return NarrativeLabels(article_id, tuple(d.narratives), tuple(d.subnarratives))


def definition_similarity(examples: Sequence[Example], definitions: np.ndarray) -> np.ndarray:
    """Per article and label, the highest cosine between a sentence and the label's definition."""
    out = np.zeros((len(examples), definitions.shape[0]), dtype=np.float32)
    for row, ex in enumerate(examples):
        if len(ex.encoded.vectors):
            out[row] = (ex.encoded.vectors @ definitions.T).max(axis=0)
    return out


def definition_texts(taxonomy: Sequence[NarrativeLabel], labels: Sequence[str]) -> list[str]:
    """What the definition view encodes per label: its name (without domain prefix) and definition."""
    by_label = {t.label: t for t in taxonomy}
    texts = []
    for label in labels:
        name = label.split(": ", 1)[1] if ": " in label else label
        texts.append(f"{name}. {by_label[label].definition}")
    return texts


def level_thresholds(
    labels: Sequence[str], narrative: float, subnarrative: float, other: float
) -> np.ndarray:
    """One threshold per head label from three: narratives, subnarratives and "Other"."""
    return np.array(
        [
            other if label == OTHER else subnarrative if is_subnarrative(label) else narrative
            for label in labels
        ],
        dtype=np.float32,
    )


def _cv_scores(
    examples, taxonomy, labels, probabilities, cut, cut_scores=None, floor=0.0
) -> dict[str, float]:
    gold = {ex.encoded.article.id: ex.gold for ex in examples}
    cut_on = probabilities if cut_scores is None else cut_scores
    predicted = {
        ex.encoded.article.id: _labels_of(
            p, labels, cut, ex.encoded.article.id, c if cut_scores is not None else None, floor
        )
        for ex, p, c in zip(examples, probabilities, cut_on, strict=True)
    }
    scores = score_decisions(gold, predicted, taxonomy)
    for language in sorted({ex.language for ex in examples}):
        ids = {ex.encoded.article.id for ex in examples if ex.language == language}
        scores |= score_decisions(
            {i: gold[i] for i in ids},
            {i: predicted[i] for i in ids},
            taxonomy,
            prefix=f"{language}_",
        )
    return scores


def choose_thresholds(
    examples, taxonomy, labels, probabilities
) -> tuple[np.ndarray, dict[str, float]]:
    """The level thresholds that maximise out-of-fold fine samples-F1 (official lists), with its scores.

    Class-balanced heads overstate probabilities, so the grid sits above 0.5; thresholds are
    per level, not per label, because samples-F1 rewards the right number of labels per article.
    """
    best: tuple[float, np.ndarray, dict[str, float]] | None = None
    for narrative in LEVEL_GRID["narrative"]:
        for subnarrative in LEVEL_GRID["subnarrative"]:
            for other in LEVEL_GRID["other"]:
                cut = level_thresholds(labels, narrative, subnarrative, other)
                scores = _cv_scores(examples, taxonomy, labels, probabilities, cut)
                key = scores["f1_fine_official"] + scores["f1_coarse_official"] / 100
                if best is None or key > best[0]:
                    best = (
                        key,
                        cut,
                        {
                            "t_narrative": narrative,
                            "t_subnarrative": subnarrative,
                            "t_other": other,
                            **scores,
                        },
                    )
    assert best is not None
    return best[1], best[2]


# --- operating rules: level cuts on the calibrated probability or on the blend, and a floor ---


@dataclass(frozen=True, slots=True)
class CutRule:
    """How labels are shown: three level cuts (narrative, subnarrative, "Other") applied to the
    calibrated probabilities or to the uncalibrated blend (`space`), and a `floor` that every
    shown label's calibrated probability reaches (`decide`)."""

    space: str  # "calibrated" | "blend"
    floor: float
    narrative: float
    subnarrative: float
    other: float

    def thresholds(self, labels: Sequence[str]) -> np.ndarray:
        return level_thresholds(labels, self.narrative, self.subnarrative, self.other)

    def describe(self) -> str:
        cuts = f"{self.narrative:g}/{self.subnarrative:g}/{self.other:g}"
        return f"cuts {cuts} on the {self.space}, floor {self.floor:g}"


# Candidates nested CV chooses among (issue 15). On the calibrated probability the cut is the
# floor too, so the floors add nothing there but what the forced best narrative must reach.
CUT_SPACES = ("calibrated", "blend")
FLOORS = (0.15, 0.2, 0.25, 0.3, 0.35)
BLEND_GRID = {
    "narrative": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "subnarrative": (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
    "other": (0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
}


V2_RULES = "calibrated, no floor (narratives-v2)"
CHOSEN = "chosen: both spaces, floors 0.15-0.35, shown precision >= 0.44"
# How `train` picks the shipped rule: "levels" (narratives-v2: cuts on the calibrated
# probabilities, no floor) or "nested" (CHOSEN's candidates, as nested CV measures them).
CUT_CHOICE = "nested"


def cut_rules(space: str, floor: float) -> list[CutRule]:
    """Every level-cut combination of one cut space at one floor."""
    grid = LEVEL_GRID if space == "calibrated" else BLEND_GRID
    return [
        CutRule(space, floor, n, s, o)
        for n in grid["narrative"]
        for s in grid["subnarrative"]
        for o in grid["other"]
    ]


@dataclass
class Shown:
    """`decide` over many articles at once: what each article shows."""

    narratives: np.ndarray  # (n, narratives) bool: narrative kept
    subnarratives: np.ndarray  # (n, subnarratives) bool: listed subnarrative kept
    by_sub: np.ndarray  # (n, narratives) bool: narrative brought by a kept subnarrative
    passed: np.ndarray  # (n, narratives) bool: narrative over its own cut and the floor
    other: np.ndarray  # (n,) bool: "Other" (nothing shown)


@dataclass
class Scores:
    """One article matrix's scores, split the way `Decider.decide` reads them."""

    pn: np.ndarray  # calibrated, narratives
    ps: np.ndarray  # calibrated, subnarratives
    cn: np.ndarray  # what the cuts apply to, narratives
    cs: np.ndarray  # what the cuts apply to, subnarratives
    c_other: np.ndarray
    best: np.ndarray  # the best narrative per article
    best_p: np.ndarray
    domain_n: np.ndarray  # (n, narratives) bool: of the best narrative's domain
    domain_s: np.ndarray


@dataclass
class Gold:
    """Gold labels aligned with the decision's columns, for the official samples-F1."""

    narratives: np.ndarray  # (n, narratives) bool, official coarse classes only
    other_coarse: np.ndarray  # (n,) bool
    coarse_count: np.ndarray  # (n,) gold coarse classes
    subnarratives: np.ndarray  # (n, subnarratives) bool, official fine classes only
    catch: np.ndarray  # (n, narratives) bool: "<narrative>: Other"
    other_fine: np.ndarray
    fine_count: np.ndarray

    def rows(self, rows: np.ndarray) -> Gold:
        return Gold(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


class Decider:
    """`decide` vectorised over articles (for the cut search; a test holds it equal to `decide`),
    and the official samples-F1 of its decisions."""

    def __init__(self, labels: Sequence[str], taxonomy: Sequence[NarrativeLabel]) -> None:
        self.labels = list(labels)
        self.other = self.labels.index(OTHER)
        self.narr = np.array(
            [j for j, x in enumerate(labels) if x != OTHER and not is_subnarrative(x)]
        )
        self.sub = np.array([j for j, x in enumerate(labels) if is_subnarrative(x)])
        narr_labels = [self.labels[j] for j in self.narr]
        self.parent = np.array([narr_labels.index(parent_of(self.labels[j])) for j in self.sub])
        # subnarratives grouped by narrative, for "any kept subnarrative" per narrative
        self.by_parent = np.argsort(self.parent, kind="stable")
        parents = self.parent[self.by_parent]
        self.starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        self.with_subs = parents[self.starts]
        domains = sorted({x.split(": ", 1)[0] for x in narr_labels})
        self.narr_domain = np.array([domains.index(x.split(": ", 1)[0]) for x in narr_labels])
        self.sub_domain = self.narr_domain[self.parent]
        self.coarse, self.fine = official_classes(taxonomy, extended=False)
        c_at = {x: i for i, x in enumerate(self.coarse)}
        f_at = {x: i for i, x in enumerate(self.fine)}
        self.narr_coarse = np.array([c_at.get(x, -1) for x in narr_labels])
        self.sub_fine = np.array([f_at.get(self.labels[j], -1) for j in self.sub])
        self.catch_fine = np.array([f_at.get(f"{x}: Other", -1) for x in narr_labels])
        self.other_coarse, self.other_fine = c_at.get(OTHER, -1), f_at.get(OTHER, -1)

    def scores(self, probabilities: np.ndarray, cut_scores: np.ndarray) -> Scores:
        p, c = probabilities, cut_scores
        pn = p[:, self.narr]
        best = np.argmax(pn, axis=1)
        domain = self.narr_domain[best][:, None]
        return Scores(
            pn,
            p[:, self.sub],
            c[:, self.narr],
            c[:, self.sub],
            c[:, self.other],
            best,
            pn[np.arange(len(p)), best],
            self.narr_domain[None, :] == domain,
            self.sub_domain[None, :] == domain,
        )

    def decide(
        self, scores: Scores | np.ndarray, cut_scores: np.ndarray | None, cut, floor
    ) -> Shown:
        """`decide` for every row: `scores` the calibrated probabilities (or their `Scores`)."""
        if not isinstance(scores, Scores):
            scores = self.scores(scores, scores if cut_scores is None else cut_scores)
        s = scores
        passed = (s.cn >= cut[self.narr]) & (s.pn >= floor) & s.domain_n
        subs = (s.cs >= cut[self.sub]) & (s.ps >= floor) & s.domain_s
        by_sub = np.zeros_like(passed)
        if len(self.sub):
            grouped = np.logical_or.reduceat(subs[:, self.by_parent], self.starts, axis=1)
            by_sub[:, self.with_subs] = grouped
        narratives = passed | by_sub
        rows = np.arange(len(s.best))
        narratives[rows, s.best] |= s.best_p >= floor
        other = (s.c_other >= cut[self.other]) | ~narratives.any(axis=1)
        keep = ~other[:, None]
        return Shown(narratives & keep, subs & keep, by_sub & keep, passed & keep, other)

    def gold(self, examples: Sequence[Example]) -> Gold:
        """The examples' gold over the official coarse and fine classes, aligned."""
        c_at = {x: i for i, x in enumerate(self.coarse)}
        f_at = {x: i for i, x in enumerate(self.fine)}
        gc = np.zeros((len(examples), len(self.coarse) + 1), dtype=bool)  # last: never
        gf = np.zeros((len(examples), len(self.fine) + 1), dtype=bool)
        for row, ex in enumerate(examples):
            assert ex.gold is not None
            gc[row, [c_at[x] for x in ex.gold.narratives if x in c_at]] = True
            gf[row, [f_at[x] for x in ex.gold.subnarratives if x in f_at]] = True
        return Gold(
            gc[:, self.narr_coarse],
            gc[:, self.other_coarse],
            gc[:, :-1].sum(axis=1),
            gf[:, self.sub_fine],
            gf[:, self.catch_fine],
            gf[:, self.other_fine],
            gf[:, :-1].sum(axis=1),
        )

    def f1(self, shown: Shown, gold: Gold) -> tuple[np.ndarray, np.ndarray]:
        """Per article, the official coarse and fine F1 of `shown` (`instance_f1`)."""
        other = shown.other
        narr = shown.narratives[:, self.narr_coarse >= 0]
        tp = (narr & gold.narratives[:, self.narr_coarse >= 0]).sum(axis=1)
        predicted = narr.sum(axis=1)
        if self.other_coarse >= 0:
            tp, predicted = tp + (other & gold.other_coarse), predicted + other
        coarse = _f1(tp, predicted + gold.coarse_count)
        subs = shown.subnarratives[:, self.sub_fine >= 0]
        catch = (shown.narratives & ~shown.by_sub)[:, self.catch_fine >= 0]
        tp = (subs & gold.subnarratives[:, self.sub_fine >= 0]).sum(axis=1)
        tp += (catch & gold.catch[:, self.catch_fine >= 0]).sum(axis=1)
        predicted = subs.sum(axis=1) + catch.sum(axis=1)
        if self.other_fine >= 0:
            tp, predicted = tp + (other & gold.other_fine), predicted + other
        return coarse, _f1(tp, predicted + gold.fine_count)

    def shown_labels(
        self, shown: Shown, probabilities: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every shown (article, label) as a mask over the head's columns, and its stored score:
        a narrative brought by a subnarrative scores max(its own, its first kept one's)."""
        mask = np.zeros(probabilities.shape, dtype=bool)
        score = np.zeros(probabilities.shape, dtype=np.float64)
        pn, ps = probabilities[:, self.narr], probabilities[:, self.sub]
        narrative_scores = pn.copy()
        for k in np.flatnonzero((shown.by_sub & ~shown.passed).any(axis=0)):
            mine = np.flatnonzero(self.parent == k)
            first = mine[np.argmax(shown.subnarratives[:, mine], axis=1)]
            brought = shown.by_sub[:, k] & ~shown.passed[:, k]
            narrative_scores[brought, k] = np.maximum(pn[brought, k], ps[brought, first[brought]])
        mask[:, self.narr], score[:, self.narr] = shown.narratives, narrative_scores
        mask[:, self.sub], score[:, self.sub] = shown.subnarratives, ps
        return mask, score


def _f1(tp: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.where(size > 0, 2 * tp / np.maximum(size, 1), 0.0)


PRECISION_TARGET = 0.44  # narratives-v2's shown precision: a new rule must not show noisier labels


@dataclass
class RuleScore:
    """What one rule's decisions measure on some articles."""

    coarse: float
    fine: float
    precision: float
    recall: float

    @property
    def key(self) -> float:
        return self.fine + self.coarse / 100  # as `choose_thresholds`: fine first


def score_rules(
    decider: Decider,
    gold: Gold,
    y: np.ndarray,
    probabilities: np.ndarray,
    blended: np.ndarray,
    rules: Sequence[CutRule],
) -> dict[CutRule, RuleScore]:
    """What every rule's decisions measure on these rows (calibrated `probabilities`, and the
    uncalibrated `blended` scores that rules on the blend cut)."""
    spaces = {
        "calibrated": decider.scores(probabilities, probabilities),
        "blend": decider.scores(probabilities, blended),
    }
    yn, ys = y[:, decider.narr] > 0, y[:, decider.sub] > 0
    positives = float(yn.sum() + ys.sum())
    out = {}
    for rule in rules:
        shown = decider.decide(
            spaces[rule.space], None, rule.thresholds(decider.labels), rule.floor
        )
        coarse, fine = decider.f1(shown, gold)
        tp = float((shown.narratives & yn).sum() + (shown.subnarratives & ys).sum())
        count = float(shown.narratives.sum() + shown.subnarratives.sum())
        out[rule] = RuleScore(
            float(coarse.mean()), float(fine.mean()), tp / max(count, 1.0), tp / max(positives, 1.0)
        )
    return out


def pick_rule(
    scored: dict[CutRule, RuleScore], rules: Sequence[CutRule], min_precision: float = 0.0
) -> CutRule:
    """Of `rules`, the one of best samples-F1 (fine, then coarse) among those whose shown labels
    are right at least `min_precision` of the time (none such: the most precise)."""
    fit = [r for r in rules if scored[r].precision >= min_precision]
    if not fit:
        return max(rules, key=lambda r: scored[r].precision)
    return max(fit, key=lambda r: scored[r].key)


@dataclass
class NestedResult:
    """One candidate's decisions, each outer fold by the rule chosen on the other folds."""

    other: int  # the "Other" column
    passes: np.ndarray  # (article, label) over its cut and floor, before the decision
    rules: list[CutRule]
    probabilities: np.ndarray  # calibrated on the other folds
    mask: np.ndarray  # shown (article, label)
    score: np.ndarray  # stored score of what is shown
    coarse: np.ndarray  # per article F1
    fine: np.ndarray

    def per_label_precision(self, y: np.ndarray) -> float:
        return float((self.passes & (y > 0)).sum()) / max(float(self.passes.sum()), 1.0)

    def measures(self, y: np.ndarray, rows: np.ndarray | None = None) -> dict[str, float]:
        rows = np.arange(len(y)) if rows is None else rows
        mask, score, truth = self.mask[rows], self.score[rows], y[rows] > 0
        truth[:, self.other] = False  # "Other" is never shown: not a label to recall
        tp = float((mask & truth).sum())
        shown = score[mask]
        return {
            "f1_coarse": float(self.coarse[rows].mean()),
            "f1_fine": float(self.fine[rows].mean()),
            "precision": tp / max(float(mask.sum()), 1.0),
            "recall": tp / max(float(truth.sum()), 1.0),
            "ece_shown": expected_calibration_error(shown, truth[mask]),
            "lowest_shown": float(shown.min()) if len(shown) else 1.0,
            "shown_per_article": float(mask.sum()) / max(len(rows), 1),
        }


def nested_cut_rules(
    decider: Decider,
    examples: Sequence[Example],
    y: np.ndarray,
    blended: np.ndarray,
    folds: Sequence[np.ndarray],
    candidates: dict[str, tuple[list[CutRule], float]],
) -> dict[str, NestedResult]:
    """Per candidate (its rules and the shown precision they must keep), each outer fold decided
    by the rule chosen on the other folds alone: there calibrated by Platt cross-fitted over
    the inner folds, and the fold itself calibrated by Platt fitted on the other folds."""
    gold = decider.gold(examples)
    n = len(y)
    out = {
        name: NestedResult(
            decider.other,
            np.zeros(y.shape, dtype=bool),
            [],
            np.zeros(y.shape),
            np.zeros(y.shape, dtype=bool),
            np.zeros(y.shape),
            np.zeros(n),
            np.zeros(n),
        )
        for name in candidates
    }
    everything = np.arange(n)
    union = list(dict.fromkeys(r for rules, _ in candidates.values() for r in rules))
    for k, held in enumerate(folds):
        rest = np.setdiff1d(everything, held)
        inner = [np.searchsorted(rest, h) for i, h in enumerate(folds) if i != k]
        inside = cross_calibrated(blended[rest], y[rest], inner)
        held_p = apply_platt(blended[held], *fit_platt_all(blended[rest], y[rest]))
        inner_gold, held_gold = gold.rows(rest), gold.rows(held)
        scored = score_rules(decider, inner_gold, y[rest], inside, blended[rest], union)
        for name, (rules, min_precision) in candidates.items():
            rule = pick_rule(scored, rules, min_precision)
            cut_scores = blended[held] if rule.space == "blend" else held_p
            cut = rule.thresholds(decider.labels)
            shown = decider.decide(held_p, cut_scores, cut, rule.floor)
            out[name].passes[held] = (cut_scores >= cut) & (held_p >= rule.floor)
            mask, score = decider.shown_labels(shown, held_p)
            coarse, fine = decider.f1(shown, held_gold)
            result = out[name]
            result.rules.append(rule)
            result.probabilities[held] = held_p
            result.mask[held], result.score[held] = mask, score
            result.coarse[held], result.fine[held] = coarse, fine
    return out


def candidate_rules() -> dict[str, tuple[list[CutRule], float]]:
    """The candidates nested CV measures: name -> (rules, shown precision they must keep)."""
    out = {
        V2_RULES: (cut_rules("calibrated", 0.0), 0.0),
        "blend, no floor": (cut_rules("blend", 0.0), 0.0),
    }
    for space in CUT_SPACES:
        for floor in FLOORS:
            out[f"{space}, floor {floor:g}"] = (cut_rules(space, floor), 0.0)
    chosen = [r for space in CUT_SPACES for floor in FLOORS for r in cut_rules(space, floor)]
    out["both spaces, floors 0.15-0.35, best F1"] = (chosen, 0.0)
    out[CHOSEN] = (chosen, PRECISION_TARGET)
    return out


def nested_lines(
    results: dict[str, NestedResult], examples: Sequence[Example], y: np.ndarray
) -> list[str]:
    """The card's table of candidates: nested-CV samples-F1 (all, EN), what is shown, rules."""
    english = np.array([i for i, ex in enumerate(examples) if ex.language.upper() == "EN"])
    none = {"f1_coarse": 0.0, "f1_fine": 0.0, "precision": 0.0}
    lines = [
        "",
        "## Operating rules measured by nested CV",
        "",
        "Each outer fold (grouped by article) is decided by the rule its candidate chose on the",
        "other folds alone (level cuts for samples-F1, fine then coarse; calibrated there by",
        "Platt cross-fitted over the inner folds), and calibrated by Platt fitted on the other",
        "folds. Shown: the narratives and subnarratives an analyst sees (not `Other`, not",
        "`<narrative>: Other`); precision and recall micro over them; ECE and the lowest",
        "probability over their stored (calibrated) scores. `per label`: the precision of every",
        "(article, label) over its cut and floor, `Other` included, before the decision (the",
        "`cal_shown_precision` of narratives-v2's card).",
        "",
        "| candidate | coarse | fine | EN coarse | EN fine | precision | EN precision "
        "| per label | recall | ECE shown | lowest shown | shown per article | rules per fold |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        m = result.measures(y)
        en = result.measures(y, english) if len(english) else none
        rules = "; ".join(dict.fromkeys(r.describe() for r in result.rules))
        lines.append(
            f"| {name} | {m['f1_coarse']:.4f} | {m['f1_fine']:.4f} | {en['f1_coarse']:.4f} "
            f"| {en['f1_fine']:.4f} | {m['precision']:.3f} | {en['precision']:.3f} "
            f"| {result.per_label_precision(y):.3f} | {m['recall']:.3f} "
            f"| {m['ece_shown']:.4f} | {m['lowest_shown']:.3f} | {m['shown_per_article']:.2f} "
            f"| {rules} |"
        )
    return lines


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
    (a database's `corrections` weigh in the final fit only: see `narrative_corrections`).

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
            **_cv_scores(examples, taxonomy, labels, crossfit, cut, cut_scores, rule.floor),
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
    at_floor = _cv_scores(examples, taxonomy, labels, apply_platt(blended, platt_a, platt_b), floor)
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
        info["corrections"] = corrected.info(WEIGHT)
    head_extra: dict[str, np.ndarray] = {}
    def_extra: dict[str, np.ndarray] = {}
    own: dict[str, dict[str, object]] = {}
    language_of = np.array([ex.language.lower() for ex in examples])
    # One language alone: the pooled head is already its own. With an analyst's corrections,
    # none either: their rows carry no language, and a head per language would ignore them.
    if len(set(language_of)) > 1 and corrected is None:
        report.lines += [
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
                [examples[i] for i in mine], x[mine], y[mine], definitions, labels, taxonomy,
                decider, seed=seed, folds=folds,
            )  # fmt: skip
            pooled_coarse = float(nested[CHOSEN].coarse[mine].mean())
            pooled_fine = float(nested[CHOSEN].fine[mine].mean())
            report.lines.append(fitted.verdict(language, pooled_coarse, pooled_fine))
            if not fitted.kept(pooled_fine):
                continue
            for name, tensor in fitted.head_tensors.items():
                head_extra[f"{name}.{language}"] = tensor
            for name, tensor in fitted.definition_tensors.items():
                def_extra[f"{name}.{language}"] = tensor
            own[language] = fitted.info
            report.lines.append(fitted.line(language))
            report.scores |= {f"own_{language.upper()}_{k}": v for k, v in fitted.scores.items()}
        info["languages"] = own
    head = LinearHead(
        weights, bias, labels, MODEL_ID, encoder.name, thresholds=cut, info=info, extra=head_extra
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
        extra=def_extra,
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
    if own:
        rule_text += "\n" + PER_LANGUAGE_NOTE
    write_model_card(out / f"{MODEL_ID}.md", *card, rule=rule_text)
    return report


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
) -> LanguageHead:
    """`train`'s recipe (head, similarity calibration, blend, Platt, the `CHOSEN` rule) on one
    language's articles alone, over its own grouped folds."""
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
    scores = _cv_scores(examples, taxonomy, labels, crossfit, cut, cut_scores, rule.floor)
    weights, bias = fit_head(x, y, None, c=C, seed=seed)
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
    scores = _cv_scores(examples, taxonomy, labels, gated, cut, cut_scores, floor)
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
