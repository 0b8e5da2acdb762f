"""Words of the calendar in English and Russian: months, weekdays, number words, units of time.

The one month table of the project. Cleaning reads it to find a page's publication date
(`clean/dates.py`, `clean/html.py`); the date grammar (`text/timex/`) reads it to find dates in
prose. Everything here is lower case; patterns that want capitals build them from these words.
"""

from __future__ import annotations

# Per month: English name, English abbreviations, Russian genitive ("6 января"), nominative
# ("январь 2022") and abbreviations. Every other month table is built from this one.
_MONTH_WORDS: tuple[tuple[str, tuple[str, ...], str, str, tuple[str, ...]], ...] = (
    ("january", ("jan",), "января", "январь", ("янв",)),
    ("february", ("feb",), "февраля", "февраль", ("фев",)),
    ("march", ("mar",), "марта", "март", ("мар",)),
    ("april", ("apr",), "апреля", "апрель", ("апр",)),
    ("may", (), "мая", "май", ()),
    ("june", ("jun",), "июня", "июнь", ("июн",)),
    ("july", ("jul",), "июля", "июль", ("июл",)),
    ("august", ("aug",), "августа", "август", ("авг",)),
    ("september", ("sept", "sep"), "сентября", "сентябрь", ("сен", "сент")),
    ("october", ("oct",), "октября", "октябрь", ("окт",)),
    ("november", ("nov",), "ноября", "ноябрь", ("ноя", "нояб")),
    ("december", ("dec",), "декабря", "декабрь", ("дек",)),
)

MONTHS_EN: tuple[str, ...] = tuple(row[0] for row in _MONTH_WORDS)
"""English month names, January first."""
MONTH_ABBREVIATIONS_EN: tuple[str, ...] = tuple(a for row in _MONTH_WORDS for a in row[1])
"""English abbreviations in month order ("sept" before "sep")."""
MONTHS_RU_GENITIVE: tuple[str, ...] = tuple(row[2] for row in _MONTH_WORDS)
"""Russian month names as a date writes them ("6 января"), January first."""

MONTHS: dict[str, int] = {
    **{word: n for n, row in enumerate(_MONTH_WORDS, 1) for word in (row[0], *row[1])},
    **{word: n for n, row in enumerate(_MONTH_WORDS, 1) for word in (row[2], row[3], *row[4])},
}
"""Every month word (English and Russian, full and abbreviated, lower case) → month number."""

# The inflected Russian forms ("в январе", "мартом") share the nominative's stem.
_MONTH_STEMS_RU = tuple((row[3].rstrip("ьй"), n) for n, row in enumerate(_MONTH_WORDS, 1))


def month_number(word: str) -> int | None:
    """The month a word names ("Jan.", "января", "в январе" → 1), or None."""
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS[word]
    # "март" is tried before "ма" (май), so "марте" is March.
    return next((n for stem, n in _MONTH_STEMS_RU if word.startswith(stem)), None)


WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4,
    "субботу": 5, "воскресенье": 6,
}  # fmt: skip
"""Weekday names as they follow "on" / "в" (Russian accusative) → Monday-based index."""
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "три": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10,
}  # fmt: skip
"""Number words that count units of time ("three weeks ago", "две недели назад")."""
UNITS = {
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "дн": "day", "ден": "day",
    "сут": "day", "недел": "week", "месяц": "month", "год": "year", "лет": "year",
}  # fmt: skip
"""Words and Russian stems of time units → "day" | "week" | "month" | "year"."""
