"""The narrative heads' data and yardstick (SemEval-2025 Task 10 subtask 2): the encoded
articles of a split with their gold, the official metric (samples-F1 over articles, coarse and
fine, paired by article id), and the level-threshold search `training.narratives.train` and
`training.narrative_languages` run on out-of-fold scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.narratives import (
    OTHER,
    NarrativeLabel,
    decide,
    is_subnarrative,
)
from narrascope.encode import Encoder
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training.semeval2025 import (
    EncodedArticle,
    NarrativeLabels,
    cache_path,
    encode_articles,
    language_dirs,
    read_articles,
    read_narrative_labels,
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
LEVELS = ("narrative", "subnarrative", "other")


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


def cv_scores(
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
                scores = cv_scores(examples, taxonomy, labels, probabilities, cut)
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
