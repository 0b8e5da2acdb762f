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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope import heads
from narrascope.analyzers.techniques import TechniqueAnalyzer, features
from narrascope.encode import UniversalSentenceEncoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report, ptc, semeval2023
from narrascope.training.fit import fit_softmax
from narrascope.training.semeval2023 import TECHNIQUES, Sentence
from narrascope.training.vectors import VectorCache

CACHE = TRAINING_CACHE / "techniques"
T3_NAME, PTC_NAME = "semeval2023_task3", "semeval2020_task11_ptc"
L2 = 1e-3
FOCUS = ("en", "ru")


# --------------------------------------------------------------------------- fitting


def fit_sigmoid(
    x: np.ndarray, y: np.ndarray, *, l2: float, max_iter: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-label logistic regression for all labels at once (L-BFGS, L2 on weights).

    Deterministic (zero start, full batch); returns weights (dim, k) and bias (k,). A label
    with no positive row gets a bias that never fires.
    """
    from scipy.optimize import minimize

    n, d = x.shape
    k = y.shape[1]
    xb = np.hstack([x, np.ones((n, 1), dtype=np.float32)]).astype(np.float32)
    y = y.astype(np.float32)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d + 1, k).astype(np.float32)
        z = xb @ w
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.logaddexp(0, z).sum() - (y * z).sum()
        grad = xb.T @ (p - y) / n
        grad[:-1] += l2 * w[:-1]
        value = value / n + l2 * float((w[:-1] ** 2).sum()) / 2
        return float(value), grad.ravel().astype(np.float64)

    result = minimize(
        loss, np.zeros((d + 1) * k), jac=True, method="L-BFGS-B", options={"maxiter": max_iter}
    )
    w = result.x.reshape(d + 1, k).astype(np.float32)
    weights, bias = w[:-1], w[-1]
    bias[y.sum(axis=0) == 0] = -20.0
    return weights, bias


def sigmoid(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return heads.sigmoid(x @ weights + bias)


def best_thresholds(y: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per label, the cut on out-of-fold probabilities that maximises that label's F1."""
    grid = np.round(np.arange(0.02, 0.91, 0.02), 2)
    cuts = np.full(y.shape[1], 0.99, dtype=np.float32)
    for j in range(y.shape[1]):
        truth = y[:, j] > 0
        if not truth.any():
            continue
        f1 = [
            2
            * float((probabilities[:, j] >= c)[truth].sum())
            / max(float((probabilities[:, j] >= c).sum() + truth.sum()), 1.0)
            for c in grid
        ]
        cuts[j] = grid[int(np.argmax(f1))]
    return cuts


def micro_thresholds(y: np.ndarray, probabilities: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per-label cuts that maximise the micro-F1 over all labels together (the official headline).

    Coordinate ascent from `start` (per-label F1 cuts): each label in turn takes the cut, or
    "never" (1.01), that maximises micro-F1 with the others fixed; two passes. Unlike per-label
    F1 cuts, this silences a label whose best F1 comes from firing almost everywhere.
    """
    grid = [*np.round(np.arange(0.02, 0.91, 0.02), 2), 1.01]
    truth = y > 0
    cuts = start.astype(np.float32).copy()
    passed = probabilities >= cuts
    tp = (passed & truth).sum(axis=0).astype(float)
    fp = (passed & ~truth).sum(axis=0).astype(float)
    fn = (~passed & truth).sum(axis=0).astype(float)
    for _ in range(2):
        for j in range(y.shape[1]):
            rest_tp, rest_fp, rest_fn = tp.sum() - tp[j], fp.sum() - fp[j], fn.sum() - fn[j]
            best = (-1.0, cuts[j], tp[j], fp[j], fn[j])
            for cut in grid:
                fired = probabilities[:, j] >= cut
                a = float((fired & truth[:, j]).sum())
                b = float((fired & ~truth[:, j]).sum())
                c = float(truth[:, j].sum()) - a
                f1 = 2 * (rest_tp + a) / max(2 * (rest_tp + a) + rest_fp + b + rest_fn + c, 1.0)
                if f1 > best[0]:
                    best = (f1, cut, a, b, c)
            _, cuts[j], tp[j], fp[j], fn[j] = best
    return cuts


def tune_thresholds(y: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The cuts the heads use: per-label F1 cuts, then refined for micro-F1."""
    return micro_thresholds(y, probabilities, best_thresholds(y, probabilities))


def grouped_folds(groups: Sequence[str], folds: int, seed: int) -> list[np.ndarray]:
    """Row indices of each fold; every group (article) lands in exactly one fold."""
    from sklearn.model_selection import GroupKFold

    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    rows = np.zeros(len(groups))
    return [held for _, held in splitter.split(rows, rows, groups=list(groups))]


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


def ptc_predictions(
    articles: dict[str, ptc.PtcArticle],
    score_sentences: Callable[[str, list[tuple[int, int]]], tuple[np.ndarray, np.ndarray]],
    score_fragments: Callable[[str, list[tuple[int, int]]], np.ndarray],
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[str, int, int]]]]:
    """SI spans (sentences where any technique passes) and TC labels for the gold TC spans."""
    from narrascope.text.segment import sentence_spans

    si, tc = {}, {}
    ptc_index = {name: i for i, name in enumerate(ptc.PTC_TECHNIQUES)}
    to_ptc = np.zeros((len(TECHNIQUES), len(ptc.PTC_TECHNIQUES)), dtype=np.float32)
    for j, name in enumerate(TECHNIQUES):
        if name in ptc.T3_TO_PTC:
            to_ptc[j, ptc_index[ptc.T3_TO_PTC[name]]] = 1.0
    for article_id, article in articles.items():
        spans = [
            s
            for a, b in _line_spans(article.text)
            for s in sentence_spans(article.text, a, b, language="en")
        ]
        _, passed = score_sentences(article_id, spans)
        si[article_id] = [span for span, keep in zip(spans, passed, strict=True) if keep.any()]
        gold_spans = sorted({(s, e) for _, s, e in article.tc})
        if not gold_spans:
            continue
        technique_scores = score_fragments(article_id, gold_spans)
        if technique_scores.shape[1] == len(TECHNIQUES):
            # A PTC class scores as its best T3 technique (a sum would favour merged classes).
            fragment_scores = (technique_scores[:, :, None] * to_ptc[None, :, :]).max(axis=1)
        else:  # a fragment head already scores the PTC classes
            fragment_scores = technique_scores
        rows = []
        for (s, e), row in zip(gold_spans, fragment_scores, strict=True):
            k = sum(1 for _, a, b in article.tc if (a, b) == (s, e))
            for j in np.argsort(-row, kind="stable")[:k]:
                rows.append((ptc.PTC_TECHNIQUES[j], s, e))
        tc[article_id] = rows
    return si, tc


