"""Reader for CLEF CheckThat! 2024 Task 1 (English check-worthiness) and its official metric.

The release holds `CT24_checkworthy_english/CT24_checkworthy_english_<split>.tsv` for the
splits `train`, `dev` and `dev-test` (the test gold is kept apart). Each file is a TSV with the
header `Sentence_id  Text  class_label`, `Yes` meaning check-worthy. Sentences come from US
presidential debates and speeches.

Quirk handled here: the files parse as 3 columns with no quoting, but a text holding a comma or
a quotation mark was written CSV-quoted (`"Now, let's…"`, inner quotes doubled), so such a text
is unquoted here. Rows are keyed by `Sentence_id`, never by row order.

Also here: `groups`, the blocks of neighbouring sentence ids used as cross-validation groups
(ids run in transcript order, so a block is a stretch of one debate).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLITS: tuple[str, ...] = ("train", "dev", "dev-test", "test")
POSITIVE = "Yes"
FOLDER = "CT24_checkworthy_english"
GROUP_SIZE = 500  # ids per cross-validation group: one stretch of a transcript


@dataclass(frozen=True, slots=True)
class Sentence:
    """One labelled sentence: its id in the release, its text and whether it is check-worthy."""

    id: str
    text: str
    label: str  # "Yes" | "No"

    @property
    def positive(self) -> bool:
        return self.label == POSITIVE


def split_path(data: Path, split: str) -> Path:
    """The TSV file of `split` under the dataset folder `data` (or its `CT24_…` subfolder)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")
    name = f"CT24_checkworthy_english_{split}.tsv"
    for candidate in (data / FOLDER / name, data / name):
        if candidate.is_file():
            return candidate
    if split == "test":
        name = "CT24_checkworthy_english_test_gold.tsv"
        for candidate in (data / FOLDER / name, data / name):
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"{data}: no {name} (looked in {FOLDER}/ and the folder itself)")


def unquote(text: str) -> str:
    """A text as spoken: CSV quoting (outer quotes, doubled inner quotes) removed."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return text


def read_tsv(path: Path) -> list[Sentence]:
    """Every row of a CheckThat! TSV (`Sentence_id`, `Text`, optional `class_label`)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if not header or header[0].strip() != "Sentence_id":
            raise ValueError(f"{path}: expected a `Sentence_id  Text  class_label` header")
        sentences = []
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) < 2:
                raise ValueError(f"{path}:{line}: expected 3 tab-separated columns")
            label = row[2].strip() if len(row) > 2 else ""
            sentences.append(Sentence(row[0].strip(), unquote(row[1].strip()), label))
    return sentences


def read_split(data: Path, split: str) -> list[Sentence]:
    """The sentences of `split` (`train`, `dev`, `dev-test`)."""
    return read_tsv(split_path(data, split))


def groups(sentences: Sequence[Sentence]) -> list[str]:
    """A cross-validation group per sentence: the block of `GROUP_SIZE` ids it falls in."""
    return [
        str(int(s.id) // GROUP_SIZE) if s.id.isdigit() else s.id.split("_")[0] for s in sentences
    ]


def positive_f1(gold: Sequence[bool] | np.ndarray, predicted: Sequence[bool] | np.ndarray) -> float:
    """The task's official score: F1 of the positive class ("Yes"); 0 when it is never right."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
