"""Dated events: date grammar and normalisation (EN, RU), and the analyzer on the example corpus."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from narrascope.analyzers.events import EventAnalyzer
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.text.timex import NO_ANCHOR, OTHER_EVENT, find_dates

FRIDAY = date(2022, 1, 7)  # the editorial in the example corpus is dated Friday, January 7, 2022


def dates(text: str, published: date | None = FRIDAY, language: str = "en") -> dict[str, tuple]:
    return {
        m.expression: (m.iso, str(m.resolution), str(m.granularity))
        for m in find_dates(text, published, language=language)
    }


@pytest.mark.parametrize(
    ("text", "expression", "expected"),
    [
        ("declared on January 5 and", "January 5", ("2022-01-05", "relative", "day")),
        ("on December 28 they met", "December 28", ("2021-12-28", "relative", "day")),
        ("said on January 6, 2022, that", "January 6, 2022", ("2022-01-06", "absolute", "day")),
        ("Jan 6, 2022", "Jan 6, 2022", ("2022-01-06", "absolute", "day")),
        (
            "the 2d of January, 2022 was",
            "the 2d of January, 2022",
            ("2022-01-02", "absolute", "day"),
        ),
        ("On the 7th of January", "the 7th of January", ("2022-01-07", "relative", "day")),
        ("09.01.22 11:50", "09.01.22 11:50", ("2022-01-09T11:50", "absolute", "time")),
        ("on 2022-01-05 it", "2022-01-05", ("2022-01-05", "absolute", "day")),
        ("on 01/09/2022 it", "01/09/2022", ("2022-01-09", "absolute", "day")),
        ("in May 2021 the", "May 2021", ("2021-05", "absolute", "month")),
        ("in 2014 the coup", "2014", ("2014", "absolute", "year")),
        ("in the 1990s it", "1990s", ("1990-01-01/1999-12-31", "absolute", "year")),
        ("events this week in", "this week", ("2022-01-03/2022-01-09", "relative", "week")),
        ("talks next week", "next week", ("2022-01-10/2022-01-16", "relative", "week")),
        ("at the end of last month", "last month", ("2021-12", "relative", "month")),
        ("three weeks ago", "three weeks ago", ("2021-12-13/2021-12-19", "relative", "week")),
        ("Yesterday the", "Yesterday", ("2022-01-06", "relative", "day")),
        ("he said on Thursday", "Thursday", ("2022-01-06", "relative", "day")),
        ("last Thursday it", "last Thursday", ("2022-01-06", "relative", "day")),
        ("talks will open on Monday", "Monday", ("2022-01-10", "relative", "day")),
        ("in December or", "December", ("2021-12", "relative", "month")),
        # A sentence about what is to come takes the coming date, not the nearest past one
        # (a CNN story of April 30, 2020 as FRIDAY's analogue: "the election will happen on
        # November 3rd" is in 2020, not 2019).
        ("the vote will happen on July 20", "July 20", ("2022-07-20", "relative", "day")),
        ("the vote happened on July 20", "July 20", ("2021-07-20", "relative", "day")),
        ("we are going to hold it in August", "August", ("2022-08", "relative", "month")),
        ("it was held in August", "August", ("2021-08", "relative", "month")),
        ("talks will resume in January", "January", ("2022-01", "relative", "month")),
        # within the month before, "will" may be another clause's: the nearest date stays
        (
            "the law passed on December 20 will apply",
            "December 20",
            ("2021-12-20", "relative", "day"),
        ),
        ("the deal agreed in December will hold", "December", ("2021-12", "relative", "month")),
        ("over the last week", "the last week", ("2021-12-31/2022-01-07", "relative", "week")),
    ],
)
def test_events_english_normalisation(text, expression, expected):
    assert dates(text)[expression] == expected


@pytest.mark.parametrize(
    ("text", "expression", "expected"),
    [
        ("Протесты начались 2 января.", "2 января", ("2022-01-02", "relative", "day")),
        ("5 января 2022 года введено ЧП", "5 января 2022 года", ("2022-01-05", "absolute", "day")),
        ("В среду Токаев выступил.", "среду", ("2022-01-05", "relative", "day")),
        (
            "В следующую среду пройдут переговоры.",
            "следующую среду",
            ("2022-01-12", "relative", "day"),
        ),
        ("Вчера вечером стреляли.", "Вчера", ("2022-01-06", "relative", "day")),
        (
            "На этой неделе вошли войска.",
            "На этой неделе",
            ("2022-01-03/2022-01-09", "relative", "week"),
        ),
        ("в прошлом году было тихо", "в прошлом году", ("2021", "relative", "year")),
        (
            "Три недели назад Москва",
            "Три недели назад",
            ("2021-12-13/2021-12-19", "relative", "week"),
        ),
        ("В 2014 году в Донбассе", "2014 году", ("2014", "absolute", "year")),
        ("в декабре 2021 года", "декабре 2021 года", ("2021-12", "absolute", "month")),
        ("в декабре было тихо", "в декабре", ("2021-12", "relative", "month")),
        (
            "Встреча 09.01.2022 в 16:00.",
            "09.01.2022 в 16:00",
            ("2022-01-09T16:00", "absolute", "time"),
        ),
    ],
)
def test_events_russian_normalisation(text, expression, expected):
    assert dates(text, language="ru")[expression] == expected


@pytest.mark.parametrize(
    ("text", "language", "expression", "expected"),
    [
        ("raged January 2-5, 2022", "en", "January 2-5, 2022", "2022-01-02/2022-01-05"),
        ("from January 2 to January 5", "en", "January 2 to January 5", "2022-01-02/2022-01-05"),
        ("the 2–5 January riots", "en", "2–5 January", "2022-01-02/2022-01-05"),
        ("between 2014 and 2016", "en", "2014 and 2016", "2014-01-01/2016-12-31"),
        ("in 2014–2016", "en", "2014–2016", "2014-01-01/2016-12-31"),
        ("С 2 по 5 января шли протесты", "ru", "С 2 по 5 января", "2022-01-02/2022-01-05"),
    ],
)
def test_events_ranges(text, language, expression, expected):
    assert dates(text, language=language)[expression][0] == expected


def test_events_a_weekday_heading_a_date_is_that_date_and_times_take_the_nearest_day():
    # A real county notice dated Monday, March 16, 2020: "Friday" was read as March 13.
    text = (
        "Anyone who visited 360 New Hempstead Road on Friday, March 6, or 3 Swim Club Road on "
        "Sunday, March 8 from 9 a.m. to 11 a.m., may have been exposed."
    )
    doc = segment(
        Document(
            text=text, source=SourceRef("notice"), language="en", published=datetime(2020, 3, 16)
        )
    )
    found = {
        a.attrs["expression"]: a.label for a in EventAnalyzer.load().analyze(doc, np.zeros((1, 1)))
    }
    assert found == {
        "March 6": "2020-03-06",
        "March 8": "2020-03-08",
        "9 a.m.": "2020-03-08T09:00",
        "11 a.m.": "2020-03-08T11:00",
    }


def test_events_two_dates_without_range_words_stay_apart():
    assert set(dates("January 2 and January 5 were quiet.")) == {"January 2", "January 5"}


def test_events_without_publication_date_leave_relative_ones_unresolved():
    found = {m.expression: m for m in find_dates("On January 5, 2022 and on January 6, this week.")}
    assert found["January 5, 2022"].iso == "2022-01-05"  # absolute needs no anchor
    assert found["January 6"].iso == "--01-06" and found["January 6"].note == NO_ANCHOR
    assert found["this week"].iso is None and str(found["this week"].resolution) == "unresolved"
    russian = {m.expression: m for m in find_dates("В среду, 5 января.", None, language="ru")}
    assert russian["среду"].note == NO_ANCHOR and russian["5 января"].iso == "--01-05"


@pytest.mark.parametrize(
    ("text", "expression", "offset"),
    [
        ("a day before the Russian Foreign Ministry’s statement", "a day before", "-P1D"),
        ("A mere 10 days before Putin and Biden meet", "10 days before", "-P10D"),
        ("The very next day, they left", "The very next day", "+P1D"),
        ("Накануне в МИД заявили", "Накануне", "-P1D"),
        ("за неделю до выборов", "за неделю до", "-P1W"),
    ],
)
def test_events_anchored_to_another_event_stay_unresolved(text, expression, offset):
    mention = {m.expression: m for m in find_dates(text, FRIDAY)}[expression]
    assert (mention.iso, mention.offset, mention.note) == (None, offset, OTHER_EVENT)


@pytest.mark.parametrize(
    "text",
    [
        "They may 5 times refuse.",  # "may" the verb
        "About 2000 people were detained.",  # a count, not a year
        "Около 2000 человек задержаны.",
        "It costs 11.50 dollars, version 3.14.15.",
        "The highest unemployment in 20 years will follow.",  # a duration
        "See https://example.org/2022/01/14/story for more.",  # a URL
        "June said the next step was clear.",  # a name
        "The controller dropped to Black Friday levels.",  # a named day, not last Friday
        "Churches fill on Good Friday and Easter Sunday.",
    ],
)
def test_events_ignore_what_is_not_a_date(text):
    assert find_dates(text, FRIDAY) == []


# --- the analyzer on the example corpus -----------------------------------------------------

# Publication dates read from each article's own date line (the corpus has no metadata).
PUBLISHED = {
    "001_964a688ff88cd9e1": datetime(2022, 1, 9, 11, 50),
    "002_74977be9488212fe": datetime(2022, 1, 7),
    "003_4fa640b94b0919dd": datetime(2022, 1, 6),
}


@pytest.fixture(scope="module")
def examples(examples_dir):
    docs = {}
    for path in sorted(examples_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = Document(
            text=text,
            source=SourceRef(str(path)),
            language="en",
            published=PUBLISHED.get(path.stem),
        )
        docs[path.stem] = segment(doc)
    return docs


def events(doc: Document) -> list:
    return EventAnalyzer.load().analyze(doc, np.zeros((len(doc.sentences), 512), np.float32))


def timeline(doc: Document) -> set[tuple[str, str]]:
    return {(a.attrs["expression"], a.label) for a in events(doc)}


def test_events_keep_contract_on_examples(examples):
    for doc in examples.values():
        for ann in events(doc):
            assert ann.layer == Layer.EVENT and ann.model == "events-v3"
            assert doc.text[ann.start : ann.end] == ann.attrs["expression"]
            (sentence,) = ann.evidence
            assert sentence in doc.sentences and sentence[0] <= ann.start < ann.end <= sentence[1]
            assert ann.attrs["resolution"] in ("absolute", "relative", "unresolved")
            assert ann.attrs["granularity"] in ("time", "day", "week", "month", "year")
            assert 0.0 < ann.score <= 1.0


def test_events_editorial_dated_january_7(examples):
    doc = examples["002_74977be9488212fe"]
    found = timeline(doc)
    assert (
        "January 5",
        "2022-01-05",
    ) in found  # "a state of emergency being declared on January 5"
    assert ("January 2", "2022-01-02") in found  # "The protests erupted on January 2"
    assert ("January 10", "2022-01-10") in found  # talks "scheduled to take place on January 10"
    assert ("this week", "2022-01-03/2022-01-09") in found
    assert ("three weeks ago", "2021-12-13/2021-12-19") in found
    dateline = next(a for a in events(doc) if a.attrs["expression"] == "January 7, 2022")
    assert dateline.attrs["dateline"] and dateline.attrs["resolution"] == "absolute"
    sentence = next(a for a in events(doc) if a.attrs["expression"] == "January 5")
    assert "state of emergency" in doc.text[slice(*sentence.evidence[0])]


def test_events_analytics_dated_09_01_22(examples):
    found = timeline(examples["001_964a688ff88cd9e1"])
    assert ("09.01.22 11:50", "2022-01-09T11:50") in found
    assert ("January 6, 2022", "2022-01-06") in found  # Liz Truss "said on January 6, 2022"
    assert ("the 2d of January, 2022", "2022-01-02") in found
    assert ("the 7th of January", "2022-01-07") in found


def test_events_massacre_report_places_the_shooting_time(examples):
    doc = examples["003_4fa640b94b0919dd"]
    found = timeline(doc)
    assert ("January 6", "2022-01-06") in found  # "In the afternoon of January 6, in Almaty"
    assert ("16:00", "2022-01-06T16:00") in found  # "at about 16:00, shooting began"
    assert ("January 2", "2022-01-02") in found  # protests "which began on January 2"
    assert ("a day before", "unresolved") in found


def test_events_article_without_date_says_so(examples):
    doc = examples["000_8f4d98db21bab007"]
    assert doc.published is None
    by_expression = {a.attrs["expression"]: a for a in events(doc)}
    january_5 = by_expression["January 5"]  # "On January 5, in Alma-Ata, a group of unknown…"
    assert january_5.label == "unresolved" and january_5.attrs["date"] == "--01-05"
    assert january_5.attrs["note"] == NO_ANCHOR
    assert by_expression["this week"].attrs["note"] == NO_ANCHOR


def test_events_russian_document():
    text = (
        "Протесты в Казахстане начались 2 января.\n"
        "В среду президент Токаев попросил помощи ОДКБ, а 6 января 2022 года войска прибыли."
    )
    doc = segment(
        Document(text=text, source=SourceRef("ru"), language="ru", published=datetime(2022, 1, 7))
    )
    found = timeline(doc)
    assert found == {
        ("2 января", "2022-01-02"),
        ("среду", "2022-01-05"),
        ("6 января 2022 года", "2022-01-06"),
    }


def test_events_empty_document():
    doc = segment(Document(text="", source=SourceRef("empty")))
    assert events(doc) == []


@pytest.mark.parametrize(
    "text", ["on February 30", "on 31.02.2022", "on 2022-13-45", "30 февраля", "99.99.99"]
)
def test_events_impossible_dates_are_not_dates(text):
    assert find_dates(text, FRIDAY, language="ru" if "ф" in text else "en") == []


def test_events_timezone_aware_publication_date():
    from datetime import timedelta, timezone

    almaty = timezone(timedelta(hours=6))
    doc = segment(
        Document(
            text="Protests began yesterday.",
            source=SourceRef("tz"),
            language="en",
            published=datetime(2022, 1, 7, 1, 30, tzinfo=almaty),
        )
    )
    assert timeline(doc) == {("yesterday", "2022-01-06")}  # the day as the outlet dated it
