"""`narrascope review` and `narrascope users` (#19): the queue, corrections by id with --user,
undo, and refusals that print one clear error and store nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.store import Store

sys.path.insert(0, str(Path(__file__).parent))
import web_corpus

FIRST = "000_8f4d98db21bab007"


@pytest.fixture
def corpus(tmp_path, examples_dir):
    db = tmp_path / "cli.db"
    return str(db), web_corpus.build(db, examples_dir)


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def row_ids(db: str, doc_id: str) -> dict[str, int]:
    with Store.open(db) as store:
        return {ann.label: row for row, ann in store.corrections.annotated(doc_id)}


def test_review_cli_queue_correct_list_undo(corpus):
    db, docs = corpus
    doc = docs[FIRST]
    listed = run("review", "queue", "--db", db, "--layer", "technique", "-n", "3")
    assert listed.exit_code == 0, listed.output
    assert "0 reviewed" in listed.output and len(listed.output.strip().splitlines()) == 4
    ids = row_ids(db, doc.id)
    done = run("review", "reject", ids["Doubt"], "--db", db, "--user", "ana", "--note", "no")
    assert (
        done.exit_code == 0 and "rejected technique 'Doubt'" in done.output and "ana" in done.output
    )
    moved = run(
        "review", "relabel", ids["Flag_Waving"], "--db", db, "--user", "ana", "--label", "Slogans"
    )
    assert moved.exit_code == 0 and "as technique 'Slogans'" in moved.output
    assert "2 reviewed" in run("review", "queue", "--db", db, "--layer", "technique").output
    assert "0 reviewed" in run("review", "queue", "--db", db, "--label", "Loaded_Language").output
    history = run("review", "list", "--db", db, "--doc", doc.id)
    assert history.output.count("by ana") == 2
    undone = run("review", "undo", "1", "--db", db, "--user", "ben")
    assert undone.exit_code == 0 and "undone by ben" in undone.output
    assert "Doubt" in row_ids(db, doc.id)


def test_review_cli_refusals_store_nothing(corpus, tmp_path):
    db, docs = corpus
    doc = docs[FIRST]
    ids = row_ids(db, doc.id)
    users = tmp_path / "users.json"
    assert run("users", "add", "rita", "--role", "reader", "--users", users).exit_code == 0
    assert "token" in run("users", "add", "vic", "--role", "reviewer", "--users", users).output
    assert run("users", "add", "x", "--role", "king", "--users", users).exit_code == 1
    cases = [
        (("review", "reject", 10**9, "--user", "ana"), "no label"),
        (("review", "relabel", ids["Doubt"], "--label", "Nope", "--user", "ana"), "unknown"),
        (
            (
                "review",
                "add",
                doc.id,
                "--layer",
                "technique",
                "--label",
                "Doubt",
                "--start",
                "0",
                "--end",
                str(len(doc.text) + 1),
                "--user",
                "ana",
            ),
            "out of the text",
        ),
        (("review", "accept", ids["Doubt"], "--user", "rita", "--users", users), "is a reader"),
        (("review", "accept", ids["Doubt"], "--user", "zed", "--users", users), "not in"),
        (("review", "undo", "7", "--user", "ana"), "no correction 7"),
        (("review", "queue", "--layer", "nonsense"), "nonsense"),
    ]
    for args, reason in cases:
        result = run(*args, "--db", db)
        assert result.exit_code == 1, args
        assert reason in result.output
    assert (
        run(
            "review", "accept", ids["Doubt"], "--db", db, "--user", "vic", "--users", users
        ).exit_code
        == 0
    )
    with Store.open(db) as store:
        assert [c.user for c in store.corrections.of(undone=True)] == ["vic"]


def test_review_cli_queue_and_list_json(corpus):  # (#17)
    import json

    db, docs = corpus
    doc = docs[FIRST]
    queue = json.loads(run("review", "queue", "--db", db, "-n", "2", "--json").stdout)
    assert queue["reviewed"] == 0 and len(queue["items"]) == 2
    assert {"id", "layer", "label", "priority", "why"} <= set(queue["items"][0])
    ids = row_ids(db, doc.id)
    assert run("review", "reject", ids["Doubt"], "--db", db, "--user", "ana").exit_code == 0
    listed = json.loads(run("review", "list", "--db", db, "--json").stdout)["corrections"]
    assert [(c["action"], c["user"], c["old"]["label"]) for c in listed] == [
        ("reject", "ana", "Doubt")
    ]


def test_review_cli_edits_speaker_and_entity_link(corpus):
    """The terminal twin of the reader's e key: a quote's speaker, an entity mention's entity."""
    db, docs = corpus
    doc = docs[FIRST]
    ids = row_ids(db, doc.id)
    spoke = run(
        "review",
        "relabel",
        ids["direct"],
        "--speaker",
        "  Askar  Mamin ",
        "--db",
        db,
        "--user",
        "ana",
    )
    assert spoke.exit_code == 0, spoke.output
    said = " ".join(spoke.output.split())
    assert "changed quote 'direct' (speaker: Askar Mamin)" in said and "by ana" in said
    linked = run(
        "review",
        "relabel",
        ids["ORG"],
        "--entity",
        "Collective Security Treaty Organization",
        "--db",
        db,
        "--user",
        "ana",
    )
    assert linked.exit_code == 0
    assert "(entity: Collective Security Treaty Organization)" in " ".join(linked.output.split())
    s = doc.sentences[3]
    added = run(
        "review",
        "add",
        doc.id,
        "--layer",
        "entity",
        "--label",
        "ORG",
        "--start",
        s[0],
        "--end",
        s[0] + 5,
        "--entity",
        "Interior Ministry",
        "--db",
        db,
        "--user",
        "ana",
    )
    assert added.exit_code == 0, added.output
    with Store.open(db) as store:
        anns = list(store.annotations(doc.id))
    quote = next(a for a in anns if a.layer == "quote")
    assert quote.attrs["speaker"] == "Askar Mamin" and quote.attrs["speaker_id"]
    entities = {a.attrs["entity"]: a for a in anns if a.layer == "entity"}
    assert set(entities) == {"Collective Security Treaty Organization", "Interior Ministry"}
    assert entities["Interior Ministry"].start == s[0]


