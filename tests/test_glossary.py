"""The label glossary (#17): docs/glossary.md is generated from the taxonomy files and current."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.export.glossary import glossary, glossary_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_glossary_markdown_is_up_to_date():
    current = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert current == glossary_markdown(), (
        "docs/glossary.md is stale: run `narrascope glossary --markdown > docs/glossary.md`"
    )


def test_glossary_defines_every_label_of_every_layer():
    terms = glossary()
    count = {layer: sum(t.layer == layer for t in terms) for layer in {t.layer for t in terms}}
    assert count["technique"] == 23 and count["genre"] == 3 and count["frame"] == 14
    assert count["role"] == 3 and count["fine role"] == 22
    assert count["narrative"] >= 20 and count["subnarrative"] >= 70
    assert all(t.definition.strip() for t in terms)
    page = glossary_markdown()
    for term in terms:  # every label, subnarratives under their narrative, on the page
        assert term.label.removeprefix(f"{term.parent}: ") in page, term.label
    assert "**Loaded_Language**: Words with strong emotional charge" in page


def test_cli_glossary_prints_one_layer_and_json():
    runner = CliRunner()
    roles = runner.invoke(app, ["glossary", "role"])
    assert roles.exit_code == 0 and "Antagonist (role)" in roles.output
    assert "Guardian" not in roles.output  # a fine role is its own layer
    data = json.loads(runner.invoke(app, ["glossary", "technique", "--json"]).stdout)
    assert {t["label"] for t in data["labels"]} >= {"Loaded_Language", "Doubt", "Slogans"}
    bad = runner.invoke(app, ["glossary", "nonsense"])
    assert bad.exit_code == 1 and "no layer" in bad.output
