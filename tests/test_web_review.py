"""Review in the web app (#19): the JSON twin of the reader's review keys, the queue page, and
per-user tokens with roles (readers cannot write; every correction names its author)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from narrascope.store import Store
from narrascope.web import create_app
from narrascope.web.users import Role, Users

sys.path.insert(0, str(Path(__file__).parent))
import web_corpus

FIRST = "000_8f4d98db21bab007"


@pytest.fixture
def corpus(tmp_path, examples_dir):
    db = tmp_path / "web.db"
    return db, web_corpus.build(db, examples_dir)


@pytest.fixture
def client(corpus):
    db, docs = corpus
    with TestClient(create_app(db, analysis=web_corpus.stats_analysis)) as c:
        yield c, docs


def _labels(client, doc_id):
    response = client.get(f"/api/v1/documents/{doc_id}/labels")
    assert response.status_code == 200
    return response.json()


def _id_of(data, label):
    return next(item["id"] for item in data["labels"] if item["label"] == label)


def test_web_review_corrects_shows_who_and_undoes(client):
    c, docs = client
    doc = docs[FIRST]
    data = _labels(c, doc.id)
    assert data["user"] == "local"
    response = c.post(
        "/api/v1/corrections",
        json={"action": "reject", "annotation_id": _id_of(data, "Doubt"), "doc_id": doc.id},
    )
    assert response.status_code == 201
    rejected = response.json()
    assert rejected["user"] == "local" and rejected["old"]["label"] == "Doubt"
    relabel = {
        "action": "relabel",
        "annotation_id": _id_of(data, "Flag_Waving"),
        "label": "Slogans",
    }
    assert c.post("/api/v1/corrections", json=relabel).status_code == 201
    after = _labels(c, doc.id)
    slogans = next(item for item in after["labels"] if item["label"] == "Slogans")
    assert slogans["correction"]["action"] == "relabel" and slogans["correction"]["at"]
    assert [r["old"]["label"] for r in after["rejected"]] == ["Doubt"]
    # The reader and the document JSON show the corrected labels.
    techniques = {
        a["label"]
        for a in c.get(f"/api/v1/documents/{doc.id}").json()["annotations"]
        if a["layer"] == "technique"
    }
    assert techniques == {"Loaded_Language", "Slogans"}
    page = c.get(f"/doc/{doc.id}").text
    assert 'id="panel-review"' in page and "/static/review.js" in page
    undone = c.delete(f"/api/v1/corrections/{rejected['id']}")
    assert undone.status_code == 200 and undone.json()["undone_by"] == "local"
    assert "Doubt" in {item["label"] for item in _labels(c, doc.id)["labels"]}


def test_web_review_bad_input_is_one_clear_error_and_stores_nothing(client):
    c, docs = client
    doc = docs[FIRST]
    before = _labels(c, doc.id)
    n = len(doc.text)
    bad = [
        ({"action": "reject", "annotation_id": 99999999}, "no label"),
        (
            {"action": "relabel", "annotation_id": _id_of(before, "Doubt"), "label": "Nope"},
            "unknown technique label",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Doubt",
                "start": n - 1,
                "end": n + 5,
            },
            "out of the text",
        ),
        (
            {"action": "add", "doc_id": "ffffffffffffffff", "layer": "genre", "label": "opinion"},
            "no document",
        ),
    ]
    for body, reason in bad:
        response = c.post("/api/v1/corrections", json=body)
        assert response.status_code == 400 and reason in response.json()["error"]
    assert c.delete("/api/v1/corrections/12345").status_code == 404
    assert _labels(c, doc.id) == before


def test_web_review_adds_a_span_and_edits_speaker_and_entity_link(client):
    """The reader's n and e keys' requests: a label added on a span, a quote's speaker and an
    entity mention's entity changed; each a correction with who and when, each undoable."""
    c, docs = client
    doc = docs[FIRST]
    start, end = doc.sentences[8]
    added = c.post(
        "/api/v1/corrections",
        json={
            "action": "add",
            "doc_id": doc.id,
            "layer": "technique",
            "label": "Slogans",
            "start": start,
            "end": end,
        },
    )
    assert added.status_code == 201 and added.json()["action"] == "add"
    data = _labels(c, doc.id)
    slogans = next(item for item in data["labels"] if item["label"] == "Slogans")
    assert (slogans["start"], slogans["end"], slogans["text"]) == (start, end, doc.text[start:end])
    assert slogans["correction"]["user"] == "local" and slogans["correction"]["at"]
    quote = next(item for item in data["labels"] if item["layer"] == "quote")
    mention = next(item for item in data["labels"] if item["layer"] == "entity")
    spoke = c.post(
        "/api/v1/corrections",
        json={"action": "relabel", "annotation_id": quote["id"], "speaker": "  Askar  Mamin "},
    )
    assert spoke.status_code == 201
    assert spoke.json()["old"]["speaker"] == "Kassym-Jomart Tokayev"
    assert spoke.json()["new"]["speaker"] == "Askar Mamin"
    linked = c.post(
        "/api/v1/corrections",
        json={"action": "relabel", "annotation_id": mention["id"], "entity": "NATO"},
    )
    assert linked.status_code == 201 and linked.json()["new"]["subject"] == "nato"
    after = {item["layer"]: item for item in _labels(c, doc.id)["labels"] if item["correction"]}
    assert after["quote"]["speaker"] == "Askar Mamin"
    assert after["entity"]["entity"] == "NATO" and after["entity"]["start"] == mention["start"]
    assert {a["correction"]["action"] for a in after.values()} == {"add", "relabel"}
    reader = c.get(f"/api/v1/documents/{doc.id}").json()["annotations"]
    assert {a["attrs"].get("speaker") for a in reader if a["layer"] == "quote"} == {"Askar Mamin"}
    assert c.delete(f"/api/v1/corrections/{spoke.json()['id']}").status_code == 200
    quotes = [item for item in _labels(c, doc.id)["labels"] if item["layer"] == "quote"]
    assert [q["speaker"] for q in quotes] == ["Kassym-Jomart Tokayev"]


