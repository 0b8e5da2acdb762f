"""CLI manners (#17): a progress bar that knows its total, `--json` on the reading commands,
`--outlet` for a folder of one publisher, and a next-step hint after `analyze`."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.ingest.count import count_inputs

runner = CliRunner()


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory, examples_dir):
    """The five examples analyzed by every analyzer through the CLI: (database, result)."""
    db = tmp_path_factory.mktemp("manners") / "k.db"
    result = runner.invoke(app, ["analyze", str(examples_dir), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return str(db), result


def _json(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_count_inputs_counts_files_and_jsonl_lines(tmp_path, examples_dir):
    assert count_inputs([str(examples_dir)]) == 5  # the folder's README is not an input
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "a"}\n\n{"text": "b"}\n{"text": "c"}\n', encoding="utf-8")
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<html><body><p>One page.</p></body></html>"))
    assert count_inputs([str(examples_dir), str(rows), str(page)]) == 5 + 3 + 1
    assert count_inputs([str(tmp_path / "missing.txt")]) == 1  # one skipped input


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("crawl.warc", b"WARC/1.0\r\n"),
        ("feed.xml", b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'),
        ("rows.csv", b'text\n"two\nlines"\n'),
        ("rows.jsonl.gz", gzip.compress(b'{"text": "a"}\n')),
    ],
)
def test_count_inputs_gives_no_total_when_counting_is_dear(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    assert count_inputs([str(tmp_path)]) is None
    assert count_inputs(["https://example.org/feed"]) is None


def test_cli_analyze_shows_total_eta_and_next_step(analyzed):
    db, result = analyzed
    assert "5/5" in result.stderr and "eta" in result.stderr  # not "5/?"
    assert f"next: narrascope list --db {db}" in result.stdout
    assert f"narrascope serve --db {db}" in result.stdout
    assert "narrascope report --out report/" in result.stdout


def test_cli_stats_and_list_json(analyzed):
    db, _ = analyzed
    stats = _json(["stats", "--db", db, "--json"])
    assert stats["documents"] == 5 and stats["annotations"]["technique"] > 0
    listing = runner.invoke(app, ["list", "--db", db, "--json"])
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert len(rows) == 5
    assert set(rows[0]) >= {"id", "title", "outlet", "published", "language", "words", "url"}
    titles = {r["title"] for r in rows}
    assert "Kazakhstan Chaos: An Opportunity, But for Who?" in titles


def test_cli_show_json_is_the_api_reader(analyzed):
    db, _ = analyzed
    first = json.loads(runner.invoke(app, ["list", "--db", db, "--json"]).stdout.splitlines()[0])
    shown = _json(["show", first["id"][:8], "--db", db, "--json"])
    doc = shown["document"]
    assert doc["id"] == first["id"] and doc["text"]
    spans = [a for a in shown["annotations"] if a["layer"] == "technique"]
    assert all(doc["text"][a["start"] : a["end"]].strip() for a in spans)
    assert {"sentences", "legend", "publications", "copies", "storylines"} <= set(shown)
    removed = _json(["show", first["id"], "--db", db, "--json", "--removed"])
    assert removed["id"] == first["id"] and all(
        {"text", "reason"} == set(r) for r in removed["removed"]
    )
    missing = runner.invoke(app, ["show", "zzzz", "--db", db, "--json"])
    assert missing.exit_code == 1 and "no document" in missing.output


def test_cli_search_json(analyzed):
    db, _ = analyzed
    page = _json(["search", "Tokayev", "--db", db, "--json", "--limit", "3"])
    assert page["total"] >= 3 and len(page["results"]) == 3
    assert all("Tokayev" in hit["snippet"] for hit in page["results"])
    assert {"next_cursor", "facets", "capped"} <= set(page)
    like = _json(["search", "foreign interference", "--like", "--db", db, "--json"])
    assert like["query"] == "foreign interference" and like["results"][0]["similarity"] > 0


def test_cli_storylines_and_profile_json(analyzed):
    db, _ = analyzed
    listing = _json(["storylines", "--db", db, "--json"])
    assert listing["available"] and listing["data"]["lines"]
    first = listing["data"]["lines"][0]["id"]
    one = _json(["storylines", first, "--db", db, "--json"])
    assert one["data"]["id"] == first and one["data"]["sentences"]
    profile = _json(["profile", "(no outlet)", "--db", db, "--json"])
    assert profile["name"] == "(no outlet)" and profile["profile"]["data"]["documents"] >= 1
    missing = runner.invoke(app, ["profile", "nowhere.example", "--db", db, "--json"])
    assert missing.exit_code == 1 and "no outlet" in missing.output


def test_cli_json_escapes_terminal_controls(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = (
        "Harbour bridge closed\n\n" + "The council closed the \x1b[31mold\u202e bridge today. " * 8
    )
    (folder / "a.txt").write_text(text, encoding="utf-8")
    db = str(tmp_path / "c.db")
    assert (
        runner.invoke(app, ["analyze", str(folder), "--db", db, "--only", "stats"]).exit_code == 0
    )
    listing = runner.invoke(app, ["list", "--db", db, "--json"]).stdout
    assert "\x1b" not in listing and "\u202e" not in listing
    assert json.loads(listing)["id"]


def test_cli_analyze_outlet_names_every_input(tmp_path, examples_dir):
    folder = tmp_path / "journal"
    shutil.copytree(examples_dir, folder)
    db = str(tmp_path / "o.db")
    args = ["analyze", str(folder), "--db", db, "--only", "stats"]
    refused = runner.invoke(app, [*args, "--outlet", "02.11.2021"])
    assert refused.exit_code == 1 and "not a publisher" in refused.output
    assert not (tmp_path / "o.db").exists()  # refused before anything was made
    result = runner.invoke(app, [*args, "--outlet", "journal-neo.org"])
    assert result.exit_code == 0, result.output
    rows = [
        json.loads(r)
        for r in runner.invoke(app, ["list", "--db", db, "--json"]).stdout.splitlines()
    ]
    assert [r["outlet"] for r in rows] == ["journal-neo.org"] * 5


def test_readme_show_sample_is_real_output(analyzed):
    """The README's `show` excerpt is what `show` prints on the example (#17): re-run it and
    paste again when a model changes."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    sample = readme.split("## What it shows", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    db, _ = analyzed
    shown = runner.invoke(app, ["show", "5a7700d3", "--db", db])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.stdout.split())
    for piece in sample.split("…"):
        assert " ".join(piece.split()) in flat


def test_cli_reanalyze_and_report_bars_know_their_total(analyzed, tmp_path):
    db, _ = analyzed
    again = runner.invoke(app, ["reanalyze", "--db", db])
    assert again.exit_code == 0, again.output
    assert "5/5" in again.stderr and "eta" in again.stderr
    report = runner.invoke(app, ["report", "--out", str(tmp_path / "report"), "--db", db])
    assert report.exit_code == 0, report.output
    assert "5/5" in report.stderr and "eta" in report.stderr
