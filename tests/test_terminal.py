"""`narrascope show` as an analyst reads it (terminal.render_document)."""

from __future__ import annotations

from rich.console import Console

from narrascope.analyzers import not_analyzed
from narrascope.model import Document, SourceRef
from narrascope.terminal import render_document
from narrascope.text import segment


def test_show_groups_not_analyzed_notes_by_reason():
    """A not-article page left ten identical "not analyzed" lines; one line per reason now."""
    doc = segment(Document("Watch the video\nShare", SourceRef("video.html"), language="en"))
    thin = "not an article: too little prose: 0 words of running text"
    notes = [not_analyzed(doc, name, thin) for name in ("entities", "quotes", "genre")]
    notes.append(not_analyzed(doc, "narratives", "outside the taxonomy: p=0.02"))
    console = Console(width=400, record=True)
    console.print(render_document(doc, notes))
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert f"{thin} — entities, quotes, genre" in lines
    assert "outside the taxonomy: p=0.02 — narratives" in lines
    assert not any("analyzer=" in line for line in lines)
