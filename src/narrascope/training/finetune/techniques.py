"""`narrascope train|evaluate techniques --profile accurate`: the fine-tuned technique model.

`train` fine-tunes MiniLM (`trainer.py`; resumable, in a run folder under the training cache;
by default only its top layer and the head, from token states of the lower five kept once),
chooses the number of epochs on another fold's held-out articles (`choose_epoch`), calibrates and scores it on the held-out English articles against the fast head on the same
articles (`select.py`), exports it to int8 ONNX (`export.py`), checks that the int8 model holds
the score, and writes the model card. `evaluate` scores the shipped model on any split of the
English T3 data with the official metric, without torch.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from narrascope.analyzers.pair_model import (
    ACCURATE_VERSION,
    PairModel,
    model_files,
    sentence_pairs,
)
from narrascope.analyzers.techniques_accurate import FineTunedTechniques
from narrascope.heads import RESOURCES
from narrascope.training import CACHE, Report, semeval2023, trained_date
from narrascope.training.finetune.select import HeldOutScores, fit_calibration, line_scores
from narrascope.training.ptc import si_scores
from narrascope.training.semeval2023 import TECHNIQUES

if TYPE_CHECKING:  # the trainer imports torch; `evaluate` runs without it
    from narrascope.training.finetune.trainer import Material, Settings

MAX_MODEL_BYTES = 60_000_000  # the accurate profile's files, all tasks together (issue 16)


def _t3(data: Path) -> Path:
    from narrascope.training.techniques import find_data

    t3, _ = find_data(data)
    if t3 is None or "en" not in semeval2023.languages(t3):
        raise FileNotFoundError(f"{data}: no English SemEval-2023 Task 3 data found")
    return t3


def train(
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    epochs: int = 3,
    top: int = 1,
    lr_encoder: float = 8e-5,
    select_fold: int = 1,
    stop_after: int | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Fine-tune (resuming an interrupted run), export to ONNX, calibrate and score on the
    held-out articles beside the fast head; write the model to `out` only if it beats the fast
    head on them and fits the size budget.

    `epochs` is the length of the schedule (warm-up, then linear decay to 0 at its end); the
    model stops after the epoch that scores best on the held-out English articles of fold
    `select_fold` of the same CV (`choose_epoch`), so fold 0, on which the model is judged
    against the fast head and calibrated, chooses nothing. `top`: layers trained (of 6)."""
    from narrascope.training.finetune.export import export_onnx, load_trained
    from narrascope.training.finetune.minilm import base_model_dir
    from narrascope.training.finetune.trainer import Settings, fine_tune, read_material

    if not 1 <= top <= 6:
        raise ValueError(f"--top {top}: MiniLM has 6 layers to fine-tune, from the top")
    t3 = _t3(data)
    settings = Settings(seed=seed, folds=folds, epochs=epochs, lr_encoder=lr_encoder, top=top)
    report = Report("techniques (accurate profile)")
    stop_epoch = None
    if stop_after is None:
        on_progress(f"choosing the number of epochs on fold {select_fold}")
        stop_epoch = choose_epoch(t3, settings, select_fold, report, on_progress=on_progress)
    run = run_folder(settings)
    trained = fine_tune(
        t3, run, settings, stop_after=stop_after, stop_epoch=stop_epoch, on_progress=on_progress
    )
    material = read_material(t3, settings)
    rows = np.flatnonzero(material.held)
    sentences = [material.sentences[i] for i in rows]
    pairs = [material.pairs[i] for i in rows]
    y = material.y[rows]
    articles = {s.article for s in sentences}
    report.lines.append(
        f"  fine-tuned {trained.step} of {trained.total} steps ({trained.weights.name}); held out: "
        f"{len(articles)} English articles, {len(rows)} sentences"
    )
    on_progress("scoring the fast head on the same held-out articles")
    fast = _fast_scores(run, t3, articles, seed=seed, folds=folds)
    _add(report, fast, "heldout_fast_")
    model = load_trained(trained.weights)
    staged = run / "export"
    on_progress("exporting to ONNX (fp32 and int8) and scoring both on the held-out articles")
    vocab = base_model_dir() / "vocab.txt"
    full = PairModel(export_onnx(model, staged / "model.fp32.onnx", quantize=False), vocab)
    fp32 = _scores(
        full.logits(pairs), y, sentences, material.line_labels, seed, report, "heldout_fp32_"
    )
    int8_path = export_onnx(model, staged / f"{ACCURATE_VERSION}.onnx")
    small = PairModel(int8_path, vocab)
    started = time.monotonic()
    logits = small.logits(pairs)
    report.scores["onnx_int8_sentences_per_s"] = len(rows) / (time.monotonic() - started)
    int8 = _scores(logits, y, sentences, material.line_labels, seed, report, "heldout_int8_")
    report.lines += [
        *fast.lines("  fast head (techniques-v3: v2 fit, nested-CV rule)"),
        *fp32.lines("  fine-tuned, fp32 ONNX"),
        *int8.lines("  fine-tuned, int8 ONNX"),
    ]
    size = int8_path.stat().st_size + vocab.stat().st_size
    report.scores["model_megabytes"] = size / 1e6
    beats = int8.micro_shipped > fast.micro_shipped and int8.micro_f1_rule > fast.micro_f1_rule
    ships = beats and size <= MAX_MODEL_BYTES
    report.lines.append(
        f"  ships: {ships} (int8 beats the fast head at both rules: {beats}; "
        f"{size / 1e6:.1f} MB <= {MAX_MODEL_BYTES / 1e6:.0f} MB)"
    )
    if ships:
        from narrascope.training.finetune.card import write_card
        from narrascope.training.finetune.export import write_head

        files = model_files(out)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(int8_path, files["onnx"])
        shutil.copyfile(vocab, files["vocab"])
        info: dict[str, object] = {
            "settings": dataclasses.asdict(settings),
            "steps": [trained.step, trained.total],
            "epochs_chosen_on_fold": None if stop_epoch is None else select_fold,
            "trained": trained_date(),
            "held_out_articles": sorted(articles),
            "train_articles": sorted({s.article for s in material.sentences} - articles),
        }
        calibration = fit_calibration(logits, y, sentences, seed=seed)
        rule = calibration.rule
        info["operating_rule"] = {
            "beta": rule.beta,
            "floor": rule.floor,
            "min_precision": rule.min_precision,
        }
        write_head(calibration, files["head"], info)
        write_card(
            files["card"],
            settings,
            report,
            len(material.sentences) - len(rows),
            len(rows),
            epochs_trained=stop_epoch,
        )
        _train_token_heads(
            data, t3, trained.weights, files["onnx"], settings, out, report, on_progress
        )
    return report


