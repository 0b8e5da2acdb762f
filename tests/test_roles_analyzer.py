"""The role analyzer on the Kazakhstan examples, with and without the entities analyzer (issue 4)."""

from __future__ import annotations

import pytest

from narrascope.analyzers.entities import EntityAnalyzer
from narrascope.analyzers.roles import RoleAnalyzer, find_names, name_features, read_taxonomy
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment

US_BLAMED = "003_4fa640b94b0919dd"  # "Massacre in Kazakhstan: the United States hit the 'soft underbelly' of Russia"


@pytest.fixture(scope="module")
def encoder():
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="module")
def article(examples_dir, encoder):
    path = examples_dir / f"{US_BLAMED}.txt"
    doc = segment(
        Document(text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en")
    )
    return doc, encoder.encode(doc.sentence_texts())


def _main_roles(anns):
    return {a.attrs["entity"]: a for a in anns if a.attrs["level"] == "main"}


def test_roles_united_states_is_cast_as_antagonist(article, encoder):
    doc, vectors = article
    entities = EntityAnalyzer.load().analyze(doc, vectors)
    anns = RoleAnalyzer.load(encoder).analyze(doc, vectors, prior=tuple(entities))
    roles = _main_roles(anns)
    us = roles["United States"]
    assert us.label == "Antagonist" and us.layer is Layer.ROLE and 0.5 < us.score <= 1.0
    assert us.attrs["entity_id"] and us.attrs["fine_roles"]
    assert all(doc.text[s:e] for s, e in us.evidence) and len(us.evidence) <= 3
    mentioned = {doc.sentences.index(span) for span in us.evidence}
    assert all(
        any(s <= m[0] < e for m in us.attrs["mentions"])
        for s, e in (doc.sentences[i] for i in mentioned)
    )
    fine = [a for a in anns if a.attrs["level"] == "fine" and a.attrs["entity"] == "United States"]
    parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
    assert fine and all(parents[a.label] == "Antagonist" for a in fine)


def test_roles_stand_in_finds_names_without_entities(article, encoder):
    doc, vectors = article
    names = {e.name for e in find_names(doc)}
    assert {"Russia", "CSTO", "Moscow"} <= names
    assert not any(n.startswith(("The ", "But ")) for n in names)
    anns = RoleAnalyzer.load(encoder).analyze(doc, vectors)
    assert "CSTO" in _main_roles(anns)


def test_roles_name_features_are_stable_and_normalised():
    a, b = name_features("NATO"), name_features("NATO")
    assert (a == b).all() and abs(float((a * a).sum()) - 1.0) < 1e-5
    assert float(a @ name_features("Vladimir Putin")) < 0.5
