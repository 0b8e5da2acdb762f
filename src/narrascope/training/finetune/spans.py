"""Technique spans at phrase level: a token tagger on MiniLM's last-layer token states (#16).

The technique-agnostic part of the task (span identification, SI): each word piece of a
sentence is inside a technique span or not. Truth comes from the English SemEval-2023 T3 span
files (every technique pooled: the official SI scorer merges overlapping spans anyway); a word
piece is inside when its characters overlap a gold span. The tagger is a small head on the
token states of the fine-tuned technique model's last layer (read with the sentence's previous
sentence as context, as the sentence head reads it), so the analyzer gets sentence logits and
token probabilities from one ONNX run. Spans are runs of word pieces at or above a cut, small
gaps bridged, widened to whole words.

The token states come from `states.py`'s kept states below the top layer; computing the top
layer over the 20,277 English train pairs takes a few minutes, kept in the training cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narrascope.analyzers.technique_spans import WINDOW, SpanHead, decode_spans
from narrascope.training.ptc import merge_spans, si_scores

Rows = Sequence[int] | np.ndarray  # article or sentence indexes, as a list or an index array

Span = tuple[int, int]


@dataclass
class TokenMaterial:
    """The English train sentences' word pieces (segment A of each pair): character offsets
    into the article, whether each is inside a gold span, and the gold spans per article."""

    articles: list[str]  # article id per sentence
    offsets: list[np.ndarray]  # (pieces, 2) int: article offsets of each sentence's pieces
    inside: list[np.ndarray]  # (pieces,) bool
    gold: dict[str, list[Span]]  # merged technique-agnostic gold spans per article
    texts: dict[str, str]  # article texts


def piece_offsets(vocab, text: str, start: int, max_pieces: int) -> np.ndarray:
    """Article offsets (pieces, 2) of the word pieces of a sentence at `start`, cut as
    `WordPiece.pair_ids` cuts segment A."""
    _, offsets = vocab.tokenize_with_offsets(text)
    found = np.asarray(offsets[:max_pieces], dtype=np.int64).reshape(-1, 2)
    return found + start


def inside_spans(offsets: np.ndarray, spans: Sequence[Span]) -> np.ndarray:
    """Whether each piece (start, end) overlaps one of `spans`."""
    inside = np.zeros(len(offsets), dtype=bool)
    for s, e in spans:
        inside |= (offsets[:, 0] < e) & (offsets[:, 1] > s)
    return inside


def read_token_material(t3: Path, sentences, max_tokens: int) -> TokenMaterial:
    """Word pieces, offsets and truth for `sentences` (in the order of `read_material`)."""
    from narrascope.text.wordpiece import WordPiece
    from narrascope.training import semeval2023
    from narrascope.training.finetune.minilm import base_model_dir

    vocab = WordPiece.from_file(base_model_dir() / "vocab.txt")
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    path = semeval2023.labels_path(t3, "en", "train", 3)
    line_labels = semeval2023.read_line_labels(path) if path.is_file() else None
    spans = semeval2023.read_spans(t3, "en", "train", articles, line_labels)
    gold = {a: merge_spans([(s, e) for _, s, e in found]) for a, found in spans.items()}
    offsets, inside = [], []
    for sentence in sentences:
        found = piece_offsets(vocab, sentence.text, sentence.span[0], max_tokens - 2)
        offsets.append(found)
        inside.append(inside_spans(found, gold.get(sentence.article, [])))
    return TokenMaterial(
        [s.article for s in sentences],
        offsets,
        inside,
        gold,
        {a: article.text for a, article in articles.items()},
    )


def spans_by_article(
    material: TokenMaterial,
    rows: Rows,
    probabilities: Mapping[int, np.ndarray] | Sequence[np.ndarray] | dict[int, np.ndarray],
    *,
    cut: float,
    gap: int,
) -> dict[str, list[Span]]:
    """Predicted spans per article of the sentences `rows` (every article of them listed)."""
    out: dict[str, list[Span]] = {}
    for i, found in phrases_of(material, rows, probabilities, cut=cut, gap=gap).items():
        out.setdefault(material.articles[i], []).extend(found)
    return out


def score_rows(
    material: TokenMaterial,
    rows: Rows,
    probabilities: Mapping[int, np.ndarray] | Sequence[np.ndarray],
    *,
    cut: float,
    gap: int,
) -> tuple[float, float, float]:
    """Official SI precision, recall, F1 over the articles of the sentences `rows`."""
    predicted = spans_by_article(material, rows, probabilities, cut=cut, gap=gap)
    gold = {a: material.gold.get(a, []) for a in predicted}
    return si_scores(gold, predicted)


CUTS = tuple(float(c) for c in np.round(np.arange(0.05, 0.8, 0.05), 2))
GAPS = (0, 1, 2, 3, 4, 6, 9, 12)


def choose_decoding(
    material: TokenMaterial,
    rows: Rows,
    probabilities: Mapping[int, np.ndarray] | Sequence[np.ndarray],
) -> tuple[float, int, float]:
    """The (cut, gap) with the best SI F1 on `rows` (out-of-fold probabilities), and that F1."""
    best = (0.5, 1, -1.0)
    for gap in GAPS:
        for cut in CUTS:
            f1 = score_rows(material, rows, probabilities, cut=float(cut), gap=gap)[2]
            if f1 > best[2]:
                best = (float(cut), gap, f1)
    return best


def segment_a_states(
    model,
    states: Sequence[np.ndarray],
    encoded: Sequence[tuple[list[int], list[int]]],
    cut: int,
    *,
    batch: int = 64,
    on_progress: Callable[[str], None] = lambda message: None,
) -> list[np.ndarray]:
    """Last-layer token states (pieces, width) float16 of segment A (the sentence, without
    [CLS] and [SEP]) of every pair, from the kept states after layer `cut`."""
    import torch

    from narrascope.training.finetune.trainer import _inputs

    model.eval()
    order = np.argsort([len(ids) for ids, _ in encoded], kind="stable")
    out: list[np.ndarray] = [np.empty(0)] * len(encoded)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            _, mask, types = _inputs(encoded, rows)
            x = np.zeros((len(rows), mask.shape[1], states[rows[0]].shape[1]), dtype=np.float32)
            for k, i in enumerate(rows):
                x[k, : len(states[i])] = states[i]
            found = model.top_states(torch.from_numpy(x), mask, start=cut).numpy()
            for k, i in enumerate(rows):
                pieces = int(((types[k] == 0) & (mask[k] == 1)).sum()) - 2  # [CLS] ... [SEP]
                out[i] = found[k, 1 : 1 + pieces].astype(np.float16)
            if start % (batch * 50) == 0:
                on_progress(f"last-layer token states: {start}/{len(order)} pairs")
    return out


def load_or_compute_token_states(
    weights: Path | None,
    encoded: Sequence[tuple[list[int], list[int]]],
    folder: Path,
    *,
    top: int = 1,
    on_progress: Callable[[str], None] = lambda message: None,
) -> list[np.ndarray]:
    """Segment-A last-layer token states of every pair with the model of `weights` (the
    pretrained base when None), kept in `folder` by a digest of weights and pairs."""
    import torch

    from narrascope.training.finetune.export import load_trained
    from narrascope.training.finetune.minilm import load_base
    from narrascope.training.finetune.states import load_or_cache_states
    from narrascope.training.semeval2023 import TECHNIQUES

    torch.set_num_threads(1)
    base = load_base(len(TECHNIQUES))
    model = load_trained(weights) if weights is not None else base
    digest = hashlib.sha256(str(weights).encode())
    if weights is not None:
        digest.update(weights.read_bytes()[-4096:])
    for ids, _ in encoded:
        digest.update(np.asarray(ids, dtype=np.int32).tobytes())
    path = folder / f"token-states-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as kept:
            flat, ends = kept["states"], kept["ends"]
        on_progress(f"token states: reused {path.name}")
        return np.split(flat, ends[:-1])
    cut = len(model.layers) - top
    below = load_or_cache_states(
        base, encoded, cut, folder.parent / "states", on_progress=on_progress
    )
    found = segment_a_states(model, below, encoded, cut, on_progress=on_progress)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp.npz")
    np.savez(partial, states=np.concatenate(found), ends=np.cumsum([len(s) for s in found]))
    partial.replace(path)
    return found


def fit_token_head(
    states: Sequence[np.ndarray],
    inside: Sequence[np.ndarray],
    rows: Rows,
    *,
    seed: int = 13,
    epochs: int = 4,
    hidden: int = 128,
    lr: float = 2e-3,
    batch: int = 64,
) -> SpanHead:
    """Train the span head (uncalibrated) on the sentences `rows` (BCE per piece, AdamW, seeded)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    width = states[rows[0]].shape[1]
    conv = nn.Conv1d(width, hidden, 2 * WINDOW + 1, padding=WINDOW)
    out = nn.Linear(hidden, 1)
    dropout = nn.Dropout(0.1)
    parameters = [*conv.parameters(), *out.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=0.01)
    rows = np.asarray([i for i in rows if len(states[i])])
    rng = np.random.default_rng(seed)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    for _ in range(epochs):
        order = rows[rng.permutation(len(rows))]
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            length = max(len(states[i]) for i in chosen)
            x = np.zeros((len(chosen), length, width), dtype=np.float32)
            y = np.zeros((len(chosen), length), dtype=np.float32)
            mask = np.zeros((len(chosen), length), dtype=np.float32)
            for k, i in enumerate(chosen):
                x[k, : len(states[i])], y[k, : len(states[i])] = states[i], inside[i]
                mask[k, : len(states[i])] = 1.0
            h = conv(dropout(torch.from_numpy(x)).transpose(1, 2)).transpose(1, 2)
            logits = out(dropout(nn.functional.gelu(h))).squeeze(-1)
            losses = loss_fn(logits, torch.from_numpy(y)) * torch.from_numpy(mask)
            loss = losses.sum() / torch.from_numpy(mask).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    w1 = conv.weight.detach().numpy().transpose(2, 1, 0).copy()  # (k, width, hidden)
    return SpanHead(
        w1.astype(np.float32),
        conv.bias.detach().numpy().astype(np.float32),
        out.weight.detach().numpy()[0].astype(np.float32),
        float(out.bias.detach().numpy()[0]),
    )


