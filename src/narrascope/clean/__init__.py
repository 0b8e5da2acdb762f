"""Cleaning: a raw page (HTML or scraped text) → a clean `Document` with metadata and removals.

Sits between ingest and segmentation. `clean(raw)` extracts the article text (paragraphs
separated by "\\n"), its title, byline, date with the date's source, outlet, URL and declared
language, and lists every line it dropped with the reason. Metadata the container gave
(feed entry, JSONL columns, WARC headers) wins over what cleaning reads from the page. Last,
the page type says whether the page is an article at all, and on what evidence (`pagetype`).
"""

from __future__ import annotations

from narrascope.clean.html import PageRefused, extract_html
from narrascope.clean.metadata import (
    Extracted,
    byline_names,
    outlet_from_folder,
    publisher_name,
)
from narrascope.clean.pagetype import with_page_type
from narrascope.clean.text import extract_text
from narrascope.model import BadInput, Document, InputFormat, RawDocument

HTML_PAGE_FACTOR = 10
"""An HTML page may be this many times `max_chars` long: markup and scripts outweigh the text."""

__all__ = ["clean"]


def clean(raw: RawDocument, *, max_chars: int = 500_000) -> Document:
    """The clean article in `raw`; raises `BadInput` when no article text is left.

    `max_chars` caps the article text (and an HTML page at `HTML_PAGE_FACTOR` times that).
    """
    source = str(raw.source)
    limit = max_chars * (HTML_PAGE_FACTOR if raw.format is InputFormat.HTML else 1)
    if len(raw.content) > limit:
        raise BadInput(source, f"page too large ({len(raw.content):,} characters > {limit:,})")
    if not raw.content.strip():
        raise BadInput(source, "empty content")
    if raw.format is InputFormat.HTML:
        try:
            found = extract_html(raw.content, url=raw.url)
        except PageRefused as exc:
            raise BadInput(source, str(exc)) from None
    else:
        found = extract_text(raw.content)
    if not found.text.strip():
        raise BadInput(source, "no article text left after cleaning")
    if len(found.text) > max_chars:
        raise BadInput(
            source, f"article text too long ({len(found.text):,} characters > {max_chars:,})"
        )
    return with_page_type(_document(raw, found))


def _document(raw: RawDocument, found: Extracted) -> Document:
    url = raw.url or found.url
    published, date_source = (
        (raw.published, "container") if raw.published else (found.published, found.date_source)
    )
    bylines = byline_names(found.authors, site=found.outlet)
    title, authors = raw.title or found.title, raw.authors or bylines
    # An outlet is a publisher: a headline, date or byline in a site-name field is refused (#15).
    # Last comes the folder a local file sits in, when it is named like a domain (#17).
    candidates = (raw.outlet, found.outlet, url, outlet_from_folder(raw.source.location))
    outlet = next(
        (name for c in candidates if (name := publisher_name(c, title=title, authors=authors))),
        None,
    )
    return Document(
        text=found.text,
        source=raw.source,
        url=url,
        outlet=outlet,
        title=title,
        authors=authors,
        published=published,
        date_source=date_source if published else None,
        language=raw.language or found.language,
        removed=found.removed,
    )
