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
            assert ann.model == NarrativeAnalyzer.version and len(ann.evidence) <= 3
            assert len({doc.text[s:e] for s, e in ann.evidence}) == len(ann.evidence)


def test_narratives_shown_only_at_a_probability_an_analyst_can_use(analyzed):
    """Issue 15: the shipped rule cuts on the blend but never shows a label whose calibrated
    probability (the stored score) is under its floor, itself at least 0.15."""
    analyzer = NarrativeAnalyzer.load(UniversalSentenceEncoder(threads=1))
    assert analyzer.floor >= 0.15
    assert all(own.floor >= 0.15 for own in analyzer.by_language.values())
    scores = [a.score for _, anns in analyzed.values() for a in anns if a.layer is not Layer.STATS]
    assert scores and min(scores) >= analyzer.for_language("en").floor


def test_narratives_english_article_read_by_the_english_head(analyzed):
    """narratives-v4 on: the T10 languages whose own head beats the pooled one by nested CV have
    a head of their own, used for their articles; Bulgarian (own head worse) or a language not
    known gets the pooled head, as narratives-v3 did (since narratives-v5 analysis reads no
    language outside the five: `test_narratives_read_only_their_training_languages`)."""
    encoder = UniversalSentenceEncoder(threads=1)
    analyzer = NarrativeAnalyzer.load(encoder)
    assert set(analyzer.by_language) == {"en", "hi", "pt", "ru"}
    english = analyzer.for_language("EN")
    assert english is not analyzer and analyzer.for_language("de") is analyzer
    assert analyzer.for_language("bg") is analyzer
    assert analyzer.for_language(None) is analyzer
    doc, anns = analyzed[US_BLAMED]
    vectors = encoder.encode(doc.sentence_texts())
    ours, _ = analyzer.decision(vectors, "en")
    assert ours == english.decision(vectors)[0]
    assert analyzer.decision(vectors, "de")[0] == analyzer.decision(vectors)[0]
    shown = {a.label for a in anns if a.layer is Layer.NARRATIVE}
    assert shown == set(ours.narratives) - {"Other"}


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


CAR_REVIEW = """The new BMW 3 Series Touring is a practical estate with a sporty drive.
We took the 330e plug-in hybrid on a 400-kilometre test drive through the Bavarian Alps.
The steering is precise, the eight-speed automatic shifts smoothly and the cabin is quiet at motorway speeds.
Boot space shrinks slightly because of the battery, but the rear seats still fold flat.
Fuel consumption averaged 5.8 litres per 100 kilometres over our route.
Prices start at 52,000 euros, and the M Sport package adds larger wheels and firmer suspension.
Verdict: a comfortable, well-built family car that is also fun on a winding road."""

RECIPE = """Classic banana bread with walnuts.
Preheat the oven to 180 degrees and butter a loaf tin.
Mash three ripe bananas in a bowl with a fork until smooth.
Stir in melted butter, brown sugar, one egg and a teaspoon of vanilla extract.
Fold in the flour, baking soda and a pinch of salt, then add chopped walnuts.
Pour the batter into the tin and bake for about 60 minutes, until a skewer comes out clean.
Let it cool for ten minutes before slicing; it keeps for three days wrapped in foil."""


@pytest.mark.parametrize("text", [CAR_REVIEW, RECIPE], ids=["car review", "recipe"])
def test_narratives_abstain_outside_the_taxonomy(text):
    """Issue 15: a page about neither the war in Ukraine nor climate change gets no narrative,
    but one note saying why, with the gate's probability."""
    encoder = UniversalSentenceEncoder(threads=1)
    doc = segment(Document(text=text, source=SourceRef("page"), language="en"))
    anns = NarrativeAnalyzer.load(encoder).analyze(doc, encoder.encode(doc.sentence_texts()))
    assert [a.layer for a in anns] == [Layer.STATS]
    note = anns[0]
    assert note.label == "not-analyzed" and note.attrs["analyzer"] == "narratives"
    assert note.attrs["reason"].startswith(
        "outside the taxonomy (war in Ukraine, climate change): p="
    )
    assert note.evidence and doc.text[slice(*note.evidence[0])].strip()