def _train_token_heads(
    data: Path,
    t3: Path,
    weights: Path,
    onnx: Path,
    settings: Settings,
    out: Path,
    report: Report,
    on_progress: Callable[[str], None],
) -> None:
    """Train the heads that read the shipped model's token states into `out`: the phrase-span
    head, then the phrase technique head; their scores and lines join `report` (prefixed)."""
    from narrascope.training.finetune import phrase_tc, spans
    from narrascope.training.techniques import find_data

    ptc_data = find_data(data)[1]
    on_progress("training the phrase-span head on the model's token states")
    found = spans.train(
        t3, weights, onnx, settings, out=out, ptc_data=ptc_data, on_progress=on_progress
    )
    on_progress("training the phrase technique head on the model's token states")
    phrase = phrase_tc.train(
        t3, onnx, settings, out=out, ptc_data=ptc_data, on_progress=on_progress
    )
    for prefix, head in (("spans_", found), ("phrase_tc_", phrase)):
        report.scores.update({f"{prefix}{k}": v for k, v in head.scores.items()})
        report.lines += head.lines


def run_folder(settings: Settings) -> Path:
    """The run folder of `settings` under the training cache (one per held-out fold)."""
    s = settings
    return (
        CACHE
        / "finetune"
        / (
            f"{ACCURATE_VERSION}-seed{s.seed}-top{s.top}-e{s.epochs}-lr{s.lr_encoder:g}"
            f"-fold{s.held_fold}"
        )
    )


