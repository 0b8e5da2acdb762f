"""Training and evaluation of the genre head (`narrascope train|evaluate genre`, T3 subtask 1).

Articles of every language folder are pooled; the head is a softmax over
`analyzers.genre.document_features`. Class weights are balanced within each language, which
is the same as assuming equal genre priors: the English train split is 88% opinion while other
splits are mostly reporting, so fitting the train prior would carry that skew into every
prediction. Scores: the official macro-F1 per language, from grouped out-of-fold predictions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import (
    N_CUES,
    GenreAnalyzer,
    choose_genre,
    document_features,
    shown_confidence,
)
from narrascope.encode import default_encoder
from narrascope.heads import RESOURCES, LinearHead, softmax
from narrascope.model import Layer
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report, semeval2023, trained_date
from narrascope.training.calibrate import (
    apply_temperature,
    ece_noise_floor,
    expected_calibration_error,
    fit_platt,
    fit_temperature,
    fold_temperature,
)
from narrascope.training.corrections import WEIGHT, corrected_examples, one_label_rows
from narrascope.training.fit import fit_softmax, grouped_folds, rest_of
from narrascope.training.semeval2023 import GENRES
from narrascope.training.vectors import VectorCache

CACHE = TRAINING_CACHE / "techniques"
C = 4.0  # chosen by leave-one-language-out macro-F1 (1.0 in genre-v1)
# Operating points: opinion and reporting whenever likeliest; satire only at 0.85 or above.
# At genre-v3's 0.5, 21 of 248 real web pages were shown as satire and none was (the cut's
# pre-registered choice on other pages than it was checked on: benchmarks/genre_satire_cut.py).
SATIRE_CUT = 0.85
SATIRE_GATE = np.array([0.0, 0.0, SATIRE_CUT], dtype=np.float32)


@dataclass
class DocumentSet:
    """Articles of one split across languages: ids, folders, features and labels (if any)."""

    ids: list[str]
    folders: list[str]
    x: np.ndarray
    labels: list[list[str]]  # per article; [] when the split has no gold


def load_documents(
    data: Path,
    split: str,
    subtask: int,
    features,
    *,
    store: VectorCache,
    languages: Sequence[str] | None = None,
) -> DocumentSet:
    """Read the articles (and labels, if present) of `subtask` for `split`, with features;
    every language folder, or those of `languages` (folder names or ISO codes)."""
    t3 = data / "semeval2023_task3" if not semeval2023.languages(data) else data
    ids, folders, labels, sentences = [], [], [], []
    for folder in semeval2023.languages(t3):
        if languages and not {folder, semeval2023.LANGUAGE_CODES[folder]} & set(languages):
            continue
        articles = semeval2023.read_articles(t3, folder, split, subtask)
        path = semeval2023.labels_path(t3, folder, split, subtask)
        gold: dict[str, list[str]] = {}
        if path.is_file():
            if subtask == 1:
                gold = {k: [v] for k, v in semeval2023.read_genres(path).items()}
            else:
                gold = semeval2023.read_frames(path)
        for article_id, article in articles.items():
            sentences.append([s.text for s in semeval2023.split_sentences(article)])
            ids.append(article_id)
            folders.append(folder)
            labels.append(gold.get(article_id, []))
    vectors = store.vectors([t for texts in sentences for t in texts])
    bounds = np.cumsum([0] + [len(texts) for texts in sentences])
    rows = [
        features(vectors[bounds[i] : bounds[i + 1]], sentences[i]) for i in range(len(sentences))
    ]
    x = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
    return DocumentSet(ids, folders, x, labels)


def genre_documents(
    data: Path, store: VectorCache, *, languages: Sequence[str] | None = None
) -> DocumentSet:
    """The T3 train articles with a genre label, as the genre head's features."""
    docs = load_documents(data, "train", 1, document_features, store=store, languages=languages)
    keep = [i for i, lab in enumerate(docs.labels) if lab and lab[0] in GENRES]
    return DocumentSet(
        [docs.ids[i] for i in keep],
        [docs.folders[i] for i in keep],
        docs.x[keep],
        [docs.labels[i] for i in keep],
    )


