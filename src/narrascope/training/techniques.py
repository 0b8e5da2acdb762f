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

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

from narrascope.analyzers.techniques import TechniqueAnalyzer, features
from narrascope.encode import default_encoder
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Layer
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import Report, ptc, semeval2023, trained_date
from narrascope.training.calibrate import (
    POOLED_CELLS,
    RULES,
    CrossFit,
    apply_platt,
    choose_rule,
    cross_fit_platt,
    cross_fit_shown_platt_by_group,
    fit_platt_all,
    fit_shown_platt_by_group,
    fold_platt,
    platt_info,
)
from narrascope.training.corrections import (
    WEIGHT,
    CorrectedSet,
    corrected_examples,
    corrections_by_head,
    heads_of_corrections,
)
from narrascope.training.fit import cross_validate_sigmoid, grouped_folds
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.technique_corpus import (
    Corpus,
    f1_rule,
    fit_head,
    line_predictions,
    load_corpus,
    score_lines,
)
from narrascope.training.technique_languages import (
    FOLDS_AHEAD,
    MIN_GAIN,
    Decisions,
    language_head,
)
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


# --------------------------------------------------------------------------- PTC


def find_data(data: Path) -> tuple[Path | None, Path | None]:
    """The SemEval-2023 bundle and the PTC bundle inside `data` (either may be None)."""
    t3 = data if semeval2023.languages(data) else None
    if t3 is None and (data / T3_NAME).is_dir():
        t3 = data / T3_NAME
    if (data / "datasets").is_dir() or any(data.glob("*-articles")):
        return t3, data
    return t3, (data / PTC_NAME) if (data / PTC_NAME).is_dir() else None


def train(
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    languages: Sequence[str] | None = None,
    corrections: str | None = None,
) -> Report:
    """Fit the technique head on the T3 train split (every language unless told); calibrate it,
    choose its operating points and report both out of fold.

    `corrections`: a database whose analysts' verdicts on technique spans are weighted into the
    final fits, sentence by sentence: all of them into the pooled head's, and a document's into
    its language's own head where one is kept (CV scores, the choice of heads per language,
    calibration and cuts stay the labelled data's; #19).
    """
    t3, ptc_dir = find_data(data)
    if t3 is None:
        raise FileNotFoundError(f"{data}: no SemEval-2023 Task 3 bundle found")
    encoder = default_encoder()
    store = VectorCache(CACHE, encoder)
    corpus = load_corpus(t3, "train", store=store, languages=languages)
    report = Report("techniques")
    held_out = grouped_folds(corpus.groups(), folds, seed)
    raw, fold_models = cross_validate_sigmoid(corpus.x, corpus.y, held_out, l2=L2)
    # Shipped rule: Platt-calibrated probabilities, shown at or above an operating point whose
    # rule (beta, floor, label precision) nested CV chose for micro F0.5; all cross-fitted, so
    # each fold is judged by what the other folds alone chose (#15).
    crossed = cross_fit_platt(raw, corpus.y, held_out, rules=RULES)
    # The scores of what is shown, per language: an analyst reads a language's shown labels, and
    # one Platt per technique over all cells left them off by 0.06 in French and Russian. The
    # per-language pair is fitted on the other folds' shown cells (decisions unchanged).
    languages = corpus.languages()
    stored = cross_fit_shown_platt_by_group(crossed, corpus.y, languages, held_out)
    score_lines(corpus, stored.shown, report, "cv_")
    report.scores.update(stored.reliability(corpus.y).as_dict("cv_"))
    _shown_by_language(corpus, stored, report)
    report.lines.append(
        "  rule chosen per outer fold: " + "; ".join(r.describe() for r in crossed.rules)
    )
    # techniques-v2's rule (F0.5 per label, floor 0.5) and techniques-v1's (raw scores, cuts
    # tuned for micro-F1 per language) on the same folds, for comparison.
    score_lines(corpus, cross_fit_platt(raw, corpus.y, held_out).shown, report, "cv_v2rule_")
    v1 = f1_rule(corpus, raw, held_out)
    score_lines(corpus, v1, report, "cv_v1rule_")
    rule = choose_rule(crossed.calibrated, corpus.y, held_out)
    a, b = fit_platt_all(raw, corpus.y)
    calibrated = apply_platt(raw, a, b)
    cuts = rule.cuts(calibrated, corpus.y)
    shown_pairs = fit_shown_platt_by_group(calibrated, corpus.y, calibrated >= cuts, languages)
    corrected = read_corrections(corrections, encoder.name) if corrections else None
    weights, bias = fold_platt(*fit_head(corpus.x, corpus.y, corrected, l2=L2), a, b)
    article_ids = sorted(set(corpus.groups()))
    head = LinearHead(
        weights,
        bias,
        list(TECHNIQUES),
        TechniqueAnalyzer.version,
        encoder.name,
        thresholds=cuts,
        info={
            **platt_info(a, b, "technique", rule),
            "shown_platt_by_language": {
                k: [round(float(v), 6) for v in pair] for k, pair in shown_pairs.items()
            },
            "shown_platt_pooled_cells": POOLED_CELLS,
            "seed": seed,
            "folds": folds,
            "l2": L2,
            "trained": trained_date(),
            "train_articles": article_ids,
        },
    )
    if len(corpus.line_labels) > 1:
        # Chosen on the labelled data alone, with corrections or without; each kept head's
        # final fit takes the corrections of documents in its language (#19).
        pooled = Decisions(raw, crossed, v1)
        _add_language_heads(head, corpus, pooled, held_out, report, corrected)
    if corrected is not None:
        own = cast(dict[str, object], head.info.get("languages", {}))
        report.lines.append(corrected.card_line(WEIGHT))
        report.lines += corrections_by_head(corrected, own)
        head.info["corrections"] = corrected.info(WEIGHT) | {
            "languages": heads_of_corrections(corrected, own)
        }
    if ptc_dir is not None and "en" in corpus.line_labels:
        _score_ptc_out_of_fold(
            ptc_dir, corpus, held_out, fold_models, crossed, cuts, report, out, seed
        )
    out.mkdir(parents=True, exist_ok=True)
    head.save(out / f"{TechniqueAnalyzer.version}.safetensors")
    write_card(out / f"{TechniqueAnalyzer.version}.md", head, report, corpus)
    return report


