"""The shared softmax fitter: columns in the caller's class order, unseen classes never chosen."""

import numpy as np

from narrascope.heads import softmax
from narrascope.training.fit import fit_softmax


def blobs(names, per=40, seed=0):
    rng = np.random.default_rng(seed)
    centres = {name: rng.normal(scale=4, size=5) for name in names}
    x = np.vstack([centres[n] + rng.normal(size=(per, 5)) for n in names])
    return x, [n for n in names for _ in range(per)]


def test_fit_softmax_orders_columns_as_asked_and_silences_unseen_classes():
    x, labels = blobs(["Doubt", "Smears", "Slogans"])
    classes = ["Slogans", "Flag_Waving", "Doubt", "Smears"]  # Flag_Waving never in the data
    weights, bias = fit_softmax(x, labels, classes, c=1.0, seed=13)
    assert weights.shape == (5, 4) and bias.shape == (4,)
    assert not weights[:, 1].any() and bias[1] == -20.0
    chosen = softmax(x @ weights + bias).argmax(axis=1)
    assert [classes[k] for k in chosen] == labels  # well separated: every row right


def test_fit_softmax_with_two_classes_gives_both_columns():
    x, labels = blobs(["Hero", "Victim"])
    weights, bias = fit_softmax(x, labels, ["Victim", "Hero", "Villain"], c=1.0, seed=1,
                                absent_bias=-10.0)  # fmt: skip
    probabilities = softmax(x @ weights + bias)
    assert bias[2] == -10.0
    assert [["Victim", "Hero", "Villain"][k] for k in probabilities.argmax(axis=1)] == labels
