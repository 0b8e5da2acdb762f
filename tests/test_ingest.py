"""Ingest readers on small real inputs the tests build, and on the example corpus.

The network is faked with `httpx.MockTransport`; public hosts are IP literals, so nothing is
resolved or sent. Every bad input must come out as one `BadInput` with a clear reason while
the stream goes on.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import inspect
import io
import json
import random
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from narrascope.ingest import iter_inputs
from narrascope.ingest.decode import NotReadable
from narrascope.ingest.web import Fetcher, refuse_private
from narrascope.model import BadInput, InputFormat, RawDocument

RUSSIAN = (
    "В Казахстане продолжаются беспорядки. Силы ОДКБ взяли ситуацию под контроль, "
    "заявил президент Токаев. Эксперты считают, что события были спланированы заранее."
)
ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><p>{body}</p></article></body></html>"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(*sources, **options) -> tuple[list[RawDocument], list[BadInput]]:
    items = list(iter_inputs([str(s) if isinstance(s, Path) else s for s in sources], **options))
    docs = [i for i in items if isinstance(i, RawDocument)]
    bad = [i for i in items if isinstance(i, BadInput)]
    assert len(docs) + len(bad) == len(items)
    return docs, bad


def reasons(bad: list[BadInput]) -> dict[str, str]:
    return {b.source: b.reason for b in bad}


# --- the example corpus ---------------------------------------------------------------------


def test_ingest_example_corpus_reads_five_articles_not_the_readme(examples_dir):
    docs, bad = read(examples_dir)
    assert bad == []
    names = [Path(d.source.location).name for d in docs]
    assert names == sorted(p.name for p in examples_dir.glob("*.txt"))
    assert len(names) == 5 and "README.md" not in names
    for doc in docs:
        path = Path(doc.source.location)
        assert doc.format is InputFormat.TEXT and doc.source.record is None
        assert doc.source.raw_sha256 == sha(path.read_bytes())
        assert doc.source.location == str(examples_dir / path.name)
    assert docs[0].content.startswith("The Crosseyed Western Perception of\xa0Kazakhstan.\n")
    assert docs[2].content.startswith("Editorial\nJanuary 7, 2022\n")


def test_ingest_is_a_lazy_stream(examples_dir, tmp_path):
    stream = iter_inputs([str(examples_dir), str(tmp_path / "missing.txt")])
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert isinstance(first, RawDocument) and first.source.location.endswith(
        "000_8f4d98db21bab007.txt"
    )
    rest = list(stream)
    assert isinstance(rest[-1], BadInput) and rest[-1].reason == "no such file or directory"


def test_ingest_glob_skips_notes_and_hidden_files(examples_dir, tmp_path):
    (tmp_path / ".hidden.txt").write_text("secret notes " * 20)
    (tmp_path / "LICENSE").write_text("MIT " * 20)
    (tmp_path / "PROVENANCE.md").write_text("Where these came from.")
    (tmp_path / "licensed-trade.txt").write_text("An article about licensed trade.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# Second\n\nA markdown article body.")
    (tmp_path / "a.txt").write_text("A plain article body.")
    docs, bad = read(tmp_path)
    assert [Path(d.source.location).relative_to(tmp_path).as_posix() for d in docs] == [
        "a.txt",
        "licensed-trade.txt",
        "sub/b.md",
    ]
    assert bad == []
    docs, bad = read(str(examples_dir) + "/*")
    assert len(docs) == 5 and bad == []
    docs, bad = read(str(tmp_path / "*.nothing"))
    assert docs == [] and bad[0].reason == "no file matches this pattern"


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cp1251.txt", RUSSIAN.encode("cp1251")),
        ("koi8.txt", RUSSIAN.encode("koi8-r")),
        ("utf16-bom.txt", RUSSIAN.encode("utf-16")),
        ("utf8-bom.txt", codecs.BOM_UTF8 + RUSSIAN.encode("utf-8")),
    ],
)
def test_ingest_text_encodings_are_detected(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    docs, bad = read(tmp_path / name)
    assert bad == [] and docs[0].content == RUSSIAN
    assert docs[0].source.raw_sha256 == sha(data)


def test_ingest_utf16_without_bom(tmp_path):
    text = "CSTO forces have brought the riots under control, the ministry said."
    (tmp_path / "a.txt").write_bytes(text.encode("utf-16-le"))
    (tmp_path / "b.txt").write_bytes(text.encode("utf-16-be"))
    docs, bad = read(tmp_path)
    assert bad == [] and [d.content for d in docs] == [text, text]


def test_ingest_utf8_with_a_stray_byte_and_cp1252_with_one_sign(tmp_path):
    (tmp_path / "cut.txt").write_bytes(RUSSIAN.encode() + b" \xd0")  # cut mid-character
    (tmp_path / "west.txt").write_bytes(
        "Protests spread across the country. © 2022 Steppe News".encode("cp1252")
    )
    docs, bad = read(tmp_path)
    assert bad == []
    assert docs[0].content == RUSSIAN + " \ufffd"
    assert docs[1].content.endswith("© 2022 Steppe News")


def test_ingest_html_declared_charset(tmp_path):
    page = ARTICLE.format(title="Новости", body=RUSSIAN).replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    )
    (tmp_path / "page.htm").write_bytes(page.encode("cp1251"))
    docs, bad = read(tmp_path)
    assert bad == [] and docs[0].format is InputFormat.HTML and RUSSIAN in docs[0].content


def test_ingest_undecodable_bytes_are_bad_input(tmp_path):
    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))
    (tmp_path / "noise.txt").write_bytes(noise)
    docs, bad = read(tmp_path / "noise.txt")
    assert docs == [] and bad[0].reason.startswith("undecodable bytes")


# --- bad files ------------------------------------------------------------------------------


def test_ingest_bad_files_give_one_reason_each_and_the_stream_goes_on(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_empty.txt").write_bytes(b"")
    (folder / "b_blank.md").write_text("  \n\n ")
    (folder / "c_nul.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    (folder / "d_image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "e_report.docx").write_text("looks like text but is not a format we read")
    (folder / "f_truncated.html.gz").write_bytes(gzip.compress(b"<html><body>" + b"x" * 5000)[:40])
    big = ARTICLE.format(title="Big", body="word " * 400).encode()
    (folder / "g_big.html").write_bytes(big)
    (folder / "z_good.txt").write_text("The article that must still be read.")
    docs, bad = read(folder, max_bytes=1000)
    assert [Path(d.source.location).name for d in docs] == ["z_good.txt"]
    got = {Path(source).name: reason for source, reason in reasons(bad).items()}
    assert got == {
        "a_empty.txt": "empty file",
        "b_blank.md": "empty file (whitespace only)",
        "c_nul.txt": "binary content (NUL bytes)",
        "d_image.html": "binary file (PNG image)",
        "e_report.docx": "unsupported file type '.docx'",
        "f_truncated.html.gz": "truncated gzip stream",
        "g_big.html": f"file over size cap ({len(big):,} > 1,000 bytes)",
    }
    docs, bad = read(tmp_path / "nowhere")
    assert docs == [] and reasons(bad) == {str(tmp_path / "nowhere"): "no such file or directory"}


def test_ingest_gzip_html_and_gzip_bomb(tmp_path):
    page = ARTICLE.format(title="Almaty", body="Protesters gathered in the main square.").encode()
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(page))
    docs, bad = read(tmp_path / "page.html.gz")
    assert bad == [] and docs[0].format is InputFormat.HTML and docs[0].content == page.decode()
    assert docs[0].source.raw_sha256 == sha((tmp_path / "page.html.gz").read_bytes())
    (tmp_path / "bomb.html.gz").write_bytes(gzip.compress(b"<html>" + b" " * 5_000_000))
    docs, bad = read(tmp_path / "bomb.html.gz", max_bytes=100_000)
    assert docs == [] and bad[0].reason == "decompressed size over cap (100,000 bytes)"


def test_ingest_sniffs_content_when_the_name_says_little(tmp_path):
    page = ARTICLE.format(title="T", body="Body text.")
    (tmp_path / "saved-page").write_text(page)
    (tmp_path / "page-as.txt").write_text("<!DOCTYPE html>\n" + page)
    (tmp_path / "plain").write_text("Just an article in a file without a suffix.")
    docs, bad = read(tmp_path)
    assert bad == []
    assert [(Path(d.source.location).name, d.format) for d in docs] == [
        ("page-as.txt", InputFormat.HTML),
        ("plain", InputFormat.TEXT),
        ("saved-page", InputFormat.HTML),
    ]


# --- WARC -----------------------------------------------------------------------------------


def _write_warc(path: Path, *, gzipped: bool = True) -> list[tuple[str, bytes]]:
    """A small crawl: two HTML pages (one cp1251), a request, an image, a 404; returns pages."""
    pages = [
        (
            "https://news.example/almaty",
            ARTICLE.format(title="Almaty", body="Calm returned.").encode(),
        ),
        ("https://vesti.example/ru", ARTICLE.format(title="Вести", body=RUSSIAN).encode("cp1251")),
    ]
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzipped)
        writer.write_record(
            writer.create_warc_record(
                pages[0][0],
                "request",
                payload=io.BytesIO(b"GET /almaty HTTP/1.1\r\nHost: news.example\r\n\r\n"),
            )
        )
        for (url, body), charset in zip(pages, ["utf-8", "windows-1251"], strict=True):
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", f"text/html; charset={charset}")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=headers
                )
            )
        for url, status, ctype in [
            ("https://news.example/logo.png", "200 OK", "image/png"),
            ("https://news.example/gone", "404 Not Found", "text/html"),
        ]:
            headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(b"<html>x</html>"), http_headers=headers
                )
            )
    return pages


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_ingest_warc_html_responses(tmp_path, name):
    pages = _write_warc(tmp_path / name, gzipped=name.endswith(".gz"))
    docs, bad = read(tmp_path / name)
    assert bad == []
    assert [d.url for d in docs] == [url for url, _ in pages]
    assert [d.source.raw_sha256 for d in docs] == [sha(body) for _, body in pages]
    assert all(d.format is InputFormat.HTML and d.published is None for d in docs)
    assert all(d.source.record and d.source.record.startswith("urn:uuid:") for d in docs)
    assert len({d.source.record for d in docs}) == 2
    assert RUSSIAN in docs[1].content and "<title>Вести</title>" in docs[1].content


def test_ingest_truncated_warc_keeps_the_records_before_the_break(tmp_path):
    _write_warc(tmp_path / "full.warc.gz")
    data = (tmp_path / "full.warc.gz").read_bytes()
    for cut in (len(data) - 30, len(data) // 2):
        (tmp_path / "cut.warc.gz").write_bytes(data[:cut])
        docs, bad = read(tmp_path / "cut.warc.gz")
        assert len(bad) == 1 and "truncated" in bad[0].reason, bad
        assert len(docs) < 2 or cut == len(data) - 30
    (tmp_path / "cut.warc.gz").write_bytes(data[: len(data) - 30])
    docs, _ = read(tmp_path / "cut.warc.gz")
    assert [d.url for d in docs] == ["https://news.example/almaty", "https://vesti.example/ru"]
    plain = tmp_path / "plain.warc"
    _write_warc(plain, gzipped=False)
    raw = plain.read_bytes()
    cut_at = raw.index(b"Calm returned.") + 5
    (tmp_path / "cut.warc").write_bytes(raw[:cut_at])
    docs, bad = read(tmp_path / "cut.warc")
    assert docs == [] and bad[0].reason == "truncated WARC: record 2 is cut off"


def test_ingest_not_a_warc_and_a_record_over_the_cap(tmp_path):
    (tmp_path / "fake.warc").write_text("this is not an archive\n" * 5)
    docs, bad = read(tmp_path / "fake.warc")
    assert docs == [] and bad[0].reason.startswith("not a valid WARC")
    pages = _write_warc(tmp_path / "crawl.warc.gz")
    cap = (len(pages[0][1]) + len(pages[1][1])) // 2
    docs, bad = read(tmp_path / "crawl.warc.gz", max_bytes=cap)
    small = min(pages, key=lambda page: len(page[1]))
    assert [d.url for d in docs] == [small[0]]
    assert len(bad) == 1 and bad[0].reason == f"page over size cap ({cap:,} bytes)"
    assert bad[0].source.startswith(f"{tmp_path / 'crawl.warc.gz'}#urn:uuid:")


def test_ingest_csv_row_over_the_cap_and_broken_quotes(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text('title,text\nA,"' + "x" * 3000 + '"\nB,fine text\n')
    docs, bad = read(path, max_bytes=1000)
    assert [(d.source.record, d.content) for d in docs] == [("3", "fine text")]
    assert reasons(bad) == {f"{path}#2": "row over size cap (1,000 characters)"}


# --- JSONL and CSV --------------------------------------------------------------------------


def test_ingest_jsonl_lines_with_metadata_and_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {
                "text": "Tokayev asked the CSTO for help.",
                "url": "https://e.kz/a",
                "title": "Help",
                "date": "2022-01-06T10:00:00+06:00",
                "outlet": "E.kz",
                "authors": ["A. One", "B. Two"],
                "language": "en-GB",
            }
        ),
        "",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "no body"}),
        json.dumps(
            {
                "html": "<p>Second article</p>",
                "published": "Fri, 07 Jan 2022 11:50:00 GMT",
                "author": "C. Three; D. Four",
            }
        ),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, bad = read(path)
    assert [d.source.record for d in docs] == ["1", "6"]
    first, second = docs
    assert (first.format, first.url, first.title, first.outlet, first.language) == (
        InputFormat.TEXT,
        "https://e.kz/a",
        "Help",
        "E.kz",
        "en",
    )
    assert first.published == datetime(2022, 1, 6, 4, 0) and first.authors == ("A. One", "B. Two")
    assert first.source.raw_sha256 == sha(lines[0].encode())
    assert second.format is InputFormat.HTML and second.published == datetime(2022, 1, 7, 11, 50)
    assert second.authors == ("C. Three", "D. Four")
    assert reasons(bad) == {
        f"{path}#3": "malformed JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}#4": "not a JSON object but list",
        f"{path}#5": "no text or html field",
    }


def test_ingest_jsonl_gz_truncated_keeps_lines_before_the_break(tmp_path):
    body = "".join(json.dumps({"text": f"Article number {i} " * 30}) + "\n" for i in range(200))
    packed = gzip.compress(body.encode())
    (tmp_path / "a.jsonl.gz").write_bytes(packed)
    docs, bad = read(tmp_path / "a.jsonl.gz")
    assert len(docs) == 200 and bad == []
    (tmp_path / "a.jsonl.gz").write_bytes(packed[: len(packed) * 2 // 3])
    docs, bad = read(tmp_path / "a.jsonl.gz")
    assert 0 < len(docs) < 200 and [d.source.record for d in docs] == [
        str(i) for i in range(1, len(docs) + 1)
    ]
    assert [b.reason for b in bad] == ["truncated gzip stream"]


def test_ingest_utf16_jsonl_cut_mid_character_keeps_lines_before_the_break(tmp_path):
    # Found by Hypothesis: a BOM'd UTF-16 stream with an odd byte count used to escape as
    # UnicodeDecodeError (surrogateescape cannot escape half a code unit).
    lines = "".join(json.dumps({"text": f"Article number {i} " * 10}) + "\n" for i in range(3))
    (tmp_path / "a.jsonl").write_bytes(lines.encode("utf-16") + b":")
    docs, bad = read(tmp_path / "a.jsonl")
    assert [d.source.record for d in docs] == ["1", "2", "3"]
    assert [b.reason for b in bad] == ["undecodable bytes (utf-16-le: truncated data)"]


def test_ingest_jsonl_gzip_bomb_is_stopped(tmp_path, monkeypatch):
    from narrascope.ingest import decode

    monkeypatch.setattr(decode, "RATIO_FREE_BYTES", 1 << 16)  # the real floor is 8 MB
    line = json.dumps({"text": "An article."}) + "\n"
    (tmp_path / "bomb.jsonl.gz").write_bytes(gzip.compress((line + "\n" * 1_000_000).encode()))
    docs, bad = read(tmp_path / "bomb.jsonl.gz")
    assert [d.content for d in docs] == ["An article."]
    assert [b.reason for b in bad] == ["gzip bomb (inflates more than 200x)"]


def test_ingest_jsonl_long_line_and_not_jsonl(tmp_path):
    path = tmp_path / "long.ndjson"
    path.write_text(
        json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "short one"}) + "\n"
    )
    docs, bad = read(path, max_bytes=1000)
    assert [d.content for d in docs] == ["short one"]
    assert reasons(bad) == {f"{path}#1": "line over size cap (1,000 characters)"}
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json at all\n" * 500)
    docs, bad = read(junk)
    assert len(bad) == 101 and bad[-1].reason == "not JSON Lines: the first 100 lines are all bad"


def test_ingest_csv_rows_multiline_fields_and_bad_rows(tmp_path):
    rows = (
        "url,title,published,text\r\n"
        'https://e.kz/1,First,2022-01-05,"Line one.\r\nLine two, with a comma."\r\n'
        "https://e.kz/2,Broken,2022-01-06\r\n"
        "https://e.kz/3,Third,06.01.2022,Third article.\r\n"
        "https://e.kz/4,Empty,2022-01-06,\r\n"
    )
    path = tmp_path / "articles.csv"
    path.write_bytes(rows.encode("cp1251"))
    docs, bad = read(path)
    assert [(d.source.record, d.url, d.title) for d in docs] == [
        ("2", "https://e.kz/1", "First"),
        ("5", "https://e.kz/3", "Third"),
    ]
    assert docs[0].content == "Line one.\r\nLine two, with a comma."
    assert docs[0].published == datetime(2022, 1, 5) and docs[1].published == datetime(2022, 1, 6)
    assert docs[0].source.raw_sha256 == sha(
        b'https://e.kz/1,First,2022-01-05,"Line one.\r\nLine two, with a comma."'
    )
    assert reasons(bad) == {
        f"{path}#4": "row has 3 fields, the header 4",
        f"{path}#6": "empty text and html fields",
    }


def test_ingest_csv_russian_tsv_and_missing_column(tmp_path):
    path = tmp_path / "ru.tsv"
    path.write_bytes(f"title\ttext\tlanguage\nБеспорядки\t{RUSSIAN}\tru\n".encode("cp1251"))
    docs, bad = read(path)
    assert (
        bad == []
        and docs[0].content == RUSSIAN
        and docs[0].title == "Беспорядки"
        and docs[0].language == "ru"
    )
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    docs, bad = read(other)
    assert docs == [] and bad[0].reason == "CSV header has no text or html column"
    (tmp_path / "header.csv").write_text("url,text\n")
    (tmp_path / "blank.jsonl").write_text("\n  \n")
    docs, bad = read(tmp_path / "header.csv", tmp_path / "blank.jsonl")
    assert docs == [] and [b.reason for b in bad] == [
        "no rows after the header",
        "no records (blank lines only)",
    ]


# --- feeds ----------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Steppe News</title><language>en-us</language>
<item><title>Troops arrive</title><link>https://steppe.example/1</link><guid>steppe-1</guid>
<pubDate>Fri, 07 Jan 2022 11:50:00 +0300</pubDate><author>ann.smith@steppe.kz (Ann Smith)</author>
<description>&lt;p&gt;CSTO troops arrived in Almaty.&lt;/p&gt;</description></item>
<item><title>No body</title><link>https://steppe.example/2</link></item>
<item><title>Calm</title><link>https://steppe.example/3</link><description>Calm returned &amp; shops opened.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title>
<entry><id>urn:wire:1</id><title>Wire story</title><link href="https://wire.example/1"/>
<updated>2022-01-06T10:00:00Z</updated><author><name>Bob Writer</name></author>
<summary>Short.</summary><content type="html">&lt;p&gt;The full wire story.&lt;/p&gt;</content></entry></feed>"""


