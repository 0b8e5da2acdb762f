"""The technique heads scored on PTC (SemEval-2020 Task 11), and the PTC fragment head.

`narrascope train|evaluate techniques` call here when `--data` holds the PTC bundle: SI spans
are the sentences where any technique passes its cut; TC labels each gold fragment with a PTC
class, from the separate fragment head (`techniques-tc-v1`, softmax over the 14 PTC classes,
fitted here) or, without it, from the sentence head through the T3 -> PTC label map. The
analyzer never uses the fragment head: it exists to score against published PTC results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from narrascope import heads
from narrascope.analyzers.techniques import N_CUES, cue_features, features
from narrascope.heads import LinearHead
from narrascope.training import Report, ptc, trained_date
from narrascope.training.fit import fit_softmax, grouped_folds, rest_of
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.vectors import VectorCache

TC_VERSION = "techniques-tc-v1"


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


@dataclass
class PreparedArticle:
    """A PTC article cut into sentences, with the technique head's input row for each."""

    text: str
    sentences: list[tuple[int, int]]
    x: np.ndarray  # `analyzers.techniques.features` of the sentences

    def starting_sentence(self, fragments: list[tuple[int, int]]) -> list[int]:
        """Index of the sentence each fragment starts in (the first, for one before all)."""
        starts = [a for a, _ in self.sentences]
        return [max(int(np.searchsorted(starts, s, side="right")) - 1, 0) for s, _ in fragments]


def prepare(text: str, store: VectorCache) -> PreparedArticle:
    """Split a PTC article into lines and sentences and build the head's input for each."""
    from narrascope.text.segment import sentence_spans

    spans = [s for a, b in _line_spans(text) for s in sentence_spans(text, a, b, language="en")]
    texts = [text[a:b] for a, b in spans]
    return PreparedArticle(text, spans, features(texts, store.vectors(texts)))


def _fragment_rows(
    article: PreparedArticle, fragments: list[tuple[int, int]], vectors: np.ndarray
) -> np.ndarray:
    """Head input for fragments: the row of the sentence each starts in, with the fragment's own
    vector and cues in place of the sentence's."""
    dim = vectors.shape[1]
    rows = []
    cues = cue_features([article.text[s:e] for s, e in fragments])
    for index, vector, cue in zip(article.starting_sentence(fragments), vectors, cues, strict=True):
        row = article.x[index].copy()
        row[:dim] = vector
        row[-N_CUES:] = cue
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(fragments), article.x.shape[1])


def fragment_features(
    article: PreparedArticle, fragments: list[tuple[int, int]], vectors: np.ndarray
) -> np.ndarray:
    """Input of the TC fragment head: fragment vector, vector and cues of the sentence it starts
    in, log length."""
    dim = vectors.shape[1]
    rows = []
    starting = article.starting_sentence(fragments)
    for (s, e), index, vector in zip(fragments, starting, vectors, strict=True):
        context = article.x[index]
        rows.append(np.hstack([vector, context[:dim], context[-N_CUES:], [np.log1p(e - s) / 5]]))
    return np.asarray(rows, dtype=np.float32).reshape(len(fragments), 2 * dim + N_CUES + 1)


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
    prepared = {a: prepare(art.text, store) for a, art in articles.items()}
    fragments = {a: sorted({(s, e) for _, s, e in art.tc}) for a, art in articles.items()}
    all_fragments = [articles[a].text[s:e] for a in articles for s, e in fragments[a]]
    fragment_vectors = store.vectors(all_fragments)
    offsets = np.cumsum([0] + [len(fragments[a]) for a in articles])
    position = {a: i for i, a in enumerate(articles)}

    def score_sentences(article_id: str, spans: list[tuple[int, int]]):
        weights, bias = models(article_id)
        probabilities = heads.sigmoid(prepared[article_id].x @ weights + bias)
        return probabilities, probabilities >= cuts

    def score_fragments(article_id: str, spans: list[tuple[int, int]]) -> np.ndarray:
        i = position[article_id]
        vectors = fragment_vectors[offsets[i] : offsets[i + 1]]
        if tc_models is not None:
            weights, bias = tc_models(article_id)
            rows = fragment_features(prepared[article_id], spans, vectors)
            return heads.softmax(rows @ weights + bias)
        weights, bias = models(article_id)
        rows = _fragment_rows(prepared[article_id], spans, vectors)
        # Probabilities as they are: spans are mostly Loaded_Language, and the fitted
        # probabilities carry that prior, which TC accuracy rewards.
        return heads.sigmoid(rows @ weights + bias)

    return ptc_predictions(articles, score_sentences, score_fragments)


def ptc_report(
    articles: dict[str, ptc.PtcArticle],
    si: dict[str, list[tuple[int, int]]],
    tc: dict[str, list[tuple[str, int, int]]],
    report: Report,
    prefix: str,
) -> None:
    """Add the official PTC SI precision/recall/F1 and TC micro-F1 to `report`."""
    gold_si = {a: art.si for a, art in articles.items()}
    gold_tc = {a: art.tc for a, art in articles.items()}
    precision, recall, f1 = ptc.si_scores(gold_si, si)
    report.scores[f"{prefix}ptc_si_f1"] = f1
    report.scores[f"{prefix}ptc_si_precision"] = precision
    report.scores[f"{prefix}ptc_si_recall"] = recall
    report.scores[f"{prefix}ptc_tc_micro_f1"] = ptc.tc_micro_f1(gold_tc, tc)


def _fragment_matrix(
    articles: dict[str, ptc.PtcArticle], store: VectorCache
) -> tuple[np.ndarray, list[str], list[str]]:
    """One row per gold TC annotation (a span with two labels gives two rows), its label and
    article."""
    rows, labels, groups = [], [], []
    for article_id, article in articles.items():
        fragments = [(s, e) for _, s, e in article.tc]
        vectors = store.vectors([article.text[s:e] for s, e in fragments])
        rows.append(fragment_features(prepare(article.text, store), fragments, vectors))
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
        rest = rest_of(held, len(labels))
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
            "trained": trained_date(),
            "data": "PTC (SemEval-2020 Task 11) train, TC labels",
        },
    )
    return by_article, head
