"""Fine-tuning all-MiniLM-L6-v2 on SemEval-2023 T3 subtask 3 (English), resumable, on the CPU.

Each English train sentence (truth from the span files, as for the fast head) is read with its
previous sentence as context (`analyzers.pair_model.sentence_pairs`), up to
`max_tokens` word pieces; batches group sentences of similar length, so padding costs little.
Loss: binary cross-entropy per technique, positives weighted by sqrt(negatives/positives),
capped; every sentence with a technique and a fresh draw of a third of the others each epoch.
One fold of English articles (the fast head's CV fold, so both are judged on the same articles)
is held out: it never trains, and is kept for calibration, thresholds and scoring (`select.py`,
on the exported model).

With `Settings.top` below 6 only the top layers and the head train, from token states of the
frozen layers computed once and kept beside the run folders (`states.py`).

Everything lives in one run folder: `checkpoint.safetensors` + `checkpoint.json` every
`checkpoint_every` steps (weights, AdamW moments, step, torch RNG) and the final weights.
Calling `fine_tune` again with the same folder resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from narrascope.analyzers.pair_model import MAX_TOKENS, sentence_pairs
from narrascope.text.wordpiece import WordPiece, pad
from narrascope.training import semeval2023
from narrascope.training.finetune.minilm import MiniLMClassifier, base_model_dir, load_base
from narrascope.training.fit import grouped_folds
from narrascope.training.semeval2023 import TECHNIQUES, Sentence


@dataclass(frozen=True)
class Settings:
    """Everything that decides the fine-tuned weights (recorded in the run folder and the card)."""

    seed: int = 13
    folds: int = 5  # the fast head's CV folds; fold `held_fold` of them is held out
    held_fold: int = 0
    max_tokens: int = MAX_TOKENS
    batch_size: int = 32
    epochs: int = 2
    lr_encoder: float = 5e-5
    lr_head: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    pos_weight_cap: float = 10.0
    # Most sentences (72% in English train) carry no technique: each epoch sees every sentence
    # that carries one and a fresh seeded draw of this share of the others; calibration on the
    # held-out articles undoes the shift in the prior.
    negatives_kept: float = 0.35
    freeze_embeddings: bool = True  # the word-piece table is half the weights and barely moves
    # Layers trained, from the top (of MiniLM's 6). Below them nothing trains, so their token
    # states are computed once and kept (`states.py`): an epoch of the top layer costs 4-6 min
    # on a loaded 2-core machine against 32-66 min for all six (benchmarks/RESULTS.md).
    top: int = 1
    checkpoint_every: int = 100
    # One thread: with two, a loaded 2-core machine ran 1.3 sentences/s against 4.5 with one
    # (the threads spin waiting for each other; measured, benchmarks/RESULTS.md).
    threads: int = 1


@dataclass
class Material:
    """English train sentences with their pairs, gold (n, 23) and whether they are held out."""

    sentences: list[Sentence]
    pairs: list[tuple[str, str]]
    y: np.ndarray
    held: np.ndarray  # bool (n,)
    line_labels: dict[tuple[str, int], list[str]]


def held_out_articles(t3: Path, *, seed: int, folds: int, fold: int) -> set[str]:
    """English article ids in fold `fold` of the fast technique head's grouped CV (all languages
    pooled, as `training.techniques.train` builds it), so both profiles are scored on them."""
    groups: list[str] = []
    for folder in semeval2023.languages(t3):
        articles = semeval2023.read_articles(t3, folder, "train", 3)
        for article in articles.values():
            groups += [f"{folder}/{article.id}"] * len(semeval2023.split_sentences(article))
    held = grouped_folds(groups, folds, seed)[fold]
    return {groups[i].split("/", 1)[1] for i in held if groups[i].startswith("en/")}


def read_material(t3: Path, settings: Settings) -> Material:
    """The English train split as sentence pairs with gold, and the held-out fold marked."""
    found = semeval2023.read_techniques(t3, "en", "train")
    held_articles = held_out_articles(
        t3, seed=settings.seed, folds=settings.folds, fold=settings.held_fold
    )
    pairs: list[tuple[str, str]] = []
    by_article: dict[str, list[int]] = {}
    for i, sentence in enumerate(found.sentences):
        by_article.setdefault(sentence.article, []).append(i)
    order = [i for rows in by_article.values() for i in rows]
    sentences = [found.sentences[i] for i in order]
    for rows in by_article.values():
        pairs += sentence_pairs([found.sentences[i].text for i in rows])
    y = np.array([[t in s.techniques for t in TECHNIQUES] for s in sentences], dtype=np.float32)
    held = np.array([s.article in held_articles for s in sentences])
    return Material(sentences, pairs, y, held, found.line_labels)


def _batches(
    lengths: np.ndarray, rows: np.ndarray, y: np.ndarray, settings: Settings, epoch: int
) -> list[np.ndarray]:
    """One epoch's batches: every positive row, a seeded share of the negative ones, grouped by
    similar length, in a seeded random order (the same for a resumed run)."""
    rng = np.random.default_rng(settings.seed + epoch)
    positive = y[rows].any(1)
    negatives = rows[~positive]
    kept = rng.choice(negatives, round(settings.negatives_kept * len(negatives)), replace=False)
    chosen = np.concatenate([rows[positive], kept])
    shuffled = chosen[rng.permutation(len(chosen))]
    size = settings.batch_size
    batches = []
    for start in range(0, len(shuffled), size * 50):
        chunk = shuffled[start : start + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def warmup_then_linear(
    optimizer: torch.optim.Optimizer, total: int, warmup: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate rises over the first `warmup` share of `total` steps, then falls
    linearly to 0 at the last step."""
    warm = max(1, int(warmup * total))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )


