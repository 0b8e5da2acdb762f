"""What an extractor found in one page, and the page metadata helpers cleaning shares.

`Extracted` is the common result of the HTML and the plain-text extractors; `clean()` merges
it with the metadata the container gave (which wins) into a `Document`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from narrascope.model import Removal


@dataclass(slots=True)
class Extracted:
    """An article's clean text (paragraphs separated by "\\n"), what was dropped, and metadata."""

    text: str
    removed: list[Removal] = field(default_factory=list)
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    date_source: str | None = None
    url: str | None = None
    outlet: str | None = None
    language: str | None = None


def outlet_from_url(url: str | None) -> str | None:
    """The outlet a URL belongs to: its host name without "www." (`journal-neo.org`)."""
    if not url:
        return None
    host = (urlsplit(url if "://" in url else "//" + url).hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("m.").strip(".")
    return host or None


def language_code(value: str | None) -> str | None:
    """An ISO 639-1 code from a declared language ("en-US", "ru_RU", "EN") or None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if len(code) == 2 and code.isalpha() else None
