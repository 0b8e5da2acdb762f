"""WARC archives (`.warc`, `.warc.gz`): the HTML pages a crawl saved, one article per record.

Only successful HTML `response` (and HTML `resource`) records are read; requests, metadata,
redirects and images are passed over without a word. The record id goes into
`SourceRef.record`, the target URI into `url`. The WARC-Date is the crawl date, not the
publication date, so it is not used as `published` (cleaning finds the date in the page).

warcio reads a cut-off archive without complaint, so truncation is checked here: a record
whose payload ends early, or bytes left over after the last whole record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from narrascope.ingest.decode import HEAD, NotReadable, gunzip_head, stream_error
from narrascope.ingest.html import read_html
from narrascope.model import BadInput, RawDocument, SourceRef

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(
    location: str, stream: BinaryIO, *, max_bytes: int, size: int | None = None
) -> Iterator[RawDocument | BadInput]:
    """Every HTML page in a seekable WARC (or ARC) stream of `size` bytes, record by record."""
    head = stream.read(HEAD)
    stream.seek(0)
    start = gunzip_head(head) if head.startswith(b"\x1f\x8b") else head
    if not start.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://")):
        yield BadInput(location, "not a valid WARC (no WARC header at the start)")
        return
    records = ArchiveIterator(stream, arc2warc=True)
    count, end = 0, 0
    try:
        for record in records:
            item = _read_record(location, record, max_bytes=max_bytes)
            records.read_to_end()  # drains what we did not read, so `offset` is the record's end
            end = records.offset
            if _truncated(record):
                yield BadInput(location, f"truncated WARC: record {count + 1} is cut off")
                return
            if item is not None:
                yield item
            count += 1
    except ArchiveLoadFailed as exc:
        yield BadInput(location, f"not a valid WARC ({str(exc).strip().splitlines()[0]})")
        return
    except (EOFError, OSError) as exc:
        yield BadInput(location, stream_error(exc) or f"read error ({exc})")
        return
    if size is not None and end < size:
        yield BadInput(
            location,
            f"truncated or corrupt WARC after {count} records ({size - end:,} bytes left unread)",
        )


def _read_record(
    location: str, record: ArcWarcRecord, *, max_bytes: int
) -> RawDocument | BadInput | None:
    """The page in one record, a `BadInput` for a bad page, None for a record that is no page."""
    if record.rec_type == "response" and record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if not status or not status.startswith("2"):
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type") or ""
    else:
        return None
    mime, _, params = content_type.partition(";")
    if mime.strip().lower() not in _HTML_TYPES:
        return None
    record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<>") or None
    where = str(SourceRef(location, record_id))
    payload = record.content_stream().read(max_bytes + 1)
    if len(payload) > max_bytes:
        return BadInput(where, f"page over size cap ({max_bytes:,} bytes)")
    if not payload.strip():
        return BadInput(where, "empty page")
    charset = next(
        (
            p.split("=", 1)[1].strip(" \"'")
            for p in params.split(";")
            if p.strip().lower().startswith("charset=")
        ),
        None,
    )
    try:
        return read_html(
            location,
            payload,
            url=record.rec_headers.get_header("WARC-Target-URI"),
            charset=charset,
            record=record_id,
        )
    except NotReadable as exc:
        return BadInput(where, exc.reason)


def _truncated(record: ArcWarcRecord) -> bool:
    """Whether the archive ended before the record's declared Content-Length."""
    remaining = getattr(record.raw_stream, "limit", 0)
    return bool(remaining and remaining > 0)