def _line_spans(text: str) -> list[tuple[int, int]]:
    out, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((offset, offset + len(line)))
        offset += len(line) + 1
    return out


def _fragment_rows(
    text: str,
    sentences: list[tuple[int, int]],
    sentence_x: np.ndarray,
    fragments: list[tuple[int, int]],
    fragment_vectors: np.ndarray,
) -> np.ndarray:
    """Head input for fragments: the row of the sentence each starts in, with the fragment's own
    vector and cues in place of the sentence's."""
    from narrascope.analyzers.techniques import N_CUES, cue_features

    dim = fragment_vectors.shape[1]
    starts = [a for a, _ in sentences]
    rows = []
    cues = cue_features([text[s:e] for s, e in fragments])
    for (s, _), vector, cue in zip(fragments, fragment_vectors, cues, strict=True):
        index = max(int(np.searchsorted(starts, s, side="right")) - 1, 0)
        row = sentence_x[index].copy()
        row[:dim] = vector
        row[-N_CUES:] = cue
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(fragments), sentence_x.shape[1])


def fragment_features(
    text: str,
    sentences: list[tuple[int, int]],
    sentence_x: np.ndarray,
    fragments: list[tuple[int, int]],
    fragment_vectors: np.ndarray,
) -> np.ndarray:
    """Input of the TC fragment head: fragment vector, vector and cues of the sentence it starts
    in, log length."""
    from narrascope.analyzers.techniques import N_CUES

    dim = fragment_vectors.shape[1]
    starts = [a for a, _ in sentences]
    rows = []
    for (s, e), vector in zip(fragments, fragment_vectors, strict=True):
        index = max(int(np.searchsorted(starts, s, side="right")) - 1, 0)
        context = sentence_x[index]
        rows.append(np.hstack([vector, context[:dim], context[-N_CUES:], [np.log1p(e - s) / 5]]))
    return np.asarray(rows, dtype=np.float32).reshape(len(fragments), 2 * dim + N_CUES + 1)


def softmax(x: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return heads.softmax(x @ weights + bias)


def _article_features(text: str, store: VectorCache) -> tuple[list[tuple[int, int]], np.ndarray]:
    from narrascope.text.segment import sentence_spans

    spans = [s for a, b in _line_spans(text) for s in sentence_spans(text, a, b, language="en")]
    texts = [text[a:b] for a, b in spans]
    return spans, features(texts, store.vectors(texts))


def score_ptc(
    articles: dict[str, ptc.PtcArticle],
    models: Callable[[str], tuple[np.ndarray, np.ndarray]],
    cuts: np.ndarray,
    *,
    store: VectorCache,
    tc_models: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[str, int, int]]]]:
    """PTC SI and TC predictions; `models(article_id)` gives the sentence head (weights, bias)
    to score an article with, `tc_models(article_id)` the fragment head (else the sentence head
    labels fragments)."""
    prepared = {a: _article_features(art.text, store) for a, art in articles.items()}
    fragments = {a: sorted({(s, e) for _, s, e in art.tc}) for a, art in articles.items()}
    all_fragments = [articles[a].text[s:e] for a in articles for s, e in fragments[a]]
    fragment_vectors = store.vectors(all_fragments)
    offsets = np.cumsum([0] + [len(fragments[a]) for a in articles])
    position = {a: i for i, a in enumerate(articles)}

    def score_sentences(article_id: str, spans: list[tuple[int, int]]):
        weights, bias = models(article_id)
        probabilities = sigmoid(prepared[article_id][1], weights, bias)
        return probabilities, probabilities >= cuts

    def score_fragments(article_id: str, spans: list[tuple[int, int]]) -> np.ndarray:
        i = position[article_id]
        if tc_models is not None:
            rows = fragment_features(
                articles[article_id].text,
                prepared[article_id][0],
                prepared[article_id][1],
                spans,
                fragment_vectors[offsets[i] : offsets[i + 1]],
            )
            return softmax(rows, *tc_models(article_id))
        weights, bias = models(article_id)
        rows = _fragment_rows(
            articles[article_id].text,
            prepared[article_id][0],
            prepared[article_id][1],
            spans,
            fragment_vectors[offsets[i] : offsets[i + 1]],
        )
        # Probabilities as they are: spans are mostly Loaded_Language, and the fitted
        # probabilities carry that prior, which TC accuracy rewards.
        return sigmoid(rows, weights, bias)

    return ptc_predictions(articles, score_sentences, score_fragments)


