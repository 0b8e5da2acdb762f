"""Which reader an input needs: by file name first, by its first bytes when the name is ambiguous.

`kind_for_name` knows the extensions; `sniff` looks at content for files without a telling
extension (no suffix, `.xml`, `.gz`, a `.txt` that is really HTML); `binary_magic` names the
common binary formats so a stray PDF or image is refused with a clear reason.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Kind(StrEnum):
    """The container format of one input (what reader handles it)."""

    TEXT = "text"
    HTML = "html"
    WARC = "warc"
    JSONL = "jsonl"
    CSV = "csv"
    FEED = "feed"


_SUFFIXES = {
    ".txt": Kind.TEXT,
    ".text": Kind.TEXT,
    ".md": Kind.TEXT,
    ".markdown": Kind.TEXT,
    ".html": Kind.HTML,
    ".htm": Kind.HTML,
    ".xhtml": Kind.HTML,
    ".shtml": Kind.HTML,
    ".warc": Kind.WARC,
    ".jsonl": Kind.JSONL,
    ".ndjson": Kind.JSONL,
    ".csv": Kind.CSV,
    ".tsv": Kind.CSV,
    ".rss": Kind.FEED,
    ".atom": Kind.FEED,
    ".xml": Kind.FEED,  # usually a feed; `sniff` checks, since it may be XHTML
}
# Names whose suffix says too little: the content decides.
AMBIGUOUS = frozenset({"", ".xml", ".txt", ".text"})


def split_name(name: str) -> tuple[str, bool]:
    """The telling suffix of a file name (lower case) and whether it is gzipped."""
    lower = name.lower()
    gzipped = lower.endswith((".gz", ".gzip"))
    if gzipped:
        lower = lower.rsplit(".", 1)[0]
    dot = lower.rfind(".")
    return (lower[dot:] if dot > 0 else "", gzipped)


def kind_for_name(name: str) -> Kind | None:
    """The format a file name announces (`a.html.gz` → HTML, `crawl.warc.gz` → WARC), or None."""
    suffix, _ = split_name(name)
    return _SUFFIXES.get(suffix)


_MAGIC = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF media"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x7fELF", "executable"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ", "xz archive"),
    (b"7z\xbc\xaf", "7-zip archive"),
    (b"Rar!", "RAR archive"),
    (b"\xd0\xcf\x11\xe0", "OLE document"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x1f\x8b", "gzip data"),
)


def binary_magic(head: bytes) -> str | None:
    """The name of a binary format whose magic number `head` starts with, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


_HTML_START = re.compile(rb"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.I)


def sniff(head: bytes) -> Kind | None:
    """The format the first bytes of a (decompressed) input show, or None if they show none."""
    start = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if start.startswith(b"WARC/"):
        return Kind.WARC
    if _HTML_START.match(start):
        return Kind.HTML
    if start.startswith(b"<?xml") or start.startswith(b"<"):
        if _FEED_ROOT.search(head):
            return Kind.FEED
        if b"<html" in head.lower():
            return Kind.HTML
        return None
    if start.startswith(b"{"):
        return Kind.JSONL
    return None
