"""Are the technique, frame and narrative heads trustworthy in a language they never saw? (#15)

Leave-one-language-out (LOLO) on the SemEval-2023 Task 3 train split: for each of the six
languages, the head's whole shipped recipe is fitted on the other five (5-fold CV grouped by
article, Platt, operating points; for techniques also the rule nested CV chooses and the
per-language shown Platt with its pooled pair) and the held-out language is scored as an
unseen language gets it. Beside it, the same language's in-language CV numbers (frames
recomputed with the shipped recipe on the shipped folds; techniques from its card).

    PYTHONPATH=src nice -n 10 python benchmarks/unseen_languages.py --head frames \
        --data ../shared/data/semeval2023_task3 --out /tmp/lolo
    PYTHONPATH=src nice -n 10 python benchmarks/unseen_languages.py --head techniques \
        --languages en fr ge --data ../shared/data/semeval2023_task3 --out /tmp/lolo
    PYTHONPATH=src nice -n 10 python benchmarks/unseen_languages.py --head narratives \
        --languages EN BG --data ../shared/data/semeval2025_task10 --out /tmp/lolo
    python benchmarks/unseen_languages.py --summary --out /tmp/lolo

Narratives (SemEval-2025 Task 10 train, EN BG HI PT RU): the pooled path of
`training.narratives.train` (out-of-fold head, similarity calibration, blend, Platt, the
`CHOSEN` rule picked on the cross-fitted Platt, final head) fitted on the other four
languages, the held-out language scored by that pooled head alone; beside it the pooled
recipe's nested CV over all five languages (`narratives_per_language.py`'s (P)) on the
language's rows, computed once and kept in `OUT/narratives-cv.json`.

Each held-out language's numbers go to `OUT/<head>-<language>.json` as soon as they exist,
so that a run cut short keeps what it measured. Vectors come from the training caches
(nothing is re-encoded).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.frames import document_features
from narrascope.analyzers.narratives import (
    OTHER,
    article_features,
    decide,
    head_labels,
    read_taxonomy,
)
from narrascope.encode import default_encoder
from narrascope.heads import apply_platt
from narrascope.training import Report
from narrascope.training import frames as frames_training
from narrascope.training import techniques as techniques_training
from narrascope.training.calibrate import (
    POOLED,
    choose_rule,
    cross_calibrated,
    cross_fit_platt,
    cross_fitted_platt,
    ece_noise_floor,
    expected_calibration_error,
    fit_platt_all,
    fit_shown_platt_by_group,
    fold_platt,
    operating_points,
)
from narrascope.training.fit import (
    cross_validate,
    cross_validate_sigmoid,
    fit_calibration,
    fit_sigmoid,
    grouped_folds,
    sigmoid,
)
from narrascope.training.genre import load_documents
from narrascope.training.narrative_corrections import fit_head
from narrascope.training.narrative_rules import (
    CHOSEN,
    CutRule,
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
    definition_similarity,
    definition_texts,
    read_split,
    score_decisions,
    targets,
)
from narrascope.training.narrative_scoring import CACHE as NARRATIVES_CACHE
from narrascope.training.semeval2023 import FRAMES
from narrascope.training.semeval2025 import NarrativeLabels
from narrascope.training.vectors import VectorCache

SEED, FOLDS = 13, 5
LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")  # T3 folder names
T10_LANGUAGES = ("EN", "BG", "HI", "PT", "RU")  # T10 folder names
HEAD_LANGUAGES = {"techniques": LANGUAGES, "frames": LANGUAGES, "narratives": T10_LANGUAGES}
DATA = {
    "techniques": Path("../shared/data/semeval2023_task3"),
    "frames": Path("../shared/data/semeval2023_task3"),
    "narratives": Path("../shared/data/semeval2025_task10"),
}
# The techniques-v4 card's in-language CV numbers (shipped folds, seed 13), per language.
TECHNIQUES_CARD = Path(__file__).parents[1] / "src/narrascope/resources/techniques-v4.md"


def shown_numbers(stored: np.ndarray, shown: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Precision of the shown labels, and the ECE (with its noise floor) of their stored scores."""
    truth = y > 0
    count = int(shown.sum())
    return {
        "shown": count,
        "shown_precision": float(np.sum(shown & truth)) / max(count, 1),
        "shown_recall": float(np.sum(shown & truth)) / max(int(truth.sum()), 1),
        "ece_shown": expected_calibration_error(stored[shown], y[shown]) if count else 0.0,
        "ece_shown_noise_floor": ece_noise_floor(stored[shown]) if count else 0.0,
        "mean_stored_shown": float(stored[shown].mean()) if count else 0.0,
    }


