"""Dates and times in English and Russian prose, normalised against a publication date.

A small regular grammar finds temporal expressions ("on January 5", "09.01.22 11:50",
"this week", "three weeks ago", "last Thursday", "5 января 2022 года", "в среду",
"a day before …") and resolves each to a calendar interval. Expressions that need an anchor
(no year, a weekday, "yesterday") are resolved against the publication date; without one they
stay unresolved and say why. Expressions anchored to another event ("the next day", "a day
before the statement") are found but left unresolved: the grammar cannot tell which event.
`analyzers/events.py` turns the mentions into timeline annotations.

Three rooms: `resolve.py` (the mention and its calendar arithmetic), `rules.py` (the patterns)
and this module (the search: every rule over a text, overlaps settled, days joined to times
and ranges). The calendar's words live in `text/timewords.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from narrascope.text.timex.resolve import (
    NO_ANCHOR,
    OTHER_EVENT,
    Context,
    DateMention,
    Granularity,
    Resolution,
)
from narrascope.text.timex.rules import RULES

__all__ = [
    "NO_ANCHOR",
    "OTHER_EVENT",
    "DateMention",
    "Granularity",
    "Resolution",
    "find_dates",
    "with_day",
]

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
