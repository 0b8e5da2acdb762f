"""One person, one entity (#17): split names joined within an article, a surname alone joined
to the corpus's one full name, and the merges an analyst can inspect (`narrascope entities`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from narrascope.analyzers.split_names import join_split_names
from narrascope.cli import app
from narrascope.corpus.entities import corpus_entities, member_ids
from narrascope.corpus.profiles import entity_profile
from narrascope.store import Store
from narrascope.text.names import alias_reason

runner = CliRunner()

ARTICLES = {
    "a.txt": "Kremlin talks\n\nVladimir Putin met the Kazakh leader in Moscow on Monday. "
    "Putin said the troops would leave soon. Mr Putin also praised the CSTO.",
    "b.txt": "Troops to leave\n\nThe Russian leader spoke again on Tuesday. Putin told reporters "
    "that the mission was over and that Putin would not send more troops.",
    "c.txt": "Brexit deal\n\nTheresa May said on Tuesday that Britain would leave. May added that "
    "the deal was good. Mrs May spoke to Theresa again in May.",
    "d.txt": "Two Smiths\n\nJohn Smith and Anna Smith spoke in London. Smith said nothing more.",
}


FILLER = (
    "\n\nThe regional council voted on Tuesday to close the old harbour bridge to lorries after "
    "engineers found cracks in two of its supports, a decision that will send heavy traffic "
    "through the town centre for at least a year.\n\nShop owners on the high street said they "
    "feared the noise and the fumes, while the council promised to pay for new crossings near "
    "the two primary schools on the diverted route."
)


def _spans(text, *words):
    out = []
    for word in words:
        start = text.index(word)
        out.append((start, start + len(word), "PER"))
    return out


def test_split_names_join_a_pair_written_side_by_side():
    text = "Theresa May said so. May added more. Mrs May spoke to Theresa again in May."
    may, theresa = text.index("May added"), text.index("Theresa again")
    tagged = [(may, may + 3, "PER"), (theresa, theresa + 7, "PER")]  # each tagged alone
    joined = join_split_names(tagged, text)
    assert joined == [(0, 11, "PER"), *tagged]  # "Theresa May" where the text says it


def test_split_names_first_name_takes_untagged_surname():
    text = "Former prime minister Theresa May met him. Theresa said nothing."
    joined = join_split_names(_spans(text, "Theresa"), text)
    assert [text[s:e] for s, e, _ in joined] == ["Theresa May"]
    # A word another mention covers is not taken, nor is a word that is not a first name's.
    text = "Theresa London"
    assert join_split_names([(0, 7, "PER"), (8, 14, "LOC")], text) == [
        (0, 7, "PER"),
        (8, 14, "LOC"),
    ]
    text = "Putin Monday"
    assert join_split_names([(0, 5, "PER")], text) == [(0, 5, "PER")]


def test_alias_reasons_name_the_rule():
    assert alias_reason("Putin", "Vladimir Putin", label="PER") == "surname alone"
    assert alias_reason("Mr Putin", "Vladimir Putin", label="PER") == "title and surname"
    assert alias_reason("Theresa", "Theresa May", label="PER") == "first name alone"
    assert alias_reason("CSTO", "Collective Security Treaty Organization", label="ORG") == (
        "acronym of the long form"
    )
    assert (
        alias_reason("Britain", "United Kingdom", label="LOC") == "another name of the same place"
    )


def test_entity_ids_are_told_from_names():
    """A page or filter may name an entity; only what is not shaped like an id is looked up
    as a name (a lookup scans every mention, #17)."""
    from narrascope.text.names import entity_id, is_entity_id

    for name, label in [("Vladimir Putin", "PER"), ("Захарова", "PER"), ("the U.S.", "LOC")]:
        assert is_entity_id(entity_id(name, label=label)) and not is_entity_id(name)
    assert not is_entity_id("CSTO") and is_entity_id("csto")


@pytest.fixture(scope="module")
def people_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text + FILLER, encoding="utf-8")
    db = str(folder / "p.db")
    result = runner.invoke(app, ["analyze", str(folder), "--db", db, "--only", "entities"])
    assert result.exit_code == 0, result.output
    return db


def test_entities_one_person_across_the_corpus(people_db):
    with Store.open(people_db, readonly=True) as store:
        people = {e.id: e for e in corpus_entities(store, type="PER", limit=None)}
        putin = people["v-putin"]
        assert putin.documents == 2 and "putin" not in people  # b.txt's "Putin" joined
        assert [m.entity_id for m in putin.merged] == ["putin"]
        forms = {a.form: a.why for a in putin.aliases}
        assert forms["Putin"] == "surname alone" and forms["Vladimir Putin"] == "the name"
        may = [e for e in people.values() if "May" in e.name or e.name == "Theresa"]
        assert [e.name for e in may] == ["Theresa May"]  # not "Theresa" and "May"
        # "Smith" alone is ambiguous between John and Anna Smith: it joins neither, in the
        # article or across the corpus.
        assert [a.form for a in people["a-smith"].aliases] == ["Anna Smith"]
        assert [a.form for a in people["j-smith"].aliases] == ["John Smith"]
        assert people["smith"].merged == [] and people["smith"].name == "Smith"
        assert member_ids(store, "putin") == ["v-putin", "putin"]
        profile = entity_profile(store, "putin")
        assert profile.entity_id == "v-putin" and profile.name == "Vladimir Putin"
        assert profile.documents == 2
        assert {a.form: a.why for a in profile.aliases}["Putin"] == "surname alone"
        assert [m.entity_id for m in profile.merged] == ["putin"]