def _ptc_report(articles, si, tc, report: Report, prefix: str) -> None:
    gold_si = {a: art.si for a, art in articles.items()}
    gold_tc = {a: art.tc for a, art in articles.items()}
    precision, recall, f1 = ptc.si_scores(gold_si, si)
    report.scores[f"{prefix}ptc_si_f1"] = f1
    report.scores[f"{prefix}ptc_si_precision"] = precision
    report.scores[f"{prefix}ptc_si_recall"] = recall
    report.scores[f"{prefix}ptc_tc_micro_f1"] = ptc.tc_micro_f1(gold_tc, tc)


TC_VERSION = "techniques-tc-v1"


def _fragment_matrix(
    articles: dict[str, ptc.PtcArticle], store: VectorCache
) -> tuple[np.ndarray, list[str], list[str]]:
    """One row per gold TC annotation (a span with two labels gives two rows), its label and
    article."""
    rows, labels, groups = [], [], []
    for article_id, article in articles.items():
        spans, x = _article_features(article.text, store)
        fragments = [(s, e) for _, s, e in article.tc]
        vectors = store.vectors([article.text[s:e] for s, e in fragments])
        rows.append(fragment_features(article.text, spans, x, fragments, vectors))
        labels += [t for t, _, _ in article.tc]
        groups += [article_id] * len(fragments)
    return np.vstack(rows), labels, groups


def train_fragment_head(
    articles: dict[str, ptc.PtcArticle], *, store: VectorCache, seed: int, folds: int
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], LinearHead]:
    """The PTC TC fragment head (softmax over the 14 PTC classes, fitted on PTC train fragments):
    the fold model of each article for CV, and the head fitted on all."""
    x, labels, groups = _fragment_matrix(articles, store)
    by_article: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for held in grouped_folds(groups, folds, seed):
        rest = np.setdiff1d(np.arange(len(labels)), held)
        model = fit_softmax(
            x[rest], [labels[i] for i in rest], ptc.PTC_TECHNIQUES, c=1.0, seed=seed
        )
        by_article.update({groups[i]: model for i in held})
    weights, bias = fit_softmax(x, labels, ptc.PTC_TECHNIQUES, c=1.0, seed=seed)
    head = LinearHead(
        weights,
        bias,
        list(ptc.PTC_TECHNIQUES),
        TC_VERSION,
        store.encoder.name,
        activation="softmax",
        info={
            "seed": seed,
            "trained": dt.date.today().isoformat(),
            "data": "PTC (SemEval-2020 Task 11) train, TC labels",
        },
    )
    return by_article, head


def train(data: Path, *, out: Path = RESOURCES, seed: int = 13, folds: int = 5) -> Report:
    """Fit the technique head on the T3 train split of every language; CV scores in the report."""
    t3, ptc_dir = find_data(data)
    if t3 is None:
        raise FileNotFoundError(f"{data}: no SemEval-2023 Task 3 bundle found")
    encoder = UniversalSentenceEncoder(threads=1)
    store = VectorCache(CACHE, encoder)
    corpus = load_corpus(t3, "train", store=store)
    report = Report("techniques")
    held_out = grouped_folds(corpus.groups(), folds, seed)
    probabilities = np.zeros(corpus.y.shape, dtype=np.float32)
    fold_models = []
    for held in held_out:
        fit_rows = np.setdiff1d(np.arange(len(corpus.y)), held)
        weights, bias = fit_sigmoid(corpus.x[fit_rows], corpus.y[fit_rows], l2=L2)
        probabilities[held] = sigmoid(corpus.x[held], weights, bias)
        fold_models.append((weights, bias))
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
        rest = np.setdiff1d(np.arange(len(corpus.y)), held)
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
        _ptc_report(known, si, tc, report, "cv_")
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
    encoder = UniversalSentenceEncoder(threads=1)
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
            _ptc_report(articles, si, tc, report, "")
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
