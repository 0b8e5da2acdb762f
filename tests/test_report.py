"""The static HTML report: writes every page, highlights technique spans, escapes article text."""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

import numpy as np

from narrascope.export.report import write_report
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.store import Store

PAYLOAD = '<script>alert(1)</script> and <img src=x onerror="alert(2)"> "quoted" & more'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.remote: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name in ("src", "href") and value and "://" in value:
                self.remote.append(value)


def _hostile_store(path) -> tuple[Store, Document]:
    text = f"Title line.\nThe minister said {PAYLOAD} today.\nA calm closing sentence here."
    spans = [(0, 11), (12, text.index(" today.") + 7), (text.index("A calm"), len(text))]
    doc = Document(
        text=text,
        source=SourceRef("evil.html"),
        outlet='evil<b onmouseover="x()">.example',
        title=f"Title {PAYLOAD}",
        published=datetime(2022, 1, 6),
        language="en",
        sentences=spans,
        paragraphs=spans,
    )
    start = text.index("<script>")
    anns = [
        Annotation(
            doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v1", start, start + 30, 0.9
        ),
        Annotation(
            doc.id,
            Layer.QUOTE,
            "direct",
            "quotes-v1",
            start,
            start + 25,
            1.0,
            attrs={"speaker": "<img src=y onerror=alert(3)>"},
        ),
        Annotation(
            doc.id,
            Layer.NARRATIVE,
            "URW: <svg onload=alert(4)>",
            "narratives-v1",
            score=0.7,
            evidence=[spans[1]],
        ),
    ]
    store = Store.open(path)
    store.add(doc, anns, vectors=np.eye(3, 8, dtype=np.float32), encoder="test")
    return store, doc


def test_report_escapes_hostile_article_text(tmp_path):
    store, doc = _hostile_store(tmp_path / "x.db")
    with store:
        result = write_report(store, tmp_path / "report")
    assert result.articles == 1
    for page in (
        tmp_path / "report" / "index.html",
        tmp_path / "report" / "articles" / f"{doc.id}.html",
    ):
        html = page.read_text(encoding="utf-8")
        parser = _Tags()
        parser.feed(html)
        assert "script" not in parser.tags and "img" not in parser.tags
        assert parser.handlers == [] and parser.remote == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "Content-Security-Policy" in html


def test_report_highlights_technique_spans(tmp_path):
    store, doc = _hostile_store(tmp_path / "x.db")
    with store:
        write_report(store, tmp_path / "report")
    html = (tmp_path / "report" / "articles" / f"{doc.id}.html").read_text(encoding="utf-8")
    assert (
        '<mark title="Loaded_Language 0.90">&lt;script&gt;alert(1)&lt;/script&gt; and </mark>'
        in html
    )
    assert "URW: &lt;svg onload=alert(4)&gt;" in html


def test_report_on_the_example_corpus(tmp_path, examples_dir):
    from narrascope import pipeline
    from narrascope.corpus.storylines import update_storylines

    with Store.open(tmp_path / "k.db") as store:
        pipeline.analyze([examples_dir], store, only=["stats", "narratives"])
        update_storylines(store)
        result = write_report(store, tmp_path / "report")
    assert result.articles == 5 and result.storylines >= 1
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Storylines" in index and "journal-neo.org" in index and "<svg" in index
    assert len(list((tmp_path / "report" / "articles").glob("*.html"))) == 5
