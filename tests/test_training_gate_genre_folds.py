"""Training helpers the issue-15 benchmarks share with the trainers: the domain gate's rows
(`read_gate_data`) and genre's out-of-fold probabilities (`out_of_fold`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import narrascope.training.domain as domain_training
from narrascope.analyzers.domain import DOMAINS
from narrascope.analyzers.genre import document_cues
from narrascope.training import semeval2023
from narrascope.training.domain import Page, read_gate_data
from narrascope.training.genre import DocumentSet, out_of_fold
from narrascope.training.semeval2023 import GENRES

GREENHOUSE = ["Build a greenhouse from old windows.", "Tomatoes like it warm and damp."]
CAKE = ["Preheat the oven to 180 degrees.", "Mash three bananas with a fork."]


def test_gate_data_keeps_pages_naming_a_topic_only_when_asked(monkeypatch, tmp_path, encoder):
    pages = {"garden": [Page("garden", "g1", "outside", GREENHOUSE)]}
    pages["kitchen"] = [Page("kitchen", "k1", "outside", CAKE)]
    monkeypatch.setattr(domain_training, "CACHE", tmp_path)
    monkeypatch.setattr(domain_training, "read_split", lambda *a, **k: [])
    monkeypatch.setattr(
        domain_training, "negative_sources", lambda root: {s: iter(p) for s, p in pages.items()}
    )
    data = Path(tmp_path / "semeval2025_task10")
    fitted = read_gate_data(data, encoder=encoder)
    assert fitted.ids == ["kitchen/k1"] and fitted.dropped == {"garden": 1}
    assert fitted.names_topic.tolist() == [False]
    kept = read_gate_data(data, encoder=encoder, keep_topic_pages=True)
    assert kept.ids == ["garden/g1", "kitchen/k1"]
    assert kept.names_topic.tolist() == [True, False]  # "greenhouse" is on the keyword list
    assert kept.texts[0] == " ".join(GREENHOUSE)
    assert kept.x.shape == (2, 2 * encoder.dim)
    assert (kept.y == DOMAINS.index("outside")).all()


def test_genre_out_of_fold_scores_every_article_once_by_a_fold_that_never_saw_it(shared_data):
    t3 = shared_data / "semeval2023_task3"
    articles = semeval2023.read_articles(t3, "en", "train", 1)
    gold = semeval2023.read_genres(semeval2023.labels_path(t3, "en", "train", 1))
    ids = [a for a in sorted(articles) if gold.get(a) in GENRES]
    picked = _balanced(ids, gold, 8)
    texts = [[s.text for s in semeval2023.split_sentences(articles[a])] for a in picked]
    docs = DocumentSet(
        picked, ["en"] * len(picked), np.vstack([document_cues(t) for t in texts]), []
    )
    labels = [gold[a] for a in picked]
    raw, calibrated, held_out = out_of_fold(docs, labels, seed=7, folds=4)
    assert sorted(np.concatenate(held_out).tolist()) == list(range(len(picked)))
    assert np.allclose(raw.sum(axis=1), 1) and np.allclose(calibrated.sum(axis=1), 1)
    again = out_of_fold(docs, labels, seed=7, folds=4)
    assert np.allclose(again[1], calibrated)  # the fold seed alone decides the folds
    other = out_of_fold(docs, labels, seed=13, folds=4)[2]
    assert any(set(a) != set(b) for a, b in zip(held_out, other, strict=True))


def _balanced(ids: list[str], gold: dict[str, str], per_genre: int) -> list[str]:
    """The first `per_genre` articles of each genre, in id order."""
    return [a for g in GENRES for a in [i for i in ids if gold[i] == g][:per_genre]]
