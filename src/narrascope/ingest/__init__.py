"""Ingest: turn files, folders, globs and URLs into a stream of `RawDocument`s for cleaning.

One module per input format (`plaintext`, `html`, `warc`, `jsonl`, `csv`, `feed`), `web` for
URLs, `sources` for walking folders and globs, `detect` and `decode` for formats, encodings and
size caps. `iter_inputs` is the entry point: a generator that yields each article as it is
read and a `BadInput` in place of anything unreadable, so a run never stops on a bad file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import httpx

from narrascope.ingest.csv import read_csv
from narrascope.ingest.decode import (
    HEAD,
    NotReadable,
    gunzip_capped,
    gunzip_head,
    open_gzip,
    read_capped,
    stream_error,
)
from narrascope.ingest.detect import AMBIGUOUS, Kind, binary_magic, kind_for_name, sniff, split_name
from narrascope.ingest.feed import read_feed
from narrascope.ingest.html import read_html
from narrascope.ingest.jsonl import read_jsonl
from narrascope.ingest.plaintext import read_text
from narrascope.ingest.sources import expand, is_url, url_scheme
from narrascope.ingest.warc import read_warc
from narrascope.ingest.web import Fetcher
from narrascope.model import BadInput, PassedOver, RawDocument

__all__ = ["Kind", "iter_inputs", "read_path"]

Item = RawDocument | BadInput

# What a server's Content-Type says about the body; None means "look at the name and bytes".
_MIME_KINDS = {
    "text/html": Kind.HTML,
    "application/xhtml+xml": Kind.HTML,
    "text/plain": Kind.TEXT,
    "text/markdown": Kind.TEXT,
    "application/rss+xml": Kind.FEED,
    "application/atom+xml": Kind.FEED,
    "application/rdf+xml": Kind.FEED,
    "application/xml": Kind.FEED,
    "text/xml": Kind.FEED,
    "application/x-ndjson": Kind.JSONL,
    "application/jsonl": Kind.JSONL,
    "application/json-lines": Kind.JSONL,
    "text/csv": Kind.CSV,
    "text/tab-separated-values": Kind.CSV,
    "application/warc": Kind.WARC,
}


def iter_inputs(
    sources: Sequence[str | Path],
    *,
    allow_private: bool = False,
    max_bytes: int = 20_000_000,
    http: httpx.Client | None = None,
    exclude: Mapping[Path, str] | None = None,
) -> Iterator[RawDocument | BadInput | PassedOver]:
    """Every article in `sources` (files, folders, globs, URLs), streamed, with bad inputs inline.

    `max_bytes` caps one page, record or line (after decompression); URLs resolving to
    private addresses are refused unless `allow_private`. `http` is the client to fetch with.
    `exclude` names files never to read, with the reason a `PassedOver` note gives ("": passed
    over without a word), such as the run's own database and its sidecar files.
    """
    passed = _Excluded(exclude or {})
    fetcher: Fetcher | None = None
    try:
        for source in sources:
            if isinstance(source, str) and is_url(source):
                fetcher = fetcher or Fetcher(http, allow_private=allow_private, max_bytes=max_bytes)
                yield from read_url(source, fetcher, max_bytes=max_bytes)
                continue
            if isinstance(source, str) and (scheme := url_scheme(source)):
                yield BadInput(source, f"unsupported URL scheme {scheme!r}")
                continue
            for path in expand(source):
                if isinstance(path, BadInput):
                    yield path
                elif (reason := passed.reason(path)) is not None:
                    if reason:
                        yield PassedOver(str(path), reason)
                else:
                    yield from read_path(path, max_bytes=max_bytes)
    finally:
        if fetcher is not None:
            fetcher.close()


class _Excluded:
    """Matches a file met among the inputs against the files not to read: by name first (cheap
    for a big folder), then by identity, so another folder's file of the same name is read."""

    def __init__(self, exclude: Mapping[Path, str]) -> None:
        self.exclude = dict(exclude)
        self.names = {path.name for path in exclude}

    def reason(self, path: Path) -> str | None:
        """Why `path` is not read ("": no word said), or None when it is to be read."""
        if path.name not in self.names:
            return None
        for excluded, reason in self.exclude.items():
            try:
                if excluded.name == path.name and os.path.samefile(path, excluded):
                    return reason
            except OSError:  # one of the two is gone (a sidecar SQLite has removed)
                continue
        return None


def read_path(path: Path, *, max_bytes: int = 20_000_000) -> Iterator[Item]:
    """Every article in one file; `str(path)` is the location documents point back to."""
    location = str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            yield from _read_stream(
                location, path.name, stream, size, max_bytes=max_bytes, strict_name=True
            )
    except OSError as exc:
        yield BadInput(location, f"cannot read ({exc.strerror or exc})")