@pytest.mark.parametrize("rows", [64, 200])
def test_narratives_scored_in_blocks_equal_one_pass_bit_for_bit(analyzed, rows):
    """Issue 18: the sentences of a long document are scored a block of rows at a time; the
    article's scores, each sentence's support and so every label and its evidence are those of
    one pass over the whole matrix."""
    import numpy as np

    from narrascope.analyzers.domain import article_features
    from narrascope.analyzers.narratives import OTHER, sentence_features
    from narrascope.heads import apply_platt

    encoder = UniversalSentenceEncoder(threads=1)
    analyzer = NarrativeAnalyzer.load(encoder)
    doc = segment(
        Document(
            text="\n\n".join(doc.text for doc, _ in analyzed.values()),
            source=SourceRef("five"),
            language="en",
        )
    )
    vectors = encoder.encode(doc.sentence_texts()).astype(np.float16).astype(np.float32)
    assert analyzer.blend > 0 and len(vectors) > 2 * rows
    # One pass, as the analyzer scored before issue 18.
    w = np.where(np.array(analyzer.head.labels) == OTHER, 0.0, analyzer.blend)
    similar = analyzer.definitions.score(vectors)
    article = analyzer.head.score(article_features(vectors))[0]
    article = (1 - w) * article + w * similar.max(axis=0)
    support = (1 - w) * analyzer.head.score(sentence_features(vectors)) + w * similar
    article = apply_platt(article, analyzer.platt_a, analyzer.platt_b)
    labels = analyzer.analyze(doc, vectors)
    assert any(a.layer is Layer.NARRATIVE for a in labels)
    for block_rows in (analyzer.block_rows, rows):
        analyzer.block_rows = block_rows
        got_article, got_support = analyzer.scores(vectors)
        assert np.array_equal(got_article, article) and np.array_equal(got_support, support)
        assert got_support.dtype == support.dtype
        assert analyzer.analyze(doc, vectors) == labels


SPANISH_WAR = (
    "Las tropas rusas lanzaron anoche un nuevo ataque con misiles contra Kiev y Járkov. "
    "El presidente ucraniano, Volodímir Zelenski, pidió a Occidente más defensas antiaéreas. "
    "Según el Kremlin, la operación militar especial continuará hasta cumplir sus objetivos. "
    "Moscú acusa a la OTAN de prolongar la guerra con el envío de armas a Ucrania. "
    "Putin afirmó que Rusia no tiene otra opción que defender a la población del Donbás."
)


def test_narratives_read_only_their_training_languages(tmp_path):
    """#15: held out of training, a T10 language's shown narratives were right 0.34 of the time
    (0.43 in-language) at scores off by 0.14 (English 0.21); a Spanish article on Belarus got
    "URW: Discrediting Ukraine 0.40". narratives-v5 reads only the five training languages the
    encoder reads: a Spanish article about the war gets no narrative but a "not analyzed"
    note, and the same heads without the limit do label it."""
    from narrascope import pipeline
    from narrascope.store import Store

    encoder = UniversalSentenceEncoder(threads=1)
    analyzer = NarrativeAnalyzer.load(encoder)
    assert analyzer.languages == frozenset({"en", "pt", "ru"})  # USE reads neither bg nor hi
    assert "es" in encoder.languages
    doc = segment(Document(text=SPANISH_WAR, source=SourceRef("noticia"), language="es"))
    vectors = encoder.encode(doc.sentence_texts())
    assert analyzer.analyze(doc, vectors) == []
    analyzer.languages = None  # the language limit is what keeps it silent
    assert any(a.layer is Layer.NARRATIVE for a in analyzer.analyze(doc, vectors))

    (tmp_path / "noticia.txt").write_text(SPANISH_WAR, encoding="utf-8")
    with Store.open(tmp_path / "es.db") as store:
        pipeline.analyze([str(tmp_path / "noticia.txt")], store, only=["stats", "narratives"])
        (stored,) = store.documents()
        assert stored.language == "es"
        anns = list(store.annotations(stored.id))
    assert not any(a.layer in (Layer.NARRATIVE, Layer.SUBNARRATIVE) for a in anns)
    (note,) = [a for a in anns if a.attrs.get("analyzer") == "narratives"]
    assert note.label == "not-analyzed" and "'es'" in note.attrs["reason"]