def _weights(labels: list[str], folders: list[str]) -> np.ndarray:
    """Balanced class weights within each language."""
    counts = Counter(zip(folders, labels, strict=True))
    per_folder = Counter(folders)
    n_classes = {f: len({lab for g, lab in counts if g == f}) for f in per_folder}
    return np.array(
        [
            per_folder[f] / (n_classes[f] * counts[(f, lab)])
            for f, lab in zip(folders, labels, strict=True)
        ]
    )


def _fit(
    x: np.ndarray,
    labels: list[str],
    folders: list[str],
    seed: int,
    *,
    c: float = C,
    corrected: tuple[np.ndarray, list[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The genre softmax in `GENRES` order, classes balanced within each language.

    `corrected`: analysts' corrected articles (features, genre), each weighted `WEIGHT` (the
    balanced weights of a language average 1 per article).
    """
    weights = _weights(labels, folders)
    if corrected is not None and len(corrected[1]):
        x = np.vstack([x, corrected[0]]).astype(np.float32)
        labels = [*labels, *corrected[1]]
        weights = np.concatenate([weights, np.full(len(corrected[1]), float(WEIGHT))])
    return fit_softmax(x, labels, GENRES, c=c, seed=seed, max_iter=3000, sample_weight=weights)


def score(docs: DocumentSet, predicted: list[str], report: Report, prefix: str) -> None:
    """Official subtask-1 macro-F1 per language into `report`."""
    for folder in sorted(set(docs.folders)):
        rows = [i for i, f in enumerate(docs.folders) if f == folder and docs.labels[i]]
        if rows:
            gold = {docs.ids[i]: docs.labels[i][0] for i in rows}
            guess = {docs.ids[i]: predicted[i] for i in rows}
            report.scores[f"{prefix}st1_macro_f1_{folder}"] = semeval2023.genre_macro_f1(
                gold, guess
            )


def train(
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    languages: Sequence[str] | None = None,
    corrections: str | None = None,
) -> Report:
    """Fit the genre head on the T3 train split (every language unless told), calibrate it and
    measure it out of fold and across languages (leave one language out).

    `corrections`: a Narrascope database whose corrected articles are weighted into the final
    fit (the CV scores and the temperature stay those of the labelled data alone).
    """
    encoder = default_encoder()
    docs = genre_documents(data, VectorCache(CACHE, encoder), languages=languages)
    labels = [lab[0] for lab in docs.labels]
    truth = np.array([GENRES.index(lab) for lab in labels])
    raw, calibrated, held_out = out_of_fold(docs, labels, seed, folds)
    balance = _weights(labels, docs.folders)
    report = Report("genre")
    shown = choose_genre(calibrated, SATIRE_GATE)
    score(docs, [GENRES[k] for k in shown], report, "cv_")
    # The stored score, cross-fitted: the shown genre's probability mapped by the Platt scaling
    # per shown genre fitted on the other folds (equal priors); and the three probabilities
    # moved to the train mix of the article's language, as the other folds have it.
    confidence = cross_fitted_confidence(calibrated, shown, truth, balance, held_out)
    train_mix = np.zeros(calibrated.shape)
    confidence_train_mix = np.zeros(len(labels))
    for held in held_out:
        rest = rest_of(held, len(labels))
        mix = language_mix(truth[rest], [docs.folders[i] for i in rest])
        held_folders = [docs.folders[i] for i in held]
        train_mix[held] = with_mix(calibrated[held], held_folders, mix)
        stored = with_confidence(calibrated[held], shown[held], confidence[held])
        moved = with_mix(stored, held_folders, mix)
        confidence_train_mix[held] = moved[np.arange(len(held)), shown[held]]
    _calibration_scores(
        calibrated, truth, balance, shown, (confidence, confidence_train_mix), train_mix, report
    )
    if len(set(docs.folders)) > 1:
        _leave_one_language_out(docs, labels, raw, balance, seed, report)
    temperature = fit_temperature(raw, truth, weights=balance)
    final = apply_temperature(raw, temperature)
    shown_a, shown_b = fit_shown_platt(final, choose_genre(final, SATIRE_GATE), truth, balance)
    info: dict[str, object] = {}
    corrected = None
    if corrections is not None:
        corrected, info["corrections"] = _corrected(corrections, encoder.name, report)
    fitted = _fit(docs.x, labels, docs.folders, seed, corrected=corrected)
    weights, bias = fold_temperature(*fitted, temperature)
    head = LinearHead(
        weights,
        bias,
        list(GENRES),
        GenreAnalyzer.version,
        encoder.name,
        thresholds=SATIRE_GATE,
        activation="softmax",
        info={
            "seed": seed,
            "folds": folds,
            "C": C,
            "temperature": round(temperature, 4),
            "priors": "equal within each language (balanced class weights)",
            "shown_platt": {
                "a": [round(float(v), 6) for v in shown_a],
                "b": [round(float(v), 6) for v in shown_b],
                "mix": "equal genre priors within each language",
            },
            **info,
            "trained": trained_date(),
        },
    )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / f"{GenreAnalyzer.version}.safetensors")
    counts = Counter(zip(docs.folders, labels, strict=True))
    _write_card(out / f"{GenreAnalyzer.version}.md", head, report, counts)
    return report


def out_of_fold(
    docs: DocumentSet, labels: list[str], seed: int, folds: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Out-of-fold genre probabilities (folds grouped by article, drawn by `seed`): raw, and
    temperature-calibrated with the temperature cross-fitted (each fold calibrated by the other
    folds' out-of-fold scores, weighted to equal genre priors); and the folds' held-out rows."""
    truth = np.array([GENRES.index(lab) for lab in labels])
    groups = [f"{f}/{a}" for f, a in zip(docs.folders, docs.ids, strict=True)]
    held_out = grouped_folds(groups, folds, seed)
    raw = np.zeros((len(labels), len(GENRES)))
    for held in held_out:
        rest = rest_of(held, len(labels))
        weights, bias = _fit(
            docs.x[rest], [labels[i] for i in rest], [docs.folders[i] for i in rest], seed
        )
        raw[held] = softmax(docs.x[held] @ weights + bias)
    balance = _weights(labels, docs.folders)
    calibrated = np.zeros(raw.shape)
    for held in held_out:
        rest = rest_of(held, len(labels))
        t = fit_temperature(raw[rest], truth[rest], weights=balance[rest])
        calibrated[held] = apply_temperature(raw[held], t)
    return raw, calibrated, held_out


def _corrected(
    db: str, encoder: str, report: Report
) -> tuple[tuple[np.ndarray, list[str]], dict[str, object]]:
    """The corrected articles of database `db` as (features, genre) rows, with what the model
    card and the head's metadata say about them (the card line goes into `report`)."""
    corrected = corrected_examples(
        db,
        (Layer.GENRE,),
        GENRES,
        lambda doc, vectors: document_features(vectors, doc.sentence_texts()),
        encoder=encoder,
    )
    x, genres, left_out = one_label_rows(corrected, GENRES)
    report.lines.append(corrected.card_line(WEIGHT))
    if left_out:
        report.lines.append(
            f"  {left_out} corrected articles say only which genre they are not and were left "
            "out (one genre per article)."
        )
    return (x, genres), {**corrected.info(WEIGHT), "articles": len(genres), "left_out": left_out}


def cross_fitted_confidence(
    calibrated: np.ndarray,
    shown: np.ndarray,
    truth: np.ndarray,
    balance: np.ndarray,
    held_out: list[np.ndarray],
) -> np.ndarray:
    """The stored score of each article's shown genre, out of fold: its probability through
    the Platt scaling per shown genre fitted on the other folds (equal priors)."""
    confidence = np.zeros(len(shown))
    for held in held_out:
        rest = rest_of(held, len(shown))
        a, b = fit_shown_platt(calibrated[rest], shown[rest], truth[rest], balance[rest])
        confidence[held] = shown_confidence(calibrated[held], shown[held], a, b)
    return confidence


def fit_shown_platt(
    probabilities: np.ndarray, shown: np.ndarray, truth: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per genre, Platt's (a, b) from the probability of that genre where it was shown to
    whether it was right, rows weighted by `weights` (the stated mix: equal priors)."""
    a, b = np.ones(len(GENRES)), np.zeros(len(GENRES))
    top = probabilities[np.arange(len(shown)), shown]
    for k in range(len(GENRES)):
        rows = shown == k
        a[k], b[k] = fit_platt(top[rows], shown[rows] == truth[rows], weights=weights[rows])
    return a, b


def language_mix(truth: np.ndarray, folders: Sequence[str]) -> dict[str, np.ndarray]:
    """Each language's genre shares in the rows given (the train mix)."""
    where = np.array(folders)
    return {
        f: np.bincount(truth[where == f], minlength=len(GENRES)) / (where == f).sum()
        for f in set(folders)
    }


def with_mix(
    probabilities: np.ndarray, folders: Sequence[str], mix: dict[str, np.ndarray]
) -> np.ndarray:
    """Equal-prior probabilities moved to the genre mix of each row's language (Bayes' rule:
    times the prior, renormalised); a language `mix` lacks keeps equal priors."""
    even = np.full(len(GENRES), 1.0 / len(GENRES))
    moved = probabilities * np.array([mix.get(f, even) for f in folders])
    return moved / np.maximum(moved.sum(axis=1, keepdims=True), 1e-12)


def with_confidence(
    probabilities: np.ndarray, shown: np.ndarray, confidence: np.ndarray
) -> np.ndarray:
    """Three probabilities per row that agree with the stored score: the shown genre gets its
    `confidence`, the other two share the rest as their probabilities do."""
    rows = np.arange(len(shown))
    others = probabilities.copy()
    others[rows, shown] = 0.0
    others *= ((1.0 - confidence) / np.maximum(others.sum(axis=1), 1e-12))[:, None]
    others[rows, shown] = confidence
    return others


def _calibration_scores(
    calibrated: np.ndarray,
    truth: np.ndarray,
    balance: np.ndarray,
    shown: np.ndarray,
    confidence: tuple[np.ndarray, np.ndarray],
    train_mix: np.ndarray,
    report: Report,
) -> None:
    """ECE of the cross-fitted scores on the stated mix (equal genre priors within each
    language: every article weighted by its balancing weight): the three probabilities and the
    stored score of the shown genre (`confidence[0]`); on the train mix, of both moved to it by
    Bayes' rule (`train_mix`, `confidence[1]`); and satire's precision/recall as shown."""
    onehot = np.eye(len(GENRES))[truth]
    right = shown == truth
    stored, stored_train_mix = confidence
    report.scores["cv_ece_equal_priors"] = expected_calibration_error(
        calibrated, onehot, weights=balance
    )
    report.scores["cv_ece_shown"] = expected_calibration_error(stored, right, weights=balance)
    report.scores["cv_ece_train_mix"] = expected_calibration_error(train_mix, onehot)
    report.scores["cv_ece_shown_train_mix"] = expected_calibration_error(stored_train_mix, right)
    report.lines.append(
        "  noise: scores calibrated by construction would show ECE "
        f"{ece_noise_floor(stored, weights=balance):.4f} (stored score, stated mix; few "
        f"articles weigh much) and {ece_noise_floor(stored_train_mix):.4f} (train mix)"
    )
    report.lines.append(
        "  read at face value on the train mix (no mix correction): ECE "
        f"{expected_calibration_error(calibrated, onehot):.4f} (three probabilities), "
        f"{expected_calibration_error(stored, right):.4f} (stored score)"
    )
    satire = GENRES.index("satire")
    said, really = shown == satire, truth == satire
    report.scores["cv_satire_precision"] = float((said & really).sum() / max(said.sum(), 1))
    report.scores["cv_satire_recall"] = float((said & really).sum() / max(really.sum(), 1))


def _leave_one_language_out(
    docs: DocumentSet,
    labels: list[str],
    raw: np.ndarray,
    balance: np.ndarray,
    seed: int,
    report: Report,
) -> None:
    """Genre macro-F1 on each language by a head fitted on the other languages only: their
    genre mixes differ, so this is the test of shift that plain CV is not. The rule of genre-v1
    (vectors only, C = 1, argmax) beside it. The temperature is fitted on the other languages'
    out-of-fold probabilities `raw`, weighted to equal priors by `balance`."""
    folders = np.array(docs.folders)
    width = docs.x.shape[1] - N_CUES
    for folder in sorted(set(docs.folders)):
        rest, held = np.flatnonzero(folders != folder), np.flatnonzero(folders == folder)
        fitted = [labels[i] for i in rest]
        weights, bias = _fit(docs.x[rest], fitted, list(folders[rest]), seed)
        truth = np.array([GENRES.index(labels[i]) for i in rest])
        t = fit_temperature(raw[rest], truth, weights=balance[rest])
        probabilities = apply_temperature(softmax(docs.x[held] @ weights + bias), t)
        shown = choose_genre(probabilities, SATIRE_GATE)
        old_w, old_b = _fit(docs.x[rest][:, :width], fitted, list(folders[rest]), seed, c=1.0)
        old = (docs.x[held][:, :width] @ old_w + old_b).argmax(axis=1)
        gold = {docs.ids[i]: labels[i] for i in held}
        for prefix, chosen in (("lolo_", shown), ("lolo_v1rule_", old)):
            guess = {docs.ids[i]: GENRES[k] for i, k in zip(held, chosen, strict=True)}
            report.scores[f"{prefix}st1_macro_f1_{folder}"] = semeval2023.genre_macro_f1(
                gold, guess
            )
        report.lines.append(
            f"  satire shown, leave-{folder}-out: {int((shown == 2).sum())} (v1 rule "
            f"{int((old == 2).sum())}), true {sum(labels[i] == 'satire' for i in held)}"
        )


def evaluate(
    data: Path,
    *,
    split: str = "dev",
    predictions: Path | None = None,
    models: Path | None = None,
) -> Report:
    """Score the shipped genre head on `split` (official macro-F1); write official files if asked."""
    encoder = default_encoder()
    analyzer = GenreAnalyzer.load(encoder, models=models)
    store = VectorCache(CACHE, encoder)
    docs = load_documents(data, split, 1, document_features, store=store)
    probabilities = analyzer.head.score(docs.x)
    shown = choose_genre(probabilities, analyzer.head.thresholds)
    predicted = [GENRES[int(j)] for j in shown] if len(docs.ids) else []
    report = Report("genre")
    score(docs, predicted, report, "")
    if predictions is not None:
        write_predictions(predictions, docs, predicted)
    return report


def write_predictions(predictions: Path, docs: DocumentSet, labels: list[str]) -> None:
    """Official T3 subtask 1/2 files, `article_id<TAB>labels`, one per language folder.

    With several folders the file name gets `-<folder>` before its suffix.
    """
    folders = sorted(set(docs.folders))
    for folder in folders:
        path = (
            predictions
            if len(folders) == 1
            else predictions.with_name(f"{predictions.stem}-{folder}{predictions.suffix or '.txt'}")
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            f"{a}\t{label}"
            for a, f, label in zip(docs.ids, docs.folders, labels, strict=True)
            if f == folder
        ]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _write_card(path: Path, head: LinearHead, report: Report, counts: Counter) -> None:
    mix = ", ".join(f"{f}/{g} {n}" for (f, g), n in sorted(counts.items()))
    lines = [
        f"# {head.model_id}: genre (opinion / reporting / satire)",
        "",
        f"- Trained: {head.info['trained']} by `narrascope train genre --data DIR` "
        f"(seed {head.info['seed']}, {head.info['folds']}-fold CV grouped by article).",
        f"- Encoder: `{head.encoder}`, frozen. Head: softmax over [mean sentence vector, first "
        f"sentence vector, {N_CUES} document cues (`analyzers.genre.document_cues`)], sklearn "
        f"LogisticRegression C={head.info['C']}.",
        "- Shift: the genre mix differs sharply between languages and splits (English train is "
        "88% opinion, real inputs mostly reporting). Class weights are balanced within each "
        "language (equal genre priors: no mix is assumed), and the softmax is "
        f"temperature-calibrated (t = {head.info['temperature']}, fitted on the out-of-fold "
        "probabilities weighted to equal priors, folded into the weights). Measured by leave-one-"
        "language-out (`lolo_*`: fitted on the other five languages, scored on the held-out one, "
        "whose mix differs), with genre-v1's rule beside it (`lolo_v1rule_*`). Also tried, on the "
        "same protocol (with genre-v1's features), and rejected: a fixed news prior (0.35 "
        "opinion, 0.55 reporting, 0.10 satire, folded into the bias) lowered macro-F1 in every "
        "held-out language, even on reporting-heavy resamples of English (temperature-"
        "calibrated first); priors re-estimated by EM on the held-out language (Saerens et al. "
        "2002) collapsed to all-opinion in four of six languages "
        "(French, German, Italian, Polish macro-F1 0.26-0.29). EM would also need a corpus-level "
        "pass that the one-document-at-a-time run loop does not have.",
        "- Operating point: one genre per article. Satire is shown only when its calibrated "
        f"probability is at least {SATIRE_CUT} (its false alarms cost an analyst most); "
        "otherwise the likelier of opinion and reporting. `attrs.scores` holds the three "
        "probabilities. The cut was 0.5 until genre-v4: on 248 real web pages of the extraction "
        "and date benchmarks (product reviews, recipes, advice columns, sports and news), 21 "
        "were shown as satire, none of them satire. Chosen by a pre-registered rule on the "
        "extraction pages (the lowest cut showing satire on at most 1% of them), checked on the "
        "date pages (0 of 87 at 0.85; `benchmarks/genre_satire_cut.py`, RESULTS.md). What it "
        "costs on the T3 train split (CV): satire is now almost never shown (recall 0.03, "
        "English 0), and macro-F1 falls (English 0.474 to 0.362): on this data the head cannot "
        "tell satire from a page unlike news, so it keeps silent.",
        "- Stored score (what an analyst reads): the probability that the genre shown is right, "
        "on the stated mix: **every genre equally likely within the article's language** (no "
        "corpus mix is assumed; real inputs are mostly reporting, the train split mostly "
        "opinion, and macro-F1 weighs the genres alike). Because of the satire gate the shown "
        "genre is not always the likeliest, so its probability goes through a Platt scaling per "
        "shown genre (`info.shown_platt`), fitted on out-of-fold probabilities weighted to equal "
        "priors. A corpus whose mix is known can be moved to it by Bayes' rule (multiply the "
        "three probabilities, the shown one replaced by the stored score, by the mix and "
        "renormalise): `cv_ece_train_mix` and `cv_ece_shown_train_mix` check that on the train "
        "mix.",
        "- Calibration, all cross-fitted (temperature, Platt and mix from the other folds): "
        "`cv_ece_equal_priors` over all three probabilities and `cv_ece_shown` of the stored "
        "score, both on the stated mix (each article weighted by its balancing weight); "
        "`cv_ece_train_mix` and `cv_ece_shown_train_mix`: the same moved to each language's "
        "train mix (as the other folds have it). "
        "Read at face value on the opinion-heavy train mix, without moving them, the "
        "probabilities are off by more (the line below the scores): that is the cost of the "
        "wrong mix, not of calibration. On the stated mix a few articles weigh a lot (ten "
        "English satire articles carry a third of English's weight), so its ECE is within the "
        "noise line below and moves with the fold seed (benchmarks/RESULTS.md).",
        # measured after genre-v3 (issue 15); a retrain keeps the record until re-measured
        "- Measured against this head's recipe (as trained on two BLAS threads, before the "
        "one-thread refit; seed 13) on the same folds and rejected (issue 15, "
        "`benchmarks/genre_shift.py --english`, RESULTS.md; ship rule: better on English CV and "
        "English LOLO, the other languages no lower): eight news cues (quote density, "
        "first/second-person sentence shares, attribution, wire dateline, headline "
        "person/question) CV en 0.434 / LOLO en 0.371 (this head 0.460 / 0.341); with English "
        "weighted 3x 0.457 / 0.374 (other languages up: CV 0.564, LOLO 0.503 against 0.554 / "
        "0.494); English alone 0.383 (satire never found); English weighted 3x alone 0.495 / "
        "0.342 but the other languages down (0.531 / 0.478); PolNeAR wire articles as extra "
        "reporting (fitting folds only, weight 0.15) LOLO en 0.278. English reporting recall (CV)"
        " 0.37 at precision 0.16, satire 0.20 at 0.67.",
        "- Lexical n-grams for English, measured against this head's recipe (one BLAS thread) on "
        "the same folds by nested CV and rejected (issue 15, `benchmarks/genre_lexical.py`, "
        "RESULTS.md; pre-registered ship rule: English CV macro-F1 +0.03 on the mean of fold "
        "seeds 7, 13, 29 and on each): class-balanced logistic regression over sublinear TF-IDF "
        "word 1-2-grams alone 0.386 / 0.381 / 0.386 (this recipe 0.474 / 0.475 / 0.429, mean "
        "0.459); fused with this head's log-probabilities (weight, C, temperature chosen inside "
        "the training folds) 0.479 / 0.377 / 0.385, char 3-5-grams fused 0.430 / 0.375 / 0.385, "
        "both fused 0.482 / 0.373 / 0.379. The fused heads lose English satire on two seeds of "
        "three; reporting precision 0.19-0.25 (this recipe 0.17-0.19) at recall 0.17-0.41 "
        "(0.39-0.46).",
        "- Stored-score ECE over fold seeds 7, 13, 29, 41 (`benchmarks/genre_ece_seeds.py`, "
        "satire at 0.85): equal priors 0.072 / 0.038 / 0.058 / 0.044 (mean 0.053; noise floor "
        "0.054-0.057 each), train mix 0.049 / 0.047 / 0.051 / 0.034 (genre-v3, satire at 0.5: "
        "mean 0.047 and 0.035-0.051). Fewer parameters held no better: one pooled Platt mean "
        "0.058, temperature only 0.079. The equal-prior slice cannot resolve 0.05 (ten English "
        "satire articles weigh a third of English).",
        "- Evidence: the three sentences whose vectors point most towards the chosen genre.",
        f"- Training data: SemEval-2023 Task 3 subtask 1 train, all languages ({mix}).",
        "- Terms of use of the data: research use only, no redistribution.",
        "- Where it reads: only its six training languages (EN, FR, DE, IT, PL, RU; "
        "`GenreAnalyzer.trained_languages`: its cue word lists cover no other) and articles of "
        "120 words or more (8 of the 1,234 training articles are shorter; wire briefs of 64-82 "
        'words were called satire); elsewhere a "not analyzed" note (#15).',
        "",
        "## Scores on train (official macro-F1 by article per language; `cv_`: 5-fold CV "
        "grouped by article, calibration cross-fitted; `lolo_`: leave one language out)",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
