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
    return RawDocument(
        source=SourceRef(location, None, sha256(data if raw is None else raw)),
        content=content,
        format=InputFormat.TEXT,
        url=url,
    )
