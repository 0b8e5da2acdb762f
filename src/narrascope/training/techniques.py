"""Training and evaluation of the technique head (`narrascope train|evaluate techniques`).

Training reads the SemEval-2023 Task 3 train split of every language in the bundle, labels each
sentence with the techniques of the gold spans that touch it, and fits one linear head over
`analyzers.techniques.features` (sentence, neighbour and document vectors plus cues), pooled
over languages. Per-technique thresholds are chosen on out-of-fold sentence probabilities
(folds grouped by article), so they never depend on how long a file's lines are. Scores are the
official ones, computed by our own code: T3 subtask 3 micro/macro-F1 on the lines of each
language; if PTC is given too (`--data` holding both bundles), its SI span F1 and TC micro-F1
on the train articles, from the same out-of-fold predictions.

`--data` may be the SemEval-2023 bundle, the PTC bundle (evaluate only) or a folder holding
`semeval2023_task3` and/or `semeval2020_task11_ptc`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.techniques import TechniqueAnalyzer, features
from narrascope.encode import default_encoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report, ptc, semeval2023
from narrascope.training.fit import (
    cross_validate_sigmoid,
    fit_sigmoid,
    grouped_folds,
    rest_of,
    tune_thresholds,
)
from narrascope.training.semeval2023 import TECHNIQUES, Sentence
from narrascope.training.techniques_ptc import (
    TC_VERSION,
    ptc_report,
    score_ptc,
    train_fragment_head,
)
from narrascope.training.vectors import VectorCache

CACHE = TRAINING_CACHE / "techniques"
T3_NAME, PTC_NAME = "semeval2023_task3", "semeval2020_task11_ptc"
L2 = 1e-3
FOCUS = ("en", "ru")


# --------------------------------------------------------------------------- data


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


def load_corpus(t3: Path, split: str, *, store: VectorCache) -> Corpus:
    """Read `split` of every language in the T3 bundle and build features (vectors cached)."""
    sentences: list[Sentence] = []
    folders: list[str] = []
    blocks: list[np.ndarray] = []
    line_labels = {}
    for folder in semeval2023.languages(t3):
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
                f"  per-technique F1 ({folder}): "
                + ", ".join(f"{k}={v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
            )


# --------------------------------------------------------------------------- PTC


def find_data(data: Path) -> tuple[Path | None, Path | None]:
    """The SemEval-2023 bundle and the PTC bundle inside `data` (either may be None)."""
    t3 = data if semeval2023.languages(data) else None
    if t3 is None and (data / T3_NAME).is_dir():
        t3 = data / T3_NAME
    if (data / "datasets").is_dir() or any(data.glob("*-articles")):
        return t3, data
    return t3, (data / PTC_NAME) if (data / PTC_NAME).is_dir() else None


def train(data: Path, *, out: Path = RESOURCES, seed: int = 13, folds: int = 5) -> Report:
    """Fit the technique head on the T3 train split of every language; CV scores in the report."""
    t3, ptc_dir = find_data(data)
    if t3 is None:
        raise FileNotFoundError(f"{data}: no SemEval-2023 Task 3 bundle found")
    encoder = default_encoder()
    store = VectorCache(CACHE, encoder)
    corpus = load_corpus(t3, "train", store=store)
    report = Report("techniques")
    held_out = grouped_folds(corpus.groups(), folds, seed)
    probabilities, fold_models = cross_validate_sigmoid(corpus.x, corpus.y, held_out, l2=L2)
    folders = np.array(corpus.folders)
    by_language = {
        semeval2023.LANGUAGE_CODES[f]: tune_thresholds(
            corpus.y[folders == f], probabilities[folders == f]
        )
        for f in corpus.line_labels
    }
    pooled = tune_thresholds(corpus.y, probabilities)
    # Honest CV: each fold is decided with cuts tuned on the other folds' out-of-fold scores.
    passed = np.zeros(corpus.y.shape, dtype=bool)
    for held in held_out:
        rest = rest_of(held, len(corpus.y))
        for f in corpus.line_labels:
            tune = rest[folders[rest] == f]
            rows = held[folders[held] == f]
            passed[rows] = probabilities[rows] >= tune_thresholds(
                corpus.y[tune], probabilities[tune]
            )
    score_lines(corpus, passed, report, "cv_")
    weights, bias = fit_sigmoid(corpus.x, corpus.y, l2=L2)
    article_ids = sorted(
        {f"{f}/{s.article}" for f, s in zip(corpus.folders, corpus.sentences, strict=True)}
    )
    head = LinearHead(
        weights,
        bias,
        list(TECHNIQUES),
        TechniqueAnalyzer.version,
        encoder.name,
        thresholds=pooled,
        info={
            "thresholds_by_language": {
                k: [round(float(c), 3) for c in v] for k, v in by_language.items()
            },
            "seed": seed,
            "folds": folds,
            "l2": L2,
            "trained": dt.date.today().isoformat(),
            "train_articles": article_ids,
        },
    )
    if ptc_dir is not None:
        articles = ptc.read_ptc(ptc_dir, "train")
        fold_of = {}
        for k, held in enumerate(held_out):
            for i in held:
                if corpus.folders[i] == "en":
                    fold_of[corpus.sentences[i].article] = k
        known = {a: art for a, art in articles.items() if a in fold_of}
        tc_cv, tc_head = train_fragment_head(known, store=store, seed=seed, folds=folds)
        si, tc = score_ptc(
            known,
            lambda a: fold_models[fold_of[a]],
            by_language.get("en", pooled),
            store=store,
            tc_models=lambda a: tc_cv[a],
        )
        ptc_report(known, si, tc, report, "cv_")
        report.lines.append(
            f"  PTC train articles scored out of fold: {len(known)}/{len(articles)}"
        )
        out.mkdir(parents=True, exist_ok=True)
        tc_head.save(out / f"{TC_VERSION}.safetensors")
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / f"{TechniqueAnalyzer.version}.safetensors")
    write_card(out / f"{TechniqueAnalyzer.version}.md", head, report, corpus)
    return report


def evaluate(data: Path, *, split: str = "dev", predictions: Path | None = None) -> Report:
    """Score the shipped head on `split` with the official metrics; write official-format files."""
    t3, ptc_dir = find_data(data)
    if t3 is None and ptc_dir is None:
        raise FileNotFoundError(f"{data}: neither a SemEval-2023 Task 3 nor a PTC bundle")
    encoder = default_encoder()
    analyzer = TechniqueAnalyzer.load(encoder)
    store = VectorCache(CACHE, encoder)
    report = Report("techniques")
    trained_on = set(analyzer.head.info.get("train_articles", []))
    if t3 is not None:
        corpus = load_corpus(t3, split, store=store)
        probabilities = analyzer.head.score(corpus.x)
        passed = np.zeros(probabilities.shape, dtype=bool)
        folders = np.array(corpus.folders)
        for f in set(corpus.folders):
            rows = folders == f
            cut = analyzer.thresholds(semeval2023.LANGUAGE_CODES.get(f, f))
            passed[rows] = probabilities[rows] >= cut
        score_lines(corpus, passed, report, "")
        seen = {
            f"{f}/{s.article}" for f, s in zip(corpus.folders, corpus.sentences, strict=True)
        } & trained_on
        report.lines.append(f"  T3 {split}: {len(seen)} articles were in the head's training data")
        if predictions is not None:
            _write_t3(t3, split, corpus, passed, predictions)
    if ptc_dir is not None:
        articles = ptc.read_ptc(ptc_dir, split)
        cuts = analyzer.thresholds("en")
        tc_models = None
        tc_path = RESOURCES / f"{TC_VERSION}.safetensors"
        if tc_path.is_file():
            tc_head = LinearHead.from_file(tc_path)
            tc_models = lambda a: (tc_head.weights, tc_head.bias)  # noqa: E731
        else:
            report.lines.append(f"  {tc_path} missing: TC falls back to the sentence head")
        si, tc = score_ptc(
            articles,
            lambda a: (analyzer.head.weights, analyzer.head.bias),
            cuts,
            store=store,
            tc_models=tc_models,
        )
        if any(art.si or art.tc for art in articles.values()):
            ptc_report(articles, si, tc, report, "")
        seen = {f"en/{a}" for a in articles} & trained_on
        report.lines.append(
            f"  PTC {split}: {len(seen)}/{len(articles)} articles were in the head's training data"
            " (SemEval-2023 English train re-annotates PTC articles)"
        )
        if predictions is not None:
            ptc.write_si(_suffixed(predictions, "si"), si)
            ptc.write_tc(_suffixed(predictions, "tc"), tc)
    return report


def _suffixed(path: Path, tag: str) -> Path:
    return path.with_name(f"{path.stem}-{tag}{path.suffix or '.txt'}")


def _write_t3(t3: Path, split: str, corpus: Corpus, passed: np.ndarray, predictions: Path) -> None:
    """One official subtask-3 file per language: every non-blank line of every article."""
    folders = sorted(set(corpus.folders))
    for folder in folders:
        predicted = line_predictions(corpus, passed, folder)
        rows = {}
        for article in semeval2023.read_articles(t3, folder, split, 3).values():
            for number, _ in article.lines():
                rows[(article.id, number)] = predicted.get((article.id, number), [])
        path = predictions if len(folders) == 1 else _suffixed(predictions, folder)
        semeval2023.write_line_labels(path, rows)


def write_card(path: Path, head: LinearHead, report: Report, corpus: Corpus) -> None:
    """The model card: data, terms, encoder, features, seed, CV scores."""
    counts = defaultdict(int)
    for f in corpus.folders:
        counts[f] += 1
    lines = [
        f"# {head.model_id}: persuasion techniques, sentence by sentence",
        "",
        f"- Trained: {head.info.get('trained')} by `narrascope train techniques --data DIR` "
        f"(seed {head.info.get('seed')}, {head.info.get('folds')}-fold CV grouped by article).",
        f"- Encoder: `{head.encoder}` (shared sentence encoder), frozen.",
        "- Head: one linear sigmoid per technique (23, SemEval-2023 Task 3 labels) over "
        "`analyzers.techniques.features`: sentence vector, mean of the two neighbouring "
        "sentences, document mean, max cosine to another sentence (repetition), and 7 surface "
        f"cues; L2 = {head.info.get('l2')}, L-BFGS, all languages pooled.",
        "- Thresholds: per technique, on out-of-fold sentence probabilities: first the cut that "
        "maximises that technique's F1, then refined by coordinate ascent for the micro-F1 over "
        "all techniques (a technique may be silenced), tuned per training language (pooled cuts "
        "for other languages). Line length never enters: cuts are on sentences.",
        "- Training data: SemEval-2023 Task 3 train split, all six languages; sentence truth from "
        "the span files (a sentence carries a technique when a gold span overlaps it). "
        "Sentences per language: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ".",
        "- Terms of use of the data: research use only, no redistribution (SemEval-2023 Task 3 "
        "licence; PTC by the same organisers, treated alike). The head holds weights, not text.",
        "- PTC label map (PTC class -> T3 techniques): see `narrascope.training.ptc.PTC_TO_T3`; "
        "the SemEval-2023 English train split contains the PTC train articles (same offsets), so "
        "PTC is used for scoring, not as extra training data. The English train split also holds "
        "75 articles outside PTC train, some of which may be PTC dev articles: a PTC dev score of "
        "this head may be contaminated, and `narrascope evaluate techniques` prints how many of "
        "the scored articles the head was trained on.",
        "- Known limits: spans are whole sentences, so PTC SI precision is low by construction; "
        "PTC TC is scored with a separate fragment head (`techniques-tc-v1.safetensors`: softmax "
        "over the 14 PTC classes on [fragment vector, sentence vector, sentence cues, log length], "
        "fitted on PTC train fragments; CV grouped by article); the analyzer does not use it.",
        "",
        "## Cross-validated scores on train (thresholds cross-fitted: each fold decided with cuts "
        "tuned on the other folds)",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
