"""The web app over a small real store: pages, their JSON twins, pagination, downloads, analyze.

The store holds the five example articles (annotated by hand on their real sentences, one
annotation of every layer, technique spans overlapping) and a hostile page; see `web_corpus`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
import web_corpus
from postgres import scratch_database

from narrascope.web import create_app
from narrascope.web.analyze import Limits

KAZ = "000_8f4d98db21bab007"
NOT_BUILT = "storylines not computed yet for this database (run: narrascope storylines)"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus(request, tmp_path_factory, examples_dir):
    """The web corpus in a SQLite file, and again in a PostgreSQL database: every page and
    API answer is checked on both."""
    if request.param == "sqlite":
        db = str(tmp_path_factory.mktemp("web") / "web.db")
        yield db, web_corpus.build(db, examples_dir)
        return
    with scratch_database(request.getfixturevalue("postgres_server")) as db:
        yield db, web_corpus.build(db, examples_dir)


@pytest.fixture(scope="module")
def client(corpus):
    db, _ = corpus
    with TestClient(create_app(db, analysis=web_corpus.stats_analysis)) as c:
        yield c


@pytest.fixture(scope="module")
def docs(corpus):
    return corpus[1]


@pytest.mark.parametrize("path", ["/", "/search", "/search?q=CSTO", "/outlets", "/analyze"])
def test_web_pages_render(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Narrascope" in r.text


def test_web_reader_highlights_techniques_with_definition_and_score(client, docs):
    doc = docs[KAZ]
    html = client.get(f"/doc/{doc.id}").text
    marks = re.findall(r'<mark class="t (tc\d+)( multi)?"[^>]*title="([^"]*)"', html)
    assert marks, "no technique highlighted"
    tips = " ".join(t for _, _, t in marks)
    assert "Loaded Language (0.81): Words with strong emotional charge" in tips
    assert "Doubt (0.64)" in tips
    # The two spans overlap in sentence 1: that piece carries both, marked as multi.
    assert any(multi and "Loaded Language" in t and "Doubt" in t for _, multi, t in marks)
    # The marked text is the article text, in order, nothing lost or doubled.
    body = re.search(r'<article class="doc">(.*)</article>', html, re.S).group(1)
    paragraphs = re.findall(r'<p data-start="(\d+)">(.*?)</p>', body, re.S)
    plain = "\n".join(re.sub(r"<[^>]+>", "", p) for _, p in paragraphs)
    import html as htmllib

    assert htmllib.unescape(plain) == "\n".join(doc.text[s:e] for s, e in doc.paragraphs)
    # Each paragraph says where it starts: the offsets a selection for a new label counts from.
    assert [int(start) for start, _ in paragraphs] == [s for s, _ in doc.paragraphs]
    assert 'class="legend techniques"' in html and "Flag Waving" in html


def test_web_reader_panels_link_evidence_to_sentences(client, docs):
    doc = docs[KAZ]
    html = client.get(f"/doc/{doc.id}").text
    narrative = re.search(r'id="panel-narratives">(.*?)</section>', html, re.S).group(1)
    assert "URW: Blaming the war on others rather than the invader" in narrative
    assert 'href="#s-3"' in narrative and 'href="#s-5"' in narrative
    assert 'id="s-3"' in html and 'id="s-5"' in html
    roles = re.search(r'id="panel-roles">(.*?)</section>', html, re.S).group(1)
    assert 'href="/entity/csto"' in roles and "Antagonist" in roles and "Instigator" in roles
    quotes = re.search(r'id="panel-quotes">(.*?)</section>', html, re.S).group(1)
    assert "Kassym-Jomart Tokayev" in quotes and 'href="#s-6"' in quotes
    claims = re.search(r'id="panel-claims">(.*?)</section>', html, re.S).group(1)
    assert "0.77" in claims and 'href="#s-7"' in claims
    copies = re.search(r'id="panel-copies">(.*?)</section>', html, re.S).group(1)
    assert "copied by" in copies and f'href="/doc/{docs["copy"].id}"' in copies
    assert "copier.example" in copies and "near" in copies
    assert 'id="panel-storylines"' in html


def test_web_reader_json_is_the_same_document(client, docs):
    doc = docs[KAZ]
    data = client.get(f"/api/v1/documents/{doc.id[:8]}").json()
    assert data["document"]["id"] == doc.id
    assert data["document"]["text"] == doc.text
    assert len(data["annotations"]) == len(web_corpus.annotate(doc))
    techniques = [a for a in data["annotations"] if a["layer"] == "technique"]
    assert {a["label"] for a in techniques} == {"Loaded_Language", "Doubt", "Flag_Waving"}
    assert {entry["label"] for entry in data["legend"]} == {
        "Loaded_Language",
        "Doubt",
        "Flag_Waving",
    }


HOSTILE_MARKERS = ("<script>alert", "<img src=x", "<svg onload", "<b>under", "<i>mallory")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _assert_inert(html: str) -> None:
    """No payload became markup: no event handlers, no javascript: links, no inline script."""
    lowered = html.lower()
    for marker in HOSTILE_MARKERS:
        assert marker not in lowered, marker
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("img", "iframe", "object", "embed"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value
        if tag == "script":
            assert dict(attrs).get("src", "").startswith("/static/")  # never inline


def test_web_hostile_page_is_escaped_everywhere(client, docs):
    hostile = docs["hostile"]
    pages = [
        f"/doc/{hostile.id}",
        "/",
        "/search",
        "/search?q=capital",
        "/outlets",
        f"/outlet/{web_corpus.HOSTILE_OUTLET}",
        "/?outlet=" + web_corpus.HOSTILE_OUTLET,
    ]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        _assert_inert(r.text)
    reader = client.get(f"/doc/{hostile.id}").text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in reader  # shown, as text
    assert "javascript:alert(document.cookie)" in reader  # the url is shown, not linked
    assert 'href="javascript' not in reader


def test_web_security_headers(client, docs):
    for path in ["/", f"/doc/{docs[KAZ].id}", "/api/v1/dashboard", "/nope", "/api/v1/nope"]:
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_web_api_errors_are_json(client):
    cases = [
        ("/api/v1/documents/ffffffffffffffff", 404),
        ("/api/v1/documents/<script>", 404),
        ("/api/v1/search?limit=0", 422),
        ("/api/v1/search?limit=5000", 422),
        ("/api/v1/search?date_from=yesterday", 400),
        ("/api/v1/search?cursor=%%%", 400),
        ("/api/v1/nothing-here", 404),
        ("/api/v1/search/download?format=xlsx", 422),
    ]
    for path, status in cases:
        r = client.get(path)
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert isinstance(r.json()["error"], str) and r.json()["error"]


def test_web_search_pages_with_stable_cursor(client, docs):
    seen, cursor = [], None
    for _ in range(10):
        url = "/api/v1/search?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [row.get("doc_id") or row.get("id") for row in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(d.id for d in docs.values())
    again = client.get("/api/v1/search?limit=2").json()
    assert again["next_cursor"] == client.get("/api/v1/search?limit=2").json()["next_cursor"]


def test_web_search_page_matches_api(client):
    api = client.get("/api/v1/search?q=CSTO&limit=5").json()
    html = client.get("/search?q=CSTO&limit=5").text
    assert api["results"]
    for row in api["results"]:
        assert f"/doc/{row.get('doc_id') or row.get('id')}" in html
    assert "<mark>CSTO</mark>" in html


def test_web_download_csv_and_jsonl_in_full(client, docs):
    r = client.get("/api/v1/search/download?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(docs)
    titles = {row["title"] for row in rows}
    assert web_corpus.HOSTILE_TITLE in titles  # kept as data (no formula prefix needed: '<')
    r = client.get("/api/v1/search/download?format=jsonl&q=CSTO")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert len(lines) == client.get("/api/v1/search?q=CSTO").json()["total"]


def test_web_download_neutralises_formulas():
    from narrascope.web.downloads import csv_lines

    text = "".join(csv_lines([{"title": '=HYPERLINK("http://x")', "n": 3}]))
    assert "'=HYPERLINK" in text and ",3" in text


def test_web_dashboard_api_twin(client):
    data = client.get("/api/v1/dashboard").json()
    assert data["stats"]["documents"] == 7
    assert set(data["panels"]) >= {"technique_mix", "copy_graph", "most_quoted", "storylines"}
    panels = data["panels"]
    # Storylines were never built for this store: the one panel that says "not computed yet".
    assert panels.pop("storylines") == {"available": False, "reason": NOT_BUILT}
    assert all(panel["available"] is True for panel in panels.values()), panels
    techniques = {(c["label"], c["key"]) for c in panels["technique_mix"]["data"]["counts"]}
    assert ("Loaded_Language", "journal-neo.org") in techniques
    assert any(p["speaker"] == "Kassym-Jomart Tokayev" for p in panels["most_quoted"]["data"])
    html = client.get("/").text
    assert "Technique mix per outlet" in html and "<svg" in html


def test_web_storylines_not_computed_is_an_empty_panel_that_says_so(client, docs):
    board = client.get("/").text
    section = re.search(r'id="panel-storylines">(.*?)</section>', board, re.S).group(1)
    assert "storylines not computed yet" in section and "narrascope storylines" in section
    reader = client.get(f"/doc/{docs[KAZ].id}").text
    section = re.search(r'id="panel-storylines">(.*?)</section>', reader, re.S).group(1)
    assert "storylines not computed yet for this document" in section
    data = client.get(f"/api/v1/documents/{docs[KAZ].id}").json()
    assert data["storylines"]["available"] is False
    assert "not computed yet" in data["storylines"]["reason"]


@pytest.mark.parametrize(
    ("view", "paths"),
    [
        ("narrascope.corpus.copies.copy_graph", ["/", "/api/v1/dashboard"]),
        ("narrascope.corpus.storylines.storylines", ["/", "/api/v1/dashboard"]),
        ("narrascope.corpus.storylines.storylines_for", ["/doc/{doc}", "/api/v1/documents/{doc}"]),
        ("narrascope.corpus.profiles.outlet_profile", ["/outlet/journal-neo.org"]),
        ("narrascope.corpus.search.search", ["/search?q=CSTO", "/api/v1/search?q=CSTO"]),
    ],
)
def test_web_broken_corpus_view_fails_loudly(corpus, docs, monkeypatch, view, paths):
    """A view that raises anything but `NotComputed` is a bug: a 500, never an empty panel."""
    module, _, name = view.rpartition(".")

    def broken(*args, **kwargs):
        raise RuntimeError("view broken on purpose")

    monkeypatch.setattr(f"{module}.{name}", broken)
    db, _ = corpus
    app = create_app(db, analysis=web_corpus.stats_analysis)
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in paths:
            assert c.get(path.format(doc=docs[KAZ].id)).status_code == 500, path


def test_web_entity_and_outlet_pages(client):
    r = client.get("/entity/csto")
    assert r.status_code == 200 and "CSTO" in r.text
    assert client.get("/api/v1/entities/csto").json()["profile"]["available"] is True
    assert client.get("/outlet/journal-neo.org").status_code == 200
    assert client.get("/api/v1/outlets/journal-neo.org").json()["documents"]
    assert client.get("/outlet/no-such-outlet.example").status_code == 404


def test_web_openapi_documents_the_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/search", "/api/v1/documents/{doc_id}", "/api/v1/analyze"} <= paths
    assert not any(p.startswith("/doc/") for p in paths)


# -- analyze -----------------------------------------------------------------------------------------
def test_web_analyze_upload_opens_reader(client, examples_dir):
    data = (examples_dir / "002_74977be9488212fe.txt").read_bytes()
    r = client.post(
        "/analyze", files=[("files", ("article.txt", data, "text/plain"))], follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/doc/")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "Kazakh Chaos on Cue" in page.text


def test_web_analyze_pasted_text_api(client):
    text = (
        "A pasted headline\n\nThe minister said on Monday that the bridge would reopen soon. " * 3
    )
    r = client.post("/api/v1/analyze", data={"text": text})
    assert r.status_code == 200, r.text
    (doc,) = r.json()["documents"]
    assert client.get(f"/api/v1/documents/{doc['id']}").json()["document"]["words"] > 10


def test_web_analyze_refuses_loopback_url(client):
    r = client.post("/api/v1/analyze", data={"url": "http://127.0.0.1:8000/secret"})
    assert r.status_code == 200
    body = r.json()
    assert body["documents"] == [] and body["problems"]
    assert re.search(r"private|loopback|refus", body["problems"][0]["reason"], re.I)


def test_web_analyze_caps(corpus):
    db, _ = corpus
    limits = Limits(max_files=2, max_file_bytes=1000, max_total_bytes=5000, max_text_chars=100)
    with TestClient(create_app(db, analysis=web_corpus.stats_analysis, limits=limits)) as c:
        many = [("files", (f"a{i}.txt", b"word " * 10, "text/plain")) for i in range(3)]
        assert c.post("/api/v1/analyze", files=many).status_code == 413
        big = [("files", ("big.txt", b"x" * 2000, "text/plain"))]
        r = c.post("/api/v1/analyze", files=big)
        assert r.status_code == 413 and "larger" in r.json()["error"]
        assert c.post("/api/v1/analyze", data={"text": "y" * 200}).status_code == 413
        assert c.post("/api/v1/analyze", data={}).status_code == 400
        huge = [("files", ("huge.txt", b"z" * 7_000_000, "text/plain"))]
        assert c.post("/analyze", files=huge).status_code == 413


def test_web_upload_name_cannot_escape(tmp_path):
    from narrascope.web.analyze import safe_name

    for name in ["../../etc/passwd", "..\\..\\x.html", "/abs/path.warc.gz", "", "...."]:
        safe = safe_name(name, 1)
        assert "/" not in safe and "\\" not in safe and not safe.startswith(".")
        assert (tmp_path / safe).resolve().parent == tmp_path.resolve()


def test_web_cross_site_post_refused(client):
    r = client.post(
        "/api/v1/analyze", data={"text": "x " * 50}, headers={"Origin": "http://evil.example"}
    )
    assert r.status_code == 403
    r = client.post("/analyze", data={"text": "x " * 50}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


# -- access ------------------------------------------------------------------------------------------
def test_web_token_required_when_set(corpus):
    db, _ = corpus
    with TestClient(create_app(db, token="s3cret-token")) as c:
        assert c.get("/").status_code == 401
        assert c.get("/api/v1/dashboard").json()["error"]
        assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        r = c.get("/search?token=s3cret-token&q=CSTO", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/search?q=CSTO"
        assert "httponly" in r.headers["set-cookie"].lower()
        assert c.get("/search?q=CSTO").status_code == 200  # the cookie now carries it


def test_web_host_header_checked(corpus):
    db, _ = corpus
    with TestClient(create_app(db, allowed_hosts=["127.0.0.1"])) as c:
        assert c.get("/").status_code == 421  # TestClient sends Host: testserver
        assert c.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_web_serve_binds_loopback_by_default():
    import inspect

    from narrascope.web.app import is_loopback, serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")


def test_web_token_required_off_loopback():
    from narrascope.web.app import access

    token, hosts = access("127.0.0.1", None)
    assert token is None and "127.0.0.1" in hosts and "evil.example" not in hosts
    token, hosts = access("0.0.0.0", None)
    assert token and len(token) >= 24 and hosts is None
    assert access("192.168.1.4", "given")[0] == "given"


def test_web_similar_and_storyline_routes(client, docs):
    doc = docs[KAZ]
    r = client.get(f"/api/v1/similar?doc_id={doc.id}&sentence=2")
    assert r.status_code == 404 and "vectors" in r.json()["error"]  # the test store has none
    assert client.get("/api/v1/similar").status_code == 400
    assert client.get(f"/api/v1/similar?doc_id={doc.id}&sentence=-1").status_code == 422
    assert client.get("/similar").status_code == 200
    assert client.get("/api/v1/storylines/0000000000000000").status_code == 404
    assert client.get("/storyline/0000000000000000").status_code == 404


def test_web_dashboard_cache_follows_the_store(tmp_path):
    from narrascope.model import Document, SourceRef
    from narrascope.store import Store
    from narrascope.web.dashboard import DashboardCache

    with Store.open(tmp_path / "cache.db") as store:
        hostile = web_corpus.hostile_document()
        store.add(hostile, web_corpus.hostile_annotations(hostile))
        cache = DashboardCache(size=2)
        first = cache.get(store)
        assert cache.get(store) is first  # unchanged store: the same object
        assert cache.get(store, outlet=web_corpus.HOSTILE_OUTLET) is not first
        other = Document(text="Another article.\nWith two lines.", source=SourceRef("b.txt"))
        store.add(web_corpus.segment(other), [])
        again = cache.get(store)
        assert again is not first and again.stats.documents == first.stats.documents + 1
        # Keyed by a stamp, not by recounting every table (#17): what the overview counts
        # beyond documents and labels must move it too.
        run = store.begin_run(sources=["x"], settings={})
        began = cache.get(store)
        assert began is not again and began.stats.runs == again.stats.runs + 1
        assert began.stats.unfinished == {"running": 1}
        store.record_problem(run, "x/bad.txt", "empty file")
        failed = cache.get(store)
        assert failed is not began and failed.stats.problems == began.stats.problems + 1
        store.finish_run(run, counts={"new": 0})
        ended = cache.get(store)
        assert ended is not failed and ended.stats.unfinished == {}
        assert cache.get(store) is ended


def test_web_search_cache_follows_the_store(tmp_path):
    """Searches are cached per state of the store (#17): a document another process adds
    shows at the next search, on the page and in the API, facets included."""
    from narrascope.model import Document, SourceRef
    from narrascope.store import Store

    db = str(tmp_path / "search.db")
    with Store.open(db) as store:
        hostile = web_corpus.hostile_document()
        store.add(hostile, web_corpus.hostile_annotations(hostile))
    with TestClient(create_app(db, analysis=web_corpus.stats_analysis)) as c:
        first = c.get("/api/v1/search", params={"q": "capital"}).json()
        assert first["total"] == 1 and c.get("/api/v1/search?q=capital").json() == first
        assert "Later from the capital" not in c.get("/search?q=capital").text
        with Store.open(db) as writer:  # another writer: `analyze` in its own process
            later = Document(
                text="Later from the capital.\nThe capital was calm.",
                source=SourceRef("later.txt"),
                title="Later from the capital",
                outlet="later.example",
            )
            writer.add(web_corpus.segment(later), [])
        again = c.get("/api/v1/search", params={"q": "capital"}).json()
        assert again["total"] == 3  # its two sentences
        assert {"value": "later.example", "count": 1} in again["facets"]["outlet"]
        assert "Later from the capital" in c.get("/search?q=capital").text


def test_web_analyze_several_files_lists_them(client, examples_dir):
    files = [
        ("files", (p.name, p.read_bytes(), "text/plain"))
        for p in sorted(examples_dir.glob("00[34]_*.txt"))
    ]
    files.append(("files", ("../../broken.warc.gz", b"\x1f\x8b not really gzip", "x/y")))
    r = client.post("/analyze", files=files, follow_redirects=False)
    assert r.status_code == 200
    assert len(re.findall(r'<a href="/doc/[0-9a-f]{16}">', r.text)) == 2
    problems = re.search(r'<ul class="problems">(.*?)</ul>', r.text, re.S).group(1)
    assert "upload:" in problems and "/tmp" not in problems  # no server paths shown
