"""Training and judging the phrase technique head (`techniques-tc-accurate-v1`, #16).

Material: every English T3 train span with the accurate model's int8 ONNX outputs of the
sentences it overlaps (kept in the training cache by `spans.load_or_run_onnx`, and the layer
below the last by `load_or_run_onnx_lower`). The head trains on the spans of the articles the
accurate model trained on; PTC's gold spans of its held-out fold (PTC train articles are T3
English train articles at the same offsets) judge it with the official TC micro-F1. A span with
k gold rows gets the k best classes, as the TC task gives each span once per gold row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.phrase_techniques import SentenceTokens, phrase_features
from narrascope.training import trained_date
from narrascope.training.ptc import PTC_TECHNIQUES, T3_TO_PTC, tc_micro_f1
from narrascope.training.semeval2023 import TECHNIQUES

Span = tuple[int, int]
CANDIDATES: dict[str, tuple[str, ...]] = {  # pre-registered in benchmarks/RESULTS.md
    "A14": ("pooled",),
    "A23": ("pooled",),
    "B": ("pooled", "sentence", "cues"),
    "C": ("pooled", "sentence", "cues", "context"),
    "D": ("pooled", "sentence", "cues", "context", "lower"),
}
C_REGULARISATION = 0.003  # chosen by CV in round 3 (RESULTS.md); 1 was fixed in round 1


def to_ptc_matrix() -> np.ndarray:
    """(23, 14) 0/1: which PTC class each T3 technique falls in (none for five)."""
    out = np.zeros((len(TECHNIQUES), len(PTC_TECHNIQUES)), dtype=np.float32)
    for j, name in enumerate(TECHNIQUES):
        if name in T3_TO_PTC:
            out[j, PTC_TECHNIQUES.index(T3_TO_PTC[name])] = 1.0
    return out


def ptc_scores(t3_scores: np.ndarray) -> np.ndarray:
    """PTC class scores (n, 14) from T3 technique scores (n, 23): a class scores as its best
    technique (a sum would favour the merged classes)."""
    return (t3_scores[:, :, None] * to_ptc_matrix()[None]).max(axis=1)


def top_rows(
    article: str, span: Span, scores: np.ndarray, classes: Sequence[str], k: int
) -> list[tuple[str, int, int]]:
    """The k best classes of one span as TC rows."""
    return [(classes[j], *span) for j in np.argsort(-scores, kind="stable")[:k]]


@dataclass
class SpanTable:
    """Unique gold spans (article, start, end) with their gold rows and the sentences they
    overlap, and what the model read of every sentence."""

    articles: list[str]
    spans: list[Span]
    gold: list[list[str]]  # T3 techniques (or PTC classes) of each span, one per gold row
    sentences: list[list[SentenceTokens]]


def load_or_run_onnx_lower(
    onnx: Path, vocab: Path, pairs: Sequence[tuple[str, str]], folder: Path
) -> list[np.ndarray]:
    """The int8 ONNX model's layer-below-the-last token states (float16) of segment A of
    `pairs`, kept in `folder` by the digest `spans.load_or_run_onnx` uses."""
    from narrascope.analyzers.pair_model import PairModel

    digest = hashlib.sha256(onnx.read_bytes())
    for a, b in pairs:
        digest.update(f"{a}\x00{b}\x01".encode())
    path = folder / f"onnx-lower-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as kept:
            return np.split(kept["states"], kept["ends"][:-1])
    reading = PairModel(onnx, vocab, lower=True).run(pairs, tokens=True)
    lower = [s.astype(np.float16) for s in reading.lower]
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp.npz")
    ends = np.cumsum([len(s) for s in lower])
    np.savez(partial, logits=reading.logits, states=np.concatenate(lower), ends=ends)
    partial.replace(path)
    return lower


@dataclass
class Readings:
    """Every English train sentence as the int8 model read it, by article in text order."""

    by_article: dict[str, list[SentenceTokens]]
    scores: np.ndarray  # (sentences, 23) calibrated sentence-head probabilities
    held: set[str]  # the articles of the accurate model's held-out fold


def read_all(
    t3: Path,
    onnx: Path,
    settings,
    *,
    lower: bool,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Readings:
    """Every English train sentence's reading by the int8 model (from the training cache)."""
    from narrascope.analyzers.techniques_accurate import FineTunedTechniques
    from narrascope.heads import apply_platt, sigmoid
    from narrascope.training import CACHE
    from narrascope.training.finetune import spans
    from narrascope.training.finetune.minilm import base_model_dir
    from narrascope.training.finetune.trainer import read_material

    material = read_material(t3, settings)
    tokens = spans.read_token_material(t3, material.sentences, settings.max_tokens)
    vocab, folder = base_model_dir() / "vocab.txt", CACHE / "finetune" / "spans"
    on_progress("int8 ONNX outputs of the English train sentences (training cache)")
    logits, states = spans.load_or_run_onnx(onnx, vocab, material.pairs, folder)
    below = load_or_run_onnx_lower(onnx, vocab, material.pairs, folder) if lower else None
    sentence_model = FineTunedTechniques(onnx.parent)
    scores = apply_platt(sigmoid(logits), sentence_model.a, sentence_model.b)
    empty = np.zeros((0, 0), dtype=np.float16)
    by_article: dict[str, list[SentenceTokens]] = {}
    for i, sentence in enumerate(material.sentences):
        by_article.setdefault(sentence.article, []).append(
            SentenceTokens(
                states[i],
                below[i] if below is not None else empty,
                tokens.offsets[i],
                sentence.span,
                scores[i],
            )
        )
    for found in by_article.values():
        found.sort(key=lambda s: s.span)
    held = {s.article for s, h in zip(material.sentences, material.held, strict=True) if h}
    return Readings(by_article, scores, held)


