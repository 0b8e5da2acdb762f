"""CheckThat! 2024 Task 1 reader and its official metric (F1 of the positive class)."""

from __future__ import annotations

import pytest

from narrascope.training.checkthat import groups, positive_f1, read_split, split_path, unquote

DATASET = "clef2024_checkthat_task1_en"


@pytest.fixture(scope="module")
def data(shared_data):
    path = shared_data / DATASET
    if not path.is_dir():
        pytest.skip(f"{DATASET} is not in ../shared/data")
    return path


@pytest.mark.parametrize(
    ("split", "rows", "positives"),
    [("train", 22501, 5413), ("dev", 1032, 238), ("dev-test", 318, 108)],
)
def test_checkthat_reads_every_row(data, split, rows, positives):
    sentences = read_split(data, split)
    assert len(sentences) == rows
    assert sum(s.positive for s in sentences) == positives
    assert {s.label for s in sentences} == {"Yes", "No"}
    assert len({s.id for s in sentences}) == rows


def test_checkthat_unquotes_csv_quoted_texts(data):
    by_id = {s.id: s for s in read_split(data, "train")}
    assert by_id["19099"].text == (
        "Now, let's balance the budget and protect Medicare, Medicaid, education and the "
        "environment."
    )
    assert by_id["19099"].label == "No"
    assert 'after "read my lips" and 15 million new jobs' in by_id["14683"].text
    assert by_id["14683"].positive
    assert not any('""' in s.text for s in by_id.values())


def test_checkthat_first_dev_test_rows(data):
    first = read_split(data, "dev-test")[:3]
    assert [(s.id, s.label) for s in first] == [("37436", "No"), ("37440", "No"), ("37463", "Yes")]
    assert first[2].text.startswith("They're able to charge women more")


def test_checkthat_unknown_split_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="unknown split"):
        split_path(tmp_path, "validation")
    with pytest.raises(FileNotFoundError, match=r"CT24_checkworthy_english_dev\.tsv"):
        split_path(tmp_path, "dev")


def test_checkthat_unquote_leaves_plain_texts():
    assert unquote('"a, b"') == "a, b"
    assert unquote('"He said ""no"" twice."') == 'He said "no" twice.'
    assert unquote('He said "no"') == 'He said "no"'
    assert unquote('"one" and "two"') == '"one" and "two"'  # not one CSV field


def test_checkthat_groups_are_blocks_of_ids(data):
    sentences = read_split(data, "train")[:50]
    assert groups(sentences) == [str(int(s.id) // 500) for s in sentences]


@pytest.mark.parametrize(
    ("gold", "predicted", "f1"),
    [
        ([True, True, False, False], [True, False, True, False], 0.5),  # tp1 fp1 fn1
        ([True, True, True, False], [True, True, True, True], 6 / 7),  # tp3 fp1
        ([True, False], [False, False], 0.0),  # nothing predicted
        ([False, False], [False, False], 0.0),  # no positive at all
        ([True, False, True], [True, False, True], 1.0),
    ],
)
def test_checkthat_positive_f1_hand_cases(gold, predicted, f1):
    assert positive_f1(gold, predicted) == pytest.approx(f1)


def test_checkthat_positive_f1_refuses_unpaired_rows():
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        positive_f1([True, False], [True])
