"""Publication dates written in text lines and URLs, in English and Russian.

Scraped plain text shows a date as a line of its own (`09.01.22 11:50`, `Jan 6, 2022`,
`Editorial, January 7, 2022`, `6 января 2022 г.`); many URLs carry one (`/2022/01/14/`).
Cleaning asks these functions about the lines at the top of a page and about its URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from narrascope.text.timewords import MONTHS

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_TIME = (
    r"(?P<hour>[0-2]?\d):(?P<minute>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?(?:\s*(?P<ampm>[ap])\.?m\.?)?"
)

_DATE_PATTERNS = [
    # Jan 6, 2022 · January 7 2022
    re.compile(rf"(?<!\w){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)", re.IGNORECASE),
    # 7 January 2022 · 6th of January, 2022 · 6 января 2022 г.
    re.compile(rf"(?<!\d){_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}(?!\d)", re.IGNORECASE),
    # 2022-01-07 (ISO, optionally with a time)
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)"),
    # 09.01.22 · 09.01.2022: day first, as Russian and most European pages write it
    re.compile(
        r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:19|20)?\d\d)(?![\d.]\d)"
    ),
    # 01/07/2022: month first unless the first number cannot be a month
    re.compile(r"(?<![\d/])(?P<first>[0-3]?\d)/(?P<second>[0-3]?\d)/(?P<year>(?:19|20)\d\d)(?!\d)"),
]
_TIME_PATTERN = re.compile(rf"(?<![\d.:]){_TIME}(?![\d:])", re.IGNORECASE)
_URL_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d\d)[/_-](?P<month>[01]?\d)[/_-](?P<day>[0-3]?\d)(?!\d)"
)
_URL_COMPACT_DATE = re.compile(
    r"(?<![\d])(?P<year>20[0-3]\d)(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)"
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’.][^\W\d_]+)*\.?", re.UNICODE)
# Words around a date that say what it is, not who wrote it.
_DATE_LABELS = re.compile(
    r"\b(t|published|posted|updated|last updated|modified|date|on|at|am|pm|utc|gmt|msk|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tue|wed|thu|fri|sat|sun|опубликовано|обновлено|дата|публикации|в|г|года|"
    r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\b\.?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in a line: when, and the character offsets of its text in the line."""

    when: datetime
    start: int
    end: int


def find_date(text: str) -> DateMatch | None:
    """The first plausible calendar date written in `text` (with its time, if one follows)."""
    best: DateMatch | None = None
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            when = _to_datetime(match)
            if when is not None and (best is None or match.start() < best.start):
                best = DateMatch(when, match.start(), match.end())
                break
    if best is None:
        return None
    time = _TIME_PATTERN.search(text, best.end) or _TIME_PATTERN.search(text[: best.start])
    if time is not None:
        hour, half = int(time["hour"]), (time["ampm"] or "").lower()
        hour = hour % 12 + 12 if half == "p" else (hour % 12 if half == "a" else hour)
        if hour < 24:
            best = DateMatch(
                best.when.replace(hour=hour, minute=int(time["minute"])), best.start, best.end
            )
    return best


def parse_date_line(line: str, *, max_other_words: int = 4) -> tuple[datetime, str] | None:
    """A line that is (nearly) only a date: the date and the other words on it ("Editorial").

    Labels such as "Published", weekday names and times are not counted as other words, so
    `Published: Thursday, January 6, 2022 at 11:50` is a date line with nothing else on it.
    """
    if len(line.split()) > max_other_words + 10:  # a date with weekday, time and labels fits
        return None
    found = find_date(line)
    if found is None:
        return None
    rest = line[: found.start] + " " + line[found.end :]
    rest = _TIME_PATTERN.sub(" ", rest)
    rest = _DATE_LABELS.sub(" ", rest)
    words = _WORD.findall(rest)
    if len(words) > max_other_words or re.search(r"\d{3,}", rest):
        return None
    return found.when, " ".join(words)


def date_from_url(url: str | None) -> datetime | None:
    """The date a URL's path carries (`/2022/01/14/`, `/2022-01-14-title`, `/20220114/`)."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.IGNORECASE)
    for pattern in (_URL_DATE, _URL_COMPACT_DATE):
        for match in pattern.finditer(path):
            when = _valid(int(match["year"]), int(match["month"]), int(match["day"]))
            if when is not None:
                return when
    return None


def _to_datetime(match: re.Match[str]) -> datetime | None:
    groups = match.groupdict()
    year = int(groups["year"])
    year = year + 2000 if year < 100 else year
    if "first" in groups and groups.get("first") is not None:
        first, second = int(groups["first"]), int(groups["second"])
        month, day = (first, second) if first <= 12 else (second, first)
        return _valid(year, month, day)
    month_text = groups["month"]
    month = (
        int(month_text) if month_text.isdigit() else MONTHS.get(month_text.lower().rstrip("."), 0)
    )
    if not month:
        return None
    return _valid(year, month, int(groups["day"]))


def _valid(year: int, month: int, day: int) -> datetime | None:
    if not 1990 <= year <= datetime.now().year + 1:
        return None
    try:
        return datetime(year, month, day)
    except ValueError:
        return None