def _add_language_heads(
    head: LinearHead,
    corpus: Corpus,
    pooled: Decisions,
    held_out: list[np.ndarray],
    report: Report,
    corrected: CorrectedSet | None = None,
) -> None:
    """Fit each language's own head and store those the pre-registered rule keeps in `head`;
    a kept head's final fit takes `corrected`'s rows of documents in its language."""
    kept: dict[str, object] = {}
    report.lines.append("  heads per language (own vs pooled, same outer folds):")
    for folder in corpus.line_labels:
        # Corrected documents carry ISO codes ("de"), the T3 folders their own names ("ge").
        code = semeval2023.LANGUAGE_CODES.get(folder, folder)
        mine = corrected.in_language(code) if corrected is not None else None
        own = language_head(corpus, pooled, held_out, folder, l2=L2, corrected=mine)
        report.lines.append("  " + own.comparison.line())
        if not own.tensors:
            continue
        kept[own.code] = own.info
        for name, tensor in own.tensors.items():
            head.extra[f"{name}.{own.code}"] = tensor
        report.scores[f"cv_own_st3_micro_f1_{folder}"] = own.cv_micro_f1
        report.scores[f"cv_own_ece_shown_{folder}"] = round(own.cv_ece_shown, 4)
    if kept:
        head.info["languages"] = kept


def _shown_by_language(corpus: Corpus, crossed: CrossFit, report: Report) -> None:
    """Precision, recall and ECE of the shown (sentence, technique) labels, per language."""
    folders = np.array(corpus.folders)
    for folder in corpus.line_labels:
        found = crossed.reliability(corpus.y, np.flatnonzero(folders == folder))
        report.scores[f"cv_shown_precision_{folder}"] = round(found.shown_precision, 4)
        report.scores[f"cv_shown_recall_{folder}"] = round(found.shown_recall, 4)
        report.scores[f"cv_ece_shown_{folder}"] = round(found.ece_shown, 4)


