"""How a date expression resolves: its mention type and the calendar arithmetic against a day.

The grammar (`rules.py`) matches an expression and hands the match to one of these functions,
which turns it into a `DateMention`: an absolute date, a date relative to the publication day
(`Context.published`), or an unresolved mention that says why.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from narrascope.text.timewords import NUMBERS, UNITS, WEEKDAYS


class Granularity(StrEnum):
    """How precise a resolved expression is."""

    TIME = "time"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Resolution(StrEnum):
    """Whether the expression fixes its date alone, through the publication date, or not at all."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    UNRESOLVED = "unresolved"


NO_ANCHOR = "no publication date to resolve against"
OTHER_EVENT = "relative to another event in the text"


@dataclass(frozen=True, slots=True)
class DateMention:
    """One temporal expression: where it is, what it says, and the days it covers (inclusive)."""

    start: int  # character offsets into the text that was searched
    end: int
    expression: str
    granularity: Granularity
    resolution: Resolution
    first: date | None = None
    last: date | None = None
    time: str | None = None  # "HH:MM"
    partial: str | None = None  # what is known when unresolved: "--01-05", "--01"
    offset: str | None = None  # signed ISO 8601 duration for event-anchored expressions
    note: str | None = None

    @property
    def iso(self) -> str | None:
        """The date as ISO 8601: a day, "YYYY-MM", "YYYY", a "first/last" range, or day with time."""
        if self.first is None or self.last is None:
            return self.partial
        first, last = self.first, self.last
        if first == last:
            return f"{first.isoformat()}T{self.time}" if self.time else first.isoformat()
        whole_month = first.day == 1 and last == _month_end(first.year, first.month)
        if whole_month and self.granularity == Granularity.MONTH:
            return f"{first.year:04d}-{first.month:02d}"
        if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and (
            first.year == last.year
        ):
            return f"{first.year:04d}"
        return f"{first.isoformat()}/{last.isoformat()}"


# --- calendar helpers ---------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _nearest_year(month: int, day: int, published: date) -> date | None:
    """The date with this month and day closest to `published` (news speaks of nearby days)."""
    options = [_safe_date(published.year + k, month, day) for k in (-1, 0, 1)]
    found = [d for d in options if d is not None]
    return min(found, key=lambda d: abs((d - published).days)) if found else None


def _two_digit_year(yy: int, published: date | None) -> int:
    pivot = (published.year % 100 + 1) if published else 50
    return 2000 + yy if yy <= pivot else 1900 + yy


_FUTURE = re.compile(
    r"\b(?:will|shall|going to|due|scheduled|plans? to|expected to|is to|are to)\b|'ll\b"
    r"|\b(?:будет|будут|состоится|пройд\w*|планиру\w*|намерен\w*|собира\w*)",
    re.IGNORECASE,
)

# --- resolution -----------------------------------------------------------------------------


def _to_come(ctx: Context, nearest: date) -> bool:
    """Whether a date the nearest-in-time reading puts more than a month before publication is
    one to come: its sentence speaks of the future ("will", "going to", "будет"). Within the
    month before, a future word may belong to another clause, and the nearest reading stays."""
    assert ctx.published is not None
    return (ctx.published - nearest).days > 31 and _FUTURE.search(ctx.text) is not None


@dataclass(frozen=True, slots=True)
class Context:
    """What resolution needs besides the match: the publication day and the whole sentence."""

    published: date | None
    text: str
    day_first: bool  # numeric d/m/y (Russian) or m/d/y (English) for slashed dates


def _span(m: re.Match[str]) -> tuple[int, int, str]:
    key = "x" if "x" in m.groupdict() and m.group("x") else 0
    return m.start(key), m.end(key), m.group(key)


def _mention(
    m: re.Match[str], granularity: Granularity, resolution: Resolution, **kw
) -> DateMention:
    start, end, text = _span(m)
    return DateMention(start, end, text, granularity, resolution, **kw)