def span_table(readings: Readings, gold: dict[str, list[tuple[str, int, int]]]) -> SpanTable:
    """The unique spans of `gold` (technique, start, end per article) with their rows."""
    table = SpanTable([], [], [], [])
    for article, found in sorted(gold.items()):
        rows: dict[Span, list[str]] = {}
        for technique, start, end in found:
            rows.setdefault((start, end), []).append(technique)
        sentences = readings.by_article.get(article, [])
        for span, techniques in sorted(rows.items()):
            over = [s for s in sentences if s.span[0] < span[1] and s.span[1] > span[0]]
            over = [s for s in over if len(s.states)]
            table.articles.append(article)
            table.spans.append(span)
            table.gold.append(techniques)
            table.sentences.append(over)
    return table


def features(table: SpanTable, parts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the spans that have word pieces, and the indexes of those spans."""
    rows, kept = [], []
    for i, (over, (start, end)) in enumerate(zip(table.sentences, table.spans, strict=True)):
        x = phrase_features(over, start, end, parts) if over else None
        if x is not None:
            rows.append(x)
            kept.append(i)
    return np.vstack(rows), np.asarray(kept)


def fit(
    x: np.ndarray,
    gold: Sequence[Sequence[str]],
    classes: Sequence[str],
    *,
    seed: int,
    c: float = C_REGULARISATION,
) -> tuple[np.ndarray, np.ndarray]:
    """The softmax head on one row per gold row of each span (weights, bias)."""
    from narrascope.training.fit import fit_softmax

    index = [i for i, rows in enumerate(gold) for _ in rows]
    labels = [label for rows in gold for label in rows]
    # Fitted on standardised features (lbfgs converges in far fewer steps), then folded back
    # so that the head reads the raw features: w' = w / sd, b' = b - (mean / sd) @ w.
    mean, sd = x[index].mean(0), x[index].std(0) + 1e-6
    weights, bias = fit_softmax((x[index] - mean) / sd, labels, classes, c=c, seed=seed)
    folded = weights / sd[:, None]
    return folded.astype(np.float32), (bias - mean @ folded).astype(np.float32)


def tc_rows(
    table: SpanTable,
    kept: np.ndarray,
    scores: np.ndarray,
    classes: Sequence[str],
    gold: Sequence[Sequence[str]],
) -> dict[str, list[tuple[str, int, int]]]:
    """TC rows: each kept span gets as many best classes as it has gold rows in `gold`."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    for i, row in zip(kept, scores, strict=True):
        if gold[i]:
            found = top_rows(table.articles[i], table.spans[i], row, classes, len(gold[i]))
            out.setdefault(table.articles[i], []).extend(found)
    return out


def gold_rows(
    table: SpanTable, gold: Sequence[Sequence[str]]
) -> dict[str, list[tuple[str, int, int]]]:
    out: dict[str, list[tuple[str, int, int]]] = {}
    for article, span, labels in zip(table.articles, table.spans, gold, strict=True):
        out.setdefault(article, []).extend((label, *span) for label in labels)
    return out


def ptc_gold(table: SpanTable) -> list[list[str]]:
    """Each span's gold rows as PTC classes (T3 techniques without one dropped)."""
    return [[T3_TO_PTC[t] for t in rows if t in T3_TO_PTC] for rows in table.gold]


@dataclass(frozen=True)
class TcScores:
    """TC micro-F1 on PTC classes (and on the 23 techniques when the head speaks them), and
    the ECE of the top class's probability (correct: the class is among the span's gold)."""

    ptc_micro_f1: float
    t3_micro_f1: float
    ece: float
    spans: int


def score(
    table: SpanTable, kept: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]
) -> TcScores:
    """TC scores of `probabilities` (len(kept), classes) of the spans `kept`."""
    from narrascope.training.calibrate import expected_calibration_error

    t3 = len(classes) == len(TECHNIQUES)
    in_ptc = ptc_gold(table)
    ptc = ptc_scores(probabilities) if t3 else probabilities
    ptc_f1 = tc_micro_f1(
        gold_rows(table, in_ptc), tc_rows(table, kept, ptc, PTC_TECHNIQUES, in_ptc)
    )
    own_gold = table.gold if t3 else in_ptc
    t3_f1 = (
        tc_micro_f1(
            gold_rows(table, own_gold), tc_rows(table, kept, probabilities, classes, own_gold)
        )
        if t3
        else float("nan")
    )
    top = probabilities.argmax(1)
    correct = np.array([classes[j] in own_gold[i] for i, j in zip(kept, top, strict=True)])
    ece = expected_calibration_error(probabilities.max(1), correct)
    return TcScores(ptc_f1, t3_f1, ece, len(kept))


