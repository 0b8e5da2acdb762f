"""The softmax calibration maps: what they recover, and that folding one into a linear head
gives the probabilities `apply` gives (#15)."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.heads import softmax
from narrascope.training.calibrate import fit_temperature
from narrascope.training.softmax_maps import MAP_KINDS, cross_fitted_map, fit_softmax_map


@pytest.fixture
def skewed():
    """Logits whose true probabilities need a slope and a bias per class (a 70% class)."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4000, 3)) * 3
    truth = softmax(z * np.array([0.4, 0.6, 0.3]) + np.array([0.0, 1.0, -1.0]))
    y = np.array([rng.choice(3, p=p) for p in truth])
    return z, y


def test_softmax_maps_vector_scaling_recovers_slope_and_bias_per_class(skewed):
    z, y = skewed
    found = fit_softmax_map(z, y, "vector")
    assert np.allclose(found.slope, [0.4, 0.6, 0.3], atol=0.08)
    assert np.allclose(found.bias, [0.0, 1.0, -1.0], atol=0.15)


def test_softmax_maps_temperature_is_the_shared_fit(skewed):
    z, y = skewed
    found = fit_softmax_map(z, y, "temperature")
    assert np.allclose(found.slope, 1.0 / fit_temperature(softmax(z), y))
    assert not found.bias.any() and "temperature" in found.info()


@pytest.mark.parametrize("kind", MAP_KINDS)
def test_softmax_maps_fold_into_a_linear_head(skewed, kind):
    z, y = skewed
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 8))
    weights, bias = rng.normal(size=(8, 3)), rng.normal(size=3)
    found = fit_softmax_map(z, y, kind)
    folded_w, folded_b = found.fold(weights, bias)
    assert np.allclose(softmax(x @ folded_w + folded_b), found.apply(x @ weights + bias), atol=1e-5)


def test_softmax_maps_bias_lowers_the_log_loss_of_a_skewed_class(skewed):
    z, y = skewed
    held_out = [np.arange(k, len(y), 4) for k in range(4)]
    rows = np.arange(len(y))

    def loss(kind: str) -> float:
        p = cross_fitted_map(z, y, held_out, kind)
        return float(-np.log(p[rows, y]).mean())

    assert loss("vector") < loss("temperature+bias") < loss("temperature")


def test_softmax_maps_refuse_an_unknown_kind(skewed):
    with pytest.raises(ValueError, match="unknown softmax map"):
        fit_softmax_map(*skewed, "matrix")
