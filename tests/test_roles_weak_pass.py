"""Roles on an article the domain gate passes only because it names a topic (#15): there an entity
is cast only when its own sentences, or their neighbours, name the war in Ukraine or climate
change. The text is built after a real Reuters story on a map of Saturn's moon Titan, which
passed the gate by saying "the moon's frigid climate" once, and on which the accurate role head
cast NASA and the Jet Propulsion Laboratory as Antagonists."""

from __future__ import annotations

import pytest

from narrascope.analyzers.domain import DomainGate, Verdict
from narrascope.analyzers.roles import RoleAnalyzer, entities_from, topic_near
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.text import segment

TITAN = (
    "NASA scientists have released the first global geologic map of Titan, Saturn's largest "
    "moon. The map shows dunes, lakes and plains of organic material across the surface. "
    "Titan is the only world besides Earth known to have liquid on its surface. "
    "There the liquid is methane, which falls as rain in the moon's frigid climate. "
    "The Dragonfly mission will launch in 2027 to explore the surface. "
    "Dragonfly will fly from site to site to sample the organic material. "
    "Rosaly Lopes of the Jet Propulsion Laboratory led the mapping team for NASA."
)


class KeywordPass:
    """A gate that passes every article only by its keyword rule, as the real gate passed the
    Titan story (P(inside) under the learned cut, the text naming a topic)."""

    def verdict(self, vectors, text: str = "") -> Verdict:
        return Verdict("CC", 0.31, True, by_topic_word=True)

    note = staticmethod(DomainGate.note)


class LearnedPass(KeywordPass):
    """A gate that passes every article over its learned cut."""

    def verdict(self, vectors, text: str = "") -> Verdict:
        return Verdict("CC", 0.93, True)


@pytest.fixture(scope="module")
def encoder():
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="module")
def titan(encoder):
    doc = segment(Document(text=TITAN, source=SourceRef("titan.txt"), language="en"))
    return doc, encoder.encode(doc.sentence_texts())


def _mentions(doc: Document, *names: tuple[str, str]) -> tuple[Annotation, ...]:
    """Entity-layer mentions of every occurrence of each (name, type) in `doc`."""
    found = []
    for name, label in names:
        at = doc.text.find(name)
        while at >= 0:
            attrs = {"entity": name, "entity_id": f"{label}:{name}"}
            found.append(
                Annotation(doc.id, Layer.ENTITY, label, "test", at, at + len(name), attrs=attrs)
            )
            at = doc.text.find(name, at + 1)
    return tuple(found)


ACTORS = (
    ("NASA", "ORG"),
    ("Titan", "LOC"),
    ("Dragonfly", "ORG"),
    ("Jet Propulsion Laboratory", "ORG"),
)


def test_topic_near_reads_the_mention_sentences_and_their_neighbours(titan):
    doc, _ = titan
    assert len(doc.sentences) == 7
    assert topic_near(doc.text, doc.sentences, [3])  # "the moon's frigid climate"
    assert topic_near(doc.text, doc.sentences, [4]) and topic_near(doc.text, doc.sentences, [2])
    assert not topic_near(doc.text, doc.sentences, [0, 6])  # NASA's sentences
    assert not topic_near(doc.text, doc.sentences, [5, 6])
    assert topic_near(doc.text, doc.sentences, [5, 6], context=2)
    assert not topic_near(doc.text, doc.sentences, [])


def test_a_keyword_pass_casts_only_the_actors_near_a_topic_word(titan, encoder):
    doc, vectors = titan
    analyzer = RoleAnalyzer.load(encoder)
    actors = entities_from(_mentions(doc, *ACTORS))
    analyzer.gate = KeywordPass()
    near, notes = analyzer.castable(doc, vectors, actors)
    assert {e.name for e in near} == {"Titan", "Dragonfly"} and notes == []
    analyzer.gate = LearnedPass()  # over the learned cut: the rule does not apply
    near, notes = analyzer.castable(doc, vectors, actors)
    assert [e.name for e in near] == [e.name for e in actors] and notes == []


def test_a_keyword_pass_with_no_actor_near_a_topic_word_says_why(titan, encoder):
    doc, vectors = titan
    analyzer = RoleAnalyzer.load(encoder)
    analyzer.gate = KeywordPass()
    prior = _mentions(doc, ("NASA", "ORG"), ("Jet Propulsion Laboratory", "ORG"))
    (note,) = analyzer.analyze(doc, vectors, prior)
    assert note.layer is Layer.STATS and note.label == "not-analyzed"
    assert note.attrs["analyzer"] == "roles"
    assert "only by naming one (p=0.31)" in note.attrs["reason"]


def test_the_gate_says_when_it_passes_only_by_a_keyword(titan, encoder):
    """`by_topic_word` is exactly: inside, naming a topic, and under the learned cut."""
    doc, vectors = titan
    gate = DomainGate.load(encoder)
    verdict = gate.verdict(vectors, doc.text)
    assert verdict.by_topic_word == (verdict.inside and verdict.p_inside < gate.cut)
    plain = doc.text.replace("frigid climate", "frigid cold")
    assert not gate.verdict(vectors, plain).by_topic_word
    assert not gate.verdict(vectors).by_topic_word  # no text: no keyword rule