def read_corrections(db: str, encoder: str) -> CorrectedSet:
    """The technique verdicts of database `db`: one row per sentence a verdict's span touches."""
    return corrected_examples(
        db,
        (Layer.TECHNIQUE,),
        TECHNIQUES,
        lambda doc, vectors: features(doc.sentence_texts(), vectors),
        encoder=encoder,
        per_sentence=True,
    )


def _score_ptc_out_of_fold(
    ptc_dir: Path,
    corpus: Corpus,
    held_out: list[np.ndarray],
    fold_models: list[tuple[np.ndarray, np.ndarray]],
    crossed: CrossFit,
    cuts: np.ndarray,
    report: Report,
    out: Path,
    seed: int,
) -> None:
    """PTC SI/TC scores of the PTC train articles from the calibrated fold models, and the
    fragment head that TC scoring uses."""
    store = VectorCache(CACHE, default_encoder())
    articles = ptc.read_ptc(ptc_dir, "train")
    fold_of = {}
    for k, held in enumerate(held_out):
        for i in held:
            if corpus.folders[i] == "en":
                fold_of[corpus.sentences[i].article] = k
    calibrated_models = [
        fold_platt(w, b, *platt) for (w, b), platt in zip(fold_models, crossed.platt, strict=True)
    ]
    known = {a: art for a, art in articles.items() if a in fold_of}
    tc_cv, tc_head = train_fragment_head(known, store=store, seed=seed, folds=len(held_out))
    si, tc = score_ptc(
        known,
        lambda a: calibrated_models[fold_of[a]],
        cuts,
        store=store,
        tc_models=lambda a: tc_cv[a],
    )
    ptc_report(known, si, tc, report, "cv_")
    report.lines.append(f"  PTC train articles scored out of fold: {len(known)}/{len(articles)}")
    out.mkdir(parents=True, exist_ok=True)
    tc_head.save(out / f"{TC_VERSION}.safetensors")


