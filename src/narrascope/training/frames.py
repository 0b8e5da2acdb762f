"""Training and evaluation of the frames head (`narrascope train|evaluate frames`, T3 subtask 2).

Articles of every language folder are pooled; the head is one sigmoid per frame over
`analyzers.frames.document_features`, with per-frame thresholds chosen on grouped
out-of-fold probabilities. Scores: the official micro-F1 (and macro-F1) per language.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from narrascope.analyzers.frames import FrameAnalyzer, document_features
from narrascope.encode import default_encoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Layer
from narrascope.training import Report, semeval2023
from narrascope.training.corrections import WEIGHT, corrected_documents, weighted_in
from narrascope.training.fit import (
    cross_validate_sigmoid,
    fit_sigmoid,
    grouped_folds,
    rest_of,
    tune_thresholds,
)
from narrascope.training.genre import CACHE, DocumentSet, load_documents, write_predictions
from narrascope.training.semeval2023 import FRAMES
from narrascope.training.vectors import VectorCache

L2 = 3e-4


def score(docs: DocumentSet, passed: np.ndarray, report: Report, prefix: str) -> None:
    """Official subtask-2 micro-F1 (and macro-F1) per language into `report`."""
    for folder in sorted(set(docs.folders)):
        rows = [i for i, f in enumerate(docs.folders) if f == folder]
        gold = {docs.ids[i]: docs.labels[i] for i in rows}
        if not any(gold.values()):
            continue
        guess = {docs.ids[i]: [FRAMES[j] for j in np.flatnonzero(passed[i])] for i in rows}
        micro, macro = semeval2023.multilabel_f1(gold, guess, FRAMES)
        report.scores[f"{prefix}st2_micro_f1_{folder}"] = micro
        report.scores[f"{prefix}st2_macro_f1_{folder}"] = macro


def train(
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    corrections: str | None = None,
) -> Report:
    """Fit the frames head on the T3 train split of every language; CV micro-F1 in the report.

    `corrections`: a Narrascope database whose corrected documents are weighted into the final
    fit (the CV scores stay those of the labelled data alone); the card says how many.
    """
    encoder = default_encoder()
    docs = load_documents(data, "train", 2, document_features, store=VectorCache(CACHE, encoder))
    y = np.array([[f in labels for f in FRAMES] for labels in docs.labels], dtype=np.float32)
    groups = [f"{f}/{a}" for f, a in zip(docs.folders, docs.ids, strict=True)]
    held_out = grouped_folds(groups, folds, seed)
    probabilities, _ = cross_validate_sigmoid(docs.x, y, held_out, l2=L2)
    # Honest CV: each fold is decided with cuts tuned on the other folds' out-of-fold scores.
    passed = np.zeros(y.shape, dtype=bool)
    for held in held_out:
        rest = rest_of(held, len(y))
        passed[held] = probabilities[held] >= tune_thresholds(y[rest], probabilities[rest])
    report = Report("frames")
    score(docs, passed, report, "cv_")
    info: dict[str, object] = {"seed": seed, "folds": folds, "l2": L2}
    x_fit, y_fit = docs.x, y
    if corrections is not None:
        corrected = corrected_documents(
            corrections, Layer.FRAME, FRAMES, document_features, encoder=encoder.name
        )
        x_fit, y_fit = weighted_in(docs.x, y, corrected, WEIGHT)
        report.lines.append(corrected.card_line(WEIGHT))
        info["corrections"] = {
            "source": corrections,
            "count": corrected.corrections,
            "documents": corrected.documents,
            "weight": WEIGHT,
        }
    weights, bias = fit_sigmoid(x_fit, y_fit, l2=L2)
    head = LinearHead(
        weights,
        bias,
        list(FRAMES),
        FrameAnalyzer.version,
        encoder.name,
        thresholds=tune_thresholds(y, probabilities),
        info={**info, "trained": dt.date.today().isoformat()},
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / f"{FrameAnalyzer.version}.safetensors")
    _write_card(out / f"{FrameAnalyzer.version}.md", head, report, docs)
    return report


def evaluate(data: Path, *, split: str = "dev", predictions: Path | None = None) -> Report:
    """Score the shipped frames head on `split` (official micro-F1); write official files if asked."""
    encoder = default_encoder()
    analyzer = FrameAnalyzer.load(encoder)
    store = VectorCache(CACHE, encoder)
    docs = load_documents(data, split, 2, document_features, store=store)
    passed = analyzer.head.decide(analyzer.head.score(docs.x))
    report = Report("frames")
    score(docs, passed, report, "")
    if predictions is not None:
        labels = [",".join(FRAMES[j] for j in np.flatnonzero(p)) for p in passed]
        write_predictions(predictions, docs, labels)
    return report


def _write_card(path: Path, head: LinearHead, report: Report, docs: DocumentSet) -> None:
    per_language = {f: docs.folders.count(f) for f in sorted(set(docs.folders))}
    lines = [
        f"# {head.model_id}: frames (14 SemEval-2023 Task 3 framing dimensions)",
        "",
        f"- Trained: {head.info['trained']} by `narrascope train frames --data DIR` "
        f"(seed {head.info['seed']}, {head.info['folds']}-fold CV grouped by article).",
        f"- Encoder: `{head.encoder}`, frozen. Head: one linear sigmoid per frame over the mean "
        f"sentence vector, L2 = {head.info['l2']}, L-BFGS; thresholds per frame from out-of-fold "
        "probabilities (per-frame F1 cuts refined for micro-F1).",
        "- Evidence: the three sentences whose vectors score highest for the frame.",
        "- Training data: SemEval-2023 Task 3 subtask 2 train, all languages (articles: "
        + ", ".join(f"{k} {v}" for k, v in per_language.items())
        + ").",
        "- Terms of use of the data: research use only, no redistribution.",
        "",
        "## Cross-validated scores on train (thresholds cross-fitted; official micro-F1 per "
        "language)",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