def test_ingest_rss_feed_entries(tmp_path):
    (tmp_path / "steppe.rss").write_text(RSS)
    docs, bad = read(tmp_path / "steppe.rss")
    assert [(d.source.record, d.url, d.title) for d in docs] == [
        ("steppe-1", "https://steppe.example/1", "Troops arrive"),
        ("https://steppe.example/3", "https://steppe.example/3", "Calm"),
    ]
    first = docs[0]
    assert (
        first.content == "<p>CSTO troops arrived in Almaty.</p>"
        and first.format is InputFormat.HTML
    )
    assert first.published == datetime(2022, 1, 7, 8, 50) and first.authors == ("Ann Smith",)
    assert first.outlet == "Steppe News" and first.language == "en"
    assert first.source.raw_sha256 == sha(first.content.encode())
    assert reasons(bad) == {
        f"{tmp_path / 'steppe.rss'}#https://steppe.example/2": "feed entry has no content or summary"
    }


def test_ingest_atom_feed_prefers_content_and_sniffs_xml(tmp_path):
    (tmp_path / "wire.xml").write_text(ATOM)
    docs, bad = read(tmp_path / "wire.xml")
    assert bad == [] and len(docs) == 1
    doc = docs[0]
    assert (doc.content, doc.source.record, doc.authors) == (
        "<p>The full wire story.</p>",
        "urn:wire:1",
        ("Bob Writer",),
    )
    assert doc.published == datetime(2022, 1, 6, 10, 0) and doc.outlet == "Atom Wire"


