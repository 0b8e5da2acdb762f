"""The training vector cache: encodes each sentence once, across runs, and stores no pickle."""

import numpy as np

from narrascope.training.vectors import VectorCache


class CountingEncoder:
    """Deterministic 3-d vectors; remembers what it was asked to encode."""

    name = "counting"
    dim = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen += texts
        return np.array([[len(t), t.count(" "), 1.0] for t in texts], dtype=np.float32)


def test_vector_cache_encodes_each_sentence_once_across_runs(tmp_path):
    texts = ["Protests spread to Almaty.", "Troops arrived.", "Protests spread to Almaty."]
    first = CountingEncoder()
    vectors = VectorCache(tmp_path, first, prefix="t3_").vectors(texts)
    assert first.seen == sorted(set(texts), key=lambda t: VectorCache._key(t))
    assert vectors.shape == (3, 3) and vectors.dtype == np.float32
    assert np.array_equal(vectors[0], vectors[2])
    assert (tmp_path / "t3_counting.npz").is_file()

    second = CountingEncoder()  # a later training run: reads the file, encodes only the new one
    again = VectorCache(tmp_path, second, prefix="t3_").vectors([*texts, "Tokayev spoke."])
    assert second.seen == ["Tokayev spoke."]
    assert np.array_equal(again[:3], vectors)
    with np.load(tmp_path / "t3_counting.npz", allow_pickle=False) as stored:
        assert len(stored["keys"]) == 3


def test_vector_cache_of_no_texts_is_empty(tmp_path):
    assert VectorCache(tmp_path, CountingEncoder()).vectors([]).shape == (0, 3)
