"""`evaluate` reads the official dev layout and writes official-format predictions (issue 4)."""

from __future__ import annotations

import shutil

import pytest

from narrascope.training import narratives, roles
from narrascope.training.semeval2025 import read_mentions, read_narrative_labels

ARTICLES = ("EN_CC_100013.txt", "EN_UA_300009.txt")


@pytest.fixture(scope="module")
def dev_layout(shared_data, tmp_path_factory):
    """Two train articles laid out as the official dev release lays them out (in a temp dir)."""
    train = shared_data / "semeval2025_task10" / "train" / "EN"
    if not train.is_dir():
        pytest.skip("semeval2025_task10 not in ../shared/data")
    root = tmp_path_factory.mktemp("t10")
    lang = root / "dev" / "EN"
    for folder in ("subtask-1-documents", "subtask-2-documents"):
        (lang / folder).mkdir(parents=True)
        for name in ARTICLES:
            shutil.copy(train / "raw-documents" / name, lang / folder / name)
    for task in ("subtask-1-annotations.txt", "subtask-2-annotations.txt"):
        lines = (train / task).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line.split("\t")[0] in ARTICLES]
        (lang / task).write_text("\n".join(reversed(kept)) + "\n", encoding="utf-8")
    return root


def test_semeval2025_evaluate_narratives_on_dev_layout(dev_layout, tmp_path):
    report = narratives.evaluate(dev_layout, split="dev", predictions=tmp_path, cache_dir=None)
    written = read_narrative_labels(tmp_path / "EN" / "subtask-2-predictions.txt")
    assert set(written) == set(ARTICLES)
    assert all(p.narratives and p.subnarratives for p in written.values())
    assert 0.0 <= report.scores["EN_f1_fine_official"] <= 1.0


def test_semeval2025_evaluate_roles_on_dev_layout(dev_layout, tmp_path):
    report = roles.evaluate(dev_layout, split="dev", predictions=tmp_path, cache_dir=None)
    lang = dev_layout / "dev" / "EN"
    gold = read_mentions(lang / "subtask-1-annotations.txt", lang, split="dev")
    written = read_mentions(tmp_path / "EN" / "subtask-1-predictions.txt", lang, split="dev")
    assert [m.key for m in written] == [m.key for m in gold]
    assert all(
        m.main_role in {"Protagonist", "Antagonist", "Innocent"} and m.fine_roles for m in written
    )
    assert 0.0 <= report.scores["EN_emr"] <= report.scores["EN_main_accuracy"] <= 1.0
