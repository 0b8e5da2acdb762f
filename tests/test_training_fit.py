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


def test_fit_thresholds_come_from_the_one_grid_and_never_fire_unseen_labels():
    from narrascope.training.fit import THRESHOLD_GRID, UNSEEN, best_thresholds

    rng = np.random.default_rng(3)
    y = np.zeros((200, 3), dtype=np.float32)
    y[:40, 0] = 1  # label 0: positives score high
    y[::10, 1] = 1  # label 1: scores carry no signal
    probabilities = rng.random((200, 3)).astype(np.float32) * 0.5
    probabilities[:40, 0] += 0.45
    cuts = best_thresholds(y, probabilities)
    on_grid = [bool(np.isclose(THRESHOLD_GRID, cut).any()) for cut in cuts[:2]]
    assert on_grid == [True, True]
    assert 0.45 <= cuts[0] <= 0.5  # splits the two groups cleanly
    assert cuts[2] == np.float32(UNSEEN)  # label 2 has no positive row


def test_fit_micro_thresholds_silence_a_label_that_only_adds_noise():
    from narrascope.training.fit import best_thresholds, micro_thresholds

    rng = np.random.default_rng(5)
    y = np.zeros((300, 2), dtype=np.float32)
    y[:150, 0] = 1
    y[::30, 1] = 1  # rare label the scores cannot find
    probabilities = np.column_stack([y[:, 0] * 0.6 + 0.2, rng.random(300) * 0.3])
    start = best_thresholds(y, probabilities)
    cuts = micro_thresholds(y, probabilities, start)
    assert (probabilities[:, 1] >= start[1]).any()  # its own best F1 fires on noise
    assert cuts[0] == start[0] and not (probabilities[:, 1] >= cuts[1]).any()


def test_fits_give_the_same_head_whatever_the_callers_blas_threads(shared_data):
    """Real input, no encoder: the hashed names of SemEval-2025 BG train mentions and their main
    roles. With two OpenBLAS threads the softmax fit came out different in its last bits (and
    the full role head by up to 0.005) from the same fit on one; now every fit pins one."""
    from threadpoolctl import threadpool_limits

    from narrascope.analyzers.roles import name_features
    from narrascope.training.fit import fit_logistic
    from narrascope.training.semeval2025 import (
        MAIN_ROLES,
        language_dirs,
        mention_files,
        read_mentions,
        read_offset_conventions,
    )

    data = shared_data / "semeval2025_task10"
    folder = language_dirs(data, "train")["BG"]
    gold, _ = mention_files(folder)
    assert gold is not None
    conventions = read_offset_conventions(data)
    mentions = [
        m
        for m in read_mentions(gold, folder, split="train", conventions=conventions)
        if m.main_role in MAIN_ROLES
    ]
    x = np.vstack([name_features(m.text) for m in mentions])
    y = np.array([MAIN_ROLES.index(str(m.main_role)) for m in mentions])
    heads = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            w, b = fit_softmax(x, y, range(len(MAIN_ROLES)), c=1.0, seed=13)
            wf, bf = fit_logistic(x, np.eye(len(MAIN_ROLES), dtype=np.int8)[y], c=1.0, seed=13)
        heads.append(w.tobytes() + b.tobytes() + wf.tobytes() + bf.tobytes())
    assert heads[0] == heads[1]


def test_training_runs_on_one_blas_thread(monkeypatch, tmp_path):
    """`narrascope train` takes no thread count from the environment or the machine."""
    import sys
    import types

    from threadpoolctl import threadpool_info, threadpool_limits

    from narrascope import training

    seen = []

    def fake_train(data, *, out, seed, folds):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return training.Report("fake")

    task = types.ModuleType("narrascope_fake_task")
    task.train = fake_train  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, task.__name__, task)
    monkeypatch.setitem(training.TASKS, "fake", task.__name__)
    with threadpool_limits(limits=2, user_api="blas"):
        training.train("fake", tmp_path, out=tmp_path)
    assert seen and set(seen) == {1}


def test_trained_date_follows_source_date_epoch(monkeypatch):
    """A retrain on another day writes the same bytes when SOURCE_DATE_EPOCH pins the date."""
    import datetime as dt

    from narrascope.training import trained_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1670371200")  # 2022-12-07 00:00 UTC
    assert trained_date() == "2022-12-07"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert trained_date() == dt.date.today().isoformat()
