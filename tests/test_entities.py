"""Entities: one entity per referent within an article, on the example corpus and in Russian."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from narrascope.analyzers.entities import EntityAnalyzer, merge_hyphenated, tidy_mentions
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.text.names import clean_name, corpus_entity_ids, entity_id, person_gender

NO_VECTORS = np.zeros((0, 512), dtype=np.float32)


@pytest.fixture(scope="module")
def analyzer() -> EntityAnalyzer:
    return EntityAnalyzer.load()


def _doc(text: str, language: str = "en") -> Document:
    return segment(Document(text=text, source=SourceRef("test"), language=language))


def _example(examples_dir, stem: str) -> Document:
    return _doc((examples_dir / f"{stem}.txt").read_text(encoding="utf-8"))


def _entities(doc: Document, analyzer: EntityAnalyzer) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    anns = analyzer.analyze(doc, NO_VECTORS)
    assert len({(a.start, a.end) for a in anns}) == len(anns), "a mention emitted twice"
    for ann in anns:
        assert ann.layer == Layer.ENTITY and ann.model == EntityAnalyzer.version
        assert set(ann.attrs) >= {"entity", "entity_id", "aliases"}
        found.setdefault(ann.attrs["entity_id"], set()).add(doc.text[ann.start : ann.end])
    return found


def test_entities_canonical_id_is_one_function_for_spellings():
    assert entity_id("Antony Blinken", label="PER") == "a-blinken"
    assert entity_id("Anthony Blinken's", label="PER") == "a-blinken"
    assert entity_id("Mrs Zakharova", label="PER") == "zakharova"
    assert entity_id("Мария Захарова", label="PER") == "m-zakharova"
    assert entity_id("the U.S.", label="LOC") == entity_id("United States")
    assert clean_name("Secretary of State Antony Blinken’s", label="PER") == "Antony Blinken"


def test_entities_corpus_ids_join_surname_only_mentions():
    mapping = corpus_entity_ids(["blinken", "a-blinken", "psaki", "j-psaki", "x-psaki", "nato"])
    assert mapping["blinken"] == "a-blinken" and mapping["a-blinken"] == "a-blinken"
    assert mapping["psaki"] == "psaki"  # two full names with that surname: ambiguous
    assert mapping["nato"] == "nato"


def test_entities_gender_guess():
    assert person_gender("Maria Zakharova") == "f"
    assert person_gender("Mr Smith") == "m"
    assert person_gender("Gennady Zyuganov") == "m"
    assert person_gender("Josep Borrell") == "m"
    assert person_gender("Sam Rainsy") is None


def test_entities_merge_hyphenated_first_names():
    text = "President Kassym-Jomart Tokayev spoke."
    assert merge_hyphenated([(10, 16, "LOC"), (17, 31, "PER")], text) == [(10, 31, "PER")]
    assert merge_hyphenated([(10, 23, "PER")], text) == [(10, 31, "PER")]


def test_entities_a_name_ends_at_a_table_border_or_a_link():
    # Spans the tagger gave on a real sports page whose stats table reached the text.
    text = "Defensive Line | Pos | Player | Plays | DL | and CBs pic.twitter.com/I8NWz4blQC ok"
    link = text.index("CBs")
    spans = [(0, text.index("DL |") + 2, "ORG"), (link, text.index(" ok"), "ORG"), (0, 1, "ORG")]
    names = [m.text for m in tidy_mentions(spans, text)]
    assert names == ["Defensive Line", "CBs", "D"]


def test_entities_blinken_spellings_and_title_are_one_person(analyzer, examples_dir):
    found = _entities(_example(examples_dir, "000_8f4d98db21bab007"), analyzer)
    assert {"Antony Blinken", "Anthony Blinken", "the head of the American Foreign Ministry"} <= (
        found["a-blinken"]
    )
    assert {"Maria Zakharova", "Zakharova", "the Russian Foreign Affairs spokeswoman"} <= (
        found["m-zakharova"]
    )


def test_entities_the_head_alone_is_no_title(analyzer):
    """A real WSJ column: "hitting him in the head" is no mention of the quarterback (#15)."""
    doc = _doc(
        "It was the shot to the head heard round the world. In the closing seconds of last "
        "week's Browns-Steelers game in Cleveland, Browns defensive end Myles Garrett pulled "
        "off Steelers quarterback Mason Rudolph's helmet. Mr. Garrett then swung it at "
        "Mr. Rudolph, hitting him in the head."
    )
    mentions = {m for found in _entities(doc, analyzer).values() for m in found}
    assert "the head" not in mentions


def test_entities_surname_joins_full_name(analyzer, examples_dir):
    found = _entities(_example(examples_dir, "003_4fa640b94b0919dd"), analyzer)
    assert found["j-psaki"] == {"Jennifer Psaki", "Psaki"}
    assert {"Nursultan Nazarbayev", "Nazarbayev"} <= found["n-nazarbayev"]
    found = _entities(_example(examples_dir, "002_74977be9488212fe"), analyzer)
    assert {"Kassym-Jomart Tokayev", "Tokayev"} <= found["k-tokayev"]


def test_entities_acronym_joins_long_form(analyzer, examples_dir):
    found = _entities(_example(examples_dir, "004_09b1c19c16810eb5"), analyzer)
    assert {"NED", "National Endowment for Democracy"} <= found["ned"]
    assert {"CSTO", "Collective Security Treaty Organization"} <= found["csto"]


def test_entities_russian(analyzer):
    doc = _doc(
        "Официальный представитель МИД России Мария Захарова заявила, что госсекретарь США "
        "Энтони Блинкен пошутил. По словам Захаровой, Блинкену стоит помнить историю.",
        language="ru",
    )
    found = _entities(doc, analyzer)
    assert found["m-zakharova"] == {"Мария Захарова", "Захаровой"}
    assert found["e-blinken"] == {"Энтони Блинкен", "Блинкену"}
    by_name = {a.attrs["entity"] for a in analyzer.analyze(doc, NO_VECTORS)}
    assert "Мария Захарова" in by_name


def test_entities_empty_and_other_language(analyzer):
    assert analyzer.analyze(_doc(""), NO_VECTORS) == []
    assert analyzer.analyze(_doc("   \n  "), NO_VECTORS) == []


def _mentions(mentions) -> list[tuple[int, int, str, str]]:
    return [(m.start, m.end, m.label, m.normal) for m in mentions]


@pytest.mark.parametrize(("size", "margin"), [(20_000, 1_000), (3_000, 400)])
def test_entities_windowed_ner_finds_what_one_pass_finds(analyzer, examples_dir, size, margin):
    # Issue 18: a long article is read in windows so that NER memory stays bounded; on the five
    # examples put end to end (72,000 characters) it must find the very mentions one pass finds.
    from narrascope.analyzers.entities import find_in_windows
    from narrascope.text.segment import text_windows

    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(examples_dir.glob("*.txt")))
    windows = text_windows(text, size=size, margin=margin)
    assert len(windows) >= 4 and windows[0].keep_start == 0 and windows[-1].keep_end == len(text)
    assert all(a.keep_end == b.keep_start for a, b in itertools.pairwise(windows))
    assert max(w.end - w.start for w in windows) <= size + 4 * margin
    ner = analyzer.english
    one_pass = ner._find(text)
    assert len(one_pass) > 300
    assert _mentions(find_in_windows(ner._find, text, size=size, margin=margin)) == _mentions(
        one_pass
    )


