"""The date grammar: one regular expression per kind of temporal expression, with its handler.

Each `@rule` pairs a pattern with a function from `resolve.py`; `find_dates` (in this package's
`__init__`) runs every rule over a sentence. English rules come first, then ranges, numeric
dates and times, then Russian ones. Month names come from `text/timewords.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from narrascope.text.timewords import (
    MONTH_ABBREVIATIONS_EN,
    MONTHS_EN,
    MONTHS_RU_GENITIVE,
    WEEKDAYS,
    month_number,
)
from narrascope.text.timex.resolve import (
    _FUTURE,
    Context,
    DateMention,
    Granularity,
    Resolution,
    _anchored,
    _day_month,
    _day_range,
    _full_date,
    _mention,
    _month_alone,
    _month_year,
    _number,
    _numeric,
    _relative_word,
    _rolling,
    _shifted,
    _unit,
    _weekday,
    _year,
)

_MONTH_FULL = "|".join(name.capitalize() for name in MONTHS_EN)
_MONTH_SHORT = "|".join(name.capitalize() for name in MONTH_ABBREVIATIONS_EN)
_MONTH = rf"(?P<month>{_MONTH_FULL}|(?:{_MONTH_SHORT})\.?)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|d)?"
_YEAR = r"(?P<year>1[89]\d\d|20\d\d)"
_RU_GEN = "(?P<month>" + "|".join(MONTHS_RU_GENITIVE) + ")"
_RU_ANY = (
    r"(?P<month>(?:январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)[ьяеюём]{1,2}"
    r"|(?:март|август)(?:а|е|у|ом)?|ма(?:й|я|е|ю|ем))"
)
_RU_YEAR_WORD = r"(?:\s*(?:-?(?:м|го|й)\s+)?(?:года|году|годом|год|г\.))"
_N_EN = (
    r"(?P<n>\d{1,3}|a couple of|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
)
_N_RU = r"(?P<n>\d{1,3}|одну|один|одна|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять)"
_WEEKDAY_EN = "(?P<weekday>" + "|".join(w.capitalize() for w in WEEKDAYS if w.isascii()) + ")"
_WEEKDAY_RU = "(?P<weekday>" + "|".join(w for w in WEEKDAYS if not w.isascii()) + ")"
_COUNT_NOUNS = (
    r"(?!\s*(?:%|percent|per cent|people|persons|men|women|troops|soldiers|cases|dollars|"
    r"euros|rubles|km|miles|votes|deaths|times|units|copies|tons|человек|рублей|раз)\b)"
)
_DURATION_CUE = re.compile(  # "the highest unemployment in 20 years": a span of time, not a date
    r"\b(?:highest|lowest|largest|biggest|smallest|best|worst|greatest|longest|fewest|most|least"
    r"|first time|ever|only|once)\b",
    re.IGNORECASE,
)


Handler = Callable[[re.Match[str], Context], DateMention | None]
RULES: list[tuple[re.Pattern[str], Handler]] = []


def rule(pattern: str, flags: int = 0) -> Callable[[Handler], Handler]:
    """Register `handler` for `pattern`; the named group `x`, if present, is the expression."""

    def register(handler: Handler) -> Handler:
        RULES.append((re.compile(pattern, flags), handler))
        return handler

    return register


def _month(m: re.Match[str], group: str = "month") -> int:
    """The number of the month a match names (its pattern admits only month words)."""
    return month_number(m.group(group)) or 0


# English -------------------------------------------------------------------------------------


@rule(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b")
def _en_mdy(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _full_date(m, _month(m))


@rule(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b")
def _en_dmy(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _full_date(m, _month(m))


@rule(rf"\b{_MONTH}\s+{_DAY}\b")
def _en_md(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month(m), ctx)


@rule(rf"\b(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?!\w)")
def _en_dm(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month(m), ctx)


@rule(rf"\b(?P<month>{_MONTH_FULL})(?:\s+of)?,?\s+{_YEAR}\b")
def _en_my(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_year(m, _month(m))


@rule(
    r"\b(?i:in|since|until|till|by|from|through|during|of|before|after)\s+(?P<x>"
    rf"(?:(?P<rel>(?i:last|next|this|early|late|mid-?))\s*)?(?P<month>{_MONTH_FULL}))\b"
    r"|\b(?P<x2>(?P<rel2>(?i:last|next|this|early|late|mid-?))\s*"
    rf"(?P<month2>{_MONTH_FULL}))\b"
)
def _en_month(m: re.Match[str], ctx: Context) -> DateMention | None:
    if m.group("x2"):
        month, rel = _month(m, "month2"), m.group("rel2")
        start, end = m.span("x2")
        found = _month_alone(m, month, rel.lower() if rel else "", ctx)
        return replace(found, start=start, end=end, expression=m.group("x2"))
    rel = (m.group("rel") or "").lower()
    return _month_alone(m, _month(m), rel, ctx)


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


# A day with a name of its own is not the nearest weekday: "Black Friday levels" on a Monday
# is not last Friday ("Black Friday" is a shopping season; "Good Friday" moves with Easter).
_NAMED_DAY = re.compile(
    r"\b(?:Black|Good|Cyber|Super|Ash|Maundy|Holy|Easter|Palm|Bloody|Giving|Shrove|Whit|Fat|Blue"
    r"|Small Business|Super Bowl)\s+$"
)


# A weekday that heads a date ("on Friday, March 6", "Friday 6 March") is that date's day, not
# the nearest such weekday: the date rule reads it.
_DATE_AFTER = re.compile(
    rf",?\s+(?:the\s+)?(?:{_MONTH}\s+{_DAY}|{_DAY}(?:\s+of)?\s+{_MONTH})(?!\w)".replace(
        "?P<month>", "?:"
    ).replace("?P<day>", "?:")
)


@rule(rf"\b(?P<x>(?:(?P<rel>last|next|this|past|coming)\s+)?{_WEEKDAY_EN})\b")
def _en_weekday(m: re.Match[str], ctx: Context) -> DateMention | None:
    if not m.group("rel") and _NAMED_DAY.search(m.string, 0, m.start("weekday")):
        return None
    if _DATE_AFTER.match(m.string, m.end()):
        return None
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


@rule(rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:{_DASH}|\s+(?:to|through)\s+)"
      rf"(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR}\b)?")  # fmt: skip
def _en_month_day_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month(m), ctx)


@rule(rf"\b(?P<day>[0-3]?\d){_DASH}(?P<day2>[0-3]?\d)\s+{_MONTH}(?!\w)(?:,?\s+{_YEAR}\b)?")
def _en_day_month_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month(m), ctx)


@rule(rf"(?<!\w)(?:с\s+)?(?P<day>[0-3]?\d)(?:{_DASH}|\s+по\s+)(?P<day2>[0-3]?\d)\s+{_RU_GEN}"
      rf"(?:\s+{_YEAR}(?!\d){_RU_YEAR_WORD}?)?", re.IGNORECASE)  # fmt: skip
def _ru_day_range(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_range(m, _month(m), ctx)


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
    return _full_date(m, _month(m))


@rule(rf"(?<!\d)(?P<day>[0-3]?\d)(?:-?(?:го|е|ое))?\s+{_RU_GEN}\b", re.IGNORECASE)
def _ru_dm(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _day_month(m, _month(m), ctx)


@rule(rf"\b{_RU_ANY}\s+{_YEAR}(?!\d){_RU_YEAR_WORD}?", re.IGNORECASE)
def _ru_my(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_year(m, _month(m))


@rule(rf"\b(?P<x>(?:в|с|до|к|по|от)\s+(?:(?P<rel>прошл|следующ|будущ|эт|текущ)\w*\s+)?{_RU_ANY})\b",
      re.IGNORECASE)  # fmt: skip
def _ru_month(m: re.Match[str], ctx: Context) -> DateMention | None:
    return _month_alone(m, _month(m), (m.group("rel") or "").lower(), ctx)


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
