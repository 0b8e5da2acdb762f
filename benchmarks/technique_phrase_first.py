"""Phrase-first (#16, pre-registered in RESULTS.md): the span head on every sentence, phrases of
sentences without a shown label stored with the phrase TC head's own technique when a
confidence reaches an operating point, beside what the analyzer stores today (rule R).

Everything on the accurate model's held-out fold 0, cross-fitted over 5 sub-folds of its
articles: the span head's Platt scaling, cut and gap, and each candidate's operating point,
are chosen on four sub-folds and applied to the fifth. The int8 ONNX outputs come from the
training cache (`spans.load_or_run_onnx`, `phrase_tc.load_or_run_onnx_lower`).

Run (torch venv, for `read_material` only): `PYTHONPATH=src OMP_NUM_THREADS=1 nice -n 10
/work/venv-acc/bin/python benchmarks/technique_phrase_first.py --data ../shared/data`
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.analyzers.pair_model import model_files
from narrascope.analyzers.phrase_techniques import (
    PHRASE_TC_VERSION,
    PhraseTechniqueHead,
    SentenceTokens,
)
from narrascope.analyzers.technique_spans import SPANS_VERSION, SpanHead, decode_spans
from narrascope.analyzers.techniques_accurate import FineTunedTechniques
from narrascope.heads import RESOURCES, apply_platt, sigmoid
from narrascope.training import CACHE, semeval2023
from narrascope.training.calibrate import fit_platt
from narrascope.training.finetune import phrase_tc, spans
from narrascope.training.finetune.minilm import base_model_dir
from narrascope.training.finetune.trainer import Settings, read_material
from narrascope.training.fit import grouped_folds
from narrascope.training.ptc import labelled_si_scores, si_scores
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.techniques import find_data

CANDIDATES = ("PF1", "PF2")
LEVELS = np.linspace(0.0, 0.975, 40)  # quantiles of q on the fitting sub-folds: the grid of t
Labelled = tuple[str, int, int]


@dataclass
class Sentence:
    """One held-out sentence as the stored-span rules need it, under one decoding."""

    article: str
    span: tuple[int, int]
    shown: np.ndarray  # bool (23,): the sentence head's labels at their operating points
    r_rows: list[Labelled] = field(default_factory=list)  # what rule R stores here
    extra: list[tuple[Labelled, dict[str, float]]] = field(default_factory=list)  # PF phrases


def sentences_under(rows, material, readings, raw, texts, tc_head, a, b, cut, gap, thresholds):
    """Every held-out sentence with rule R's stored rows and the phrase-first candidates,
    phrases decoded with Platt (a, b), `cut` and `gap`."""
    out = {}
    for i in rows:
        sentence = readings[i]
        article = material.sentences[i].article
        shown = sentence.scores >= thresholds
        found = Sentence(article, sentence.span, shown)
        out[i] = found
        if not len(sentence.states):
            continue
        probabilities = apply_platt(raw[i], a, b)
        phrases = decode_spans(probabilities, sentence.offsets, texts[article], cut=cut, gap=gap)
        if shown.any() and not phrases:  # a labelled sentence without a phrase: whole
            found.r_rows = [(TECHNIQUES[j], *sentence.span) for j in np.flatnonzero(shown)]
            continue
        if not phrases:
            continue
        asked = [(s, e) for s, e, _ in phrases]
        tc = tc_head.probabilities([sentence], asked)
        for (s, e, p), row in zip(phrases, tc, strict=True):
            if shown.any():
                if row.any():
                    best = int(np.flatnonzero(shown)[np.argmax(row[shown])])
                    found.r_rows.append((TECHNIQUES[best], s, e))
                else:
                    found.r_rows += [(TECHNIQUES[j], s, e) for j in np.flatnonzero(shown)]
            elif row.any():
                j = int(np.argmax(row))
                q1 = p * float(row[j])
                q = {"PF1": q1, "PF2": q1 * float(sentence.scores[j]), "score": q1}
                q["sentence_right"] = float(material.y[i, j])  # j among the sentence's gold
                found.extra.append(((TECHNIQUES[j], s, e), q))
    return out


def stored(chosen: dict[int, Sentence], candidate: str | None, t: float):
    """Stored rows per article: rule R, plus phrase-first rows of `candidate` with q ≥ t."""
    out: dict[str, list[Labelled]] = {}
    for s in chosen.values():
        rows = out.setdefault(s.article, [])
        rows += s.r_rows
        if candidate is not None:
            rows += [row for row, q in s.extra if q[candidate] >= t]
    return out


def scores(found: dict[str, list[Labelled]], gold_any, gold_labelled):
    """(agnostic P, R, F1), (technique-aware P, R, F1) over the articles of `found`."""
    agnostic = si_scores(
        {a: gold_any.get(a, []) for a in found},
        {a: [(s, e) for _, s, e in rows] for a, rows in found.items()},
    )
    aware = labelled_si_scores({a: gold_labelled.get(a, []) for a in found}, found)
    return agnostic, aware


def choose_t(chosen, candidate, gold_any, gold_labelled):
    """The t with the best agnostic F1 whose technique-aware precision is at least R's; inf
    (add nothing) when none is."""
    base = scores(stored(chosen, None, np.inf), gold_any, gold_labelled)
    qs = np.array([q[candidate] for s in chosen.values() for _, q in s.extra])
    best = (np.inf, base[0][2])
    for t in np.unique(np.quantile(qs, LEVELS)) if len(qs) else []:
        agnostic, aware = scores(stored(chosen, candidate, float(t)), gold_any, gold_labelled)
        if aware[0] >= base[1][0] and agnostic[2] > best[1]:
            best = (float(t), agnostic[2])
    return best


def line(name: str, found, gold_any, gold_labelled) -> str:
    (p, r, f1), (tp, tr, tf1) = scores(found, gold_any, gold_labelled)
    rows = sum(map(len, found.values()))
    return (
        f"{name:28s} SI P {p:.4f} R {r:.4f} F1 {f1:.4f} | technique-aware P {tp:.4f} R {tr:.4f} "
        f"F1 {tf1:.4f} ({rows} rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    t3, _ = find_data(args.data)
    settings = Settings(seed=13, folds=5, epochs=3, lr_encoder=8e-5, top=1)
    material = read_material(t3, settings)
    tokens = spans.read_token_material(t3, material.sentences, settings.max_tokens)
    onnx = model_files(RESOURCES)["onnx"]
    vocab, folder = base_model_dir() / "vocab.txt", CACHE / "finetune" / "spans"
    held = np.flatnonzero(material.held)
    logits, states = spans.load_or_run_onnx(onnx, vocab, material.pairs, folder)
    lower = phrase_tc.load_or_run_onnx_lower(onnx, vocab, material.pairs, folder)
    model = FineTunedTechniques(RESOURCES)
    calibrated = model.calibrated(logits)
    readings = {
        int(i): SentenceTokens(
            states[i], lower[i], tokens.offsets[i], material.sentences[i].span, calibrated[i]
        )
        for i in held
    }
    del states, lower
    span_head = SpanHead.from_file(model_files(RESOURCES, SPANS_VERSION)["head"])
    tc_head = PhraseTechniqueHead.from_file(model_files(RESOURCES, PHRASE_TC_VERSION)["head"])
    raw = {i: sigmoid(span_head.logits(r.states.astype(np.float32))) for i, r in readings.items()}
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    texts = {a: x.text for a, x in articles.items()}
    held_articles = {material.sentences[i].article for i in held}
    labelled = semeval2023.read_spans(t3, "en", "train", articles)
    gold_labelled = {a: labelled.get(a, []) for a in held_articles}
    gold_any = {a: tokens.gold.get(a, []) for a in held_articles}
    print(f"read {len(held)} held-out sentences of {len(held_articles)} articles", flush=True)

    def under(rows, a, b, cut, gap):
        return sentences_under(
            rows, material, readings, raw, texts, tc_head, a, b, cut, gap, model.thresholds
        )

    # Reference: the shipped decoding (fitted on all of fold 0: in-sample for its cut).
    shipped = under(held, span_head.a, span_head.b, span_head.cut, span_head.gap)
    print(line("R, shipped decoding", stored(shipped, None, np.inf), gold_any, gold_labelled))

    # Cross-fitted over 5 sub-folds.
    pooled: dict[str, dict[str, list[Labelled]]] = {n: {} for n in ("R", *CANDIDATES, "PF*")}
    picks: list[tuple[str, float]] = []
    for k, fold in enumerate(grouped_folds([material.sentences[i].article for i in held], 5, 13)):
        t0 = time.monotonic()
        test, rest = held[fold], np.setdiff1d(held, held[fold])
        a, b = fit_platt(
            np.concatenate([raw[i] for i in rest]), np.concatenate([tokens.inside[i] for i in rest])
        )
        calibrated_rest = {i: apply_platt(raw[i], a, b) for i in rest}
        cut, gap, _ = spans.choose_decoding(tokens, rest, calibrated_rest)
        fitted = under(held, a, b, cut, gap)
        fit_rows = {i: fitted[i] for i in rest}
        test_rows = {i: fitted[i] for i in test}
        for article, rows in stored(test_rows, None, np.inf).items():
            pooled["R"][article] = rows
        best: tuple[str, float, float] = ("", np.inf, -1.0)
        chosen_t = {}
        for name in CANDIDATES:
            t, f1 = choose_t(fit_rows, name, gold_any, gold_labelled)
            chosen_t[name] = t
            if f1 > best[2]:
                best = (name, t, f1)
            pooled[name].update(stored(test_rows, name, t))
        pooled["PF*"].update(stored(test_rows, best[0], best[1]))
        picks.append((best[0], best[1]))
        print(
            f"sub-fold {k}: cut {cut:.2f} gap {gap}; t {chosen_t}; PF* picks {best[0]} "
            f"t {best[1]:.4g} ({time.monotonic() - t0:.0f} s)",
            flush=True,
        )
    for name, found in pooled.items():
        print(line(f"cross-fitted {name}", found, gold_any, gold_labelled))
    print(f"PF* choices: {Counter(name for name, _ in picks)}")

    # What would ship: the candidate PF* chose most often, t on all of fold 0 with the
    # shipped decoding (itself fitted on all of fold 0).
    name = Counter(name for name, _ in picks).most_common(1)[0][0]
    t, f1 = choose_t(shipped, name, gold_any, gold_labelled)
    print(f"on all of fold 0 (shipped decoding): {name} t {t:.6g} (in-sample SI F1 {f1:.4f})")
    print(line(f"{name} at t, shipped decoding", stored(shipped, name, t), gold_any, gold_labelled))
    added = [(row, q) for s in shipped.values() for row, q in s.extra if q[name] >= t]
    print(f"phrases added at t: {len(added)}")
    # Diagnostics (choose nothing): the added phrases alone, how often their technique is one
    # of their sentence's gold labels, and the mean of the score they would store beside it.
    only: dict[str, list[Labelled]] = {}
    for s in shipped.values():
        only.setdefault(s.article, []).extend(row for row, q in s.extra if q[name] >= t)
    print(line("added phrases alone", only, gold_any, gold_labelled))
    right = np.array([q["sentence_right"] for _, q in added])
    score = np.array([q["score"] for _, q in added])
    print(
        f"added: technique among its sentence's gold labels {right.mean():.3f}; mean stored "
        f"score (phrase x technique probability) {score.mean():.3f}"
    )
    print(f"total {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
