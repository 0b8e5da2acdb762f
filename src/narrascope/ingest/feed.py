"""RSS and Atom feeds (`.rss`, `.atom`, `.xml`, or sniffed): one article per entry, via feedparser.

An entry's full content is preferred to its summary; link, title, authors and date come from
the entry, the outlet from the feed's title. The entry id (else its link) is the record. A feed
with broken XML is read leniently: its good entries are kept, then one `BadInput` says so.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import feedparser

from narrascope.ingest.decode import sha256
from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef
from narrascope.text.language import language_code

# RSS says a description is HTML, but many feeds put plain text there: text without a single
# tag is read as text (as HTML, extraction found nothing in it) (#18).
_TAG = re.compile(r"<(/?[A-Za-z][A-Za-z0-9]*)[\s/>]")

# Not errors in the feed, only notes on how feedparser read it.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")


def read_feed(
    location: str, data: bytes, *, url: str | None = None
) -> Iterator[RawDocument | BadInput]:
    """Every entry of the feed in `data` that has content; one `BadInput` per entry without."""
    # Always hand feedparser a stream: given bytes or a string it may open a path or fetch a URL.
    headers = {"content-location": url} if url else {}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if problem is not None and type(problem).__name__ in _HARMLESS:
        problem = None
    entries = parsed.get("entries") or []
    if not entries:
        reason = f"malformed feed ({problem})" if problem else "not a feed (no entries)"
        yield BadInput(location, reason)
        return
    channel = parsed.get("feed") or {}
    outlet = (channel.get("title") or "").strip() or None
    language = channel.get("language")
    for number, entry in enumerate(entries, start=1):
        yield _entry_document(location, number, entry, outlet=outlet, language=language)
    if problem:
        yield BadInput(
            location, f"malformed feed, {len(entries)} entries read leniently ({problem})"
        )


def _entry_document(
    location: str,
    number: int,
    entry: Mapping[str, Any],
    *,
    outlet: str | None,
    language: str | None,
) -> RawDocument | BadInput:
    record = entry.get("id") or entry.get("link") or f"entry-{number}"
    body = _body(entry)
    if body is None:
        return BadInput(str(SourceRef(location, record)), "feed entry has no content or summary")
    value, kind, body_language = body
    text = kind == "text/plain" or not _TAG.search(value)
    return RawDocument(
        source=SourceRef(location, record, sha256(value.encode("utf-8"))),
        content=value,
        format=InputFormat.TEXT if text else InputFormat.HTML,
        url=entry.get("link") or None,
        title=(entry.get("title") or "").strip() or None,
        published=_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        outlet=outlet,
        authors=_authors(entry),
        language=language_code(body_language or language),
    )


def _body(entry: Mapping[str, Any]) -> tuple[str, str, str | None] | None:
    """The longest full content of an entry (HTML preferred), else its summary."""
    parts = [p for p in entry.get("content") or [] if (p.get("value") or "").strip()]
    parts.sort(key=lambda p: (p.get("type") != "text/plain", len(p["value"])), reverse=True)
    if parts:
        return parts[0]["value"], parts[0].get("type", "text/html"), parts[0].get("language")
    summary = entry.get("summary_detail") or {}
    if (summary.get("value") or "").strip():
        return summary["value"], summary.get("type", "text/html"), summary.get("language")
    return None


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names = [(a.get("name") or "").strip() for a in entry.get("authors") or []]
    if not any(names) and entry.get("author"):
        names = [entry["author"].strip()]
    return tuple(name for name in names if name)


def _date(parsed: Any) -> datetime | None:
    """feedparser's UTC `struct_time` as a naive UTC datetime (as everywhere in ingest)."""
    try:
        return datetime(*parsed[:6]) if parsed else None
    except (TypeError, ValueError):
        return None