def token_probabilities(
    head: SpanHead, states: Sequence[np.ndarray], rows: Rows
) -> dict[int, np.ndarray]:
    """Probabilities (calibrated by the head's Platt scaling) of the pieces of `rows`."""
    return {i: head.probabilities(states[i].astype(np.float32)) for i in rows}


@dataclass(frozen=True)
class HeldOutSpans:
    """SI scores on held-out articles, each sub-fold decoded (and calibrated) by what the other
    sub-folds chose, so no number is judged by a choice made on it."""

    precision: float
    recall: float
    f1: float
    ece: float  # of the calibrated piece probabilities, cross-fitted
    cut: float  # the decoding chosen on every held-out article (what ships)
    gap: int
    a: float  # Platt scaling fitted on every held-out piece (what ships)
    b: float
    phrases: dict[int, list[Span]]  # each held-out sentence's cross-fitted phrases


def phrases_of(
    material: TokenMaterial, rows: Rows, probabilities, *, cut: float, gap: int
) -> dict[int, list[Span]]:
    """Each sentence's decoded phrases (article offsets)."""
    out = {}
    for i in rows:
        text = material.texts[material.articles[i]]
        found = decode_spans(probabilities[i], material.offsets[i], text, cut=cut, gap=gap)
        out[i] = [(s, e) for s, e, _ in found]
    return out


