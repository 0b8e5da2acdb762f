"""Linear heads survive a save/load round trip exactly, whatever the array order."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.heads import LinearHead, ModelFileError


def test_heads_round_trip_transposed_weights(tmp_path):
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(3, 8)).astype(np.float32).T  # Fortran-ordered view
    head = LinearHead(weights, np.zeros(3), ["a", "b", "c"], "demo-v1", "enc", np.full(3, 0.4))
    head.save(tmp_path / "demo-v1.safetensors")
    loaded = LinearHead.from_file(tmp_path / "demo-v1.safetensors")
    assert np.array_equal(loaded.weights, weights) and loaded.labels == ["a", "b", "c"]
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    assert np.allclose(loaded.score(vectors), head.score(vectors))


def test_heads_missing_or_corrupt_file_names_train(tmp_path):
    with pytest.raises(ModelFileError, match="narrascope train demo"):
        LinearHead.from_file(tmp_path / "demo-v1.safetensors")
    (tmp_path / "demo-v1.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelFileError, match="narrascope train demo"):
        LinearHead.from_file(tmp_path / "demo-v1.safetensors")


def test_heads_refuse_a_head_of_the_wrong_width(tmp_path):
    head = LinearHead(np.zeros((8, 2)), np.zeros(2), ["a", "b"], "demo-v1", "enc")
    head.save(tmp_path / "demo-v1.safetensors")
    assert LinearHead.from_file(tmp_path / "demo-v1.safetensors", inputs=8).labels == ["a", "b"]
    with pytest.raises(ModelFileError, match=r"takes 8 features, not 512.*narrascope train demo"):
        LinearHead.from_file(tmp_path / "demo-v1.safetensors", inputs=512)