def _number(m: re.Match[str]) -> int:
    raw = (m.group("n") or "1").lower()
    return int(raw) if raw.isdigit() else NUMBERS[raw]


def _unit(word: str) -> str:
    word = word.lower()
    return next(unit for stem, unit in UNITS.items() if word.startswith(stem))


def _full_date(m: re.Match[str], month: int) -> DateMention | None:
    day = _safe_date(int(m.group("year")), month, int(m.group("day")))
    if day is None:
        return None
    return _mention(m, Granularity.DAY, Resolution.ABSOLUTE, first=day, last=day)


def _day_month(m: re.Match[str], month: int, ctx: Context) -> DateMention | None:
    day_of_month = int(m.group("day"))
    if _safe_date(2000, month, day_of_month) is None:  # 2000 is a leap year: Feb 29 passes
        return None
    if ctx.published is None:
        partial = f"--{month:02d}-{day_of_month:02d}"
        return _mention(m, Granularity.DAY, Resolution.UNRESOLVED, partial=partial, note=NO_ANCHOR)
    day = _nearest_year(month, day_of_month, ctx.published)
    if day is not None and _to_come(ctx, day):
        # "the election will happen on November 3rd" in April: the coming one, not the last
        day = _safe_date(day.year + 1, month, day_of_month) or day
    return _mention(m, Granularity.DAY, Resolution.RELATIVE, first=day, last=day)


def _month_year(m: re.Match[str], month: int) -> DateMention:
    year = int(m.group("year"))
    return _mention(
        m,
        Granularity.MONTH,
        Resolution.ABSOLUTE,
        first=date(year, month, 1),
        last=_month_end(year, month),
    )


def _month_alone(m: re.Match[str], month: int, rel: str, ctx: Context) -> DateMention:
    if ctx.published is None:
        return _mention(
            m, Granularity.MONTH, Resolution.UNRESOLVED, partial=f"--{month:02d}", note=NO_ANCHOR
        )
    pub = ctx.published
    if rel in ("last", "прошл"):
        year = pub.year if month < pub.month else pub.year - 1
    elif rel in ("next", "следующ", "будущ"):
        year = pub.year if month > pub.month else pub.year + 1
    elif rel in ("this", "эт", "текущ"):
        year = pub.year
    else:
        year = min(
            (pub.year - 1, pub.year, pub.year + 1),
            key=lambda y: abs((date(y, month, 15) - pub).days),
        )
        if _to_come(ctx, _month_end(year, month)):  # "we are going to vote in November"
            year += 1
    return _mention(
        m,
        Granularity.MONTH,
        Resolution.RELATIVE,
        first=date(year, month, 1),
        last=_month_end(year, month),
    )


def _year(m: re.Match[str]) -> DateMention:
    year = int(m.group("year"))
    return _mention(
        m, Granularity.YEAR, Resolution.ABSOLUTE, first=date(year, 1, 1), last=date(year, 12, 31)
    )


def _numeric(m: re.Match[str], ctx: Context, day: int, month: int) -> DateMention | None:
    raw_year = m.group("y")
    year = int(raw_year) if len(raw_year) == 4 else _two_digit_year(int(raw_year), ctx.published)
    found = _safe_date(year, month, day)
    if found is None or not 1900 <= year <= 2099:
        return None
    return _mention(m, Granularity.DAY, Resolution.ABSOLUTE, first=found, last=found)


def _shifted(m: re.Match[str], ctx: Context, unit: str, amount: int) -> DateMention:
    """The interval `amount` units away from the publication date (negative: in the past)."""
    if ctx.published is None:
        granularity = Granularity.DAY if unit == "day" else Granularity(unit)
        return _mention(m, granularity, Resolution.UNRESOLVED, note=NO_ANCHOR)
    pub = ctx.published
    if unit == "day":
        day = pub + timedelta(days=amount)
        return _mention(m, Granularity.DAY, Resolution.RELATIVE, first=day, last=day)
    if unit == "week":
        first, last = _week(pub + timedelta(weeks=amount))
        return _mention(m, Granularity.WEEK, Resolution.RELATIVE, first=first, last=last)
    if unit == "month":
        year, month = _add_months(pub, amount)
        first, last = date(year, month, 1), _month_end(year, month)
        return _mention(m, Granularity.MONTH, Resolution.RELATIVE, first=first, last=last)
    year = pub.year + amount
    first, last = date(year, 1, 1), date(year, 12, 31)
    return _mention(m, Granularity.YEAR, Resolution.RELATIVE, first=first, last=last)