def test_cli_entities_lists_aliases_and_why(people_db):
    shown = runner.invoke(app, ["entities", "putin", "--aliases", "--db", people_db])
    assert shown.exit_code == 0, shown.output
    assert "v-putin" in shown.output and "Vladimir Putin" in shown.output
    assert "merged putin" in shown.output and "surname alone" in shown.output
    listed = runner.invoke(app, ["entities", "--type", "PER", "--db", people_db, "--json"])
    data = json.loads(listed.stdout)["entities"]
    assert {"id", "name", "type", "mentions", "documents", "merged", "aliases"} <= set(data[0])
    assert data[0]["id"] == "v-putin"  # most documents first


def test_web_entity_page_lists_the_names_merged_into_it(people_db):
    from starlette.testclient import TestClient

    from narrascope.web import create_app

    with TestClient(create_app(people_db, analysis=lambda: None)) as client:
        page = client.get("/entity/putin")  # the surname-only id finds Vladimir Putin
        assert page.status_code == 200
        assert "Vladimir Putin" in page.text and "surname alone" in page.text
        api = client.get("/api/v1/entities/v-putin").json()
        assert [m["entity_id"] for m in api["profile"]["data"]["merged"]] == ["putin"]


@pytest.mark.parametrize("name", ["Vladimir Putin", "Putin"])
def test_web_entity_page_by_canonical_name_lists_merged_names(people_db, name):
    """#17: `/entity/Vladimir Putin` (a name, not an id) showed only the mentions carrying that
    exact name: one article, no surface forms, no merges. A name now stands for its id."""
    from urllib.parse import quote

    from starlette.testclient import TestClient

    from narrascope.web import create_app

    with TestClient(create_app(people_db, analysis=lambda: None)) as client:
        page = client.get(f"/entity/{quote(name)}")
        assert page.status_code == 200
        assert "Names it goes by, and the rule that joined each to it" in page.text
        assert "surname alone" in page.text and "the name" in page.text
        assert "ids merged into it" in page.text and 'href="/search?entity=v-putin"' in page.text
        data = client.get(f"/api/v1/entities/{quote(name)}").json()["profile"]["data"]
        assert data["entity_id"] == "v-putin" and data["documents"] == 2
        assert {a["form"]: a["why"] for a in data["aliases"]}["Putin"] == "surname alone"
        assert [m["entity_id"] for m in data["merged"]] == ["putin"]


def test_web_entity_page_escapes_names_and_aliases(tmp_path):
    """Surface forms are article text: shown escaped on the entity page (#17)."""
    from urllib.parse import quote

    from starlette.testclient import TestClient

    from narrascope.model import Annotation, Document, Layer, SourceRef
    from narrascope.text import segment
    from narrascope.web import create_app

    hostile = "<img src=x onerror=alert(1)> Ivanov"
    doc = segment(Document(text=f"{hostile} spoke. Ivanov left.", source=SourceRef("h.txt")))
    attrs = {"entity": hostile, "entity_id": "ivanov-x", "aliases": [hostile, "<b>Ivanov</b>"]}
    db = str(tmp_path / "h.db")
    with Store.open(db) as store:
        store.add(doc, [Annotation(doc.id, Layer.ENTITY, "PER", "e-v1", 0, 8, attrs=attrs)])
    with TestClient(create_app(db, analysis=lambda: None)) as client:
        for path in ("/entity/ivanov-x", "/entity/" + quote(hostile)):
            page = client.get(path)
            assert page.status_code == 200, path
            assert "<img src=x" not in page.text and "<b>Ivanov" not in page.text
            assert "&lt;img src=x onerror=alert(1)&gt; Ivanov" in page.text
            assert "&lt;b&gt;Ivanov&lt;/b&gt;" in page.text


@pytest.mark.parametrize("entity", ["v-putin", "putin", "Vladimir Putin"])  # a name too (#17)
def test_search_entity_finds_every_article_of_the_person(people_db, entity):
    found = runner.invoke(app, ["search", "--entity", entity, "--db", people_db, "--json"])
    assert found.exit_code == 0, found.output
    titles = {hit["title"] for hit in json.loads(found.stdout)["results"]}
    assert titles == {"Kremlin talks", "Troops to leave"}
