"""Calibration: Platt and temperature recover a known miscalibration; ECE and operating points."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.heads import sigmoid, softmax
from narrascope.training import calibrate


def _miscalibrated(n: int = 6000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw scores sigmoid(z) of a label whose true probability is sigmoid(2z - 1)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    y = (rng.random(n) < sigmoid(2 * z - 1)).astype(float)
    return z, sigmoid(z), y


def test_calibrate_platt_recovers_slope_and_offset():
    _, raw, y = _miscalibrated()
    a, b = calibrate.fit_platt(raw, y)
    assert abs(a - 2) < 0.2 and abs(b + 1) < 0.15
    calibrated = calibrate.apply_platt(raw[:, None], np.array([a]), np.array([b]))
    before = calibrate.expected_calibration_error(raw, y)
    after = calibrate.expected_calibration_error(calibrated, y[:, None])
    assert before > 0.1 and after < 0.03


def test_calibrate_platt_folds_into_a_linear_head():
    rng = np.random.default_rng(1)
    x, w, bias = rng.normal(size=(50, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    a, b = np.array([1.7, 0.4]), np.array([-0.3, 0.8])
    folded_w, folded_b = calibrate.fold_platt(w, bias, a, b)
    expected = calibrate.apply_platt(sigmoid(x @ w + bias), a, b)
    assert np.allclose(sigmoid(x @ folded_w + folded_b), expected, atol=1e-5)


def test_calibrate_temperature_recovers_overconfidence_and_folds():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4000, 3)) * 3
    truth = np.array([rng.choice(3, p=softmax(row[None, :] / 3)[0]) for row in logits])
    t = calibrate.fit_temperature(softmax(logits), truth)
    assert abs(t - 3) < 0.3
    w, bias = np.eye(3), np.zeros(3)
    folded_w, folded_b = calibrate.fold_temperature(w, bias, t)
    assert np.allclose(softmax(logits @ folded_w + folded_b), softmax(logits / t), atol=1e-5)


def test_calibrate_operating_points_favour_precision_and_silence_hopeless_labels():
    _, raw, y = _miscalibrated(seed=3)
    a, b = calibrate.fit_platt(raw, y)
    p = calibrate.apply_platt(raw[:, None], np.array([a]), np.array([b]))
    hopeless = np.zeros_like(p)  # a label that is never above the floor
    cuts = calibrate.operating_points(np.hstack([p, hopeless]), np.stack([y, y], axis=1))
    assert 0.5 <= cuts[0] < 1 and cuts[1] > 1
    shown = calibrate.reliability(p, y[:, None], cuts[:1])
    at_half = calibrate.reliability(p, y[:, None], np.array([0.5]))
    assert shown.shown_precision >= at_half.shown_precision
    assert shown.ece < 0.03


def test_calibrate_cross_fit_judges_each_fold_by_the_others():
    _, raw, y = _miscalibrated(n=3000, seed=3)
    scores, truth = raw[:, None], y[:, None]
    folds = [np.arange(k, len(y), 3) for k in range(3)]
    crossed = calibrate.cross_fit_platt(scores, truth, folds)
    for k, held in enumerate(folds):
        rest = np.setdiff1d(np.arange(len(y)), held)
        a, b = calibrate.fit_platt_all(scores[rest], truth[rest])
        np.testing.assert_allclose(crossed.platt[k][0], a)
        np.testing.assert_allclose(
            crossed.calibrated[held], calibrate.apply_platt(scores[held], a, b)
        )
        cuts = calibrate.operating_points(crossed.calibrated[rest], truth[rest])
        assert (crossed.shown[held] == (crossed.calibrated[held] >= cuts)).all()
    found = crossed.reliability(truth)
    assert found.ece < 0.03 and found.shown_precision > 0.5
    assert (crossed.calibrated[crossed.shown] >= 0.5).all()


def test_calibrate_weighted_temperature_counts_rows_by_weight():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(3000, 3)) * 2
    y = np.array([rng.choice(3, p=p) for p in softmax(logits / 2)])
    doubled = np.vstack([logits, logits[:500]])
    weights = np.r_[np.ones(3000), np.zeros(500)]
    plain = calibrate.fit_temperature(softmax(logits), y)
    weighted = calibrate.fit_temperature(softmax(doubled), np.r_[y, y[:500]], weights=weights)
    assert abs(plain - 2) < 0.2 and abs(weighted - plain) < 1e-3


def test_calibrate_operating_points_respect_a_label_precision_floor():
    _, raw, y = _miscalibrated(seed=5)
    a, b = calibrate.fit_platt(raw, y)
    p = calibrate.apply_platt(raw[:, None], np.array([a]), np.array([b]))
    loose = calibrate.operating_points(p, y[:, None], beta=1.0, floor=0.05)
    strict = calibrate.operating_points(p, y[:, None], beta=1.0, floor=0.05, min_precision=0.8)
    assert loose[0] < strict[0] < 1
    shown = p[:, 0] >= strict[0]
    assert y[shown].mean() >= 0.8


def test_calibrate_nested_rule_speaks_where_the_half_floor_is_almost_silent():
    """A weak label (issue 15, techniques): rarely above 0.5, so F0.5 with floor 0.5 shows
    almost nothing; the rule chosen by nested CV shows more and still mostly right."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=6000)
    y = (rng.random(6000) < sigmoid(z - 2.5)).astype(float)[:, None]
    scores = sigmoid(z)[:, None]
    folds = [np.arange(k, len(y), 3) for k in range(3)]
    strict = calibrate.cross_fit_platt(scores, y, folds)
    chosen = calibrate.cross_fit_platt(scores, y, folds, rules=calibrate.RULES)
    assert len(chosen.rules) == 3 and all(r in calibrate.RULES for r in chosen.rules)
    before, after = strict.reliability(y), chosen.reliability(y)
    assert after.shown_recall > 2 * before.shown_recall
    assert after.shown_precision >= 0.35
    assert calibrate.micro_f_beta(chosen.shown, y) > calibrate.micro_f_beta(strict.shown, y)
    rule = calibrate.choose_rule(chosen.calibrated, y, folds)
    assert rule.floor < 0.5 and rule in calibrate.RULES


