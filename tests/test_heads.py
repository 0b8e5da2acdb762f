"""Linear heads survive a save/load round trip exactly, whatever the array order."""

from __future__ import annotations

from pathlib import Path

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


def test_heads_round_trip_extra_tensors(tmp_path):
    """narratives-v4 stores its per-language heads as named tensors beside the pooled one."""
    rng = np.random.default_rng(1)
    extra = {"weights.en": rng.normal(size=(8, 3)).astype(np.float32), "bias.en": np.ones(3)}
    head = LinearHead(np.zeros((8, 3)), np.zeros(3), ["a", "b", "c"], "demo-v1", "enc", extra=extra)
    head.save(tmp_path / "demo-v1.safetensors")
    loaded = LinearHead.from_file(tmp_path / "demo-v1.safetensors")
    assert sorted(loaded.extra) == ["bias.en", "weights.en"] and loaded.thresholds is None
    assert np.array_equal(loaded.extra["weights.en"], extra["weights.en"])


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


def test_the_same_head_saved_in_separate_processes_gives_the_same_bytes(tmp_path):
    """A retrain that gives the same head must write the same file: the per-corpus model id
    (`model_folder_id`) hashes the bytes, and a new id makes re-analysis replace every label.
    safetensors' own writer ordered the metadata differently in every process."""
    import os
    import subprocess
    import sys

    from safetensors.numpy import load_file

    import narrascope
    from narrascope.heads import RESOURCES, model_folder_id

    shipped = RESOURCES / "roles-v4.safetensors"
    resave = (
        "import sys; from pathlib import Path; from narrascope.heads import LinearHead; "
        "LinearHead.from_file(Path(sys.argv[1])).save(Path(sys.argv[2]))"
    )
    src = str(Path(narrascope.__file__).parents[1])  # the child imports this narrascope
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    folders = [tmp_path / f"model-{i}" for i in range(3)]
    for folder in folders:
        out = folder / shipped.name
        subprocess.run([sys.executable, "-c", resave, str(shipped), str(out)], check=True, env=env)
    written = [(folder / shipped.name).read_bytes() for folder in folders]
    assert written[1] == written[0] and written[2] == written[0]
    assert len({model_folder_id(folder) for folder in folders}) == 1
    again, before = load_file(str(folders[0] / shipped.name)), load_file(str(shipped))
    assert sorted(again) == sorted(before)
    assert all(again[k].tobytes() == before[k].tobytes() for k in before)
    assert (
        LinearHead.from_file(folders[0] / shipped.name).info == LinearHead.from_file(shipped).info
    )