def cross_validate(
    table: SpanTable,
    parts: Sequence[str],
    classes: Sequence[str],
    *,
    seed: int,
    folds: int = 5,
    c: float = C_REGULARISATION,
) -> tuple[TcScores, np.ndarray, np.ndarray]:
    """Out-of-fold TC scores over folds grouped by article; the out-of-fold logits and the
    spans they belong to."""
    from narrascope.training.fit import grouped_folds

    gold = table.gold if len(classes) == len(TECHNIQUES) else ptc_gold(table)
    x, kept = features(table, parts)
    useful = np.array([bool(gold[i]) for i in kept])
    x, kept = x[useful], kept[useful]
    logits = np.zeros((len(kept), len(classes)), dtype=np.float32)
    for held in grouped_folds([table.articles[i] for i in kept], folds, seed):
        rest = np.setdiff1d(np.arange(len(kept)), held)
        weights, bias = fit(x[rest], [gold[i] for i in kept[rest]], classes, seed=seed, c=c)
        logits[held] = x[held] @ weights + bias
    return score(table, kept, _softmax(logits), classes), logits, kept


TEMPERATURES = np.round(np.geomspace(0.5, 20.0, 60), 4)


def fit_temperature(
    logits: np.ndarray, gold: Sequence[Sequence[str]], classes: Sequence[str]
) -> float:
    """The softmax temperature with the least log loss of out-of-fold `logits` against each
    span's gold (the mean over its gold rows): the head's logits are divided by it.

    The loss is `calibrate.fit_temperature`'s with a span's gold rows weighted 1/k, but the
    search is a grid (`TEMPERATURES`), not its golden section: on the shipped head's
    out-of-fold logits the grid gives 1.1271 (the card's) and the golden section 1.12626
    (benchmarks/RESULTS.md, "Phrase TC temperature"), so the grid stays until a retrain."""
    index = {name: j for j, name in enumerate(classes)}
    best, temperature = np.inf, 1.0
    for t in TEMPERATURES:
        p = _softmax(logits / t)
        loss = -np.mean(
            [np.mean([np.log(p[i, index[g]] + 1e-12) for g in rows]) for i, rows in enumerate(gold)]
        )
        if loss < best:
            best, temperature = loss, float(t)
    return temperature


