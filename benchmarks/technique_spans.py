"""Train and judge the phrase-span head (issue 16) on the shipped accurate technique model's
training run, without re-running the sentence fine-tuning: what `narrascope train techniques
--profile accurate` does after it exports the sentence model.

Run (torch venv): `PYTHONPATH=src nice -n 10 python benchmarks/technique_spans.py --data
../shared/data --out /tmp/spans-model [--fp32]`. `--out` must hold the accurate model's files
(`techniques-accurate-v1.onnx` with its `token_states` output, vocabulary, calibration); the
run folder of the shipped model (`~/.cache/narrascope/finetune/techniques-accurate-v1-seed13-
top1-e3-lr8e-05-fold0/weights-epoch3.safetensors`) gives the fp32 weights.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from narrascope.analyzers.pair_model import model_files
from narrascope.heads import RESOURCES
from narrascope.training import CACHE
from narrascope.training.finetune import spans
from narrascope.training.finetune.techniques import run_folder
from narrascope.training.finetune.trainer import Settings
from narrascope.training.techniques import find_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fp32", action="store_true", help="train on torch fp32 states")
    args = parser.parse_args()
    t3, ptc = find_data(args.data)
    if t3 is None:
        raise SystemExit(f"{args.data}: no SemEval-2023 Task 3 data")
    settings = Settings(seed=13, folds=5, epochs=3, lr_encoder=8e-5, top=1)
    weights = run_folder(settings) / "weights-epoch3.safetensors"
    args.out.mkdir(parents=True, exist_ok=True)
    for key in ("onnx", "vocab", "head"):
        target = model_files(args.out)[key]
        if not target.is_file():
            shutil.copyfile(model_files(RESOURCES)[key], target)
    started = time.monotonic()
    report = spans.train(
        t3,
        weights,
        model_files(args.out)["onnx"],
        settings,
        out=args.out,
        ptc_data=ptc,
        on_int8=not args.fp32,
        on_progress=lambda message: print(message, flush=True),
    )
    print(report.summary())
    print(f"wall {(time.monotonic() - started) / 60:.1f} min; cache {CACHE}")


if __name__ == "__main__":
    main()
