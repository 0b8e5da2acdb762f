"""Training and evaluation of the narrative heads (SemEval-2025 Task 10 subtask 2).

`train` fits one linear head over pooled sentence vectors for every narrative and listed
subnarrative on all train languages, calibrates the blended score per label (Platt, on the
out-of-fold scores), picks thresholds (and the weight of the definition-similarity view) by
article-grouped cross-validation, and writes the heads and their model card with the
cross-fitted calibration error. `evaluate` scores the shipped heads on any split in the official layout
with the official metric (samples-F1 over articles, coarse and fine), paired by article id.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    read_taxonomy,
)
from narrascope.encode import Encoder, default_encoder
from narrascope.heads import LinearHead
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report
from narrascope.training.calibrate import (
    apply_platt,
    cross_fitted_platt,
    fit_platt_all,
    reliability,
)
from narrascope.training.corrections import WEIGHT
from narrascope.training.fit import cross_validate, fit_calibration, grouped_folds
from narrascope.training.narrative_corrections import fit_head, read_corrections
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
MODEL_ID = "narratives-v2"


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
    gold: dict[str, Sequence[str]], predicted: dict[str, Sequence[str]], classes: Sequence[str]
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
    decision_scores: np.ndarray, labels: Sequence[str], cut: np.ndarray, article_id: str
) -> NarrativeLabels:
    d = decide(decision_scores, labels, cut)
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


def _cv_scores(examples, taxonomy, labels, probabilities, cut) -> dict[str, float]:
    gold = {ex.encoded.article.id: ex.gold for ex in examples}
    predicted = {
        ex.encoded.article.id: _labels_of(p, labels, cut, ex.encoded.article.id)
        for ex, p in zip(examples, probabilities, strict=True)
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
    """Fit the narrative heads on `data`'s train split; thresholds and blend chosen by grouped CV
    (a database's `corrections` weigh in the final fit only: see `narrative_corrections`)."""
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
    crossfit = cross_fitted_platt(blended, y, grouped_folds(groups, folds, seed))
    shown = reliability(crossfit, y, cut)
    report.scores = {
        "blend": blend,
        **scores,
        **{f"cal_{k}": v for k, v in shown.as_dict().items()},
    }
    floor = level_thresholds(labels, 0.5, 0.5, 0.5)
    at_floor = _cv_scores(examples, taxonomy, labels, apply_platt(blended, platt_a, platt_b), floor)
    report.lines.append(
        "  cuts all at 0.5 instead (precision-first floor): coarse "
        f"{at_floor['f1_coarse_official']:.4f} fine {at_floor['f1_fine_official']:.4f}, EN coarse "
        f"{at_floor.get('EN_f1_coarse_official', 0.0):.4f} fine {at_floor.get('EN_f1_fine_official', 0.0):.4f}"
    )
    report.scores |= gated_scores(
        examples, taxonomy, labels, apply_platt(blended, platt_a, platt_b), cut, encoder
    )

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
    }
    if corrected is not None:
        report.lines.append(corrected.card_line(WEIGHT))
        info["corrections"] = corrected.info(WEIGHT)
    head = LinearHead(weights, bias, labels, MODEL_ID, encoder.name, thresholds=cut, info=info)
    head.save(out / HEAD_FILE.name)
    def_head = LinearHead(
        # C order: safetensors writes the buffer as is, and a transposed view would be scrambled
        np.ascontiguousarray(slope * definitions.T, dtype=np.float32),
        np.where(is_other, -10.0, intercept).astype(np.float32),
        labels,
        MODEL_ID,
        encoder.name,
        info={"slope": slope, "intercept": intercept, "texts": "label name + our definition"},
    )
    def_head.save(out / DEFINITIONS_FILE.name)
    card = (report, y, crossfit, labels, cut, len(examples), seed, folds)
    write_model_card(out / f"{MODEL_ID}.md", *card)
    return report


def gated_scores(examples, taxonomy, labels, probabilities, cut, encoder) -> dict[str, float]:
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
    gated = np.where(silenced[:, None], 0.0, probabilities)
    gated[:, labels.index(OTHER)] = np.where(silenced, 1.0, probabilities[:, labels.index(OTHER)])
    scores = _cv_scores(examples, taxonomy, labels, gated, cut)
    out = {"gate_silenced": float(silenced.mean())}
    for key in ("f1_coarse_official", "f1_fine_official"):
        out[f"gated_{key}"] = scores[key]
        if "EN_" + key in scores:
            out[f"gated_EN_{key}"] = scores["EN_" + key]
    return out


# --- evaluation ----------------------------------------------------------------------------


def predict(analyzer: NarrativeAnalyzer, examples: Sequence[Example]) -> dict[str, NarrativeLabels]:
    """Official-format labels for every article, from the shipped heads."""
    cut = analyzer.head.thresholds
    if cut is None:
        cut = np.full(len(analyzer.head.labels), 0.5)
    out = {}
    for ex in examples:
        article_id = ex.encoded.article.id
        scores, _ = analyzer.scores(ex.encoded.vectors)
        out[article_id] = _labels_of(scores, analyzer.head.labels, cut, article_id)
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
