"""PolNeAR: the reader on real files, and the attribution scorer on hand-made cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrascope.training import TASKS
from narrascope.training.polnear import (
    Article,
    Attribution,
    evaluate,
    match_spans,
    read_ann,
    read_split,
    score,
    write_ann,
)

TEXT = "Morris says the campaign will “compete vigorously.” Smith said nothing new."
# TEXT[0:6] "Morris", [7:11] "says", [12:51] "the campaign … vigorously.”", [52:74] "Smith …"


def _gold() -> Article:
    return Article(
        "case",
        TEXT,
        [Attribution(((12, 51),), ((7, 11),), ((0, 6),))],
    )


def test_polnear_scorer_exact_and_partial():
    exact = Attribution(((12, 50),), ((7, 11),), ((0, 6),))  # trailing quote mark trimmed
    scores = score([(_gold(), [exact])])
    assert scores["content_exact_f1"] == 1.0 and scores["source_exact_f1"] == 1.0
    assert scores["relation_partial_f1"] == 1.0

    partial = Attribution(((31, 50),), ((7, 11),), None)  # only the quoted words, no source
    scores = score([(_gold(), [partial])])
    assert scores["content_exact_f1"] == 0.0 and scores["content_partial_f1"] == 1.0
    assert scores["source_partial_r"] == 0.0 and scores["relation_partial_f1"] == 0.0

    spurious = Attribution(((52, 74),), ((58, 62),), ((52, 57),))
    scores = score([(_gold(), [exact, spurious])])
    assert scores["content_partial_p"] == 0.5 and scores["content_partial_r"] == 1.0
    assert scores["content_partial_f1"] == pytest.approx(2 / 3)


def test_polnear_matching_is_one_to_one():
    gold = [((0, 10),)]
    pred = [((0, 5),), ((5, 10),)]
    counts = match_spans("x" * 20, gold, pred, exact=False)
    assert (counts.matched_pred, counts.matched_gold, counts.pred, counts.gold) == (1, 1, 2, 1)


def test_polnear_ann_round_trip(tmp_path: Path):
    attributions = [
        Attribution(((12, 51),), ((7, 11),), ((0, 6),)),
        Attribution(((52, 60), (62, 74)), ((58, 62),), None),
    ]
    path = tmp_path / "case.ann"
    write_ann(path, TEXT, attributions)
    assert read_ann(path) == attributions


def test_polnear_task_registered():
    assert TASKS["quotes"] == "narrascope.training.polnear"


def test_polnear_reader_on_real_files(shared_data: Path):
    articles = read_split(shared_data / "polnear", "train", limit=5)
    assert len(articles) == 5
    for article in articles:
        assert article.attributions
        for attribution in article.attributions:
            for role in ("content", "cue", "source"):
                for start, end in attribution.role(role) or ():
                    assert 0 <= start < end <= len(article.text)
    first = articles[0]
    assert first.name == "breitbart_2015-11-11_the-ninth-circle-the-hellish-vie"
    assert first.text[110:112] == "we"
    assert any(a.source == ((110, 112),) for a in first.attributions)


def test_polnear_evaluate_small_sample(shared_data: Path, tmp_path: Path):
    report = evaluate(shared_data / "polnear", split="train", predictions=tmp_path, limit=3)
    assert report.task == "quotes"
    assert 0.0 < report.scores["content_partial_f1"] <= 1.0
    assert len(list(tmp_path.glob("*_pred.ann"))) == 3