def test_web_review_refuses_bad_speaker_entity_and_span_edits(client):
    c, docs = client
    doc = docs[FIRST]
    before = _labels(c, doc.id)
    loaded = next(item for item in before["labels"] if item["label"] == "Loaded_Language")
    quote = next(item for item in before["labels"] if item["layer"] == "quote")
    bad = [
        ({"action": "relabel", "annotation_id": loaded["id"], "speaker": "X"}, "no speaker"),
        ({"action": "relabel", "annotation_id": quote["id"], "entity": "X"}, "links to no entity"),
        ({"action": "relabel", "annotation_id": quote["id"], "speaker": "  "}, "needs a name"),
        ({"action": "accept", "annotation_id": quote["id"], "speaker": "X"}, "only a relabel"),
        (  # a second Loaded_Language over the first one's span
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Loaded_Language",
                "start": loaded["start"] + 1,
                "end": loaded["end"] + 3,
            },
            "overlaps",
        ),
        (
            {"action": "relabel", "annotation_id": loaded["id"], "start": 50, "end": 40},
            "or empty",
        ),
        (
            {"action": "add", "doc_id": doc.id, "layer": "entity", "label": "ORG", "start": 0},
            "needs its span",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "entity",
                "label": "ORG",
                "start": 0,
                "end": 4,
            },
            "needs the entity",
        ),
    ]
    for body, reason in bad:
        response = c.post("/api/v1/corrections", json=body)
        assert response.status_code == 400, body
        assert reason in response.json()["error"], response.json()
    assert _labels(c, doc.id) == before


def test_web_review_queue_page_and_api(client):
    c, _ = client
    data = c.get("/api/v1/review/queue", params={"layer": "technique", "limit": 5}).json()
    assert data["remaining"] > 0 and data["reviewed"] == 0 and len(data["items"]) == 5
    # The ranked items read in order; one place in four (the 4th) is a label picked blind,
    # which says so in its reasons (#19: the queue's blind share).
    blind = [any("picked blind" in why for why in item["why"]) for item in data["items"]]
    assert blind == [False, False, False, True, False]
    priorities = [item["priority"] for item, b in zip(data["items"], blind, strict=True) if not b]
    assert priorities == sorted(priorities, reverse=True)
    first = data["items"][0]
    c.post("/api/v1/corrections", json={"action": "accept", "annotation_id": first["id"]})
    again = c.get("/api/v1/review/queue", params={"layer": "technique"}).json()
    assert again["reviewed"] == 1 and first["id"] not in [i["id"] for i in again["items"]]
    page = c.get("/review", params={"layer": "technique"})
    assert page.status_code == 200 and "1 reviewed" in page.text and "<progress" in page.text
    assert c.get("/api/v1/review/queue", params={"layer": "nonsense"}).status_code == 400
    labels = c.get("/api/v1/review/labels", params={"layer": "technique"}).json()["labels"]
    assert "Loaded_Language" in labels and len(labels) == 23


@pytest.fixture
def people(corpus, tmp_path):
    db, docs = corpus
    users = Users.load(tmp_path / "users.json", create=True)
    tokens = {
        name: users.add(name, role)
        for name, role in (("rita", Role.READER), ("vic", Role.REVIEWER), ("ada", Role.ADMIN))
    }
    stored = (tmp_path / "users.json").read_text()
    assert all(token not in stored for token in tokens.values())  # only hashes are kept
    assert json.loads(stored)["users"][0]["role"] == "reader"
    app = create_app(
        db, analysis=web_corpus.stats_analysis, users=Users.load(tmp_path / "users.json")
    )
    with TestClient(app) as c:
        yield c, docs, tokens


