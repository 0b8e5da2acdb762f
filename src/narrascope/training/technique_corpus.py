"""The technique head's training corpus and its official scoring (SemEval-2023 Task 3, subtask 3).

`load_corpus` reads a split of every language into sentences, head features and gold labels;
`line_predictions` and `score_lines` turn sentence decisions into the official line-level
micro/macro-F1; `fit_head` is the final fit of a head, an analyst's corrections weighted in.
Shared by `training.techniques` (the pooled head) and `training.technique_languages` (a head
per language).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.techniques import features
from narrascope.training import Report, semeval2023
from narrascope.training.corrections import WEIGHT, CorrectedSet, weighted_in
from narrascope.training.fit import fit_sigmoid, rest_of, tune_thresholds
from narrascope.training.semeval2023 import TECHNIQUES, Sentence
from narrascope.training.vectors import VectorCache

FOCUS = ("en", "ru")


@dataclass
class Corpus:
    """Sentences of one split across languages, with their head features and gold labels."""

    sentences: list[Sentence]
    folders: list[str]  # language folder of each sentence
    x: np.ndarray
    y: np.ndarray
    line_labels: dict[str, dict[tuple[str, int], list[str]]]  # folder -> line gold

    def groups(self) -> list[str]:
        return [f"{f}/{s.article}" for f, s in zip(self.folders, self.sentences, strict=True)]

    def languages(self) -> list[str]:
        """Each sentence's language as analysis knows it (ISO code, not the folder name)."""
        return [semeval2023.LANGUAGE_CODES.get(f, f) for f in self.folders]


def load_corpus(
    t3: Path, split: str, *, store: VectorCache, languages: Sequence[str] | None = None
) -> Corpus:
    """Read `split` of every language in the T3 bundle (or of `languages`, by folder or ISO
    code) and build features (vectors cached)."""
    sentences: list[Sentence] = []
    folders: list[str] = []
    blocks: list[np.ndarray] = []
    line_labels = {}
    for folder in semeval2023.languages(t3):
        if languages and not {folder, semeval2023.LANGUAGE_CODES[folder]} & set(languages):
            continue
        found = semeval2023.read_techniques(t3, folder, split)
        if not found.articles:
            continue
        line_labels[folder] = found.line_labels
        vectors = store.vectors([s.text for s in found.sentences])
        by_article: dict[str, list[int]] = defaultdict(list)
        for i, sentence in enumerate(found.sentences):
            by_article[sentence.article].append(i)
        for rows in by_article.values():
            texts = [found.sentences[i].text for i in rows]
            blocks.append(features(texts, vectors[rows]))
            sentences += [found.sentences[i] for i in rows]
            folders += [folder] * len(rows)
    x = np.vstack(blocks) if blocks else np.zeros((0, 0), dtype=np.float32)
    y = np.array([[t in s.techniques for t in TECHNIQUES] for s in sentences], dtype=np.float32)
    return Corpus(sentences, folders, x, y.reshape(len(sentences), len(TECHNIQUES)), line_labels)


def line_predictions(
    corpus: Corpus, passed: np.ndarray, folder: str
) -> dict[tuple[str, int], list[str]]:
    """Subtask-3 rows of one language: each line gets the union of its sentences' techniques."""
    rows: dict[tuple[str, int], set[str]] = defaultdict(set)
    for s, f, keep in zip(corpus.sentences, corpus.folders, passed, strict=True):
        if f == folder:
            rows[(s.article, s.line)].update(TECHNIQUES[j] for j in np.flatnonzero(keep))
    return {key: sorted(v) for key, v in rows.items()}


def score_lines(corpus: Corpus, passed: np.ndarray, report: Report, prefix: str) -> None:
    """Add official T3-ST3 micro/macro-F1 per language (and per technique for EN/RU) to `report`."""
    for folder, gold in corpus.line_labels.items():
        if not gold:
            continue
        predicted = line_predictions(corpus, passed, folder)
        micro, macro = semeval2023.multilabel_f1(gold, predicted, TECHNIQUES)
        report.scores[f"{prefix}st3_micro_f1_{folder}"] = micro
        report.scores[f"{prefix}st3_macro_f1_{folder}"] = macro
        if folder in FOCUS:
            per = semeval2023.per_label_f1(gold, predicted, TECHNIQUES)
            report.lines.append(
                f"  per-technique F1 ({folder}, {prefix.strip('_') or 'evaluated'}): "
                + ", ".join(f"{k}={v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
            )


def f1_rule(corpus: Corpus, raw: np.ndarray, held_out: list[np.ndarray]) -> np.ndarray:
    """techniques-v1's decisions out of fold: per language, cuts tuned for micro-F1 on the
    other folds' raw scores."""
    folders = np.array(corpus.folders)
    passed = np.zeros(corpus.y.shape, dtype=bool)
    for held in held_out:
        rest = rest_of(held, len(corpus.y))
        for f in corpus.line_labels:
            tune = rest[folders[rest] == f]
            rows = held[folders[held] == f]
            passed[rows] = raw[rows] >= tune_thresholds(corpus.y[tune], raw[tune])
    return passed


def fit_head(
    x: np.ndarray, y: np.ndarray, corrected: CorrectedSet | None = None, *, l2: float
) -> tuple[np.ndarray, np.ndarray]:
    """A head's raw weights and bias on every training sentence, an analyst's verdicts on
    sentences weighted in (`WEIGHT` each; none, or none in this head's language: the plain fit)."""
    if corrected is None or not len(corrected.x):
        return fit_sigmoid(x, y, l2=l2)
    x_all, y_all, cells = weighted_in(x, y, corrected, WEIGHT)
    return fit_sigmoid(x_all, y_all, l2=l2, cell_weights=cells)
