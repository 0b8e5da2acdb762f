"""Readers of SemEval-2025 Task 10 on a few real train articles (skipped without ../shared/data)."""

from __future__ import annotations

import pytest

from narrascope.training.semeval2025 import (
    align_offsets,
    read_articles,
    read_mentions,
    read_narrative_labels,
    read_official_labels,
    read_offset_conventions,
    read_role_taxonomy,
)


@pytest.fixture(scope="module")
def t10(shared_data):
    root = shared_data / "semeval2025_task10"
    if not root.is_dir():
        pytest.skip("semeval2025_task10 not in ../shared/data")
    return root


def test_semeval2025_reads_narrative_labels(t10):
    labels = read_narrative_labels(t10 / "train" / "EN" / "subtask-2-annotations.txt")
    gold = labels["EN_CC_100013.txt"]
    assert gold.narratives == ("CC: Criticism of climate movement",)
    assert gold.subnarratives == (
        "CC: Criticism of climate movement: Ad hominem attacks on key activists",
    )
    assert len(labels) == 399


def test_semeval2025_reads_articles_with_unix_newlines(t10):
    articles = read_articles(t10 / "train" / "RU")
    assert len(articles) == 215
    assert all("\r" not in a.text for a in articles.values())
    assert articles["RU-URW-1080.txt"].language == "RU"


@pytest.mark.parametrize(
    ("lang", "article_id"),
    [("RU", "RU-URW-1080.txt"), ("EN", "EN_CC_100013.txt"), ("EN", "EN_UA_001032.txt")],
)
def test_semeval2025_mention_offsets_land_on_the_mention(t10, lang, article_id):
    """Plain, CRLF-rendered (RU) and UTF-16 (emoji) offsets all map onto our normalised text."""
    lang_dir = t10 / "train" / lang
    articles = read_articles(lang_dir)
    mentions = read_mentions(
        lang_dir / "subtask-1-annotations.txt",
        lang_dir,
        split="train",
        conventions=read_offset_conventions(t10),
    )
    mine = [m for m in mentions if m.article_id == article_id]
    assert mine and all(m.aligned for m in mine)
    for m in mine:
        assert articles[article_id].text[m.start : m.end] == m.text
        assert m.main_role in {"Protagonist", "Antagonist", "Innocent"} and m.fine_roles


def test_semeval2025_crlf_offsets_example_from_provenance():
    raw = "Title\nText about Ермак here."
    crlf_start = raw.replace("\n", "\r\n").index("Ермак")
    start, end, ok = align_offsets(raw, "Ермак", crlf_start, crlf_start + 4, convention="CRLF")
    assert ok and raw[start:end] == "Ермак"


def test_semeval2025_reads_official_lists_and_roles(t10):
    coarse, fine = read_official_labels(t10)
    assert len(coarse) == 22 and "Other" in coarse and "Other" in fine
    roles = read_role_taxonomy(t10 / "taxonomy" / "entity_framing_roles_taxonomy.json")
    assert list(roles) == ["Protagonist", "Antagonist", "Innocent"]
    assert sum(len(v) for v in roles.values()) == 22
