"""Issue #18: hostile inputs get one line each, exit codes a script can trust, and small fixes.

Symlink loops, deep nesting, stray NUL bytes, plain-text RSS, interrupted runs, the serve
token, `HEAD /`, the JSON message, IPv6 forms of private addresses and a redirect chain's time.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import time
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from narrascope import pipeline
from narrascope.clean import clean
from narrascope.cli import app
from narrascope.ingest import iter_inputs
from narrascope.ingest.decode import NotReadable
from narrascope.ingest.jsonl import read_jsonl
from narrascope.ingest.web import Fetcher, refuse_private
from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef
from narrascope.run import analysis as run_analysis
from narrascope.run import loop as run_loop
from narrascope.store import Store

ROOT = Path(__file__).resolve().parents[1]
BODY = " ".join(
    f"Sentence {i} says that the protests in Almaty spread to other cities on that day."
    for i in range(40)
)


def _analyze(*args: str):
    return CliRunner().invoke(app, ["analyze", *args, "--only", "stats"])


def _article(examples_dir: Path) -> str:
    return (examples_dir / "000_8f4d98db21bab007.txt").read_text(encoding="utf-8")


# -- 1. symlinks ---------------------------------------------------------------------------------
def test_sources_symlink_loop_and_dangling_link_are_lines_and_the_rest_is_read(
    tmp_path, examples_dir
):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(_article(examples_dir))
    (folder / "loop").symlink_to("loop")
    (folder / "a").symlink_to("b")
    (folder / "b").symlink_to("a")
    (folder / "gone").symlink_to("nowhere.txt")
    (folder / "z-last.txt").write_text(_article(examples_dir).replace("Kazakhstan", "Kyrgyzstan"))
    items = list(iter_inputs([str(folder)]))
    bad = {Path(b.source).name: b.reason for b in items if isinstance(b, BadInput)}
    assert bad == {
        "a": "symlink loop",
        "b": "symlink loop",
        "loop": "symlink loop",
        "gone": "dangling symlink",
    }
    assert sorted(Path(r.source.location).name for r in items if isinstance(r, RawDocument)) == [
        "good.txt",
        "z-last.txt",
    ]
    result = _analyze(str(folder), "--db", str(tmp_path / "k.db"))
    assert result.exit_code == 0, result.output
    assert "4 skipped" in result.output and "skipped" in result.output
    assert "Traceback" not in result.output


# -- 2. deep nesting -----------------------------------------------------------------------------
@pytest.mark.parametrize("opening", ["<div>", "<font size=2>", "<span><b>"])
def test_clean_deeply_nested_html_keeps_its_article(opening):
    html = "<html><body>" + opening * 300 + f"<p>{BODY}</p><p>{BODY[::-1]}</p></body></html>"
    raw = RawDocument(SourceRef("deep.html"), html, InputFormat.HTML)
    doc = clean(raw)
    assert "Sentence 39 says that the protests in Almaty" in doc.text


def test_clean_too_deep_html_says_why():
    html = "<html><body>" + "<div>" * 2100 + f"<p>{BODY}</p>" + "</div>" * 2100 + "</body></html>"
    with pytest.raises(BadInput, match="nested deeper than the HTML parser's limit"):
        clean(RawDocument(SourceRef("deeper.html"), html, InputFormat.HTML))


# -- 7. NUL bytes, plain-text RSS, "at at" -------------------------------------------------------
@pytest.mark.parametrize("name", ["page.txt", "page.html"])
def test_ingest_a_stray_nul_byte_does_not_drop_the_page(name, tmp_path, examples_dir):
    text = _article(examples_dir)
    if name.endswith(".html"):
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        text = f"<html><body><article>{paragraphs}</article></body></html>"
    middle = len(text) // 2
    data = text[:middle].encode() + b"\x00" + text[middle:].encode()
    (tmp_path / name).write_bytes(data)
    (raw,) = list(iter_inputs([str(tmp_path / name)]))
    assert isinstance(raw, RawDocument), raw
    doc = clean(raw)
    assert "\x00" not in doc.text and "CSTO" in doc.text


def test_ingest_binary_with_many_nul_bytes_is_still_refused(tmp_path):
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)) * 40)
    (bad,) = list(iter_inputs([str(tmp_path / "blob.txt")]))
    assert isinstance(bad, BadInput) and "binary" in bad.reason


def test_feed_plain_text_and_fragment_descriptions_are_kept(tmp_path, examples_dir):
    from xml.sax.saxutils import escape

    body = _article(examples_dir)[:3000]
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Test Outlet</title>'
        f"<item><title>Plain</title><link>https://example.org/1</link>"
        f"<description>{escape(body)}</description></item>"
        f"<item><title>Fragment</title><link>https://example.org/2</link>"
        f"<description>{escape('<p>' + body[::-1] + '</p>')}</description></item>"
        "</channel></rss>"
    )
    (tmp_path / "feed.rss").write_text(feed)
    plain, fragment = list(iter_inputs([str(tmp_path / "feed.rss")]))
    assert plain.format is InputFormat.TEXT and fragment.format is InputFormat.HTML
    assert "now that CSTO forces have" in clean(plain).text
    assert len(clean(fragment).text) > 2000


def test_jsonl_malformed_message_says_at_once(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"text": "unterminated\n')
    with (tmp_path / "rows.jsonl").open("rb") as stream:
        (bad,) = list(read_jsonl("rows.jsonl", stream, max_bytes=1_000_000))
    assert "at at" not in bad.reason and "malformed JSON" in bad.reason


# -- 5. exit codes ---------------------------------------------------------------------------------
def test_analyze_exit_codes(tmp_path, examples_dir):
    db = str(tmp_path / "k.db")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = _analyze(str(examples_dir), str(tmp_path / "typo"), "--db", db)
    assert missing.exit_code != 0 and "no such input" in missing.output
    assert not (tmp_path / "k.db").exists()  # refused before anything was opened
    nothing = _analyze(str(empty), "--db", db)
    assert nothing.exit_code != 0 and "nothing to read" in nothing.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    (bad / "empty.txt").write_text("")
    failed = _analyze(str(bad), "--db", db)
    assert failed.exit_code != 0 and "every input failed (2 skipped)" in failed.output
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "good.txt").write_text(_article(examples_dir))
    (partial / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    ok = _analyze(str(partial), "--db", db)
    assert ok.exit_code == 0 and "1 skipped" in ok.output
    strict = _analyze(str(partial), "--db", db, "--strict")
    assert strict.exit_code != 0 and "(--strict)" in strict.output


def test_pipeline_stops_when_every_document_fails_the_same_way(tmp_path, examples_dir, monkeypatch):
    for i in range(8):
        (tmp_path / f"{i}.txt").write_text(_article(examples_dir) + f"\nVariant {i}.")

    def broken(self, raw, times):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(run_analysis.DocumentAnalysis, "clean", broken)
    with Store.open(tmp_path / "k.db") as store:
        with pytest.raises(pipeline.RunStopped, match="every document fails the same way"):
            pipeline.analyze([str(tmp_path)], store, only=["stats"])
        # Stopped early (8 inputs), each failure recorded.
        assert run_loop.SAME_ERROR_STOP <= len(store.problems()) < 8


# -- the run's own database among the inputs ------------------------------------------------------
def test_the_runs_own_database_in_the_input_folder_is_one_note_not_an_input(
    tmp_path, examples_dir, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # short paths: the terminal's lines stay whole
    folder = Path("corpus")
    (folder / "other").mkdir(parents=True)
    (folder / "good.txt").write_text(_article(examples_dir))
    db = folder / "k.db"
    first = _analyze(str(folder), "--db", str(db), "--strict")
    assert first.exit_code == 0, first.output
    assert f"not read {db}: the run's own database" in " ".join(first.output.split())
    assert "1 inputs" in first.output and "0 skipped" in first.output
    # Again, now that the database, its write-ahead log and shared memory (open while the run
    # walks the folder) lie beside the article, and another database of the same name in a
    # subfolder: that one is an input like any other.
    (folder / "other" / "k.db").write_bytes(db.read_bytes())
    again = _analyze(str(folder), "--db", str(db))
    out = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert out.count("not read") == 1 and "-wal" not in out and "-shm" not in out
    assert f"skipped {folder / 'other' / 'k.db'}: binary file (SQLite database)" in out
    assert "2 inputs" in out and "1 already stored, 1 skipped" in out
    with Store.open(db) as store:
        assert [Path(source).name for source, _ in store.problems()] == ["k.db"]
    # The database named on its own: nothing else to read, which is an error.
    alone = _analyze(str(db), "--db", str(db))
    assert alone.exit_code != 0 and "nothing to read" in alone.output
    assert f"not read {db}: the run's own database" in " ".join(alone.output.split())


def test_the_runs_own_database_in_a_folder_named_for_one_outlet_is_passed_over(
    tmp_path, examples_dir, monkeypatch
):
    """`--outlet` names the publisher of every input it reads; the run's own database is not
    one, and used to crash the run (a frozen note given an outlet), found by mypy (#19)."""
    monkeypatch.chdir(tmp_path)
    folder = Path("corpus")
    folder.mkdir()
    (folder / "good.txt").write_text(_article(examples_dir))
    db = folder / "k.db"
    result = _analyze(str(folder), "--db", str(db), "--outlet", "example.org")
    assert result.exit_code == 0, result.output
    assert f"not read {db}: the run's own database" in " ".join(result.output.split())
    with Store.open(db) as store:
        assert [doc.outlet for doc in store.documents()] == ["example.org"]


def test_iter_inputs_passes_over_excluded_files_by_identity(tmp_path, examples_dir):
    (tmp_path / "a.txt").write_text(_article(examples_dir))
    (tmp_path / "b.txt").write_text(_article(examples_dir).replace("Almaty", "Astana"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(_article(examples_dir).replace("Almaty", "Aktau"))
    exclude = {tmp_path / "a.txt": "noted", tmp_path / "b.txt": "", tmp_path / "gone.txt": "x"}
    items = list(iter_inputs([str(tmp_path)], exclude=exclude))
    assert [type(item).__name__ for item in items] == ["PassedOver", "RawDocument"]
    assert items[0].source == str(tmp_path / "a.txt") and items[0].reason == "noted"
    assert items[1].source.location == str(tmp_path / "sub" / "a.txt")


# -- 7. interrupted runs ---------------------------------------------------------------------------
def test_interrupted_run_is_marked_on_the_next_run_and_stats_shows_it(tmp_path, examples_dir):
    db = tmp_path / "k.db"
    with Store.open(db) as store:
        run = store.begin_run(sources=["x"], settings={})
    # Its process is gone: rewrite the run as started by a pid that does not exist.
    from sqlalchemy import update

    from narrascope.store import schema

    with Store.open(db) as store, store.engine.begin() as conn:
        settings = {"host": os.uname().nodename, "pid": 2**22 + 7}
        conn.execute(update(schema.runs).where(schema.runs.c.id == run).values(settings=settings))
    running = CliRunner().invoke(app, ["stats", "--db", str(db)])
    assert "1 running" in running.output
    assert _analyze(str(examples_dir), "--db", str(db)).exit_code == 0
    shown = CliRunner().invoke(app, ["stats", "--db", str(db)])
    assert shown.exit_code == 0 and "2 runs (1 interrupted)" in shown.output


# -- 7. serve token, HEAD --------------------------------------------------------------------------
def test_serve_refuses_an_empty_token(tmp_path):
    db = tmp_path / "k.db"
    Store.open(db).close()
    for given in (["--token", ""], ["--token", "  "]):
        result = CliRunner().invoke(app, ["serve", "--db", str(db), *given])
        assert result.exit_code != 0 and "empty token" in result.output
    (tmp_path / "token").write_text("\n")
    result = CliRunner().invoke(
        app, ["serve", "--db", str(db), "--token-file", str(tmp_path / "token")]
    )
    assert result.exit_code != 0 and "empty token" in result.output


@pytest.mark.parametrize("how", ["env", "file"])
def test_serve_takes_the_token_from_env_or_file(how, tmp_path, monkeypatch):
    from narrascope import web

    db = tmp_path / "k.db"
    Store.open(db).close()
    seen = {}
    monkeypatch.setattr(web, "serve", lambda db, **kw: seen.update(kw))
    args = ["serve", "--db", str(db)]
    if how == "env":
        monkeypatch.setenv("NARRASCOPE_TOKEN", "s3cret-from-env")
        expected = "s3cret-from-env"
    else:
        (tmp_path / "token").write_text("s3cret-from-file\n")
        args += ["--token-file", str(tmp_path / "token")]
        expected = "s3cret-from-file"
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen["token"] == expected


def test_web_head_answers_like_get(tmp_path):
    from fastapi.testclient import TestClient

    from narrascope.web.app import create_app

    db = tmp_path / "k.db"
    Store.open(db).close()
    with TestClient(create_app(db)) as client:
        got, head = client.get("/"), client.head("/")
        assert head.status_code == got.status_code == 200
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
        assert client.head("/api/v1/outlets").status_code == 200
    with TestClient(create_app(db, token="t0ken")) as client:
        assert client.head("/").status_code == 401


# -- 7. private addresses, redirect time -----------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::10.0.0.1",  # IPv4-compatible
        "::127.0.0.1",
        "::ffff:169.254.169.254",  # IPv4-mapped link-local (cloud metadata)
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo
    ],
)
def test_web_refuses_ipv6_forms_of_private_addresses(address):
    with pytest.raises(NotReadable, match="non-public address"):
        refuse_private("evil.example", lambda _host: [address])


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"])
def test_web_lets_public_ipv6_forms_through(address):
    assert refuse_private("ok.example", lambda _host: [address]) == [address]


def test_web_redirect_chain_shares_one_time_budget():
    hops = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        hops["n"] += 1
        time.sleep(0.4)  # each hop well inside a per-request timeout
        return httpx.Response(302, headers={"location": f"/hop{hops['n']}"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    fetcher = Fetcher(client, allow_private=True, timeout=1.0, max_redirects=20)
    started = time.monotonic()
    with pytest.raises(NotReadable, match="timed out"):
        fetcher.fetch("http://slow.example/")
    assert time.monotonic() - started < 2.0 and hops["n"] < 5


# -- 8. declared dependencies ----------------------------------------------------------------------
def _imports(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"narrascope", "__future__"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_import_in_src_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    providers = packages_distributions()
    # A module not installed here (torch outside the lock, #16) must be declared by its own name.
    undeclared = {
        module: providers.get(module, [module])
        for module in _imports(ROOT / "src" / "narrascope")
        if not {d.lower().replace("_", "-") for d in providers.get(module, [module])} & declared
    }
    assert undeclared == {}
    # trafilatura imports lxml's HTML cleaner, which pip 23 does not bring as an extra (#18).
    assert "lxml-html-clean" in {_name(r) for r in project["dependencies"]}


def test_lock_file_pins_the_dependencies_without_torch_or_narrascope():
    pins = {
        _name(line): line.split("==", 1)[1]
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert "torch" not in pins and "narrascope" not in pins
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert _name(requirement) in pins, requirement