def test_entities_windowed_russian_ner_finds_what_one_pass_finds(analyzer, shared_data):
    from narrascope.analyzers.entities import find_in_windows

    folder = shared_data / "semeval2025_task10" / "train" / "RU" / "raw-documents"
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))[:12])
    ner = analyzer.russian
    one_pass = ner._find(text)
    assert len(one_pass) > 100
    assert _mentions(find_in_windows(ner._find, text, size=5_000, margin=500)) == _mentions(
        one_pass
    )


def test_entities_russian_morphology_only_where_names_are(analyzer, shared_data, monkeypatch):
    # Issue 15: natasha's morphology (5x the NER's cost) runs only on the chunks of sentences
    # that hold a name; the lemmas must be those of tagging every sentence.
    from narrascope.analyzers.entities import NatashaNER

    class EverySentence(NatashaNER):
        def _tag_morph(self, nat) -> None:
            nat.tag_morph(self.morph)

    ner = analyzer.russian
    every = EverySentence(ner.segmenter, ner.tagger, ner.morph, ner.vocab)
    folder = shared_data / "semeval2025_task10" / "train" / "RU" / "raw-documents"
    for path in sorted(folder.glob("*.txt"))[:6]:
        text = path.read_text(encoding="utf-8")
        assert _mentions(ner(text)) == _mentions(every(text))

    filler = "Погода была тёплой, и дети долго гуляли во дворе. " * 40  # no name
    text = filler + "По словам Захаровой, Блинкену стоит помнить историю. " + filler
    tagged: list[int] = []
    tag = ner.morph.map
    monkeypatch.setattr(ner.morph, "map", lambda items: tagged.append(len(items)) or tag(items))
    found = _mentions(ner(text))
    morphology_calls = list(tagged)
    assert "Захарова" in {normal for *_, normal in found}
    assert found == _mentions(every(text))
    assert morphology_calls and sum(morphology_calls) <= 8  # one chunk of 81 sentences
