"""Dates and times in English and Russian prose, normalised against a publication date.

A small regular grammar finds temporal expressions ("on January 5", "09.01.22 11:50",
"this week", "three weeks ago", "last Thursday", "5 января 2022 года", "в среду",
"a day before …") and resolves each to a calendar interval. Expressions that need an anchor
(no year, a weekday, "yesterday") are resolved against the publication date; without one they
stay unresolved and say why. Expressions anchored to another event ("the next day", "a day
before the statement") are found but left unresolved: the grammar cannot tell which event.
`analyzers/events.py` turns the mentions into timeline annotations.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum


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


# --- vocabulary -----------------------------------------------------------------------------

MONTHS_EN = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH_STEMS_RU = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
    "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4,
    "субботу": 5, "воскресенье": 6,
}  # fmt: skip
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "три": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
}  # fmt: skip
UNITS = {
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "дн": "day", "ден": "day",
    "сут": "day", "недел": "week", "месяц": "month", "год": "year", "лет": "year",
}  # fmt: skip

_MONTH_FULL = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_MONTH = rf"(?P<month>{_MONTH_FULL}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|d)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_RU_GEN = (
    r"(?P<month>января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
)
_RU_ANY = (
    r"(?P<month>(?:январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)[ьяеюём]{1,2}"
    r"|(?:март|август)(?:а|е|у|ом)?|ма(?:й|я|е|ю|ем))"
)
_RU_YEAR_WORD = r"(?:\s*(?:-?(?:м|го|й)\s+)?(?:года|году|годом|год|г\.))"
_N_EN = (
    r"(?P<n>\d{1,3}|a couple of|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_N_RU = r"(?P<n>\d{1,3}|одну|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять)"
_WEEKDAY_EN = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WEEKDAY_RU = r"(?P<weekday>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)"
_COUNT_NOUNS = (
    r"(?!\s*(?:%|percent|per cent|people|persons|men|women|troops|soldiers|cases|dollars|"
    r"euros|rubles|km|miles|votes|deaths|times|units|copies|tons|человек|рублей|раз)\b)"
)
_FUTURE = re.compile(
    r"\b(?:will|shall|going to|due|scheduled|plans? to|expected to|is to|are to)\b|'ll\b"
    r"|\b(?:будет|будут|состоится|пройд\w*|планиру\w*|намерен\w*|собира\w*)",
    re.IGNORECASE,
)
_DURATION_CUE = re.compile(  # "the highest unemployment in 20 years": a span of time, not a date
    r"\b(?:highest|lowest|largest|biggest|smallest|best|worst|greatest|longest|fewest|most|least"
    r"|first time|ever|only|once)\b",
    re.IGNORECASE,
)

# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Context:
    """What resolution needs besides the match: the publication day and the whole sentence."""

    published: date | None
    text: str
    day_first: bool  # numeric d/m/y (Russian) or m/d/y (English) for slashed dates


Handler = Callable[[re.Match[str], Context], DateMention | None]
RULES: list[tuple[re.Pattern[str], Handler]] = []


def rule(pattern: str, flags: int = 0) -> Callable[[Handler], Handler]:
    """Register `handler` for `pattern`; the named group `x`, if present, is the expression."""

    def register(handler: Handler) -> Handler:
        RULES.append((re.compile(pattern, flags), handler))
        return handler

    return register


def _span(m: re.Match[str]) -> tuple[int, int, str]:
    key = "x" if "x" in m.groupdict() and m.group("x") else 0
    return m.start(key), m.end(key), m.group(key)


def _mention(
    m: re.Match[str], granularity: Granularity, resolution: Resolution, **kw
) -> DateMention:
    start, end, text = _span(m)
    return DateMention(start, end, text, granularity, resolution, **kw)


def _month_en(m: re.Match[str]) -> int:
    return MONTHS_EN[m.group("month").rstrip(".").lower()]


def _month_ru(m: re.Match[str]) -> int:
    word = m.group("month").lower()
    return next(n for stem, n in MONTH_STEMS_RU.items() if word.startswith(stem))


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


# English -------------------------------------------------------------------------------------


@rule(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b")
def _en_mdy(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _full_date(m, _month_en(m))


@rule(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b")
def _en_dmy(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _full_date(m, _month_en(m))


@rule(rf"\b{_MONTH}\s+{_DAY}\b")
def _en_md(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month_en(m), ctx)


@rule(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?!\w)")
def _en_dm(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month_en(m), ctx)


@rule(rf"\b(?P<month>{_MONTH_FULL})(?:\s+of)?,?\s+{_YEAR}\b")
def _en_my(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_year(m, _month_en(m))


@rule(
    r"\b(?i:in|since|until|till|by|from|through|during|of|before|after)\s+(?P<x>"
    rf"(?:(?P<rel>(?i:last|next|this|early|late|mid-?))\s*)?(?P<month>{_MONTH_FULL}))\b"
    r"|\b(?P<x2>(?P<rel2>(?i:last|next|this|early|late|mid-?))\s*"
    rf"(?P<month2>{_MONTH_FULL}))\b"
)
def _en_month(m: re.Match[str], ctx: Context) -> DateMention | None:
    if m.group("x2"):
        month, rel = MONTHS_EN[m.group("month2").lower()], m.group("rel2")
        start, end = m.span("x2")
        found = _month_alone(m, month, rel.lower() if rel else "", ctx)
        return replace(found, start=start, end=end, expression=m.group("x2"))
    rel = (m.group("rel") or "").lower()
    return _month_alone(m, _month_en(m), rel, ctx)


@rule(
    r"\b(?i:in|since|until|till|by|from|through|during|of|before|after|early|late|mid|around"
    rf"|circa|the|an?|its|their|his|her|our|year)[\s-]+(?P<x>{_YEAR})\b(?![-–/]\d){_COUNT_NOUNS}"
)
def _en_year(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _year(m)


@rule(r"\b(?P<x>(?:19|20)\d0)s\b")
def _decade(m: re.Match[str], ctx: Context) -> DateMention | None:
    first = int(m.group("x"))
    found = _mention(
        m,
        Granularity.YEAR,
        Resolution.ABSOLUTE,
        first=date(first, 1, 1),
        last=date(first + 9, 12, 31),
    )
    return replace(found, end=found.end + 1, expression=found.expression + "s")


@rule(r"\b(?P<x>today|tonight|yesterday|tomorrow|this (?:morning|afternoon|evening)|last night"
      r"|the day (?:before yesterday|after tomorrow))\b(?!['’]s)", re.IGNORECASE)  # fmt: skip
def _en_day_word(m: re.Match[str], ctx: Context) -> DateMention | None:
    amount = _relative_word(m.group("x"))
    return None if amount is None else _shifted(m, ctx, "day", amount)


@rule(rf"\b(?P<x>(?:(?P<rel>last|next|this|past|coming)\s+)?{_WEEKDAY_EN})\b")
def _en_weekday(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _weekday(m, ctx, (m.group("rel") or "").lower())


@rule(r"\b(?P<x>(?P<rel>this|last|next|previous|coming|current)\s+(?P<unit>week|month|year))\b",
      re.IGNORECASE)  # fmt: skip
def _en_this_unit(m: re.Match[str], ctx: Context) -> DateMention | None:
    rel = m.group("rel").lower()
    amount = {"this": 0, "current": 0, "last": -1, "previous": -1}.get(rel, 1)
    return _shifted(m, ctx, m.group("unit").lower(), amount)


@rule(rf"\b(?P<x>the\s+(?P<rel>last|past|next|coming)\s+(?:{_N_EN}\s+)?(?P<unit>days?|weeks?|"
      r"months?|years?))\b(?!\s+of\b)", re.IGNORECASE)  # fmt: skip
def _en_rolling(m: re.Match[str], ctx: Context) -> DateMention | None:
    sign = -1 if m.group("rel").lower() in ("last", "past") else 1
    # "the next day" is anchored to another event; "the last day" is too vague to place
    if m.group("n") is None and (sign > 0 or m.group("unit").lower() == "day"):
        return None
    return _rolling(m, ctx, _unit(m.group("unit")), sign * _number(m))


@rule(rf"\b(?P<x>{_N_EN}\s+(?P<unit>days?|weeks?|months?|years?)\s+ago)\b", re.IGNORECASE)
def _en_ago(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _shifted(m, ctx, _unit(m.group("unit")), -_number(m))


@rule(rf"\b(?P<x>in\s+{_N_EN}\s+(?P<unit>days?|weeks?|months?|years?))\b(?!['’])", re.I)
def _en_in(m: re.Match[str], ctx: Context) -> DateMention | None:
    before = ctx.text[max(0, m.start() - 40) : m.start()]
    if not _FUTURE.search(ctx.text) or _DURATION_CUE.search(before):
        return None  # "the highest in 20 years" is a duration, not a date
    return _shifted(m, ctx, _unit(m.group("unit")), _number(m))


@rule(rf"\b(?P<x>(?:{_N_EN}|the)\s+(?P<unit>days?|weeks?|months?|years?)\s+(?P<dir>before|after"
      r"|earlier|later|prior to))\b", re.IGNORECASE)  # fmt: skip
def _en_anchored(m: re.Match[str], ctx: Context) -> DateMention | None:
    sign = -1 if m.group("dir").lower() in ("before", "earlier", "prior to") else 1
    amount = 1 if m.group("n") is None else _number(m)
    return _anchored(m, sign, _unit(m.group("unit")), amount)


@rule(r"\b(?P<x>the\s+(?:very\s+)?(?P<dir>next|following|previous|preceding)\s+"
      r"(?P<unit>day|week|month|year))\b", re.IGNORECASE)  # fmt: skip
def _en_next_day(m: re.Match[str], ctx: Context) -> DateMention | None:
    sign = 1 if m.group("dir").lower() in ("next", "following") else -1
    return _anchored(m, sign, m.group("unit").lower(), 1)


# Ranges -----------------------------------------------------------------------------------------

_DASH = r"\s*(?:-|–|—)\s*"


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


@rule(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:{_DASH}|\s+(?:to|through)\s+)"
      rf"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR}\b)?")  # fmt: skip
def _en_month_day_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month_en(m), ctx)


@rule(rf"\b(?P<day>[0-3]?\d){_DASH}(?P<day2>[0-3]?\d)\s+{_MONTH}(?!\w)(?:,?\s+{_YEAR}\b)?")
def _en_day_month_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month_en(m), ctx)


@rule(rf"(?<!\w)(?:с\s+)?(?P<day>[0-3]?\d)(?:{_DASH}|\s+по\s+)(?P<day2>[0-3]?\d)\s+{_RU_GEN}"
      rf"(?:\s+{_YEAR}(?!\d){_RU_YEAR_WORD}?)?", re.IGNORECASE)  # fmt: skip
def _ru_day_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month_ru(m), ctx)


@rule(rf"(?<![\d.])(?P<year>(?:1[89]|20)\d\d){_DASH}(?P<year2>(?:1[89]|20)\d\d)(?![\d.])")
@rule(rf"\b(?i:between|from)\s+(?P<x>{_YEAR}\s+(?:and|to|until|through)\s+"
      r"(?P<year2>(?:1[89]|20)\d\d))\b")  # fmt: skip
def _year_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    first, last = int(m.group("year")), int(m.group("year2"))
    if not first < last <= first + 50:
        return None
    return _mention(
        m, Granularity.YEAR, Resolution.ABSOLUTE, first=date(first, 1, 1), last=date(last, 12, 31)
    )


# Numbers and times -----------------------------------------------------------------------------


@rule(r"(?<![\d.])(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.(?P<y>\d{4}|\d{2})(?![\d])(?!\.\d)")
def _dotted(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _numeric(m, ctx, int(m.group("d")), int(m.group("m")))


@rule(r"(?<![\d/])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<y>\d{4}|\d{2})(?![\d/])")
def _slashed(m: re.Match[str], ctx: Context) -> DateMention | None:
    first, second = int(m.group("a")), int(m.group("b"))
    # English writes month/day/year, Russian day/month/year; 25/12 can only be day/month.
    day, month = (first, second) if ctx.day_first else (second, first)
    if month > 12 >= day:
        day, month = month, day
    return _numeric(m, ctx, day, month)


@rule(r"(?<![\d-])(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\d-])")
def _iso(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _numeric(m, ctx, int(m.group("d")), int(m.group("m")))


@rule(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3])[:.](?P<mi>[0-5]\d)(?:\s*(?P<ap>[ap]\.?m\.?))?(?![\d:])"
      r"|\b(?P<h2>1[0-2]|0?[1-9])\s*(?P<ap2>[ap]\.m\.|[ap]m\b)", re.IGNORECASE)  # fmt: skip
def _time(m: re.Match[str], ctx: Context) -> DateMention | None:
    if m.group("h") is not None and "." in m.group(0)[:6] and not m.group("ap"):
        return None  # 11.50 is a number or a price far more often than a time
    hour = int(m.group("h") or m.group("h2"))
    minute = int(m.group("mi") or 0)
    meridiem = (m.group("ap") or m.group("ap2") or "").lower().replace(".", "")
    if meridiem and hour > 12:
        return None
    hour = hour % 12 + (12 if meridiem == "pm" else 0) if meridiem else hour
    return _mention(m, Granularity.TIME, Resolution.UNRESOLVED, time=f"{hour:02d}:{minute:02d}")


# Russian -------------------------------------------------------------------------------------


@rule(rf"(?<!\d)(?P<day>[0-3]?\d)(?:-?(?:го|е|ое))?\s+{_RU_GEN}\s+{_YEAR}(?!\d){_RU_YEAR_WORD}?",
      re.IGNORECASE)  # fmt: skip
def _ru_dmy(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _full_date(m, _month_ru(m))


@rule(rf"(?<!\d)(?P<day>[0-3]?\d)(?:-?(?:го|е|ое))?\s+{_RU_GEN}\b", re.IGNORECASE)
def _ru_dm(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month_ru(m), ctx)


@rule(rf"\b{_RU_ANY}\s+{_YEAR}(?!\d){_RU_YEAR_WORD}?", re.IGNORECASE)
def _ru_my(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_year(m, _month_ru(m))


@rule(rf"\b(?P<x>(?:в|с|до|к|по|от)\s+(?:(?P<rel>прошл|следующ|будущ|эт|текущ)\w*\s+)?{_RU_ANY})\b",
      re.IGNORECASE)  # fmt: skip
def _ru_month(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_alone(m, _month_ru(m), (m.group("rel") or "").lower(), ctx)


@rule(rf"(?<![\d.])(?P<x>{_YEAR}{_RU_YEAR_WORD})(?!\w)", re.IGNORECASE)
def _ru_year(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _year(m)


@rule(rf"(?<!\w)(?:в|с|до|к|по|от|после|около)\s+(?P<x>{_YEAR})(?![\d.,]\d){_COUNT_NOUNS}",
      re.IGNORECASE)  # fmt: skip
def _ru_year_after_preposition(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _year(m)


@rule(r"(?<!\w)(?P<x>сегодня|вчера|завтра|позавчера|послезавтра)(?!\w)", re.IGNORECASE)
def _ru_day_word(m: re.Match[str], ctx: Context) -> DateMention | None:
    amount = _relative_word(m.group("x"))
    return None if amount is None else _shifted(m, ctx, "day", amount)


@rule(rf"(?<!\w)(?:в|во)\s+(?P<x>(?:(?P<rel>прошл|следующ|будущ|ближайш|эт)\w*\s+)?{_WEEKDAY_RU})"
      r"(?!\w)", re.IGNORECASE)  # fmt: skip
def _ru_weekday(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _weekday(m, ctx, (m.group("rel") or "").lower())


@rule(r"(?<!\w)(?P<x>(?:на|в)\s+(?P<rel>эт|прошл|следующ|будущ|текущ|минувш)\w*\s+"
      r"(?P<unit>недел|месяц|год)\w*)", re.IGNORECASE)  # fmt: skip
def _ru_this_unit(m: re.Match[str], ctx: Context) -> DateMention | None:
    rel = m.group("rel").lower()
    amount = {"эт": 0, "текущ": 0, "прошл": -1, "минувш": -1}.get(rel, 1)
    return _shifted(m, ctx, _unit(m.group("unit")), amount)


@rule(rf"(?<!\w)(?P<x>(?:{_N_RU}\s+)?(?P<unit>дн[еяй]\w*|день|сут\w*|недел\w*|месяц\w*|год\w*|лет)"
      r"\s+назад)(?!\w)", re.IGNORECASE)  # fmt: skip
def _ru_ago(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _shifted(m, ctx, _unit(m.group("unit")), -_number(m))


@rule(rf"(?<!\w)(?P<x>через\s+(?:{_N_RU}\s+)?(?P<unit>дн[еяй]\w*|день|недел\w*|месяц\w*|год\w*"
      r"|лет))(?!\w)(?!\s+после)", re.IGNORECASE)  # fmt: skip
def _ru_in(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _shifted(m, ctx, _unit(m.group("unit")), _number(m))


@rule(rf"(?<!\w)(?P<x>за\s+(?:{_N_RU}\s+)?(?P<unit>дн[еяй]\w*|день|сутки|недел\w*|месяц\w*"
      r"|год\w*|лет)\s+до)(?!\w)", re.IGNORECASE)  # fmt: skip
def _ru_before(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _anchored(m, -1, _unit(m.group("unit")), _number(m))


@rule(r"(?<!\w)(?P<x>накануне|на следующий день|днём ранее|днем ранее|днём позже|днем позже"
      r"|на следующей день)(?!\w)", re.IGNORECASE)  # fmt: skip
def _ru_next_day(m: re.Match[str], ctx: Context) -> DateMention | None:
    text = m.group("x").lower()
    return _anchored(m, -1 if text in ("накануне", "днём ранее", "днем ранее") else 1, "day", 1)


# --- search -----------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|net|ru|info)/\S*", re.IGNORECASE)
_TRIGGER = re.compile(
    r"\d|\b(?:jan(?:uary)?|feb(?:ruary)?|march|mar|april|apr|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|(?:mon|tues|wednes|thurs|fri"
    r"|satur|sun)day|today|tonight|yesterday|tomorrow|days?|weeks?|months?|years?|night)\b"
    r"|\b(?:сегодня|вчера|завтра|позавчера|послезавтра|накануне|недел|месяц|год|лет|дн|ден|сут"
    r"|понедельник|вторник|сред|четверг|пятниц|суббот|воскресень|январ|феврал|март|апрел|ма[йяею]"
    r"|июн|июл|август|сентябр|октябр|ноябр|декабр)",
    re.IGNORECASE,
)
_JOINER = re.compile(
    r"\s*(?:,|at|around|about|approximately|в|около)?\s*(?:about|around)?\s*$", re.I
)


def find_dates(
    text: str, published: date | None = None, *, language: str | None = None
) -> list[DateMention]:
    """Every temporal expression in `text`, longest first on overlap, in reading order.

    `published` anchors relative expressions; `language` ("en", "ru") only decides the order
    of slashed numeric dates (Russian reads day/month/year).
    """
    if not _TRIGGER.search(text):
        return []  # most sentences name no time at all: one cheap scan instead of every rule
    ctx = Context(published, text, day_first=language not in (None, "en"))
    blocked = [m.span() for m in _URL.finditer(text)]
    found: list[DateMention] = []
    for pattern, handler in RULES:
        for m in pattern.finditer(text):
            mention = handler(m, ctx)
            if mention is None or not mention.expression.strip():
                continue
            if any(a < mention.end and mention.start < b for a, b in blocked):
                continue
            found.append(mention)
    chosen: list[DateMention] = []
    for mention in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        if all(mention.end <= c.start or c.end <= mention.start for c in chosen):
            chosen.append(mention)
    return _join_ranges(text, _join_times(text, sorted(chosen, key=lambda f: f.start)))


def _join_times(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Merge a day followed by a time ("09.01.22 11:50", "January 5 at 10:00") into one mention."""
    out: list[DateMention] = []
    for mention in mentions:
        previous = out[-1] if out else None
        if (
            previous is not None
            and mention.granularity == Granularity.TIME
            and mention.first is None
            and previous.granularity == Granularity.DAY
            and _JOINER.fullmatch(text[previous.end : mention.start])
        ):
            out[-1] = replace(
                previous,
                end=mention.end,
                expression=text[previous.start : mention.end],
                granularity=Granularity.TIME,
                time=mention.time,
            )
            continue
        out.append(mention)
    return out


