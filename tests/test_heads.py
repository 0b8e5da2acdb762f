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


@pytest.mark.parametrize("n", [0, 1, 7, 4096, 4097, 9000, 62_143])
def test_row_blocks_cover_every_row_once_in_near_equal_blocks(n):
    from narrascope.heads import BLOCK_ROWS, row_blocks

    blocks = list(row_blocks(n))
    assert [i for block in blocks for i in range(n)[block]] == list(range(n))
    sizes = [block.stop - block.start for block in blocks]
    assert all(size <= BLOCK_ROWS for size in sizes)
    assert not sizes or max(sizes) - min(sizes) <= 1  # no short tail: no few-row product


def test_row_blocks_of_few_rows_leave_no_short_tail():
    from narrascope.heads import row_blocks

    assert [(b.start, b.stop) for b in row_blocks(10, 3)] == [(0, 3), (3, 6), (6, 8), (8, 10)]
