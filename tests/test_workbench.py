"""The analyst's workbench (#17, #15.7): storylines list and page, tolerant filters that show the
labelled sentences, flat label exports; CLI through typer's runner, web through TestClient.

The store is built by hand (`workbench_corpus.py`).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import workbench_corpus
from postgres import scratch_database
from workbench_corpus import CLAIM, NARRATIVE

from narrascope import export
from narrascope.cli import app
from narrascope.corpus import labels
from narrascope.corpus.storyline_list import drift, storyline_list
from narrascope.store import Store
from narrascope.web import create_app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory) -> str:
    """The workbench store in a SQLite file, and again in a PostgreSQL database."""
    if request.param == "sqlite":
        yield workbench_corpus.build(str(tmp_path_factory.mktemp("bench") / "w.db"))
        return
    with scratch_database(request.getfixturevalue("postgres_server")) as url:
        yield workbench_corpus.build(url)


def test_corpus_labels_resolve_tolerantly_and_suggest():
    names = ["Loaded_Language", "Name_Calling-Labeling", "Doubt"]
    assert labels.resolve("technique", "Loaded Language", names) == "Loaded_Language"
    assert labels.resolve("technique", "loaded_language", names) == "Loaded_Language"
    assert labels.resolve("technique", "name calling labeling", names) == "Name_Calling-Labeling"
    assert labels.resolve("narrative", "Russia is the Victim", [NARRATIVE, "Other"]) == NARRATIVE
    assert labels.resolve("outlet", "journal-neo", ["journal-neo.org", "tass.com"]) == (
        "journal-neo.org"
    )
    with pytest.raises(labels.UnknownLabel, match="did you mean: 'Loaded_Language'"):
        labels.resolve("technique", "Loaded Langauge", names)
    with pytest.raises(labels.UnknownLabel, match="matches several"):
        labels.resolve("outlet", "t", ["tass.com", "tv.example"])


def test_corpus_storylines_undated_members_give_no_first_seen(db):
    """#15.7: a storyline of undated documents has no first-seen date, and says how many."""
    with Store.open(db) as store:
        lines = storyline_list(store).lines
    by_claim = {line.label.split()[1]: line for line in lines}
    undated, dated = by_claim["new"], by_claim["protests"]
    assert undated.first_seen is None and undated.last_seen is None and undated.first_doc_id is None
    assert undated.undated == 2 and undated.outlets == 0 and undated.unnamed == 2
    assert dated.first_seen == datetime(2022, 1, 5, 9) and dated.first_outlet == "journal-neo.org"
    assert dated.outlets == 2 and dated.undated == 0


def test_corpus_storyline_list_sorts_and_filters(db):
    with Store.open(db) as store:
        by_first = storyline_list(store, sort="first_seen").lines
        assert by_first[0].first_seen is not None and by_first[-1].first_seen is None
        only = storyline_list(store, outlet="tass.com")
        assert only.total == 1 and only.outlets == ["journal-neo.org", "tass.com"]
        assert storyline_list(store, narrative=NARRATIVE).total == 0  # evidence is sentence 2
        assert storyline_list(store, sort="growth").growth  # dated documents in the last week


def test_corpus_storyline_drift_marks_new_words():
    pieces = drift(CLAIM, CLAIM.replace("foreign agents", "agents from abroad"))
    changed = "".join(p for p, on in pieces if on)
    assert "from" in changed and "protests" not in changed
    assert "".join(p for p, _ in pieces) == CLAIM.replace("foreign agents", "agents from abroad")


