"""Issue #18, property-based: no bytes, however hostile, raise out of the decoders, cleaners,
segmenter or the run loop; an earlier document is never lost; one line per skipped input.

Hypothesis draws arbitrary bytes and mutations of real pages (the Kazakhstan articles and a
page of the article-extraction benchmark): cuts, inserted bytes, NULs, unclosed tags, deep
nesting, repeated chunks, under every file suffix the readers know.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrascope.clean import clean
from narrascope.ingest import iter_inputs
from narrascope.ingest.decode import NotReadable, decode
from narrascope.model import BadInput, Document, RawDocument, SourceRef
from narrascope.run import LocalExecutor, RunLoop, load_analysis
from narrascope.store import Store
from narrascope.text import segment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"
BENCHMARK_HTML = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "article-extraction-benchmark"
    / "html"
)
SUFFIXES = [".txt", ".html", ".htm", ".xml", ".rss", ".jsonl", ".csv", ".warc", ".gz", ""]
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _real_pages() -> list[bytes]:
    pages = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.txt"))]
    if BENCHMARK_HTML.is_dir():
        found = sorted(BENCHMARK_HTML.glob("*.html*"))[:2]
        pages += [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
                  for p in found]  # fmt: skip
    return pages


PAGES = _real_pages()
INSERTS = st.sampled_from(
    [b"\x00", b"\xff\xfe", b"<font>" * 300, b"<div>" * 400, b"</p></div>", b"\x1b[31m", b"\r",
     b"<script>", b"<!--", b"]]>", b"\xe2\x80", b'{"text": ', b"\x89PNG\r\n\x1a\n", b"<?xml "]
)  # fmt: skip


@st.composite
def mutated_pages(draw) -> bytes:
    """A real page, cut, with hostile bytes inserted and a chunk repeated."""
    page = draw(st.sampled_from(PAGES))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(page)))
        what = draw(st.one_of(INSERTS, st.binary(max_size=64)))
        page = page[:at] + what + page[at:]
    if draw(st.booleans()):
        page = page[: draw(st.integers(0, len(page)))]
    if draw(st.booleans()) and page:
        start = draw(st.integers(0, len(page) - 1))
        page = page + page[start : start + 2000] * draw(st.integers(1, 3))
    return page


HOSTILE = st.one_of(st.binary(max_size=4000), mutated_pages())


@PROPERTY
@given(data=HOSTILE)
def test_decode_returns_text_or_refuses(data):
    try:
        text = decode(data, markup=True)
    except NotReadable as exc:
        assert str(exc)
        return
    assert isinstance(text, str) and "\x00" not in text


@PROPERTY
@given(data=HOSTILE, suffix=st.sampled_from(SUFFIXES))
def test_ingest_clean_segment_never_raise_anything_else(data, suffix, tmp_path):
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    items = list(iter_inputs([str(path)]))
    assert items, "every input yields at least one line or document"
    for item in items:
        if isinstance(item, BadInput):
            assert item.source and item.reason
            continue
        assert isinstance(item, RawDocument)
        try:
            doc = segment(clean(item))
        except BadInput as bad:
            assert bad.reason
            continue
        assert doc.text.strip()
        for start, end in doc.paragraphs + doc.sentences:
            assert 0 <= start < end <= len(doc.text)
        assert doc.sentences == sorted(doc.sentences)


@PROPERTY
@given(text=st.text(min_size=1, max_size=3000).filter(str.strip))
def test_store_round_trip_keeps_text_and_offsets(text, tmp_path_factory):
    db = tmp_path_factory.mktemp("roundtrip") / "k.db"
    doc = segment(Document(text=text.replace("\x00", "\ufffd"), source=SourceRef("x.txt")))
    with Store.open(db) as store:
        store.add(doc, [])
    with Store.open(db, readonly=True) as store:
        back = store.document(doc.id)
    assert back is not None
    assert (back.text, back.paragraphs, back.sentences) == (doc.text, doc.paragraphs, doc.sentences)


@pytest.fixture(scope="module")
def run_loop(tmp_path_factory):
    """One store and one loaded pipeline for every drawn example (models load once)."""
    db = tmp_path_factory.mktemp("loop") / "k.db"
    store = Store.open(db)
    yield store, RunLoop(store, LocalExecutor(load_analysis(["stats"])))
    store.close()


@settings(PROPERTY, max_examples=25)
@given(files=st.lists(st.tuples(HOSTILE, st.sampled_from(SUFFIXES)), min_size=1, max_size=4))
def test_run_loop_keeps_earlier_documents_and_one_line_per_skip(files, run_loop, tmp_path):
    store, loop = run_loop
    before = {doc.id for doc in store.documents()}
    folder = tmp_path / f"batch{len(before)}"
    folder.mkdir(exist_ok=True)
    for i, (data, suffix) in enumerate(files):
        (folder / f"{i:02}{suffix}").write_bytes(data)
    items = list(iter_inputs([str(folder)]))
    run_id = store.begin_run(sources=[str(folder)], settings={})
    report = loop.run(items, run_id=run_id)
    store.finish_run(run_id, counts=dict(report.counts))
    after = {doc.id for doc in store.documents()}
    assert before <= after  # nothing stored before is lost
    assert report.counts["inputs"] == len(items)
    assert len(report.problems) == len(store.problems(run_id))  # every skip recorded, once
    ok = sum(report.counts[k] for k in ("stored", "exact copies", "already stored"))
    assert ok + len(report.problems) == len(items)  # one outcome per input, a line per skip
    assert all(reason and not reason.startswith("internal error") for _, reason in report.problems)
