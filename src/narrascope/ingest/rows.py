"""One JSONL object or CSV row to a `RawDocument`, and the frame both row readers run in.

Shared by `jsonl.py` and `csv.py`, which only differ in how they split a file into rows. The
content is the `html` column when it has one (cleaning then finds dates and bylines too),
else `text`. Metadata columns are optional hints; a date that does not parse is dropped, not
an error, because the article is still worth reading.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import BinaryIO, TextIO

from narrascope.ingest.decode import NotReadable, open_text, sha256
from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef
from narrascope.text.language import language_code

GIVE_UP_AFTER = 100  # bad rows with no good one before them: the file is not what it claims
URL_KEYS = ("url", "link")
TITLE_KEYS = ("title", "headline")
DATE_KEYS = ("published", "date", "published_at", "publish_date", "pubdate")
OUTLET_KEYS = ("outlet", "site", "site_name")
AUTHOR_KEYS = ("authors", "author")
LANGUAGE_KEYS = ("language", "lang")
_AUTHOR_SEPARATORS = re.compile(r"\s*[;|]\s*")
_DATE_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%Y/%m/%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
)


def read_rows(
    location: str,
    stream: BinaryIO,
    rows: Callable[[TextIO, str], Iterator[RawDocument | BadInput]],
    *,
    what: str,
    unit: str,
    empty: str,
) -> Iterator[RawDocument | BadInput]:
    """The items `rows(text, encoding)` reads from a text stream, and why a file gave none.

    A file whose first `GIVE_UP_AFTER` rows are all bad is not `what`: one more `BadInput` says
    so and reading stops. A file with no rows at all ends with the `BadInput` `empty`.
    """
    try:
        text, encoding = open_text(stream)
    except NotReadable as exc:
        yield BadInput(location, exc.reason)
        return
    good = bad = 0
    for item in rows(text, encoding):
        yield item
        if isinstance(item, RawDocument):
            good += 1
            continue
        bad += 1
        if not good and bad >= GIVE_UP_AFTER:
            yield BadInput(location, f"not {what}: the first {bad} {unit} are all bad")
            return
    if not good and not bad:
        yield BadInput(location, empty)


def row_document(location: str, record: str, row: Mapping[str, object], raw: bytes) -> RawDocument:
    """The article in one row; `row` keys are compared case-insensitively. Raises `NotReadable`."""
    fields = {str(key).strip().lower(): value for key, value in row.items()}
    html, text = fields.get("html"), fields.get("text")
    if isinstance(html, str) and html.strip():
        content, fmt = html, InputFormat.HTML
    elif isinstance(text, str) and text.strip():
        content, fmt = text, InputFormat.TEXT
    elif html is None and text is None:
        raise NotReadable("no text or html field")
    elif (html is not None and not isinstance(html, str)) or (
        text is not None and not isinstance(text, str)
    ):
        raise NotReadable("text/html field is not a string")
    else:
        raise NotReadable("empty text and html fields")
    return RawDocument(
        source=SourceRef(location, record, sha256(raw)),
        content=content,
        format=fmt,
        url=_first_string(fields, URL_KEYS),
        title=_first_string(fields, TITLE_KEYS),
        published=parse_date(next((fields[k] for k in DATE_KEYS if fields.get(k)), None)),
        outlet=_first_string(fields, OUTLET_KEYS),
        authors=_authors(next((fields[k] for k in AUTHOR_KEYS if fields.get(k)), None)),
        language=language_code(_first_string(fields, LANGUAGE_KEYS)),
    )


def _first_string(fields: Mapping[str, object], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _authors(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        names = _AUTHOR_SEPARATORS.split(value)
    elif isinstance(value, list):
        names = [
            v if isinstance(v, str) else str(v.get("name", ""))
            for v in value
            if isinstance(v, str | dict)
        ]
    else:
        return ()
    return tuple(name.strip() for name in names if name.strip())


def parse_date(value: object) -> datetime | None:
    """A date from ISO 8601, RFC 2822, a few common layouts or epoch seconds; naive UTC.

    Aware times are converted to UTC and made naive so that every date in a run compares.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds, as JS writes them
        try:
            return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            for layout in _DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, layout)
                    break
                except ValueError:
                    continue
    if parsed is not None and parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
