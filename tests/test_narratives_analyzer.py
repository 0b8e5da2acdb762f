"""The narrative analyzer on the Kazakhstan examples: labels that fit, with evidence from the article."""

from __future__ import annotations

import pytest

from narrascope.analyzers.narratives import NarrativeAnalyzer, read_taxonomy
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment

US_BLAMED = "003_4fa640b94b0919dd"  # "Massacre in Kazakhstan: the United States hit the 'soft underbelly' of Russia"


@pytest.fixture(scope="module")
def analyzed(examples_dir):
    encoder = UniversalSentenceEncoder(threads=1)
    analyzer = NarrativeAnalyzer.load(encoder)
    out = {}
    for path in sorted(examples_dir.glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        out[path.stem] = (doc, analyzer.analyze(doc, encoder.encode(doc.sentence_texts())))
    return out


def test_narratives_article_blaming_the_us_discredits_the_west(analyzed):
    doc, anns = analyzed[US_BLAMED]
    west = [a for a in anns if a.label == "URW: Discrediting the West, Diplomacy"]
    assert west and west[0].layer is Layer.NARRATIVE and 0.3 < west[0].score < 0.9
    evidence = " ".join(doc.text[s:e] for s, e in west[0].evidence)
    assert "American" in evidence or "United States" in evidence or "US " in evidence


def test_narratives_stay_in_one_domain_and_keep_the_hierarchy(analyzed):
    for doc, anns in analyzed.values():
        narratives = {a.label for a in anns if a.layer is Layer.NARRATIVE}
        assert all(label.startswith("URW: ") for label in narratives), narratives
        for sub in (a for a in anns if a.layer is Layer.SUBNARRATIVE):
            assert sub.attrs["parent"] in narratives
        for ann in anns:
            assert ann.model == "narratives-v1" and len(ann.evidence) <= 3
            assert len({doc.text[s:e] for s, e in ann.evidence}) == len(ann.evidence)


def test_narratives_taxonomy_defines_every_label():
    taxonomy = read_taxonomy()
    assert len([t for t in taxonomy if t.level == "narrative"]) == 22
    assert all(t.definition and t.definition.endswith(".") for t in taxonomy)
    assert {t.parent for t in taxonomy if t.level == "subnarrative"} <= {t.label for t in taxonomy}


def test_narratives_definition_view_recognises_its_own_definitions():
    """Regression: a transposed (Fortran-order) array was once saved scrambled (#4)."""
    encoder = UniversalSentenceEncoder(threads=1)
    analyzer = NarrativeAnalyzer.load(encoder)
    by_label = {t.label: t for t in read_taxonomy()}
    label = "URW: Distrust towards Media: Western media is an instrument of propaganda"
    vectors = encoder.encode([by_label[label].definition])
    scores = analyzer.definitions.score(vectors)[0]
    assert analyzer.definitions.labels[int(scores.argmax())] == label
