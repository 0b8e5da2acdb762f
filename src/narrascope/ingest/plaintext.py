"""Plain-text and Markdown files (`.txt`, `.md`): one article per file, decoded, otherwise as is.

Scraped text keeps its page chrome here; cleaning removes it. The raw hash covers the file's
bytes exactly as stored (compressed ones included).
"""

from __future__ import annotations

from narrascope.ingest.decode import NotReadable, decode, sha256
from narrascope.model import InputFormat, RawDocument, SourceRef


def read_text(
    location: str, data: bytes, *, raw: bytes | None = None, url: str | None = None
) -> RawDocument:
    """The article in the bytes of a text file; `raw` is what was stored, if it was compressed."""
    content = decode(data)
    if not content.strip():
        raise NotReadable("empty file (whitespace only)")
    return file_document(location, data, content, InputFormat.TEXT, raw=raw, url=url)


def file_document(
    location: str,
    data: bytes,
    content: str,
    fmt: InputFormat,
    *,
    raw: bytes | None = None,
    url: str | None = None,
    record: str | None = None,
) -> RawDocument:
    """One whole file as one article: `content` decoded from `data`, hashed as stored (`raw`)."""
    return RawDocument(
        source=SourceRef(location, record, sha256(data if raw is None else raw)),
        content=content,
        format=fmt,
        url=url,
    )
