"""HTML pages (`.html`, `.htm`, also `.html.gz`): one article per file, decoded to text.

The page's charset comes from a byte-order mark, valid UTF-8, the server's or the page's own
declaration (`<meta charset>`), or detection, in that order; cleaning extracts the article.
"""

from __future__ import annotations

from narrascope.ingest.decode import NotReadable, decode
from narrascope.ingest.plaintext import file_document
from narrascope.model import InputFormat, RawDocument


def read_html(
    location: str,
    data: bytes,
    *,
    raw: bytes | None = None,
    url: str | None = None,
    charset: str | None = None,
    record: str | None = None,
) -> RawDocument:
    """The page in `data`; `raw` is what was stored if compressed, `charset` what a server said."""
    content = decode(data, declared=charset, markup=True)
    if not content.strip():
        raise NotReadable("empty page")
    return file_document(location, data, content, InputFormat.HTML, raw=raw, url=url, record=record)
