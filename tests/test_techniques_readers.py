"""Readers of the SemEval-2023 Task 3 and PTC layouts, on a few real labelled articles."""

from __future__ import annotations

import pytest

from narrascope.training import ptc, semeval2023
from narrascope.training.semeval2023 import _crlf_to_lf


@pytest.fixture(scope="module")
def t3(shared_data):
    path = shared_data / "semeval2023_task3"
    if not path.is_dir():
        pytest.skip("semeval2023_task3 not in ../shared/data")
    return path


@pytest.fixture(scope="module")
def ptc_data(shared_data):
    path = shared_data / "semeval2020_task11_ptc"
    if not path.is_dir():
        pytest.skip("semeval2020_task11_ptc not in ../shared/data")
    return path


def test_semeval2023_reads_languages_and_label_lists(t3):
    assert {"en", "ru"} <= set(semeval2023.languages(t3))
    assert semeval2023.languages(t3 / "data" / "ru") == ["ru"]
    listed = (t3 / "scorers" / "techniques_subtask3.txt").read_text().split()
    assert tuple(listed) == semeval2023.TECHNIQUES
    assert tuple((t3 / "scorers" / "frames_subtask2.txt").read_text().split()) == semeval2023.FRAMES


def test_semeval2023_spans_and_sentences_of_an_english_article(t3):
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    article = {"111111111": articles["111111111"]}
    spans = semeval2023.read_spans(t3, "en", "train", article)["111111111"]
    text = article["111111111"].text
    assert ("Doubt", 149, 157) in spans and text[149:157] == "appeared"
    sentences = semeval2023.split_sentences(article["111111111"])
    semeval2023.label_sentences(sentences, spans)
    authority = [s for s in sentences if "Appeal_to_Authority" in s.techniques]
    assert authority[0].line == 5
    assert "The next transmission could be more pronounced" in authority[0].text


def test_semeval2023_russian_crlf_offsets_are_mapped_to_lf(t3):
    articles = semeval2023.read_articles(t3, "ru", "train", 3)
    one = {"241": articles["241"]}
    lines = semeval2023.read_line_labels(semeval2023.labels_path(t3, "ru", "train", 3))
    spans = semeval2023.read_spans(t3, "ru", "train", one, lines)["241"]
    text = one["241"].text
    assert any(t == "Slogans" and text[a:b] == "это — демократы!" for t, a, b in spans)
    assert lines[("241", 5)] == [
        "Doubt",
        "Loaded_Language",
        "Name_Calling-Labeling",
        "Repetition",
        "Slogans",
    ]


def test_semeval2023_genre_and_frame_files(t3):
    genres = semeval2023.read_genres(semeval2023.labels_path(t3, "en", "train", 1))
    frames = semeval2023.read_frames(semeval2023.labels_path(t3, "en", "train", 2))
    assert genres["833042063"] == "satire"
    assert "Political" in frames["833042063"]
    assert set(genres.values()) <= set(semeval2023.GENRES)


def test_semeval2023_crlf_offset_mapping():
    text = "ab\ncd\nef"
    crlf = text.replace("\n", "\r\n")
    for lf_offset, char in enumerate(text):
        if char != "\n":
            assert _crlf_to_lf(text, crlf.index(char)) == lf_offset


def test_ptc_reads_articles_and_labels(ptc_data):
    articles = ptc.read_ptc(ptc_data, "train")
    article = articles["111111111"]
    assert ("Appeal_to_Authority", 265, 323) in article.tc
    assert article.text[265:323] == "The next transmission could be more pronounced or stronger"
    assert (265, 323) in article.si
    assert {t for a in articles.values() for t, _, _ in a.tc} <= set(ptc.PTC_TECHNIQUES)


def test_ptc_label_map_covers_both_taxonomies():
    assert set(ptc.PTC_TO_T3) == set(ptc.PTC_TECHNIQUES)
    assert set(ptc.T3_TO_PTC) <= set(semeval2023.TECHNIQUES)
    assert ptc.T3_TO_PTC["Conversation_Killer"] == "Thought-terminating_Cliches"
    assert len(set(semeval2023.TECHNIQUES) - set(ptc.T3_TO_PTC)) == 5