def score_held_out_spans(
    material: TokenMaterial,
    rows: np.ndarray,
    raw: dict[int, np.ndarray],
    *,
    seed: int,
) -> HeldOutSpans:
    """Cross-fitted Platt scaling and decoding over 5 sub-folds of the articles of `rows`, from
    the uncalibrated piece probabilities `raw`; then both fitted on all of them."""
    from narrascope.heads import apply_platt
    from narrascope.training.calibrate import expected_calibration_error, fit_platt
    from narrascope.training.fit import grouped_folds

    sub = grouped_folds([material.articles[i] for i in rows], 5, seed)
    calibrated: dict[int, np.ndarray] = {}
    phrases: dict[int, list[Span]] = {}

    def platt(chosen: np.ndarray) -> tuple[float, float]:
        scores = np.concatenate([raw[i] for i in chosen])
        return fit_platt(scores, np.concatenate([material.inside[i] for i in chosen]))

    for fold in sub:
        rest = np.setdiff1d(rows, rows[fold])
        a, b = platt(rest)
        rest_calibrated = {i: apply_platt(raw[i], a, b) for i in rest}
        cut, gap, _ = choose_decoding(material, rest, rest_calibrated)
        for i in rows[fold]:
            calibrated[i] = apply_platt(raw[i], a, b)
        phrases.update(phrases_of(material, rows[fold], calibrated, cut=cut, gap=gap))
    predicted: dict[str, list[Span]] = {}
    for i in rows:
        predicted.setdefault(material.articles[i], []).extend(phrases[i])
    gold = {article: material.gold.get(article, []) for article in predicted}
    precision, recall, f1 = si_scores(gold, predicted)
    ece = expected_calibration_error(
        np.concatenate([calibrated[i] for i in rows]),
        np.concatenate([material.inside[i] for i in rows]),
    )
    a, b = platt(rows)
    cut, gap, _ = choose_decoding(material, rows, {i: apply_platt(raw[i], a, b) for i in rows})
    return HeldOutSpans(precision, recall, f1, ece, cut, gap, a, b, phrases)