def test_review_cli_refuses_bad_speaker_and_entity_edits(corpus):
    db, docs = corpus
    doc = docs[FIRST]
    ids = row_ids(db, doc.id)
    s = doc.sentences[3]
    span = ("--start", s[0], "--end", s[0] + 5)
    cases = [
        (("relabel", ids["Doubt"], "--speaker", "X"), "has no speaker"),
        (("relabel", ids["direct"], "--entity", "X"), "links to no entity"),
        (("relabel", ids["direct"], "--speaker", "   "), "a speaker needs a name"),
        (("relabel", ids["ORG"], "--entity", " "), "needs the entity's name"),
        (("relabel", ids["ORG"], "--entity", "N" * 201), "at most 200 characters"),
        (("add", doc.id, "--layer", "entity", "--label", "ORG", *span), "needs the entity"),
        (
            ("add", doc.id, "--layer", "technique", "--label", "Doubt", *span, "--speaker", "X"),
            "has no speaker",
        ),
        (("relabel", 10**9, "--speaker", "X"), "no label"),
    ]
    for args, reason in cases:
        result = run("review", *args, "--db", db, "--user", "ana")
        assert result.exit_code == 1, args
        assert result.output.count("error:") == 1 and "Traceback" not in result.output
        assert reason in " ".join(result.output.split()), (args, result.output)
    with Store.open(db) as store:
        assert store.corrections.of(undone=True) == []
        quote = next(a for a in store.annotations(doc.id) if a.layer == "quote")
    assert quote.attrs["speaker"] == "Kassym-Jomart Tokayev"
    assert row_ids(db, doc.id) == ids