def choose_epoch(
    t3: Path,
    settings: Settings,
    fold: int,
    report: Report,
    *,
    on_progress: Callable[[str], None] = lambda message: None,
) -> int:
    """The number of epochs to train: the whole schedule run with fold `fold`'s English
    articles held out, each epoch's torch fp32 logits on them scored by `score_held_out`
    (cross-fitted calibration and F1-tuned cuts), and the epoch with the best micro-F1 chosen
    (the earlier one on a tie). The rule was fixed before any result was seen."""
    from narrascope.training.finetune.select import score_held_out
    from narrascope.training.finetune.trainer import fine_tune, read_material

    if fold == settings.held_fold:
        raise ValueError("the epochs are chosen on another fold than the one judged")
    chosen = dataclasses.replace(settings, held_fold=fold)
    run = run_folder(chosen)
    fine_tune(t3, run, chosen, on_progress=on_progress)
    material = read_material(t3, chosen)
    rows = np.flatnonzero(material.held)
    sentences = [material.sentences[i] for i in rows]
    found: list[float] = []
    for epoch in range(1, settings.epochs + 1):
        logits = torch_logits(run / f"weights-epoch{epoch}.safetensors", material, rows, chosen)
        scores = score_held_out(
            logits, material.y[rows], sentences, material.line_labels, seed=settings.seed
        )
        found.append(scores.micro_f1_rule)
        report.scores[f"select_fold{fold}_epoch{epoch}_micro_f1_rule"] = scores.micro_f1_rule
        report.scores[f"select_fold{fold}_epoch{epoch}_micro_shipped"] = scores.micro_shipped
        on_progress(f"fold {fold}, epoch {epoch}: " + scores.lines("")[0].lstrip(": "))
    best = int(np.argmax(found)) + 1  # argmax: the first of equals
    report.lines.append(
        f"  epochs chosen on fold {fold} ({len(rows)} sentences of "
        f"{len({s.article for s in sentences})} English articles), micro-F1 at F1-tuned cuts "
        f"by epoch: {', '.join(f'{f:.3f}' for f in found)}: {best} of {settings.epochs}"
    )
    return best


def torch_logits(
    weights: Path, material: Material, rows: np.ndarray, settings: Settings
) -> np.ndarray:
    """Torch fp32 logits (len(rows), 23) of a run's weights on the pairs `rows` of `material`,
    from the kept token states when only the top layers trained."""
    import torch

    from narrascope.text.wordpiece import WordPiece
    from narrascope.training.finetune.export import load_trained
    from narrascope.training.finetune.minilm import base_model_dir
    from narrascope.training.finetune.trainer import _inputs

    torch.set_num_threads(settings.threads)
    model = load_trained(weights)
    vocab = WordPiece.from_file(base_model_dir() / "vocab.txt")
    encoded = [vocab.pair_ids(a, b, settings.max_tokens) for a, b in material.pairs]
    cut = len(model.layers) - settings.top
    states = None
    if settings.top < len(model.layers):
        from narrascope.training.finetune.states import load_or_cache_states, top_logits

        states = load_or_cache_states(model, encoded, cut, weights.parent.parent / "states")
    order = rows[np.argsort([len(encoded[i][0]) for i in rows], kind="stable")]
    logits = np.zeros((len(material.pairs), len(TECHNIQUES)), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), 64):
            batch = order[start : start + 64]
            found = (
                top_logits(model, states, encoded, batch, cut)
                if states is not None
                else model(*_inputs(encoded, batch))
            )
            logits[batch] = found.numpy()
    return logits[rows]


def _fast_scores(
    run: Path, t3: Path, articles: set[str], *, seed: int, folds: int
) -> HeldOutScores:
    """The fast head on the held-out articles, kept in the run folder (its CV takes minutes)."""
    from narrascope.training.finetune.select import fast_on_held_out

    path = run / "fast-heldout.json"
    if path.is_file():
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["articles"] == sorted(articles):
            return HeldOutScores(**kept["scores"])
    scores = fast_on_held_out(t3, articles, seed=seed, folds=folds)
    record = {"articles": sorted(articles), "scores": dataclasses.asdict(scores)}
    path.write_text(json.dumps(record), encoding="utf-8")
    return scores


def _add(report: Report, scores: HeldOutScores, prefix: str) -> None:
    for key, value in dataclasses.asdict(scores).items():
        if value == value:  # not NaN
            report.scores[f"{prefix}{key}"] = value


def _scores(logits, y, sentences, gold, seed, report, prefix) -> HeldOutScores:
    from narrascope.training.finetune.select import score_held_out

    scores = score_held_out(logits, y, sentences, gold, seed=seed)
    _add(report, scores, prefix)
    return scores


HELD_OUT = "heldout-en"  # the English train articles the shipped model never trained on