# --------------------------------------------------------------------------- techniques


def techniques_lolo(corpus: techniques_training.Corpus, held: str) -> dict[str, object]:
    """techniques-v4's recipe (`training.techniques.train`) fitted without `held`, scored on it."""
    folders = np.array(corpus.folders)
    fit_rows = np.flatnonzero(folders != held)
    test_rows = np.flatnonzero(folders == held)
    x, y = corpus.x[fit_rows], corpus.y[fit_rows]
    groups = [corpus.groups()[i] for i in fit_rows]
    languages = [corpus.languages()[i] for i in fit_rows]
    inner = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(x, y, inner, l2=techniques_training.L2)
    rule = choose_rule(cross_calibrated(raw, y, inner), y, inner)
    a, b = fit_platt_all(raw, y)
    calibrated = apply_platt(raw, a, b)
    cuts = rule.cuts(calibrated, y)
    pairs = fit_shown_platt_by_group(calibrated, y, calibrated >= cuts, languages)
    weights, bias = fold_platt(*fit_sigmoid(x, y, l2=techniques_training.L2), a, b)
    probability = sigmoid(corpus.x[test_rows] @ weights + bias)
    shown_test = probability >= cuts
    stored = apply_platt(probability, *pairs[POOLED])  # what a language outside the six gets
    passed = np.zeros(corpus.y.shape, dtype=bool)
    passed[test_rows] = shown_test
    report = Report("techniques")
    techniques_training.score_lines(corpus, passed, report, "")
    articles = len({corpus.sentences[i].article for i in test_rows})
    return {
        "head": "techniques",
        "language": held,
        "rule": rule.describe(),
        "silenced": int(np.sum(cuts > 1.0)),
        "micro_f1": report.scores[f"st3_micro_f1_{held}"],
        "macro_f1": report.scores[f"st3_macro_f1_{held}"],
        "articles": articles,
        "shown_per_article": float(shown_test.sum()) / articles,
        **shown_numbers(stored, shown_test, corpus.y[test_rows]),
        # For reference: the same shown labels scored by the head's probability alone.
        "ece_shown_unmapped": expected_calibration_error(
            probability[shown_test], corpus.y[test_rows][shown_test]
        ),
    }


def techniques_card() -> dict[str, dict[str, float]]:
    """The card's in-language CV numbers per language."""
    scores = {}
    for line in TECHNIQUES_CARD.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().partition(": ")
        if key.startswith("cv_") and value:
            try:
                scores[key] = float(value)
            except ValueError:
                continue
    return {
        lang: {
            "micro_f1": scores[f"cv_st3_micro_f1_{lang}"],
            "shown_precision": scores[f"cv_shown_precision_{lang}"],
            "shown_recall": scores[f"cv_shown_recall_{lang}"],
            "ece_shown": scores[f"cv_ece_shown_{lang}"],
        }
        for lang in LANGUAGES
    }


# --------------------------------------------------------------------------- frames


def frames_matrix(docs) -> np.ndarray:
    return np.array([[f in labels for f in FRAMES] for labels in docs.labels], dtype=np.float32)


def frames_fit(x: np.ndarray, y: np.ndarray, groups: list[str]):
    """frames-v2's recipe (`training.frames.train`): the head with Platt folded in, and its cuts."""
    held_out = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(x, y, held_out, l2=frames_training.L2)
    a, b = fit_platt_all(raw, y)
    cuts = operating_points(apply_platt(raw, a, b), y)
    weights, bias = fold_platt(*fit_sigmoid(x, y, l2=frames_training.L2), a, b)
    return weights, bias, cuts