def _rolling(m: re.Match[str], ctx: Context, unit: str, amount: int) -> DateMention:
    """The days between the publication date and `amount` units before (or after) it."""
    granularity = Granularity.DAY if unit == "day" else Granularity(unit)
    if ctx.published is None:
        return _mention(m, granularity, Resolution.UNRESOLVED, note=NO_ANCHOR)
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * amount
    other = ctx.published + timedelta(days=days)
    first, last = sorted((ctx.published, other))
    return _mention(m, granularity, Resolution.RELATIVE, first=first, last=last)


def _weekday(m: re.Match[str], ctx: Context, rel: str) -> DateMention:
    if ctx.published is None:
        return _mention(m, Granularity.DAY, Resolution.UNRESOLVED, note=NO_ANCHOR)
    pub, target = ctx.published, WEEKDAYS[m.group("weekday").lower()]
    back = (pub.weekday() - target) % 7  # days since the latest such weekday, 0 if today
    if rel in ("last", "past", "прошл"):
        day = pub - timedelta(days=back or 7)
    elif rel in ("next", "coming", "следующ", "будущ", "ближайш"):
        day = pub + timedelta(days=(target - pub.weekday()) % 7 or 7)
    elif rel in ("this", "эт"):
        day = _week(pub)[0] + timedelta(days=target)
    elif _FUTURE.search(ctx.text):
        day = pub + timedelta(days=(target - pub.weekday()) % 7)
    else:
        day = pub - timedelta(days=back)
    return _mention(m, Granularity.DAY, Resolution.RELATIVE, first=day, last=day)


def _anchored(m: re.Match[str], sign: int, unit: str, amount: int) -> DateMention:
    letter = {"day": "D", "week": "W", "month": "M", "year": "Y"}[unit]
    granularity = Granularity.DAY if unit == "day" else Granularity(unit)
    offset = f"{'-' if sign < 0 else '+'}P{amount}{letter}"
    return _mention(m, granularity, Resolution.UNRESOLVED, offset=offset, note=OTHER_EVENT)


def _relative_word(word: str) -> int | None:
    return {
        "today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
        "yesterday": -1, "last night": -1, "tomorrow": 1, "the day before yesterday": -2,
        "the day after tomorrow": 2, "сегодня": 0, "вчера": -1, "завтра": 1,
        "позавчера": -2, "послезавтра": 2,
    }.get(" ".join(word.lower().split()))  # fmt: skip


def _day_range(m: re.Match[str], month: int, ctx: Context) -> DateMention | None:
    """Days `day`..`day2` of one month ("January 2-5", "2–5 января"), year given or nearest."""
    first_day, last_day = int(m.group("day")), int(m.group("day2"))
    if not 1 <= first_day < last_day or _safe_date(2000, month, last_day) is None:
        return None
    if m.group("year"):
        year = int(m.group("year"))
        resolution = Resolution.ABSOLUTE
    elif ctx.published is not None:
        nearest = _nearest_year(month, first_day, ctx.published)
        if nearest is None:
            return None
        year, resolution = nearest.year, Resolution.RELATIVE
    else:
        partial = f"--{month:02d}-{first_day:02d}/--{month:02d}-{last_day:02d}"
        return _mention(m, Granularity.DAY, Resolution.UNRESOLVED, partial=partial, note=NO_ANCHOR)
    first, last = _safe_date(year, month, first_day), _safe_date(year, month, last_day)
    if first is None or last is None:
        return None
    return _mention(m, Granularity.DAY, resolution, first=first, last=last)