def evaluate(data: Path, *, split: str = "dev", predictions: Path | None = None) -> Report:
    """Official T3-ST3 micro/macro-F1 of the shipped accurate model on the English `split`;
    `heldout-en`: on the English train articles it was never trained on, scored as its card
    scores them (`held_out_scores`). Given a PTC folder: official PTC SI and TC scores
    (`evaluate_ptc`)."""
    from narrascope.training.techniques import find_data

    found_t3, ptc_dir = find_data(data)
    if not model_files(RESOURCES)["onnx"].is_file():
        raise FileNotFoundError(
            f"no accurate technique model in {RESOURCES}: "
            "`narrascope train techniques --profile accurate` makes one"
        )
    model = FineTunedTechniques(RESOURCES)
    if found_t3 is None and ptc_dir is not None:  # a PTC folder, not a bundle of both
        return evaluate_ptc(ptc_dir, model, split=split, predictions=predictions)
    t3 = _t3(data)
    if split == HELD_OUT:
        return held_out_scores(t3, model)
    return evaluate_t3(t3, model, split=split, predictions=predictions)


def evaluate_t3(
    t3: Path, model: FineTunedTechniques, *, split: str, predictions: Path | None
) -> Report:
    """Official T3-ST3 micro/macro-F1 (and SI of the stored spans) on the English `split`."""
    found = semeval2023.read_techniques(t3, "en", split)
    report = Report("techniques (accurate profile, English)")
    by_article: dict[str, list[int]] = {}
    for i, sentence in enumerate(found.sentences):
        by_article.setdefault(sentence.article, []).append(i)
    passed = np.zeros((len(found.sentences), len(TECHNIQUES)), dtype=bool)
    predicted_spans: dict[str, list[tuple[str, int, int]]] = {a: [] for a in found.articles}
    for article_id, rows in by_article.items():
        texts = [found.sentences[i].text for i in rows]
        starts = [found.sentences[i].span[0] for i in rows]
        # what the analyzer stores (`FineTunedTechniques.stored`), then the sentence scores
        # from the same kept run
        stored = model.stored(texts, starts)
        passed[rows] = model.read_scores(texts) >= model.thresholds
        predicted_spans[article_id] += [(TECHNIQUES[x.technique], x.start, x.end) for x in stored]
    if found.line_labels:
        micro, macro = line_scores(found.sentences, passed, found.line_labels, set(found.articles))
        report.scores["st3_micro_f1_en"], report.scores["st3_macro_f1_en"] = micro, macro
    gold_spans = semeval2023.read_spans(t3, "en", split, found.articles, found.line_labels or None)
    if gold_spans:
        gold = {a: [(s, e) for _, s, e in gold_spans.get(a, [])] for a in found.articles}
        mine = {a: [(s, e) for _, s, e in found] for a, found in predicted_spans.items()}
        p, r, f1 = si_scores(gold, mine)
        report.scores["si_precision_en"], report.scores["si_recall_en"] = p, r
        report.scores["si_f1_en"] = f1
    trained_on = set(model.info.get("train_articles", []))
    report.lines.append(
        f"  {len(set(found.articles) & trained_on)} of {len(found.articles)} articles were in "
        "the model's training data; other languages: the fast head (`--profile fast`)"
    )
    if predictions is not None:
        rows_out: dict[tuple[str, int], list[str]] = {}
        predicted: dict[tuple[str, int], set[str]] = {}
        for sentence, keep in zip(found.sentences, passed, strict=True):
            predicted.setdefault((sentence.article, sentence.line), set()).update(
                TECHNIQUES[j] for j in np.flatnonzero(keep)
            )
        for article in found.articles.values():
            for number, _ in article.lines():
                rows_out[(article.id, number)] = sorted(predicted.get((article.id, number), ()))
        semeval2023.write_line_labels(predictions, rows_out)
        write_spans(spans_path(predictions), predicted_spans)
    return report


def spans_path(predictions: Path) -> Path:
    """Where the span predictions go beside the paragraph file `predictions`."""
    return predictions.with_name(f"{predictions.stem}-spans.txt")