def evaluate(
    data: Path,
    *,
    split: str = "dev",
    predictions: Path | None = None,
    models: Path | None = None,
) -> Report:
    """Score the shipped head on `split` with the official metrics; write official-format files."""
    t3, ptc_dir = find_data(data)
    if t3 is None and ptc_dir is None:
        raise FileNotFoundError(f"{data}: neither a SemEval-2023 Task 3 nor a PTC bundle")
    encoder = default_encoder()
    analyzer = TechniqueAnalyzer.load(encoder, models=models)
    store = VectorCache(CACHE, encoder)
    report = Report("techniques")
    trained_on = set(cast(list, analyzer.head.info.get("train_articles", [])))
    if t3 is not None:
        corpus = load_corpus(t3, split, store=store)
        # Each language read by the head analysis gives it (its own where one was kept).
        passed = np.zeros(corpus.y.shape, dtype=bool)
        languages = np.array(corpus.languages())
        for code in sorted(set(languages)):
            rows = np.flatnonzero(languages == code)
            probabilities = analyzer.head_for(code).score(corpus.x[rows])
            passed[rows] = probabilities >= analyzer.thresholds(code)
        score_lines(corpus, passed, report, "")
        seen = {
            f"{f}/{s.article}" for f, s in zip(corpus.folders, corpus.sentences, strict=True)
        } & trained_on
        report.lines.append(f"  T3 {split}: {len(seen)} articles were in the head's training data")
        if predictions is not None:
            _write_t3(t3, split, corpus, passed, predictions)
    if ptc_dir is not None:
        articles = ptc.read_ptc(ptc_dir, split)
        cuts = analyzer.thresholds()
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
    assert head.thresholds is not None, "a trained head has its cuts"
    counts: defaultdict[str, int] = defaultdict(int)
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
        f"cues; L2 = {head.info.get('l2')}, L-BFGS, all languages pooled (but see heads per language).",
        "- Calibration: Platt scaling per technique (slope and offset on the logit), fitted on "
        "the out-of-fold probabilities of 5-fold CV grouped by article and folded into the "
        "head's weights and bias: the head's output is the calibrated probability, at no "
        "extra cost. The stored score of a shown technique is that probability through a Platt "
        "scaling per language (slope and offset on the logit; the language is known at "
        "analysis), fitted on the shown (sentence, technique) cells only, since they are what "
        "an analyst reads and where one Platt per technique over all cells was off (French "
        "and Russian 0.06 in techniques-v3); the other languages' shown cells join each fit "
        f"counting as {POOLED_CELLS:g} cells, so that Russian and Polish (700-900 shown "
        "cells) lean on the pooled map. A language outside the six gets the pooled pair. It "
        "moves scores only: the same techniques are shown as with the head's probability.",
        "- Operating points (precision first, but not silent): per technique, a cut on the "
        "calibrated probability chosen by a rule; the rule itself (F0.5 or F1 per technique, a "
        "floor from 0.2 to 0.5 on the probability, and a precision floor of 0.4 or 0.5 per "
        "technique) is chosen by nested CV for micro F0.5 over every (sentence, technique) "
        "decision: precision still weighs four times recall, but a head that shows almost "
        "nothing scores almost nothing (techniques-v2's fixed rule, F0.5 with floor 0.5, showed "
        "5% of the true labels). Shipped rule: "
        f"{head.info.get('operating_points')}. A technique never right at its rule's cuts is "
        "silenced (cut 1.01). Only sentences at or above the cut are stored (`analyze "
        "--min-confidence` moves it up). Line length never enters: cuts are on sentences.",
        "- Cuts: "
        + ", ".join(
            f"{label}={cut:.2f}"
            for label, cut in zip(head.labels, head.thresholds, strict=True)
            if cut <= 1.0
        )
        + f"; silenced: {sum(c > 1.0 for c in head.thresholds)} of {len(head.labels)}.",
        _languages_line(head),
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
        "## Cross-validated scores on train (calibration and cuts cross-fitted: each fold is "
        "calibrated and decided by what the other folds chose)",
        "",
        "`cv_st3_*`: the shipped rule (official T3 subtask-3 micro-F1 is the headline, macro "
        "beside it), each outer fold decided by the rule nested CV chose on the other folds. "
        "`cv_ece`: expected calibration error over every (sentence, technique) score (the "
        "stored one where shown); "
        "`cv_ece_shown`: over the stored scores of the shown ones (the per-language Platt "
        "cross-fitted too); `cv_shown_precision/recall`: micro, sentence "
        "level, at the operating points (`_LANG`: that language's sentences). `cv_v2rule_st3_*`: "
        "techniques-v2's rule (F0.5, floor 0.5) on the same folds; `cv_v1rule_st3_*`: the rule "
        "of techniques-v1 (raw scores, cuts tuned for micro-F1 per language, most at "
        "0.02-0.04): the recall and F1 a precision-first rule gives up.",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _languages_line(head: LinearHead) -> str:
    """The card's bullet on the heads fitted on one language alone."""
    own = cast(dict[str, dict], head.info.get("languages", {}))
    kept = "; ".join(
        f"{code.upper()} ({facts['sentences']} sentences): {facts['operating_points']}, CV "
        f"micro-F1 {facts['cv_st3_micro_f1']:.4f} (mean over folds "
        f"{facts['cv_fold_mean_micro_f1']:.4f} vs the pooled head's "
        f"{facts['cv_fold_mean_micro_f1_pooled']:.4f})" + _refit_note(facts)
        for code, facts in own.items()
    )
    return (
        "- Heads per language: for each language, the whole recipe (head, Platt, nested-CV "
        "rule, cuts) fitted on its sentences alone over the same outer folds; kept only if it "
        f"leads the pooled head on that language's held-out lines by >= {MIN_GAIN} micro-F1 "
        f"(mean over folds) in >= {FOLDS_AHEAD} of 5 folds under this rule, and is not behind "
        "under techniques-v1's F1-tuned cuts (pre-registered, benchmarks/RESULTS.md). Kept: "
        + (kept or "none")
        + ". A kept head reads its language at analysis, with its own cuts and one Platt pair "
        "for its shown labels (`info.languages`); the comparisons are under the CV scores below."
    )


def _refit_note(facts: dict) -> str:
    """What a language's own head says of the corrections in its final fit, if any went in."""
    went_in = facts.get("corrections")
    if not went_in:
        return ""
    return (
        f", final fit with {went_in['count']} corrections on {went_in['documents']} documents"
        f" in this language from `{went_in['source']}`"
    )
