"""Writing the fine-tuned technique model for analysis without torch: ONNX (int8), vocabulary,
calibration file and model card.

The torch module of `minilm.py` goes to ONNX through torch's TorchScript exporter (inputs
`input_ids`, `attention_mask`, `token_type_ids`, each (batch, length) int64; output `logits`),
then ONNX Runtime's dynamic quantization stores its matrices and the word-piece table as int8.
A second output, `token_states` (batch, length, 384), is the last layer's token states, which
the phrase-span head reads (`add_token_output`; #16).
Platt scaling and operating points go to a small `.safetensors` file beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from narrascope.analyzers.pair_model import ACCURATE_VERSION, STATES_OUTPUT
from narrascope.training.finetune.minilm import MiniLMClassifier, base_model_dir
from narrascope.training.finetune.select import Calibration
from narrascope.training.semeval2023 import TECHNIQUES


def load_trained(weights: Path) -> MiniLMClassifier:
    """The fine-tuned module from a `weights-epoch{E}.safetensors` of a run folder."""
    from safetensors.torch import load_file

    config = json.loads((base_model_dir() / "config.json").read_text(encoding="utf-8"))
    model = MiniLMClassifier(config, len(TECHNIQUES))
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def export_onnx(model: MiniLMClassifier, path: Path, *, quantize: bool = True) -> Path:
    """Write `model` as ONNX at `path` (int8 dynamic quantization unless told not to)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    example = (
        torch.tensor([[101, 2023, 2003, 1037, 6251, 1012, 102, 2009, 102]]),
        torch.ones(1, 9, dtype=torch.long),
        torch.tensor([[0, 0, 0, 0, 0, 0, 0, 1, 1]]),
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    full = path.with_suffix(".fp32.onnx") if quantize else path
    torch.onnx.export(
        model,
        example,
        str(full),
        dynamo=False,
        input_names=names,
        output_names=["logits"],
        dynamic_axes={**{n: {0: "batch", 1: "length"} for n in names}, "logits": {0: "batch"}},
        opset_version=17,
    )
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(full), str(path), weight_type=QuantType.QInt8)
        full.unlink()
    return add_token_output(path, path)


def add_token_output(path: Path, out: Path) -> Path:
    """Write to `out` the ONNX model at `path` with the last layer's token states as a second
    output, `token_states` (the output of its last LayerNormalization); the logits are
    untouched."""
    import onnx

    model = onnx.load(str(path))
    if STATES_OUTPUT not in {o.name for o in model.graph.output}:
        last = [node for node in model.graph.node if node.op_type == "LayerNormalization"][-1]
        model.graph.node.append(
            onnx.helper.make_node("Identity", [last.output[0]], [STATES_OUTPUT], name="tokens")
        )
        model.graph.output.append(
            onnx.helper.make_tensor_value_info(
                STATES_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "length", 384]
            )
        )
    onnx.save(model, str(out))
    return out


def write_head(calibration: Calibration, path: Path, info: dict[str, object]) -> None:
    """Platt scaling and operating points of the exported model, with what made them."""
    from safetensors.numpy import save_file

    save_file(
        {
            "platt_a": calibration.a.astype(np.float32),
            "platt_b": calibration.b.astype(np.float32),
            "thresholds": calibration.cuts.astype(np.float32),
        },
        str(path),
        metadata={
            "model_id": ACCURATE_VERSION,
            "labels": json.dumps(list(TECHNIQUES)),
            "info": json.dumps(info),
        },
    )