def with_day(mention: DateMention, day: DateMention) -> DateMention:
    """A bare time placed on the day of another mention (the nearest day before it)."""
    resolution = Resolution.UNRESOLVED if day.first is None else Resolution.RELATIVE
    return replace(
        mention,
        first=day.first,
        last=day.last,
        partial=day.partial,
        resolution=resolution,
        note=f"day taken from {day.expression!r}",
    )


_RANGE_OPENER = re.compile(r"(?:\b(?:from|between)|(?<!\w)(?:с|со|между))\s+$", re.IGNORECASE)
_RANGE_JOINER = re.compile(r"\s*(?:-|–|—|to|until|till|through|and|по|до|и)\s*", re.IGNORECASE)


def _join_ranges(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Merge "from January 2 to January 5" or "between 2014 and 2016" into one interval."""
    out: list[DateMention] = []
    for mention in mentions:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.first is not None
            and mention.first is not None
            and mention.last is not None
            and previous.first <= mention.first
            and Granularity.TIME not in (previous.granularity, mention.granularity)
            and _RANGE_JOINER.fullmatch(text[previous.end : mention.start])
            and _RANGE_OPENER.search(text[: previous.start])
        ):
            coarse = max(
                (previous.granularity, mention.granularity),
                key=[Granularity.DAY, Granularity.WEEK, Granularity.MONTH, Granularity.YEAR].index,
            )
            unresolved = Resolution.RELATIVE in (previous.resolution, mention.resolution)
            out[-1] = replace(
                previous,
                end=mention.end,
                expression=text[previous.start : mention.end],
                granularity=coarse,
                resolution=Resolution.RELATIVE if unresolved else Resolution.ABSOLUTE,
                last=mention.last,
            )
            continue
        out.append(mention)
    return out