def write_spans(path: Path, spans: dict[str, list[tuple[str, int, int]]]) -> None:
    """Technique spans in the T3 span-file format: `article_id TAB technique TAB start TAB end`
    (character offsets into the article, end exclusive), one line a span."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{a}\t{t}\t{s}\t{e}" for a, found in spans.items() for t, s, e in sorted(found)]
    path.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")


def evaluate_ptc(
    ptc_dir: Path, model: FineTunedTechniques, *, split: str, predictions: Path | None
) -> Report:
    """Official PTC scores of the accurate profile on `split` of a PTC folder: SI of the
    sentences with a shown technique, and TC of the gold spans (given, as the TC task gives
    them) from the phrase head (`techniques-tc-accurate-v1`), or without it from the sentence
    head (a span takes the PTC class of the best probability of the sentences it overlaps).
    `heldout-en`: PTC's train articles that sit in the model's held-out fold (never trained on).
    The PTC protocol and files are the fast profile's (`techniques_ptc`)."""
    from narrascope.analyzers.phrase_techniques import PHRASE_TC_VERSION
    from narrascope.training import ptc
    from narrascope.training.techniques_ptc import ptc_predictions, ptc_report

    if split == HELD_OUT:  # PTC's train articles in the model's held-out fold: a blind TC
        held = set(model.info["held_out_articles"])  # score CI can check (score floors)
        articles = {a: art for a, art in ptc.read_ptc(ptc_dir, "train").items() if a in held}
    else:
        articles = ptc.read_ptc(ptc_dir, split)
    read: dict[str, tuple[list[str], list[int], np.ndarray]] = {}

    def score_sentences(article_id: str, spans: list[tuple[int, int]]):
        text = articles[article_id].text
        texts = [text[s:e] for s, e in spans]
        scores = model.read_scores(texts)  # one run: `span_techniques` reads it again
        read[article_id] = (texts, [s for s, _ in spans], scores)
        return scores, scores >= model.thresholds

    def score_fragments(article_id: str, fragments: list[tuple[int, int]]) -> np.ndarray:
        texts, starts, scores = read[article_id]
        if model.phrase_head is not None:
            return model.span_techniques(texts, starts, fragments)
        out = np.zeros((len(fragments), len(model.labels)), dtype=np.float32)
        for k, (s, e) in enumerate(fragments):
            over = [j for j, a in enumerate(starts) if a < e and a + len(texts[j]) > s]
            if over:
                out[k] = scores[over].max(0)
        return out

    si, tc = ptc_predictions(articles, score_sentences, score_fragments)
    report = Report("techniques (accurate profile, PTC)")
    if any(art.si or art.tc for art in articles.values()):
        ptc_report(articles, si, tc, report, "")
    how = PHRASE_TC_VERSION if model.phrase_head is not None else "the sentence head"
    trained_on = set(model.info.get("train_articles", []))
    report.lines.append(
        f"  PTC {split}: TC from {how}; {len(set(articles) & trained_on)} of {len(articles)} "
        "articles were in the model's training data (T3 English train re-annotates PTC)"
    )
    if predictions is not None:
        ptc.write_si(predictions.with_name(f"{predictions.stem}-si.txt"), si)
        ptc.write_tc(predictions.with_name(f"{predictions.stem}-tc.txt"), tc)
    return report


__all__ = ["evaluate", "train"]


def held_out_scores(t3: Path, model: FineTunedTechniques) -> Report:
    """The shipped model on the English train articles it never trained on (`held_out_articles`
    in its metadata), calibrated and cut cross-fitted over them (`score_held_out`, the card's
    `heldout_int8_*` scores): a score floor CI can check without torch or retraining."""
    from narrascope.training.finetune.select import score_held_out

    held = set(model.info["held_out_articles"])
    found = semeval2023.read_techniques(t3, "en", "train")
    by_article: dict[str, list[int]] = {}
    for i, sentence in enumerate(found.sentences):
        if sentence.article in held:
            by_article.setdefault(sentence.article, []).append(i)
    sentences = [found.sentences[i] for rows in by_article.values() for i in rows]
    pairs = [
        pair
        for rows in by_article.values()
        for pair in sentence_pairs([found.sentences[i].text for i in rows])
    ]
    y = np.array([[t in s.techniques for t in TECHNIQUES] for s in sentences], dtype=np.float32)
    seed = int(model.info["settings"]["seed"])
    scores = score_held_out(model.logits(pairs), y, sentences, found.line_labels, seed=seed)
    report = Report("techniques (accurate profile, English, held-out train articles)")
    _add(report, scores, "heldout_int8_")
    report.lines += scores.lines(
        f"  {len(by_article)} held-out articles, {len(sentences)} sentences"
    )
    return report