def load_or_run_onnx(
    onnx: Path, vocab: Path, pairs: Sequence[tuple[str, str]], folder: Path
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The ONNX model's logits and segment-A token states (float16) of `pairs`, kept in
    `folder` by a digest of the model file and the pairs."""
    from narrascope.analyzers.pair_model import PairModel

    digest = hashlib.sha256(onnx.read_bytes())
    for a, b in pairs:
        digest.update(f"{a}\x00{b}\x01".encode())
    path = folder / f"onnx-states-{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as kept:
            return kept["logits"], np.split(kept["states"], kept["ends"][:-1])
    reading = PairModel(onnx, vocab).run(pairs, tokens=True)
    logits, states = reading.logits, [s.astype(np.float16) for s in reading.states]
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp.npz")
    ends = np.cumsum([len(s) for s in states])
    np.savez(partial, logits=logits, states=np.concatenate(states), ends=ends)
    partial.replace(path)
    return logits, states


def sentence_spans_scores(
    material: TokenMaterial,
    rows: np.ndarray,
    passed: np.ndarray,
    phrases: dict[int, list[Span]] | None = None,
) -> tuple[float, float, float]:
    """SI scores of what the analyzer marks on the sentences `rows` (article offsets in
    `material.offsets`): every sentence with a technique label (`passed`, (len(rows),) bool)
    whole, or, given `phrases`, that sentence's phrases where it has any."""
    predicted: dict[str, list[Span]] = {material.articles[i]: [] for i in rows}
    for i, keep in zip(rows, passed, strict=True):
        if not keep or not len(material.offsets[i]):
            continue
        whole = (int(material.offsets[i][0, 0]), int(material.offsets[i][-1, 1]))
        found = phrases.get(i, []) if phrases is not None else []
        predicted[material.articles[i]] += found or [whole]
    gold = {article: material.gold.get(article, []) for article in predicted}
    return si_scores(gold, predicted)


def write_span_head(path: Path, head: SpanHead, info: Mapping[str, object]) -> None:
    """The span head, its Platt scaling and decoding, with what made them."""
    import json

    from safetensors.numpy import save_file

    from narrascope.analyzers.technique_spans import SPANS_VERSION

    save_file(
        {
            "w1": head.w1.astype(np.float32),
            "b1": head.b1.astype(np.float32),
            "w2": head.w2.astype(np.float32),
            "b2": np.array(head.b2, dtype=np.float32),
            "platt_a": np.array(head.a, dtype=np.float32),
            "platt_b": np.array(head.b, dtype=np.float32),
        },
        str(path),
        metadata={
            "model_id": SPANS_VERSION,
            "cut": str(head.cut),
            "gap": str(head.gap),
            "info": json.dumps(info),
        },
    )


SPAN_EPOCHS = 4  # fixed before any result was seen


def train(
    t3: Path,
    weights: Path,
    onnx: Path,
    settings,
    *,
    out: Path,
    ptc_data: Path | None = None,
    on_int8: bool = True,
    on_progress: Callable[[str], None] = lambda message: None,
):
    """Train the span head on the token states of the fine-tuned model `weights` (its
    training articles), judge it on the held-out fold (torch fp32 states, then the int8
    `onnx` model's) against marking the labelled sentences whole, and write it to `out` if
    the int8 model's phrases beat whole sentences there. Returns a `Report`."""
    import time

    from narrascope.analyzers.pair_model import model_files
    from narrascope.analyzers.technique_spans import SPANS_VERSION
    from narrascope.analyzers.techniques_accurate import FineTunedTechniques
    from narrascope.heads import apply_platt, sigmoid
    from narrascope.text.wordpiece import WordPiece
    from narrascope.training import CACHE, Report
    from narrascope.training.finetune.minilm import base_model_dir
    from narrascope.training.finetune.trainer import read_material

    report = Report("technique spans (accurate profile)")
    material = read_material(t3, settings)
    vocab_path = base_model_dir() / "vocab.txt"
    vocab = WordPiece.from_file(vocab_path)
    encoded = [vocab.pair_ids(a, b, settings.max_tokens) for a, b in material.pairs]
    tokens = read_token_material(t3, material.sentences, settings.max_tokens)
    train_rows, held = np.flatnonzero(~material.held), np.flatnonzero(material.held)
    folder = CACHE / "finetune" / "spans"
    sentence_model = FineTunedTechniques(onnx.parent)
    on_progress("running the int8 ONNX model on the English train sentences")
    started = time.monotonic()
    rows = np.arange(len(material.pairs)) if on_int8 else held
    logits, int8_states = load_or_run_onnx(
        onnx, vocab_path, [material.pairs[i] for i in rows], folder
    )
    report.scores["onnx_int8_sentences_per_s"] = len(rows) / (time.monotonic() - started)
    int8_of = dict(zip(rows.tolist(), int8_states, strict=True))
    logits = logits[np.searchsorted(rows, held)]
    if on_int8:
        # Trained on what analysis reads: the int8 model's states, not torch's fp32 ones.
        states: Sequence[np.ndarray] = int8_states
    else:
        states = load_or_compute_token_states(
            weights, encoded, folder, top=settings.top, on_progress=on_progress
        )
    on_progress(f"training the span head on {len(train_rows)} sentences")
    started = time.monotonic()
    head = fit_token_head(states, tokens.inside, train_rows, seed=settings.seed, epochs=SPAN_EPOCHS)
    report.scores["span_head_train_seconds"] = time.monotonic() - started
    found = {}
    if not on_int8:
        raw = token_probabilities(head, states, held)
        found["fp32"] = score_held_out_spans(tokens, held, raw, seed=settings.seed)
    raw = {int(i): head.probabilities(int8_of[int(i)]) for i in held}
    found["int8"] = int8 = score_held_out_spans(tokens, held, raw, seed=settings.seed)
    scores = apply_platt(sigmoid(logits), sentence_model.a, sentence_model.b)
    labelled = (scores >= sentence_model.thresholds).any(1)
    whole = sentence_spans_scores(tokens, held, labelled)
    shown = sentence_spans_scores(tokens, held, labelled, int8.phrases)
    every = sentence_spans_scores(tokens, held, np.ones(len(held), dtype=bool))
    for name, got in found.items():
        report.scores[f"si_{name}_precision"] = got.precision
        report.scores[f"si_{name}_recall"] = got.recall
        report.scores[f"si_{name}_f1"], report.scores[f"{name}_ece"] = got.f1, got.ece
    for name, (p, r, f1) in (("labelled_sentences", whole), ("shown", shown), ("all", every)):
        report.scores[f"si_{name}_precision"], report.scores[f"si_{name}_recall"] = p, r
        report.scores[f"si_{name}_f1"] = f1
    articles = {tokens.articles[i] for i in held}
    if ptc_data is not None:
        from narrascope.training.ptc import read_ptc, tc_micro_f1

        # PTC's train articles are T3 English train articles with the same offsets (one
        # sentence a line where T3 has spaces): scored on those of the held-out fold only.
        ptc = {a: x for a, x in read_ptc(ptc_data, "train").items() if a in articles}
        gold = {a: x.tc for a, x in ptc.items()}
        spans = {a: sorted({(s, e) for _, s, e in x}) for a, x in gold.items()}
        labels = sentence_model.labels
        predicted = technique_of_spans(spans, material.sentences, held, scores, labels)
        report.scores["tc_micro_f1_ptc"] = tc_micro_f1(gold, predicted)
        report.lines.append(
            f"  PTC technique classification on the {len(ptc)} PTC train articles of the "
            f"held-out fold ({sum(map(len, gold.values()))} gold spans): each span takes the "
            "PTC class of the highest sentence probability it overlaps"
        )
    report.lines.append(
        f"  held out: {len(articles)} English articles, {len(held)} sentences; span head "
        f"trained on {len(train_rows)} sentences of the other articles, {SPAN_EPOCHS} epochs"
    )
    ships = int8.f1 > whole[2]
    report.lines.append(
        f"  ships: {ships} (int8 phrases SI F1 {int8.f1:.3f} vs labelled sentences whole "
        f"{whole[2]:.3f}); decoding cut {int8.cut:.2f}, gap {int8.gap}"
    )
    if ships:
        shipped = SpanHead(head.w1, head.b1, head.w2, head.b2, int8.a, int8.b, int8.cut, int8.gap)
        info = {
            "settings": {"epochs": SPAN_EPOCHS, "seed": settings.seed, "on_int8": on_int8},
            "weights": weights.name,
            "scores": report.scores,
        }
        files = model_files(out, SPANS_VERSION)
        write_span_head(files["head"], shipped, info)
        write_span_card(files["card"], report, shipped, weights.name, on_int8=on_int8)
    return report


def technique_of_spans(
    spans: dict[str, list[Span]],
    sentences,
    rows: np.ndarray,
    scores: np.ndarray,
    labels: Sequence[str],
) -> dict[str, list[tuple[str, int, int]]]:
    """PTC technique classification from the sentence head: each span (article offsets) takes
    the PTC class whose T3 techniques have the highest calibrated probability in the sentences
    it overlaps (`scores` (len(rows), 23) of the sentences `rows`)."""
    from narrascope.training.ptc import PTC_TECHNIQUES, T3_TO_PTC

    columns = {
        c: [j for j, t in enumerate(labels) if T3_TO_PTC.get(t) == c] for c in PTC_TECHNIQUES
    }
    by_article: dict[str, list[tuple[Span, np.ndarray]]] = {}
    for i, row in zip(rows, scores, strict=True):
        by_article.setdefault(sentences[i].article, []).append((sentences[i].span, row))
    out: dict[str, list[tuple[str, int, int]]] = {}
    for article, found in spans.items():
        for s, e in found:
            rows_here = [row for (a, b), row in by_article.get(article, []) if a < e and b > s]
            if not rows_here:
                continue
            best = np.max(rows_here, axis=0)
            chosen = max(PTC_TECHNIQUES, key=lambda c: best[columns[c]].max())
            out.setdefault(article, []).append((chosen, s, e))
    return out


def write_span_card(path: Path, report, head: SpanHead, weights: str, *, on_int8: bool) -> None:
    """The span head's model card: data, terms, decoding and held-out scores."""
    from narrascope.analyzers.pair_model import ACCURATE_VERSION
    from narrascope.analyzers.technique_spans import SPANS_VERSION

    lines = [
        f"# {SPANS_VERSION}: technique spans at phrase level (accurate profile)",
        "",
        f"- Built with `{ACCURATE_VERSION}` by `narrascope train techniques --profile accurate "
        "--data DIR` (seed 13; torch for training only). Runs without torch: the ONNX model's "
        "second output (`token_states`, the last layer's token states) and numpy.",
        f"- Reads: the last-layer states of each word piece of a sentence (read with its "
        f"previous sentence as context) and of its {WINDOW} neighbours each side. Head: 1-D "
        f"convolution to {head.b1.shape[0]} units, GELU, one logit; Platt scaling "
        f"(a {head.a:.3f}, b {head.b:.3f}) on the held-out fold. Output: the probability that "
        "the piece lies inside a persuasion-technique span (any technique: span "
        "identification).",
        f"- Spans: runs of pieces at or above {head.cut:.2f}, gaps of at most {head.gap} "
        "pieces bridged, widened to whole words; the cut and gap maximise SI F1 on the "
        "held-out fold (calibrated int8 probabilities). The analyzer stores each phrase with "
        "the one technique, among its sentence's shown labels, that the phrase head "
        "(`techniques-tc-accurate-v1`) ranks highest (every shown label without that head); a "
        "labelled sentence without a phrase is marked whole. Phrase-first: it also reads the "
        "sentences without a shown label, and stores a phrase there with the phrase head's own "
        "technique when phrase × technique × sentence probability of it reaches the analyzer's "
        "`PHRASE_FIRST_POINT` (chosen for these heads; `benchmarks/RESULTS.md`).",
        f"- Training: token truth from the English SemEval-2023 T3 train span files (every "
        f"technique pooled; a piece is inside when it overlaps a gold span), on the training "
        f"articles of `{ACCURATE_VERSION}` ({weights}); the held-out fold of "
        f"`{ACCURATE_VERSION}` (never trained on by either) scores and calibrates it. "
        f"{SPAN_EPOCHS} epochs, AdamW lr 2e-3, batch 64 sentences, dropout 0.1, BCE per piece, "
        + (
            "on the int8 ONNX model's token states (what analysis reads)."
            if on_int8
            else "on torch fp32 token states (the int8 model's differ a little)."
        ),
        "- Terms of use of the data: SemEval-2023 Task 3 and PTC (SemEval-2020 Task 11), "
        "research use only, no redistribution. The file holds weights, not text.",
        "",
        "## Scores on the held-out English train articles",
        "",
        "Official SI partial-overlap precision/recall/F1 (`training.ptc.si_scores`; overlapping "
        "spans merged, every technique pooled). `si_fp32_*` (when trained on fp32 states): the "
        "head on torch fp32 states; `si_int8_*`: on the int8 ONNX model's states (what ships); "
        "with Platt scaling and "
        "decoding cross-fitted over 5 sub-folds of the held-out articles. `si_labelled_sentences_*`: "
        "marking whole every sentence the sentence head labels (the profile before this head); "
        "`si_shown_*`: what the analyzer marks (phrases of labelled sentences, whole labelled "
        "sentences without a phrase); `si_all_*`: every sentence whole. `*_ece`: expected "
        "calibration error of the piece probabilities. `tc_micro_f1_ptc`: PTC technique "
        "classification on the held-out fold's PTC articles, each gold span given the PTC class "
        "of the highest sentence probability it overlaps.",
        "",
        "```",
        report.summary(),
        "```",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