def frames_numbers(docs, rows: np.ndarray, probability, shown, y, lang: str) -> dict[str, object]:
    report = Report("frames")
    passed = np.zeros(y.shape, dtype=bool)
    passed[rows] = shown
    sub = type(docs)(
        [docs.ids[i] for i in rows],
        [docs.folders[i] for i in rows],
        docs.x[rows],
        [docs.labels[i] for i in rows],
    )
    frames_training.score(sub, shown, report, "")
    return {
        "micro_f1": report.scores[f"st2_micro_f1_{lang}"],
        "macro_f1": report.scores[f"st2_macro_f1_{lang}"],
        "articles": len(rows),
        "shown_per_article": float(shown.sum()) / len(rows),
        **shown_numbers(probability, shown, y[rows]),
    }


def frames_all(data: Path, out: Path, languages: list[str]) -> None:
    store = VectorCache(frames_training.CACHE, default_encoder())
    docs = load_documents(data, "train", 2, document_features, store=store)
    y = frames_matrix(docs)
    groups = [f"{f}/{a}" for f, a in zip(docs.folders, docs.ids, strict=True)]
    folders = np.array(docs.folders)
    # In-language CV: the card's recipe on the card's folds, per language.
    held_out = grouped_folds(groups, FOLDS, SEED)
    raw, _ = cross_validate_sigmoid(docs.x, y, held_out, l2=frames_training.L2)
    crossed = cross_fit_platt(raw, y, held_out)
    for lang in languages:
        started = time.time()
        rows = np.flatnonzero(folders == lang)
        cv = frames_numbers(docs, rows, crossed.calibrated[rows], crossed.shown[rows], y, lang)
        fit = np.flatnonzero(folders != lang)
        weights, bias, cuts = frames_fit(docs.x[fit], y[fit], [groups[i] for i in fit])
        probability = sigmoid(docs.x[rows] @ weights + bias)
        lolo = frames_numbers(docs, rows, probability, probability >= cuts, y, lang)
        lolo["silenced"] = int(np.sum(cuts > 1.0))
        result = {"head": "frames", "language": lang, "lolo": lolo, "cv": cv}
        result["seconds"] = round(time.time() - started, 1)
        (out / f"frames-{lang}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result), flush=True)


def techniques_all(data: Path, out: Path, languages: list[str]) -> None:
    store = VectorCache(techniques_training.CACHE, default_encoder())
    corpus = techniques_training.load_corpus(data, "train", store=store)
    card = techniques_card()
    for lang in languages:
        started = time.time()
        lolo = techniques_lolo(corpus, lang)
        result = {"head": "techniques", "language": lang, "lolo": lolo, "cv": card[lang]}
        result["seconds"] = round(time.time() - started, 1)
        (out / f"techniques-{lang}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- narratives


@dataclass
class Narratives:
    """The annotated T10 train articles, their features and gold, and what the recipe shares."""

    examples: list[Example]
    x: np.ndarray
    y: np.ndarray
    definitions: np.ndarray  # encoded label definitions, "Other" zeroed
    labels: list[str]
    taxonomy: list
    decider: Decider

    def rows(self, rows: np.ndarray) -> Narratives:
        return Narratives(
            [self.examples[i] for i in rows], self.x[rows], self.y[rows], self.definitions,
            self.labels, self.taxonomy, self.decider,
        )  # fmt: skip

    @property
    def languages(self) -> np.ndarray:
        return np.array([ex.language.upper() for ex in self.examples])


def load_narratives(data: Path) -> Narratives:
    encoder = default_encoder()
    taxonomy = read_taxonomy()
    labels = head_labels(taxonomy)
    split = read_split(data, "train", encoder=encoder, cache_dir=NARRATIVES_CACHE)
    examples = [ex for ex in split if ex.gold]
    definitions = encoder.encode(definition_texts(taxonomy, labels))
    definitions[labels.index(OTHER)] = 0.0  # "Other" is never matched by meaning (`train`)
    return Narratives(
        examples,
        np.vstack([article_features(ex.encoded.vectors) for ex in examples]),
        targets(examples, labels),
        definitions,
        labels,
        taxonomy,
        Decider(labels, taxonomy),
    )


@dataclass
class Blended:
    """`train`'s out-of-fold blend on some articles, and what makes it."""

    scores: np.ndarray  # out-of-fold blend (article, label), uncalibrated
    blend: float
    slope: float  # the definition similarity's calibration
    intercept: float
    folds: list[np.ndarray]


def similar_to_definitions(data: Narratives, slope: float, intercept: float) -> np.ndarray:
    similarity = definition_similarity(data.examples, data.definitions)
    return 1.0 / (1.0 + np.exp(-(slope * similarity + intercept)))


def mix(data: Narratives, head: np.ndarray, similar: np.ndarray, blend: float) -> np.ndarray:
    is_other = np.array([label == OTHER for label in data.labels])
    return np.where(is_other, head, (1 - blend) * head + blend * similar)


def narratives_blended(data: Narratives) -> Blended:
    """`training.narratives.train` up to the blend: out-of-fold head (C, grouped folds, seed),
    similarity calibration, and the blend of best fine samples-F1 within `BLEND_TOLERANCE`."""
    groups = [ex.encoded.article.id for ex in data.examples]
    cv = cross_validate(data.x, data.y, groups, c=C, seed=SEED, folds=FOLDS)
    similarity = definition_similarity(data.examples, data.definitions)
    named = [j for j, label in enumerate(data.labels) if label != OTHER]
    slope, intercept = fit_calibration(similarity[:, named], data.y[:, named], seed=SEED)
    similar = similar_to_definitions(data, slope, intercept)
    by_blend = {}
    for blend in BLENDS:
        blended = mix(data, cv.probabilities, similar, blend)
        calibrated = apply_platt(blended, *fit_platt_all(blended, data.y))
        _, s = choose_thresholds(data.examples, data.taxonomy, data.labels, calibrated)
        by_blend[blend] = (s["f1_fine_official"], blended)
    best = max(v[0] for v in by_blend.values())
    blend = max(b for b, v in by_blend.items() if v[0] >= best - BLEND_TOLERANCE)
    return Blended(by_blend[blend][1], blend, slope, intercept, grouped_folds(groups, FOLDS, SEED))


@dataclass
class PooledHead:
    """The pooled head `train` ships, fitted on some articles: what an unseen language gets."""

    weights: np.ndarray
    bias: np.ndarray
    platt: tuple[np.ndarray, np.ndarray]
    rule: CutRule
    blended: Blended

    def scores(self, data: Narratives) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities and the uncalibrated blend of `data`'s articles."""
        head = sigmoid(data.x @ self.weights + self.bias)
        similar = similar_to_definitions(data, self.blended.slope, self.blended.intercept)
        blended = mix(data, head, similar, self.blended.blend)
        return apply_platt(blended, *self.platt), blended


def narratives_fit(data: Narratives) -> PooledHead:
    """The pooled path of `train` (cut_choice "nested"): blend, Platt on the out-of-fold blend,
    `CHOSEN`'s rule picked on the cross-fitted Platt, final head on every article."""
    blended = narratives_blended(data)
    crossfit = cross_fitted_platt(blended.scores, data.y, blended.folds)
    rules, min_precision = candidate_rules()[CHOSEN]
    gold = data.decider.gold(data.examples)
    scored = score_rules(data.decider, gold, data.y, crossfit, blended.scores, rules)
    rule = pick_rule(scored, rules, min_precision)
    weights, bias = fit_head(data.x, data.y, None, c=C, seed=SEED)
    return PooledHead(weights, bias, fit_platt_all(blended.scores, data.y), rule, blended)


def official_f1(
    data: Narratives, probabilities: np.ndarray, blended: np.ndarray, rules: list[CutRule]
) -> dict[str, float]:
    """Official coarse and fine samples-F1 (`score_decisions`), each article by `decide` under
    its own rule (one per article: a fold's)."""
    predicted, gold = {}, {}
    for ex, p, b, rule in zip(data.examples, probabilities, blended, rules, strict=True):
        d = decide(
            p,
            data.labels,
            rule.thresholds(data.labels),
            cut_scores=b if rule.space == "blend" else None,
            floor=rule.floor,
        )
        article = ex.encoded.article.id
        predicted[article] = NarrativeLabels(article, tuple(d.narratives), tuple(d.subnarratives))
        gold[article] = ex.gold
    scores = score_decisions(gold, predicted, data.taxonomy)
    return {"f1_coarse": scores["f1_coarse_official"], "f1_fine": scores["f1_fine_official"]}


def narrative_numbers(
    data: Narratives, mask: np.ndarray, score: np.ndarray, f1: dict[str, float]
) -> dict[str, object]:
    """Shown precision (micro, "Other" never a label), labels per article, ECE of shown scores."""
    truth = data.y > 0
    truth[:, data.labels.index(OTHER)] = False
    count = int(mask.sum())
    return {
        **f1,
        "articles": len(data.examples),
        "shown_per_article": count / len(data.examples),
        **shown_numbers(score, mask, truth.astype(np.int8)),
    }


def narratives_lolo(data: Narratives, held: str) -> dict[str, object]:
    """The pooled head fitted without `held`, scored on `held` as an unseen language."""
    language = data.languages
    fit = narratives_fit(data.rows(np.flatnonzero(language != held)))
    test = data.rows(np.flatnonzero(language == held))
    probabilities, blended = fit.scores(test)
    rule = fit.rule
    cut_scores = blended if rule.space == "blend" else probabilities
    shown = test.decider.decide(probabilities, cut_scores, rule.thresholds(test.labels), rule.floor)
    mask, score = test.decider.shown_labels(shown, probabilities)
    coarse, fine = test.decider.f1(shown, test.decider.gold(test.examples))
    f1 = official_f1(test, probabilities, blended, [rule] * len(test.examples))
    return {
        **narrative_numbers(test, mask, score, f1),
        "decider_f1": [float(coarse.mean()), float(fine.mean())],  # equal to f1: a check
        "rule": rule.describe(),
        "blend": fit.blended.blend,
    }


def narratives_cv(data: Narratives) -> dict[str, dict[str, object]]:
    """The pooled recipe's nested CV over all five languages ((P)), per language."""
    blended = narratives_blended(data)
    candidates = {CHOSEN: candidate_rules()[CHOSEN]}
    nested: NestedResult = nested_cut_rules(
        data.decider, data.examples, data.y, blended.scores, blended.folds, candidates
    )[CHOSEN]
    rule_of = np.empty(len(data.y), dtype=object)
    for held, rule in zip(blended.folds, nested.rules, strict=True):
        rule_of[held] = rule
    out = {}
    for lang in T10_LANGUAGES:
        rows = np.flatnonzero(data.languages == lang)
        sub = data.rows(rows)
        f1 = official_f1(sub, nested.probabilities[rows], blended.scores[rows], list(rule_of[rows]))
        out[lang] = {
            **narrative_numbers(sub, nested.mask[rows], nested.score[rows], f1),
            "decider_f1": [float(nested.coarse[rows].mean()), float(nested.fine[rows].mean())],
            "rules": "; ".join(dict.fromkeys(r.describe() for r in nested.rules)),
            "blend": blended.blend,
        }
    return out


def narratives_all(data_dir: Path, out: Path, languages: list[str]) -> None:
    started = time.time()
    data = load_narratives(data_dir)
    print(f"{len(data.examples)} annotated articles, {time.time() - started:.0f} s", flush=True)
    cv_file = out / "narratives-cv.json"
    if cv_file.is_file():
        cv = json.loads(cv_file.read_text())
    else:
        cv = narratives_cv(data)
        cv_file.write_text(json.dumps(cv, indent=1))
        print(f"in-language CV done, {time.time() - started:.0f} s", flush=True)
    for lang in languages:
        started = time.time()
        lolo = narratives_lolo(data, lang.upper())
        result = {
            "head": "narratives",
            "language": lang.upper(),
            "lolo": lolo,
            "cv": cv[lang.upper()],
        }
        result["seconds"] = round(time.time() - started, 1)
        (out / f"narratives-{lang.upper()}.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- summary


def summary(out: Path) -> None:
    """One table per head and the pre-registered verdict (#15 rule in benchmarks/RESULTS.md)."""
    for head, languages in HEAD_LANGUAGES.items():
        found = [
            json.loads((out / f"{head}-{lang}.json").read_text())
            for lang in languages
            if (out / f"{head}-{lang}.json").is_file()
        ]
        if not found:
            continue
        print(f"\n{head}: {len(found)} of {len(languages)} languages")
        if head == "narratives":
            narrative_table(found)
            verdict(found, languages)
            continue
        print(
            "| language | micro-F1 LOLO (CV) | shown precision LOLO (CV) | shown/article LOLO (CV)"
            " | ECE shown LOLO (CV) | ECE noise floor LOLO | silenced LOLO |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for r in found:
            lolo, cv = r["lolo"], r["cv"]
            if "shown_per_article" not in cv:  # the card has precision and recall, not counts
                positives = lolo["shown"] * lolo["shown_precision"] / lolo["shown_recall"]
                shown = cv["shown_recall"] * positives / cv["shown_precision"]
                cv["shown_per_article"] = shown / lolo["articles"]
            print(
                f"| {r['language']} | {lolo['micro_f1']:.4f} ({cv['micro_f1']:.4f})"
                f" | {lolo['shown_precision']:.4f} ({cv['shown_precision']:.4f})"
                f" | {lolo['shown_per_article']:.2f} ({cv.get('shown_per_article', float('nan')):.2f})"
                f" | {lolo['ece_shown']:.4f} ({cv['ece_shown']:.4f})"
                f" | {lolo['ece_shown_noise_floor']:.4f} | {lolo.get('silenced', '')} |"
            )
        verdict(found, languages)


def narrative_table(found: list[dict]) -> None:
    print(
        "| language | coarse LOLO (CV) | fine LOLO (CV) | shown precision LOLO (CV)"
        " | shown/article LOLO (CV) | ECE shown LOLO (CV) | ECE noise floor LOLO (CV) | rule LOLO |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in found:
        lolo, cv = r["lolo"], r["cv"]
        print(
            f"| {r['language']} ({lolo['articles']}) | {lolo['f1_coarse']:.4f} ({cv['f1_coarse']:.4f})"
            f" | {lolo['f1_fine']:.4f} ({cv['f1_fine']:.4f})"
            f" | {lolo['shown_precision']:.4f} ({cv['shown_precision']:.4f})"
            f" | {lolo['shown_per_article']:.2f} ({cv['shown_per_article']:.2f})"
            f" | {lolo['ece_shown']:.4f} ({cv['ece_shown']:.4f})"
            f" | {lolo['ece_shown_noise_floor']:.4f} ({cv['ece_shown_noise_floor']:.4f})"
            f" | {lolo['rule']}, blend {lolo['blend']} |"
        )
    means = {
        key: (np.mean([r["lolo"][key] for r in found]), np.mean([r["cv"][key] for r in found]))
        for key in ("f1_coarse", "f1_fine", "shown_precision", "shown_per_article", "ece_shown")
    }
    print(
        "| **mean** | "
        + " | ".join(f"{lolo:.4f} ({cv:.4f})" for lolo, cv in means.values())
        + " | | |"
    )


def verdict(found: list[dict], languages: Sequence[str]) -> None:
    """The pre-registered rule: LOLO shown precision >= 0.8 x CV's, and LOLO ECE shown <= 0.10."""
    precision = np.mean([r["lolo"]["shown_precision"] for r in found])
    cv_precision = np.mean([r["cv"]["shown_precision"] for r in found])
    ece = np.mean([r["lolo"]["ece_shown"] for r in found])
    keep = precision >= 0.8 * cv_precision and ece <= 0.10
    print(
        f"mean LOLO shown precision {precision:.4f} vs 0.8 x CV {cv_precision:.4f} ="
        f" {0.8 * cv_precision:.4f} (ratio {precision / cv_precision:.3f}); mean LOLO ECE shown"
        f" {ece:.4f} (<= 0.10?) -> {'KEEP' if keep else 'RESTRICT'}"
        + ("" if len(found) == len(languages) else " (not all languages: not a verdict)")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--head", choices=tuple(HEAD_LANGUAGES))
    parser.add_argument(
        "--data", type=Path, help="the head's SemEval folder (default: ../shared/data/...)"
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/lolo"))
    parser.add_argument("--languages", nargs="*", help="held-out languages (default: all)")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args()
    if args.head:
        args.data = args.data or DATA[args.head]
        args.languages = args.languages or list(HEAD_LANGUAGES[args.head])
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summary:
        summary(args.out)
    elif args.head == "frames":
        frames_all(args.data, args.out, args.languages)
    elif args.head == "techniques":
        techniques_all(args.data, args.out, args.languages)
    elif args.head == "narratives":
        narratives_all(args.data, args.out, args.languages)


if __name__ == "__main__":
    main()