def read_url(url: str, fetcher: Fetcher, *, max_bytes: int = 20_000_000) -> Iterator[Item]:
    """Every article behind one URL (a page, a feed, a WARC…); the URL as given is the location."""
    try:
        fetched = fetcher.fetch(url)
    except NotReadable as exc:
        yield BadInput(url, exc.reason)
        return
    name = httpx.URL(fetched.url).path.rsplit("/", 1)[-1]
    hint = _MIME_KINDS.get(fetched.mime or "")
    yield from _read_stream(
        url,
        name,
        io.BytesIO(fetched.body),
        len(fetched.body),
        max_bytes=max_bytes,
        hint=hint,
        url=fetched.url,
        charset=fetched.charset,
    )


def _read_stream(
    location: str,
    name: str,
    stream: BinaryIO,
    size: int,
    *,
    max_bytes: int,
    strict_name: bool = False,
    hint: Kind | None = None,
    url: str | None = None,
    charset: str | None = None,
) -> Iterator[Item]:
    """Detect the format of one seekable input and hand it to its reader."""
    if size == 0:
        yield BadInput(location, "empty file")
        return
    head = stream.read(HEAD)
    stream.seek(0)
    gzipped = head.startswith(b"\x1f\x8b")  # by content: a `.gz` name on plain bytes is read as is
    try:
        kind = _detect(name, head, gzipped=gzipped, strict_name=strict_name, hint=hint)
        if kind in (Kind.TEXT, Kind.HTML, Kind.FEED) and size > max_bytes:
            raise NotReadable(f"file over size cap ({size:,} > {max_bytes:,} bytes)")
        if kind is Kind.WARC:
            yield from read_warc(location, stream, max_bytes=max_bytes, size=size)
        elif kind in (Kind.JSONL, Kind.CSV):
            yield from _read_lines(
                location, name, stream, kind, gzipped=gzipped, max_bytes=max_bytes
            )
        else:
            raw = read_capped(stream, max_bytes, what="file")
            data = gunzip_capped(raw, max_bytes) if gzipped else raw
            if kind is Kind.FEED:
                yield from read_feed(location, data, url=url)
            elif kind is Kind.HTML:
                yield read_html(location, data, raw=raw, url=url, charset=charset)
            else:
                yield read_text(location, data, raw=raw, url=url)
    except NotReadable as exc:
        yield BadInput(location, exc.reason)


def _detect(name: str, head: bytes, *, gzipped: bool, strict_name: bool, hint: Kind | None) -> Kind:
    """The format of an input from its name (or the server's word) and its first bytes.

    Raises `NotReadable` for binary files and, when `strict_name`, for suffixes we do not read.
    """
    magic = None if gzipped else binary_magic(head)
    if magic:
        raise NotReadable(f"binary file ({magic})")
    suffix, _ = split_name(name)
    kind = hint or kind_for_name(name)
    if kind is None and strict_name and suffix not in AMBIGUOUS:
        raise NotReadable(f"unsupported file type {suffix!r}")
    if kind is None or suffix in AMBIGUOUS or hint in (Kind.FEED, Kind.TEXT):
        kind = _settle(kind, sniff(gunzip_head(head) if gzipped else head))
    return kind


def _settle(named: Kind | None, sniffed: Kind | None) -> Kind:
    """The format when name (or server) and content disagree or one of them is silent."""
    if named is None:
        return sniffed or Kind.TEXT
    if named is Kind.TEXT and sniffed is Kind.HTML:  # a page saved as .txt (or sent as text/plain)
        return Kind.HTML
    if named is Kind.FEED and sniffed is Kind.HTML:  # XHTML saved as .xml
        return Kind.HTML
    return named


def _read_lines(
    location: str, name: str, stream: BinaryIO, kind: Kind, *, gzipped: bool, max_bytes: int
) -> Iterator[Item]:
    """JSONL or CSV, decompressed on the fly; a stream that breaks ends with one `BadInput`."""
    source = open_gzip(stream) if gzipped else stream
    if kind is Kind.JSONL:
        items = read_jsonl(location, source, max_bytes=max_bytes)
    else:
        delimiter = "\t" if split_name(name)[0] == ".tsv" else None
        items = read_csv(location, source, max_bytes=max_bytes, delimiter=delimiter)
    try:
        yield from items
    except NotReadable as exc:
        yield BadInput(location, exc.reason)
    except (EOFError, OSError) as exc:
        yield BadInput(location, stream_error(exc) or f"read error ({exc})")