def test_calibrate_weighted_platt_and_ece_count_rows_by_weight():
    _, raw, y = _miscalibrated(seed=5)
    padded = np.r_[raw, raw[:700]]
    weights = np.r_[np.ones(len(raw)), np.zeros(700)]
    plain = calibrate.fit_platt(raw, y)
    weighted = calibrate.fit_platt(padded, np.r_[y, 1 - y[:700]], weights=weights)
    assert np.allclose(plain, weighted, atol=1e-6)  # rows of weight 0 change nothing
    doubled = calibrate.expected_calibration_error(padded, np.r_[y, y[:700]], weights=weights)
    assert doubled == pytest.approx(calibrate.expected_calibration_error(raw, y))
    # One weight per row of an (n, k) array counts for each of its k probabilities.
    rows = np.stack([raw, 1 - raw], axis=1)
    truth = np.stack([y, 1 - y], axis=1)
    assert calibrate.expected_calibration_error(
        rows, truth, weights=np.full(len(y), 3.0)
    ) == pytest.approx(calibrate.expected_calibration_error(rows, truth))


def test_calibrate_shown_platt_per_group_moves_only_shown_cells_towards_their_truth():
    rng = np.random.default_rng(6)
    n = 4000
    groups = np.array(["fr"] * (n // 2) + ["ru"] * (n // 2))
    p = rng.uniform(0.3, 0.9, size=(n, 2))
    # French shown cells are right less often than their scores say, Russian ones more often.
    truth_p = np.where((groups == "fr")[:, None], p - 0.2, np.minimum(p + 0.08, 1.0))
    y = (rng.random((n, 2)) < truth_p).astype(float)
    shown = p >= 0.5
    pairs = calibrate.fit_shown_platt_by_group(p, y, shown, list(groups), pooled_cells=10.0)
    assert set(pairs) == {"fr", "ru", calibrate.POOLED}
    mapped = calibrate.apply_shown_platt_by_group(p, shown, list(groups), pairs)
    assert np.array_equal(mapped[~shown], p[~shown])  # below the cut nothing moves
    for group in ("fr", "ru"):
        cells = shown & (groups == group)[:, None]
        before = calibrate.expected_calibration_error(p[cells], y[cells])
        after = calibrate.expected_calibration_error(mapped[cells], y[cells])
        assert before > 0.05 and after < 0.03
    unseen = calibrate.apply_shown_platt_by_group(p[:3], shown[:3], ["pl"] * 3, pairs)
    expected = calibrate.apply_platt(p[:3], *pairs[calibrate.POOLED])
    assert np.allclose(unseen[shown[:3]], expected[shown[:3]])


def test_calibrate_noise_floor_shrinks_with_rows_and_grows_with_weights():
    p = np.random.default_rng(7).uniform(0.05, 0.95, size=4000)
    few, many = calibrate.ece_noise_floor(p[:100]), calibrate.ece_noise_floor(p)
    assert 0.0 < many < few < 0.2
    lopsided = np.r_[np.full(100, 40.0), np.ones(3900)]  # 100 rows weigh half of the total
    assert calibrate.ece_noise_floor(p, weights=lopsided) > 1.5 * many