def test_web_review_roles_decide_who_writes(people):
    c, docs, tokens = people
    doc = docs[FIRST]

    def as_(name):
        return {"Authorization": f"Bearer {tokens[name]}"}

    assert c.get(f"/api/v1/documents/{doc.id}/labels").status_code == 401
    data = c.get(f"/api/v1/documents/{doc.id}/labels", headers=as_("rita")).json()
    body = {"action": "reject", "annotation_id": _id_of(data, "Doubt")}
    refused = c.post("/api/v1/corrections", json=body, headers=as_("rita"))
    assert refused.status_code == 403 and "reader" in refused.json()["error"]
    with Store.open(c.app.state.store.engine.url.database) as store:
        assert store.corrections.count() == 0
    done = c.post("/api/v1/corrections", json=body, headers=as_("vic")).json()
    assert done["user"] == "vic"
    relabel = {
        "action": "relabel",
        "annotation_id": _id_of(data, "Flag_Waving"),
        "label": "Slogans",
    }
    by_ada = c.post("/api/v1/corrections", json=relabel, headers=as_("ada")).json()
    # A reviewer undoes their own corrections, not another's; an admin undoes anyone's.
    assert c.delete(f"/api/v1/corrections/{by_ada['id']}", headers=as_("vic")).status_code == 403
    assert c.delete(f"/api/v1/corrections/{done['id']}", headers=as_("vic")).status_code == 200
    assert c.delete(f"/api/v1/corrections/{by_ada['id']}", headers=as_("ada")).status_code == 200
    assert c.get("/", headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_web_review_users_file_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no users file"):
        Users.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [{"name": "x", "role": "overlord", "token_sha256": "0"}]}')
    with pytest.raises(ValueError, match="unknown role"):
        Users.load(bad)


def test_web_review_serve_with_a_users_file_makes_no_shared_token(corpus, tmp_path, monkeypatch):
    import uvicorn

    from narrascope.web.app import serve

    db, _ = corpus
    users = Users.load(tmp_path / "users.json", create=True)
    token = users.add("vic", Role.REVIEWER)
    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    serve(
        db,
        host="0.0.0.0",
        users_file=tmp_path / "users.json",
        on_ready=lambda url: served.update(url=url),
    )
    assert served["url"].startswith("http://0.0.0.0:8000/") and "token=" not in served["url"]
    with TestClient(served["app"]) as c:
        assert c.get("/api/v1/review/queue").status_code == 401
        mine = c.get("/api/v1/review/queue", headers={"Authorization": f"Bearer {token}"})
        assert mine.status_code == 200


def test_web_review_serve_workers_share_the_users_and_the_database(corpus, tmp_path, monkeypatch):
    """`serve --workers 2` (#17): each worker process builds the same app, its users and checks
    included, from what the parent passes it."""
    import uvicorn

    from narrascope.web import app as web_app

    db, docs = corpus
    users = Users.load(tmp_path / "users.json", create=True)
    token = users.add("vic", Role.REVIEWER)
    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.delenv(web_app.WORKER_CONFIG, raising=False)
    web_app.serve(db, users_file=tmp_path / "users.json", workers=2)
    assert served["app"] == "narrascope.web.app:worker_app" and served["factory"] is True
    assert served["workers"] == 2 and served["host"] == "127.0.0.1"
    with TestClient(web_app.worker_app(), base_url="http://127.0.0.1") as c:  # each worker
        assert c.get("/api/v1/review/queue").status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get(f"/api/v1/documents/{docs[FIRST].id}", headers=auth).status_code == 200
        evil = {**auth, "Host": "evil.example"}
        assert c.get("/api/v1/review/queue", headers=evil).status_code == 421


def test_web_serve_caps_the_threads_each_process_handles_requests_in(corpus, monkeypatch):
    """Two worker threads a process by default (#17: forty took turns at one interpreter lock
    and a cheap page waited for them), `--threads` for more, in every worker process too."""
    import anyio.to_thread
    import uvicorn

    from narrascope.web import app as web_app

    db, _ = corpus
    served: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.delenv(web_app.WORKER_CONFIG, raising=False)

    def tokens(client: TestClient) -> float:
        limiter = anyio.to_thread.current_default_thread_limiter
        return client.portal.call(lambda: limiter().total_tokens)

    web_app.serve(db)
    with TestClient(served["app"], base_url="http://127.0.0.1") as c:
        assert tokens(c) == web_app.THREADS == 2
        assert c.app.state.writes.total_tokens == 1  # corrections never wait for a read's thread
    web_app.serve(db, workers=2, threads=3)
    with TestClient(web_app.worker_app(), base_url="http://127.0.0.1") as c:
        assert tokens(c) == 3