def test_cli_storylines_lists_and_shows_one(db):
    runner = CliRunner()
    listed = runner.invoke(app, ["storylines", "--db", db, "--sort", "first_seen"])
    assert listed.exit_code == 0, listed.output
    assert "first journal-neo.org 2022-01-05" in listed.output
    assert "no dated member, 2 undated" in listed.output
    with Store.open(db) as store:
        sid = next(s.id for s in storyline_list(store).lines if s.first_seen)
    shown = runner.invoke(app, ["storylines", sid, "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "2022-01-07  tass.com" in shown.output and "agents from abroad" in shown.output
    missing = runner.invoke(app, ["storylines", "0000000000000000", "--db", db])
    assert missing.exit_code != 0 and "no storyline" in missing.output


@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [
        ("--technique", "Loaded Language", "Loaded_Language"),
        ("--narrative", "Russia is the Victim", "item 1"),  # the evidence sentence
        ("--outlet", "journal-neo", "Title 1"),
    ],
)
def test_cli_search_filters_find(db, option, value, shown):
    result = CliRunner().invoke(app, ["search", "--db", db, option, value])
    assert result.exit_code == 0, result.output
    assert not result.output.startswith("0 hits") and shown in result.output
    assert "2022-01-05" in result.output and "journal-neo.org" in result.output


@pytest.mark.parametrize(
    ("words", "option", "value", "hits"),
    [
        ("protests", "--technique", "Loaded Language", 1),  # the labelled span's sentence
        ("fuel", "--technique", "Loaded Language", 0),  # same document, unlabelled sentence
        ("fuel", "--narrative", "Russia is the Victim", 1),  # the evidence sentence
        ("protests", "--narrative", "Russia is the Victim", 0),
    ],
)
def test_cli_search_label_filters_match_sentences(db, words, option, value, hits):
    result = CliRunner().invoke(app, ["search", words, "--db", db, option, value])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{hits} hits")
    if hits:
        assert ("Loaded_Language" if option == "--technique" else NARRATIVE) in result.output


def test_cli_search_unknown_label_suggests(db):
    result = CliRunner().invoke(app, ["search", "--db", db, "--technique", "Loaded Langage"])
    assert result.exit_code != 0 and "did you mean" in result.output
    assert "Loaded_Language" in result.output


def test_cli_export_labels_csv_by_suffix(db, tmp_path):
    out = tmp_path / "labels.csv"
    result = CliRunner().invoke(app, ["export", str(out), "--db", db, "--table", "labels"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["layer"] for r in rows} == {"technique", "narrative", "role"}  # no bookkeeping
    role = next(r for r in rows if r["layer"] == "role")
    assert role["entity"] == "Foreign agents" and role["outlet"] == "journal-neo.org"
    assert role["published"].startswith("2022-01-05") and role["evidence_text"] == CLAIM
    technique = next(r for r in rows if r["layer"] == "technique")
    assert technique["span_text"] == CLAIM and technique["confidence"] == "0.8"
    with Store.open(db) as store:
        assert export.write(store, tmp_path / "b.jsonl", table="bookkeeping") == 4
        kinds = {json.loads(line)["kind"] for line in (tmp_path / "b.jsonl").open()}
        assert kinds == {"stats"}
        assert export.write(store, tmp_path / "l.parquet", table="labels") == 3
        with pytest.raises(ValueError, match="cannot tell the format"):
            export.write(store, tmp_path / "labels.xlsx", table="labels")


@pytest.fixture(scope="module")
def client(db):
    with TestClient(create_app(db)) as c:
        yield c


def test_web_storylines_page_and_json_agree(client):
    page = client.get("/storylines?sort=first_seen")
    assert page.status_code == 200 and "storyline-link" in page.text
    assert '<option value="tass.com"' in page.text and "undated" in page.text
    data = client.get("/api/v1/storylines?sort=first_seen").json()["data"]
    assert [s["id"] for s in data["lines"]] == [
        s for s in re.findall(r'href="/storyline/([0-9a-f]+)"', page.text)
    ]
    assert data["lines"][-1]["first_seen"] is None and data["lines"][-1]["undated"] == 2
    bad = client.get("/api/v1/storylines?outlet=nowhere")
    assert bad.status_code == 400 and "matches nothing" in bad.json()["error"]
    narrowed = client.get("/api/v1/storylines?outlet=journal-neo").json()["data"]
    assert narrowed["total"] == 1


def test_web_storyline_page_shows_timeline_first_outlet_and_drift(client):
    data = client.get("/api/v1/storylines?sort=first_seen").json()["data"]["lines"]
    dated, undated = data[0], data[-1]
    page = client.get(f"/storyline/{dated['id']}").text
    assert "timeline" in page and "journal-neo.org" in page and "<mark>" in page
    one = client.get(f"/api/v1/storylines/{dated['id']}").json()["data"]
    assert one["first_outlet"] == "journal-neo.org"
    assert any(m["drift"] for m in one["sentences"])
    page = client.get(f"/storyline/{undated['id']}").text
    assert "no dated member" in page and "No member is dated" in page


def test_web_search_filters_are_pick_lists_and_find_passages(client):
    page = client.get("/search").text
    assert '<select name="technique">' in page and '<option value="Loaded_Language"' in page
    assert '<option value="journal-neo.org"' in page
    found = client.get("/api/v1/search", params={"technique": "loaded language"}).json()
    assert found["total"] == 1
    hit = found["results"][0]
    assert hit["label"] == "Loaded_Language" and hit["snippet"] == CLAIM
    assert hit["published"].startswith("2022-01-05") and hit["title"] == "Title 1"
    bad = client.get("/api/v1/search", params={"narrative": "Russia is a Victim"})
    assert bad.status_code == 400 and "did you mean" in bad.json()["error"]


class FlatEncoder:
    """An encoder named `name`, `dim` dimensions wide, that encodes every text alike."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def encode(self, texts):
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_corpus_search_by_meaning_refuses_another_encoders_vectors(db):
    """#17: vectors of another encoder (by name, or by width) cannot be compared: one error."""
    from narrascope.corpus.search import OtherEncoder, similar_sentences

    with Store.open(db) as store:
        with pytest.raises(OtherEncoder, match=r"another encoder \(test, 32 dimensions\)"):
            similar_sentences(store, "protests", encoder=FlatEncoder("other", 32))
        with pytest.raises(OtherEncoder, match=r"another encoder \(32 dimensions\)"):
            similar_sentences(
                store, "protests", encoder=FlatEncoder("test", 512)
            )  # same name, wider


def test_cli_search_like_on_another_encoders_database_is_one_line(db):
    """#17: `search --like` with the default encoder on a store of another encoder's vectors."""
    found = CliRunner().invoke(app, ["search", "protests", "--like", "--db", db])
    assert found.exit_code == 1 and "Traceback" not in found.output
    assert "another encoder (test, 32 dimensions)" in " ".join(found.output.split())


@pytest.mark.parametrize("path", ["/similar?q=protests", "/attention?q=protests&like=1"])
def test_web_search_by_meaning_on_another_encoders_database_is_one_line(client, path):
    """#17: was a 500; now the page and its JSON twin say why, in one line (409)."""
    page = client.get(path)
    assert page.status_code == 409 and "re-analyze it with this encoder" in page.text
    api = client.get("/api/v1" + path)
    assert api.status_code == 409
    assert api.json()["error"].startswith("the database's sentence vectors were made by another")
    assert "\n" not in api.json()["error"]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"outlet": "journal-neo"},
        {"outlet": "(no outlet)"},
        {"language": "?"},
        {"technique": "loaded language"},
        {"text": "protests"},
        {"text": "protests", "outlet": "tass.com"},
        {"text": "prices", "outlet": "(no outlet)"},
    ],
)
@pytest.mark.parametrize("wide_first", [True, False])
def test_web_search_cache_gives_the_uncached_facets(db, filters, wide_first):
    """#17: cached facets of a search without outlet and language serve every outlet and
    language filter of it, and must count what the search itself would under that filter;
    without them a filtered search counts its own."""
    from narrascope.store.search import SearchQuery
    from narrascope.web.search import SearchCache, search

    query = SearchQuery(**filters)
    with Store.open(db) as store:
        cache = SearchCache()
        if wide_first:  # the same search without outlet and language: its pairs are kept
            search(store, SearchQuery(text=query.text, technique=query.technique), cache=cache)
        cached, computed = search(store, query, cache=cache), search(store, query)
        assert cached.facets == computed.facets and cached.total == computed.total
        assert [h.doc_id for h in cached.hits] == [h.doc_id for h in computed.hits]