def _inputs(
    encoded: Sequence[tuple[list[int], list[int]]], rows: Sequence[int] | np.ndarray
) -> list[torch.Tensor]:
    batch = pad([encoded[i] for i in rows])
    return [
        torch.from_numpy(x) for x in (batch.input_ids, batch.attention_mask, batch.token_type_ids)
    ]


def _save_checkpoint(run: Path, model, optimizer, meta: dict) -> None:
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    for i, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"adam.{i}.{key}"] = torch.as_tensor(value).contiguous()
    tensors["rng"] = torch.get_rng_state()
    save_file(tensors, str(run / "checkpoint.tmp"))
    (run / "checkpoint.json.tmp").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    os.replace(run / "checkpoint.tmp", run / "checkpoint.safetensors")
    os.replace(run / "checkpoint.json.tmp", run / "checkpoint.json")


def _load_checkpoint(run: Path, model, optimizer) -> dict:
    from safetensors.torch import load_file

    tensors = load_file(str(run / "checkpoint.safetensors"))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state = optimizer.state_dict()
    moments: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("adam."):
            _, index, name = key.split(".", 2)
            moments.setdefault(int(index), {})[name] = value
    state["state"] = moments
    optimizer.load_state_dict(state)
    torch.set_rng_state(tensors["rng"])
    return json.loads((run / "checkpoint.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Trained:
    """Where a fine-tuning run stands: its latest weights and how far it went."""

    weights: Path
    step: int
    total: int


# Operational settings: they change how a run is watched, not the weights it makes.
_OPERATIONAL = ("checkpoint_every", "threads")


def _check_settings(run: Path, settings: Settings) -> None:
    recorded = run / "settings.json"
    mine = {k: v for k, v in asdict(settings).items() if k not in _OPERATIONAL}
    if recorded.is_file():
        theirs = json.loads(recorded.read_text(encoding="utf-8"))
        if {k: v for k, v in theirs.items() if k not in _OPERATIONAL} != mine:
            raise ValueError(f"{run}: holds a run with other settings; use another folder")
    recorded.write_text(json.dumps(asdict(settings), indent=1), encoding="utf-8")


def fine_tune(
    t3: Path,
    run: Path,
    settings: Settings = Settings(),
    *,
    stop_after: int | None = None,
    stop_epoch: int | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Trained:
    """Fine-tune (or resume) into the folder `run`, up to the end of the schedule, to step
    `stop_after` or to the end of epoch `stop_epoch` (the schedule stays the full one, so a
    stopped run is the same run cut short)."""
    run.mkdir(parents=True, exist_ok=True)
    _check_settings(run, settings)
    material = read_material(t3, settings)
    vocab = WordPiece.from_file(base_model_dir() / "vocab.txt")
    encoded = [vocab.pair_ids(a, b, settings.max_tokens) for a, b in material.pairs]
    train_rows = np.flatnonzero(~material.held)
    mean = np.mean([len(encoded[i][0]) for i in train_rows])
    on_progress(
        f"{len(train_rows)} training sentences, {int(material.held.sum())} held out "
        f"({len({s.article for s, h in zip(material.sentences, material.held, strict=True) if h})}"
        f" articles); mean {mean:.1f} word pieces"
    )
    model = load_base(len(TECHNIQUES), seed=settings.seed)
    states = None
    if settings.top < len(model.layers):
        from narrascope.training.finetune.states import load_or_cache_states

        torch.set_num_threads(settings.threads)
        cut = len(model.layers) - settings.top
        states = load_or_cache_states(
            model, encoded, cut, run.parent / "states", on_progress=on_progress
        )
    return fit(
        model,
        encoded,
        material.y,
        train_rows,
        run,
        settings,
        states=states,
        stop_after=stop_after,
        stop_epoch=stop_epoch,
        on_progress=on_progress,
    )


def fit(
    model: MiniLMClassifier,
    encoded: Sequence[tuple[list[int], list[int]]],
    y: np.ndarray,
    train_rows: np.ndarray,
    run: Path,
    settings: Settings,
    *,
    states: Sequence[np.ndarray] | None = None,
    stop_after: int | None = None,
    stop_epoch: int | None = None,
    on_progress: Callable[[str], None] = lambda message: None,
) -> Trained:
    """Train `model` on the rows `train_rows` of the encoded pairs and their gold `y` (n, labels),
    checkpointing into `run` and resuming from it: `fine_tune`'s loop, on any model and rows (so
    a small model can be checked to fit its own training sentences). With `states` (the token
    states of every pair after the layers below the top `settings.top`, `states.py`) only the
    top layers and the head train, from those states. Every epoch's weights are kept
    (`weights-epoch{E}.safetensors`); asked to stop at an epoch whose weights a longer run of the
    same schedule already kept, it returns them."""
    run.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(settings.threads)
    lengths = np.array([len(ids) for ids, _ in encoded])
    cut = len(model.layers) - settings.top if states is not None else 0
    if settings.freeze_embeddings:
        for parameter in (model.word.weight, model.position.weight, model.segment.weight):
            parameter.requires_grad_(False)
    if states is not None:
        for name, parameter in model.named_parameters():
            kept = name.startswith("head.") or any(
                name.startswith(f"layers.{k}.") for k in range(cut, len(model.layers))
            )
            parameter.requires_grad_(kept)

    def logits_of(batch: np.ndarray) -> torch.Tensor:
        if states is None:
            return model(*_inputs(encoded, batch))
        from narrascope.training.finetune.states import top_logits

        return top_logits(model, states, encoded, batch, cut)

    positives = y[train_rows].sum(0)
    seen = y[train_rows].any(1).sum() + settings.negatives_kept * (~y[train_rows].any(1)).sum()
    ratio = (seen - positives) / np.maximum(positives, 1.0)
    pos_weight = torch.tensor(np.clip(np.sqrt(ratio), 1.0, settings.pos_weight_cap))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight.float())
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in trained if n.startswith("head.")]
    body = [p for n, p in trained if not n.startswith("head.")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": settings.lr_encoder}, {"params": head, "lr": settings.lr_head}],
        weight_decay=settings.weight_decay,
    )
    per_epoch = len(_batches(lengths, train_rows, y, settings, 0))
    total = per_epoch * settings.epochs
    schedule = warmup_then_linear(optimizer, total, settings.warmup)
    if stop_epoch:
        stop_after = stop_epoch * per_epoch
    if stop_after and stop_after % per_epoch == 0:
        done = run / f"weights-epoch{stop_after // per_epoch}.safetensors"
        if done.is_file():
            on_progress(f"epoch {stop_after // per_epoch} of {settings.epochs} already trained")
            return Trained(done, stop_after, total)
    step = 0
    if (run / "checkpoint.json").is_file():
        step = _load_checkpoint(run, model, optimizer)["step"]
        with warnings.catch_warnings():  # replaying the schedule, not skipping a step
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(step):
                schedule.step()
        on_progress(f"resumed at step {step}/{total}")
    end = min(total, stop_after) if stop_after else total
    model.train()
    started, done_here, losses = time.monotonic(), 0, []
    while step < end:
        epoch, index = divmod(step, per_epoch)
        batch = _batches(lengths, train_rows, y, settings, epoch)[index]
        logits = logits_of(batch)
        loss = loss_fn(logits, torch.from_numpy(y[batch]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trained], 1.0)
        optimizer.step()
        schedule.step()
        step, done_here = step + 1, done_here + len(batch)
        losses.append(float(loss.detach()))
        if step % 20 == 0 or step == end:
            rate = done_here / (time.monotonic() - started)
            left = (end - step) * settings.batch_size / rate / 60
            on_progress(
                f"step {step}/{total} epoch {epoch + 1} loss {np.mean(losses[-20:]):.4f} "
                f"{rate:.1f} sentences/s, ~{left:.0f} min left"
            )
        if step % per_epoch == 0 or step == end:
            _save_weights(run, model, step, per_epoch)
        if step % settings.checkpoint_every == 0 or step % per_epoch == 0 or step == end:
            _save_checkpoint(run, model, optimizer, {"step": step, "total": total})
    weights = _save_weights(run, model, step, per_epoch)
    on_progress(f"stopped at step {step} of {total}: {weights.name}")
    return Trained(weights, step, total)


def _save_weights(run: Path, model: MiniLMClassifier, step: int, per_epoch: int) -> Path:
    """The weights at `step`, kept once (an epoch's end or where the run stopped)."""
    weights = run / (
        f"weights-epoch{step // per_epoch}.safetensors"
        if step % per_epoch == 0
        else f"weights-step{step}.safetensors"
    )
    if not weights.is_file():
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    return weights