def test_ingest_broken_feed_keeps_good_entries(tmp_path):
    broken = RSS.replace("Calm returned &amp; shops", "Calm returned & shops").replace(
        "</channel></rss>", ""
    )
    (tmp_path / "broken.rss").write_text(broken)
    docs, bad = read(tmp_path / "broken.rss")
    assert [d.title for d in docs] == ["Troops arrive", "Calm"]
    assert bad[-1].source == str(tmp_path / "broken.rss") and bad[-1].reason.startswith(
        "malformed feed, 3 entries read leniently"
    )
    (tmp_path / "none.xml").write_text("<?xml version='1.0'?><config><a>1</a></config>")
    docs, bad = read(tmp_path / "none.xml")
    assert docs == [] and bad[0].reason == "not a feed (no entries)"


# --- URLs -----------------------------------------------------------------------------------

PUBLIC = "http://93.184.216.34"  # an IP literal: nothing is resolved, MockTransport answers


def _client(routes: dict[str, httpx.Response], seen: list[str] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(str(request.url))
        return routes.get(str(request.url), httpx.Response(404))

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_ingest_url_page_redirect_and_feed():
    page = ARTICLE.format(title="Вести", body=RUSSIAN).encode("cp1251")
    routes = {
        f"{PUBLIC}/short": httpx.Response(301, headers={"Location": "/news/almaty"}),
        f"{PUBLIC}/news/almaty": httpx.Response(
            200, content=page, headers={"Content-Type": "text/html; charset=windows-1251"}
        ),
        f"{PUBLIC}/rss": httpx.Response(
            200, content=RSS.encode(), headers={"Content-Type": "application/rss+xml"}
        ),
    }
    seen: list[str] = []
    with _client(routes, seen) as client:
        docs, bad = read(f"{PUBLIC}/short", f"{PUBLIC}/rss", f"{PUBLIC}/missing", http=client)
    assert seen == [
        f"{PUBLIC}/short",
        f"{PUBLIC}/news/almaty",
        f"{PUBLIC}/rss",
        f"{PUBLIC}/missing",
    ]
    page_doc = docs[0]
    assert page_doc.source.location == f"{PUBLIC}/short" and page_doc.url == f"{PUBLIC}/news/almaty"
    assert page_doc.format is InputFormat.HTML and RUSSIAN in page_doc.content
    assert page_doc.source.raw_sha256 == sha(page)
    assert [d.title for d in docs[1:]] == ["Troops arrive", "Calm"]
    assert reasons(bad)[f"{PUBLIC}/missing"] == "HTTP 404 Not Found"


def test_ingest_url_private_addresses_are_refused_also_after_redirects():
    routes = {
        f"{PUBLIC}/hop": httpx.Response(302, headers={"Location": "http://127.0.0.1:8080/admin"}),
        "http://127.0.0.1:8080/admin": httpx.Response(
            200, text="secret", headers={"Content-Type": "text/plain"}
        ),
        "http://10.0.0.7/": httpx.Response(
            200, text="intranet", headers={"Content-Type": "text/plain"}
        ),
    }
    seen: list[str] = []
    urls = [
        f"{PUBLIC}/hop",
        "http://10.0.0.7/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost/",
        "ftp://93.184.216.34/x",
    ]
    with _client(routes, seen) as client:
        docs, bad = read(*urls, http=client)
        assert docs == [] and seen == [f"{PUBLIC}/hop"]  # nothing private was ever requested
        got = reasons(bad)
        assert got[f"{PUBLIC}/hop"].startswith(
            "refused: 127.0.0.1 resolves to non-public address 127.0.0.1"
        )
        assert (
            "10.0.0.7" in got["http://10.0.0.7/"]
            and "169.254.169.254" in got["http://169.254.169.254/latest/meta-data/"]
        )
        assert got["http://[::1]/"].startswith("refused")
        # localhost comes from /etc/hosts; a box without that entry cannot resolve it at all.
        assert got["http://localhost/"].startswith(("refused", "cannot resolve host"))
        assert got["ftp://93.184.216.34/x"] == "unsupported URL scheme 'ftp'"
        docs, bad = read(f"{PUBLIC}/hop", allow_private=True, http=client)
    assert (
        bad == [] and docs[0].content == "secret" and docs[0].url == "http://127.0.0.1:8080/admin"
    )


def test_ingest_url_size_cap_and_redirect_limit():
    big = b"<html><body>" + b"x" * 50_000 + b"</body></html>"
    routes = {
        f"{PUBLIC}/big": httpx.Response(200, content=big, headers={"Content-Type": "text/html"}),
        f"{PUBLIC}/bomb": httpx.Response(
            200,
            content=gzip.compress(b" " * 200_000),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        ),
        **{
            f"{PUBLIC}/loop{i}": httpx.Response(302, headers={"Location": f"/loop{i + 1}"})
            for i in range(10)
        },
    }
    with _client(routes) as client:
        docs, bad = read(
            f"{PUBLIC}/big", f"{PUBLIC}/bomb", f"{PUBLIC}/loop0", max_bytes=10_000, http=client
        )
    assert docs == []
    assert reasons(bad) == {
        f"{PUBLIC}/big": f"page over size cap ({len(big):,} > 10,000 bytes)",
        f"{PUBLIC}/bomb": "page over size cap (10,000 bytes)",
        f"{PUBLIC}/loop0": "too many redirects (more than 5)",
    }


def test_ingest_refuse_private_checks_every_address_of_a_host():
    addresses = {
        "news.example": ["93.184.216.34"],
        "mixed.example": ["93.184.216.34", "192.168.1.10"],
        "mapped.example": ["::ffff:127.0.0.1"],
    }
    refuse_private("news.example", addresses.__getitem__)
    for host in ("mixed.example", "mapped.example"):
        with pytest.raises(NotReadable, match="non-public address"):
            refuse_private(host, addresses.__getitem__)
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(f"{request.headers['host']} via {request.url.host}")
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "https://mixed.example/b"})
        return httpx.Response(200, text="A public article.", headers={"Content-Type": "text/plain"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetcher = Fetcher(client, resolve=addresses.__getitem__)
        with pytest.raises(NotReadable, match=r"192\.168\.1\.10"):
            fetcher.fetch("http://news.example/a")  # the redirect leads to a mixed host
        fetched = fetcher.fetch("https://news.example/b")
    # Each request went to the address that was checked, with the host name kept in Host.
    assert hosts == ["news.example via 93.184.216.34", "news.example via 93.184.216.34"]
    assert fetched.body == b"A public article." and fetched.url == "https://news.example/b"