def _softmax(logits: np.ndarray) -> np.ndarray:
    from narrascope.heads import softmax

    return softmax(logits.astype(np.float32))


def restricted(probabilities: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Rule R: the head's probabilities kept only on the techniques shown (bool, same shape),
    so a span's best is the shown technique the head ranks highest (rows with none: zeros)."""
    return np.where(shown, probabilities, 0.0)


def score_on_ptc(
    table: SpanTable, kept: np.ndarray, probabilities: np.ndarray, classes: Sequence[str]
) -> TcScores:
    """Official TC micro-F1 on a table whose gold rows are PTC classes, from probabilities over
    the 23 techniques (a class ranked by its best technique) or the 14 PTC classes; ECE of the
    top class's probability (for the 23: the sum over its techniques)."""
    from narrascope.training.calibrate import expected_calibration_error

    if len(classes) == len(TECHNIQUES):
        ranked, summed = ptc_scores(probabilities), probabilities @ to_ptc_matrix()
    else:
        ranked = summed = probabilities
    predicted = tc_rows(table, kept, ranked, PTC_TECHNIQUES, table.gold)
    f1 = tc_micro_f1(gold_rows(table, table.gold), predicted)
    top = ranked.argmax(1)
    correct = np.array([PTC_TECHNIQUES[j] in table.gold[i] for i, j in zip(kept, top, strict=True)])
    confidence = summed[np.arange(len(top)), top]
    return TcScores(f1, float("nan"), expected_calibration_error(confidence, correct), len(kept))


@dataclass(frozen=True)
class StoredScores:
    """Technique-aware SI (`ptc.labelled_si_scores`) of what the analyzer would store on the
    held-out articles under each way of labelling phrases."""

    every_shown: tuple[float, float, float]  # every shown technique on every phrase (before)
    restrict: tuple[float, float, float]  # R: the shown technique the head ranks highest
    own: tuple[float, float, float]  # O: the head's own best technique
    phrases: int


def stored_spans(
    readings: Readings,
    texts: dict[str, str],
    thresholds: np.ndarray,
    span_head,
    head: tuple[np.ndarray, np.ndarray],
    parts: Sequence[str],
) -> dict[str, dict[str, list[tuple[str, int, int]]]]:
    """What the analyzer stores on the held-out articles under each rule: phrases of the
    labelled sentences (span head at its cut and gap), a labelled sentence without one whole."""
    from narrascope.analyzers.technique_spans import decode_spans

    weights, bias = head
    out: dict[str, dict[str, list[tuple[str, int, int]]]] = {
        rule: {} for rule in ("every_shown", "restrict", "own")
    }
    for article in sorted(readings.held):
        for rule in out.values():
            rule[article] = []
        for sentence in readings.by_article.get(article, []):
            shown = sentence.scores >= thresholds
            if not shown.any() or not len(sentence.states):
                continue
            probabilities = span_head.probabilities(sentence.states.astype(np.float32))
            found = decode_spans(
                probabilities,
                sentence.offsets,
                texts[article],
                cut=span_head.cut,
                gap=span_head.gap,
            )
            labels = [TECHNIQUES[j] for j in np.flatnonzero(shown)]
            if not found:  # no phrase: the sentence whole, with its shown techniques, by all
                for rule in out.values():
                    rule[article] += [(t, *sentence.span) for t in labels]
                continue
            for start, end, _ in found:
                x = phrase_features([sentence], start, end, parts)
                if x is None:
                    continue
                p = _softmax(x[None] @ weights + bias)[0]
                out["every_shown"][article] += [(t, start, end) for t in labels]
                best = TECHNIQUES[int(np.argmax(np.where(shown, p, -1.0)))]
                out["restrict"][article].append((best, start, end))
                out["own"][article].append((TECHNIQUES[int(np.argmax(p))], start, end))
    return out


def restricted_on_ptc(
    table: SpanTable, head: tuple[np.ndarray, np.ndarray], parts: Sequence[str], thresholds
) -> float:
    """Rule R on gold PTC spans: each span's best classes among the techniques its
    sentences show, ranked by the head (a span without a shown technique gets no row)."""
    weights, bias = head
    x, kept = features(table, parts)
    p = _softmax(x @ weights + bias)
    predicted: dict[str, list[tuple[str, int, int]]] = {}
    for row, i in zip(p, kept, strict=True):
        shown = np.max([s.scores for s in table.sentences[i]], 0) >= thresholds
        ranked = ptc_scores(np.where(shown, row, 0.0)[None])[0]
        k = min(len(table.gold[i]), int((ranked > 0).sum()))
        found = top_rows(table.articles[i], table.spans[i], ranked, PTC_TECHNIQUES, k)
        predicted.setdefault(table.articles[i], []).extend(found)
    return tc_micro_f1(gold_rows(table, table.gold), predicted)


def sentence_head_on_ptc(table: SpanTable) -> float:
    """TC micro-F1 of the sentence head on a PTC table: each span's k best PTC classes by the
    best calibrated probability of the sentences it overlaps (the profile before this head)."""
    kept = np.flatnonzero([bool(over) for over in table.sentences])
    rows = np.asarray([np.max([s.scores for s in table.sentences[i]], 0) for i in kept])
    return score_on_ptc(table, kept, rows, TECHNIQUES).ptc_micro_f1


SHIPPED_PARTS: tuple[str, ...] = CANDIDATES["D"]  # chosen by the pre-registered rule


def train(
    t3: Path,
    onnx: Path,
    settings,
    *,
    out: Path,
    ptc_data: Path | None = None,
    parts: Sequence[str] = SHIPPED_PARTS,
    on_progress: Callable[[str], None] = lambda message: None,
):
    """Fit the phrase technique head on the T3 English train spans of the articles the model
    `onnx` trained on (5-fold CV there first), judge it on the PTC gold spans of its held-out
    fold against the sentence head, and write it to `out` if it beats it. Returns a `Report`."""

    from narrascope.analyzers.pair_model import ACCURATE_VERSION, model_files
    from narrascope.analyzers.phrase_techniques import PHRASE_TC_VERSION
    from narrascope.heads import LinearHead
    from narrascope.training import Report, semeval2023
    from narrascope.training.ptc import read_ptc

    report = Report("phrase techniques (accurate profile)")
    readings = read_all(t3, onnx, settings, lower="lower" in parts, on_progress=on_progress)
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    gold = semeval2023.read_spans(t3, "en", "train", articles)
    table = span_table(readings, {a: s for a, s in gold.items() if a not in readings.held})
    on_progress(f"phrase technique head: 5-fold CV on {len(table.spans)} spans")
    cv, logits, cv_kept = cross_validate(table, parts, TECHNIQUES, seed=settings.seed)
    # Temperature scaling on the out-of-fold logits: the ranking (and so every F1) stays, the
    # probabilities an analyst sees become calibrated.
    temperature = fit_temperature(logits, [table.gold[i] for i in cv_kept], TECHNIQUES)
    scaled = score(table, cv_kept, _softmax(logits / temperature), TECHNIQUES)
    report.scores.update(
        {
            "cv_ptc_tc_micro_f1": cv.ptc_micro_f1,
            "cv_t3_micro_f1": cv.t3_micro_f1,
            "cv_ece_unscaled": cv.ece,
            "cv_ece": scaled.ece,
            "temperature": temperature,
        }
    )
    x, kept = features(table, parts)
    weights, bias = fit(x, [table.gold[i] for i in kept], TECHNIQUES, seed=settings.seed)
    weights, bias = weights / temperature, bias / temperature
    ships = True
    if ptc_data is not None:
        ptc = {a: p.tc for a, p in read_ptc(ptc_data, "train").items() if a in readings.held}
        judge = span_table(readings, ptc)
        xj, kj = features(judge, parts)
        held = score_on_ptc(judge, kj, _softmax(xj @ weights + bias), TECHNIQUES)
        sentence = sentence_head_on_ptc(judge)
        report.scores.update(
            {
                "heldout_ptc_tc_micro_f1": held.ptc_micro_f1,
                "heldout_ece": held.ece,
                "heldout_sentence_head_ptc_tc_micro_f1": sentence,
            }
        )
        ships = held.ptc_micro_f1 > sentence
        report.lines.append(
            f"  held out: {sum(map(len, judge.gold))} gold PTC spans of {len(ptc)} articles; "
            f"ships: {ships} (TC {held.ptc_micro_f1:.3f} vs the sentence head's {sentence:.3f})"
        )
    if ships:
        info = {
            "features": list(parts),
            "seed": settings.seed,
            "c": C_REGULARISATION,
            "temperature": temperature,
            "trained": trained_date(),
            "data": "SemEval-2023 T3 English train spans outside the held-out fold",
            "spans": len(kept),
            "scores": report.scores,
        }
        head = LinearHead(
            weights,
            bias,
            list(TECHNIQUES),
            PHRASE_TC_VERSION,
            ACCURATE_VERSION,
            activation="softmax",
            info=info,
        )
        files = model_files(out, PHRASE_TC_VERSION)
        head.save(files["head"])
        write_card(files["card"], report, parts, len(kept))
    return report


def write_card(path: Path, report, parts: Sequence[str], spans: int) -> None:
    """The phrase technique head's model card."""
    from narrascope.analyzers.pair_model import ACCURATE_VERSION
    from narrascope.analyzers.phrase_techniques import PHRASE_TC_VERSION
    from narrascope.analyzers.technique_spans import SPANS_VERSION

    lines = [
        f"# {PHRASE_TC_VERSION}: the technique of a phrase (accurate profile)",
        "",
        f"- Built by `narrascope train techniques --profile accurate --data DIR` after "
        f"`{ACCURATE_VERSION}` and `{SPANS_VERSION}` (seed 13; the features need no torch).",
        f"- Reads: a span's word pieces in the int8 ONNX run of `{ACCURATE_VERSION}`; features "
        f"{', '.join(parts)} (`analyzers.phrase_techniques.phrase_features`). Head: one "
        f"multinomial logistic regression (C {C_REGULARISATION:g}, standardised features "
        "folded back into the weights) over the 23 techniques, its logits divided by a "
        "temperature fitted on the CV's out-of-fold logits (least log loss).",
        f"- Training: the {spans} English SemEval-2023 T3 train spans of the articles "
        f"`{ACCURATE_VERSION}` trained on (one row per gold row of a span).",
        "- Use: the analyzer stores each phrase of a labelled sentence with the one technique, "
        "among those its sentence shows, that this head ranks highest (`AccurateTechnique"
        "Analyzer`). Phrase-first (a phrase of a sentence without a shown label, with this "
        "head's own best technique when phrase × technique × sentence probability of it reaches "
        "`PHRASE_FIRST_POINT`) is off in analysis since techniques-accurate-v1.1: right ~23% at "
        "sentence level, under the layer's 0.4 precision floor (`benchmarks/RESULTS.md`); "
        "`FineTunedTechniques(phrase_first=True)` keeps it for research. `narrascope evaluate "
        "techniques --profile accurate --data PTC_DIR` labels "
        "PTC's gold spans with it.",
        "- Terms of use of the data: SemEval-2023 Task 3 and PTC (SemEval-2020 Task 11), "
        "research use only, no redistribution. The file holds weights, not text.",
        "",
        "## Scores",
        "",
        "`cv_*`: 5-fold CV grouped by article on the training spans (TC micro-F1 on PTC classes, "
        "a class ranked by its best technique; on the 23 techniques; ECE of the top class). "
        "`heldout_*`: the gold PTC spans of the PTC train articles in the held-out fold "
        "(official TC micro-F1, a span with k gold rows given k classes), beside the sentence "
        "head's TC on the same spans.",
        "",
        "```",
        report.summary(),
        "```",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
