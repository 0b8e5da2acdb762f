"""Cleaning: the five example articles lose their chrome and repeats, keep their body and
metadata; benchmark HTML pages keep their article text; bad input is refused with a reason."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from narrascope.clean import clean
from narrascope.clean.chrome import chrome_reason
from narrascope.clean.dates import date_from_url, find_date, parse_date_line
from narrascope.clean.repeats import repeated_lines
from narrascope.model import BadInput, InputFormat, RawDocument, SourceRef

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Per example article: body sentences that must stay, chrome lines that must go, metadata.
CASES = {
    "000_8f4d98db21bab007": {
        "kept": [
            "CSTO forces have brought the riots under control",
            "Capitol vs. Capital.",
            "Of those 5, 1 was shot, one OD’d and 3 died of natural causes.",
            "‘Everyone is used to the fact that some representatives of Washington",
            "Here are just a few examples. On January 5, in Alma-Ata",
            "Shame and shame.",
        ],
        "gone": [
            "Leave a Reply",
            "3 responses to “The Crosseyed Western Perception of Kazakhstan.”",
            "Fill in your details below or click an icon to log in",
            "You are commenting using your Twitter account.",
            "Connecting to %s",
            "%d bloggers like this:",
            "Facebook photo",
        ],
        "title": "The Crosseyed Western Perception of Kazakhstan.",
        "published": None,
    },
    "001_964a688ff88cd9e1": {
        "kept": [
            "Events around Kazakhstan are developing so rapidly",
            "1. Crimea must be recognized.",
            "6. A clear-cut, fraternal domestic policy that precludes playing games with the Nazis.",
            "But the fact that after events of the beginning of 2022 in global scale",
        ],
        "gone": [
            "ANALYTICS",
            "09.01.22 11:50",
            "Read: 595",
            "Write comment",
            "In their comments, readers should avoid",
            "You can enter 512 characters",
            "News feed",
            "Kavkazplus",
        ],
        "title": 'How Kazakhstan is being "gutted" and Russia is being trapped',
        "published": datetime(2022, 1, 9, 11, 50),
    },
    "002_74977be9488212fe": {
        "kept": [
            "The timing of violent protests rocking Russia’s southern neighbor Kazakhstan",
            "It has been noted by astute observers that the CIA-linked Rand Corporation",
            "That is the bigger picture that should not be lost amid the chaos unfolding in Kazakhstan.",
        ],
        "gone": [
            "© Photo: REUTERS/Mariya Gordeyeva",
            "The views of individual contributors do not necessarily represent",
            "See also",
            "November 12, 2024",
            "Editorial",
            "Kazakh Chaos on Cue Ahead of Crunch",
        ],
        "once": [
            "The timing of violent protests rocking Russia’s southern neighbor Kazakhstan",
            "That is the bigger picture that should not be lost amid the chaos unfolding",
            "Then along comes the upheaval sweeping Kazakhstan this week.",
        ],
        "title": "Kazakh Chaos on Cue Ahead of Crunch Russia-U.S. Security Negotiations",
        "published": datetime(2022, 1, 7),
    },
    "003_4fa640b94b0919dd": {
        "kept": [
            "In the afternoon of January 6, in Almaty, police officers began",
            "“SP”: – So you do not agree that the protest was inspired from the outside?",
            "– I would say that there was, first of all, internal destabilization.",
            "– Is this tension in line with the interests of the United States? I think yes.",
            "Whether Washington played any role in organizing the unrest in Kazakhstan",
        ],
        "gone": [
            "Jan 6, 2022",
            "0 0",
            "In the photo: a burned-out car",
            "(Photo: Valery Sharifulin / TASS)",
            "Article Categories:",
            "Leave a Reply",
        ],
        "title": "Massacre in Kazakhstan: the United States hit the “soft underbelly” of Russia",
        "published": datetime(2022, 1, 6),
    },
    "004_09b1c19c16810eb5": {
        "kept": [
            "Kazakhstan has suffered severe nationwide violence allegedly prompted",
            "US Interference in Kazakhstan",
            "AFP would also note:",
            "“We don’t want jobs. We don’t want factories.",
            "Only time will be able to answer these questions",
        ],
        "gone": [
            "0 thoughts on “Kazakhstan Chaos",
            "https://journal-neo.org/",
        ],
        "title": "Kazakhstan Chaos: An Opportunity, But for Who?",
        "published": datetime(2022, 1, 14),
        "url": "https://journal-neo.org/2022/01/14/kazakhstan-chaos-an-opportunity-but-for-who/",
        "outlet": "journal-neo.org",
    },
}


def _raw_text(name: str) -> RawDocument:
    path = EXAMPLES / f"{name}.txt"
    return RawDocument(SourceRef(str(path)), path.read_text(encoding="utf-8"), InputFormat.TEXT)


@pytest.fixture(scope="module")
def cleaned():
    return {name: clean(_raw_text(name)) for name in CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_clean_example_keeps_body_drops_chrome(name, cleaned):
    doc, case = cleaned[name], CASES[name]
    for sentence in case["kept"]:
        assert sentence in doc.text, sentence
    for chrome in case["gone"]:
        assert chrome not in doc.text, chrome
    for sentence in case.get("once", []):
        assert doc.text.count(sentence) == 1, sentence
    assert doc.title == case["title"]
    assert doc.published == case["published"]
    assert doc.date_source == (None if case["published"] is None else doc.date_source)
    if "url" in case:
        assert (doc.url, doc.outlet) == (case["url"], case["outlet"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_clean_example_paragraphs_are_lines(name, cleaned):
    doc = cleaned[name]
    lines = doc.text.split("\n")
    assert all(line.strip() == line and line for line in lines)
    assert len(lines) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_clean_removed_lines_have_reasons(name, cleaned):
    doc = cleaned[name]
    assert doc.removed
    assert all(r.text and r.reason for r in doc.removed)
    # Every removed line really was in the page, and nothing kept is also listed as removed.
    raw = _raw_text(name).content
    kept = set(doc.text.split("\n"))
    for removal in doc.removed:
        assert " ".join(removal.text.split())[:40] in " ".join(raw.split())
        assert removal.text not in kept or removal.reason == "repeated block"


def test_clean_date_sources(cleaned):
    assert cleaned["001_964a688ff88cd9e1"].date_source == "text-line"
    assert cleaned["004_09b1c19c16810eb5"].date_source == "url"
    assert cleaned["002_74977be9488212fe"].authors == ("Editorial",)
    reasons = {r.text: r.reason for r in cleaned["002_74977be9488212fe"].removed}
    assert reasons["January 7, 2022"] == "date → metadata"
    assert reasons["November 12, 2024"] == "related list"


def test_clean_repeated_body_once(cleaned):
    doc = cleaned["002_74977be9488212fe"]
    repeats = [r for r in doc.removed if r.reason == "repeated block"]
    assert len(repeats) == 2 * 16  # the body's 16 paragraphs, printed twice more
    assert doc.text.count("The events have an unerring similarity") == 2  # standfirst + paragraph


def test_clean_container_metadata_wins():
    raw = _raw_text("003_4fa640b94b0919dd")
    raw.title, raw.url, raw.outlet = "Given title", "https://svpressa.ru/politic/article/1/", "SP"
    raw.published, raw.authors, raw.language = datetime(2022, 1, 7, 9, 0), ("A. Writer",), "en"
    doc = clean(raw)
    assert (doc.title, doc.url, doc.outlet, doc.authors) == (
        "Given title",
        "https://svpressa.ru/politic/article/1/",
        "SP",
        ("A. Writer",),
    )
    assert (doc.published, doc.date_source, doc.language) == (
        datetime(2022, 1, 7, 9),
        "container",
        "en",
    )


@pytest.mark.parametrize("content", ["", "   \n\n \t ", "\u00a0\n"])
@pytest.mark.parametrize("fmt", [InputFormat.TEXT, InputFormat.HTML])
def test_clean_empty_input_is_bad(content, fmt):
    with pytest.raises(BadInput) as error:
        clean(RawDocument(SourceRef("empty.txt"), content, fmt))
    assert error.value.source == "empty.txt" and error.value.reason


def test_clean_chrome_only_page_is_bad():
    page = "Leave a Reply\nYou must be logged in to post a comment.\nShare this:\n0 0\n"
    with pytest.raises(BadInput, match="no article text"):
        clean(RawDocument(SourceRef("chrome.txt"), page, InputFormat.TEXT))


def test_clean_oversized_page_is_bad():
    with pytest.raises(BadInput, match="too large"):
        clean(RawDocument(SourceRef("big.txt"), "word " * 1000, InputFormat.TEXT), max_chars=1000)


HOSTILE = """<html lang="en-GB"><head><title>Harbour reopens</title>
<script>document.write('EVIL_SCRIPT_TEXT'); alert(1)</script>
<style>.x { content: 'EVIL_STYLE_TEXT' }</style></head>
<body><nav>Home | World | Sport</nav><article><h1>Harbour reopens after storm</h1>
<p>The harbour of the old town reopened on Tuesday after a week of repairs to the sea wall,
the port authority said in a statement published in the morning.</p>
<script>var stolen = "EVIL_INLINE_SCRIPT";</script>
<p>Fishing boats were back at their moorings by noon, and the ferry to the islands will resume
its normal timetable on Wednesday, according to the operator of the line.</p>
<p>Repairs cost about two million euros and were paid for by the regional government, which
had promised the work would be finished before the summer season begins.</p>
<img src=x onerror="alert('EVIL_ONERROR')"><noscript>EVIL_NOSCRIPT</noscript>
</article><footer>Share this: Facebook Twitter</footer></body></html>"""


def test_clean_hostile_html_yields_no_script_text():
    raw = RawDocument(
        SourceRef("hostile.html"), HOSTILE, InputFormat.HTML, url="https://example.org/a"
    )
    doc = clean(raw)
    assert "Fishing boats were back at their moorings by noon" in doc.text
    assert "Repairs cost about two million euros" in doc.text
    everything = doc.text + " ".join(r.text for r in doc.removed) + (doc.title or "")
    assert "EVIL" not in everything and "alert(" not in everything
    assert doc.language == "en" and doc.outlet == "example.org"
    assert doc.removed and all(r.reason for r in doc.removed)


# Benchmark pages: (article id, sentences of the ground truth's body that must be kept).
BENCHMARK_PAGES = [
    "04a6711caa7c687592777718866e781e976e0fe684faebe8b3cedcef8cd0ea34",
    "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856",
    "3c6d3381",
    "0ec95c72",
]


def _benchmark():
    folder = SHARED_DATA / "article-extraction-benchmark"
    if not (folder / "ground-truth.json").is_file():
        pytest.skip("article-extraction-benchmark is not beside the repository")
    return folder, json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("prefix", BENCHMARK_PAGES)
def test_clean_benchmark_page_keeps_article(prefix):
    folder, truth = _benchmark()
    (key,) = [k for k in truth if k.startswith(prefix)]
    html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
    doc = clean(RawDocument(SourceRef(key), html, InputFormat.HTML, url=truth[key]["url"]))
    body = truth[key]["articleBody"]
    paragraphs = [p.strip() for p in body.split("\n") if len(p.split()) >= 12]
    kept = sum(" ".join(p.split()) in " ".join(doc.text.split()) for p in paragraphs)
    assert kept >= 0.8 * len(paragraphs)
    assert doc.title and doc.outlet and doc.url
    assert doc.removed and all(r.reason for r in doc.removed)
    assert "\n\n" not in doc.text


def test_clean_date_benchmark_page_date():
    folder = SHARED_DATA / "date-extraction-benchmark"
    if not (folder / "eval_mediacloud_2020.json").is_file():
        pytest.skip("date-extraction-benchmark is not beside the repository")
    gold = json.loads((folder / "eval_mediacloud_2020.json").read_text(encoding="utf-8"))
    checked = 0
    for url, entry in list(gold.items())[:6]:
        if not isinstance(entry["date"], str):
            continue
        html = gzip.decompress((folder / "html" / f"{entry['file']}.gz").read_bytes())
        raw = RawDocument(
            SourceRef(entry["file"]), html.decode("utf-8", "replace"), InputFormat.HTML, url=url
        )
        doc = clean(raw)
        checked += doc.published is not None and doc.published.strftime("%Y-%m-%d") == entry["date"]
    assert checked >= 4


@pytest.mark.parametrize(
    ("line", "expected", "other"),
    [
        ("09.01.22 11:50", datetime(2022, 1, 9, 11, 50), ""),
        ("Jan 6, 2022", datetime(2022, 1, 6), ""),
        ("Editorial, January 7, 2022", datetime(2022, 1, 7), "Editorial"),
        ("Published: Thursday, January 6, 2022 at 3:05 pm", datetime(2022, 1, 6, 15, 5), ""),
        ("6 января 2022 г., 14:30", datetime(2022, 1, 6, 14, 30), ""),
        ("2022-01-07T09:15:00+03:00", datetime(2022, 1, 7, 9, 15), ""),
        ("By John Smith | 7 January 2022", datetime(2022, 1, 7), "By John Smith"),
    ],
)
def test_clean_dates_in_lines(line, expected, other):
    assert parse_date_line(line) == (expected, other)


def test_clean_dates_not_in_prose():
    sentence = "Thus, for example, on January 3, 2020, when very few people were aware of the events in Kazakhstan, he wrote."
    assert parse_date_line(sentence) is None
    assert find_date(sentence).when == datetime(2020, 1, 3)
    assert find_date("31.02.2022 is no date") is None
    assert date_from_url("https://journal-neo.org/2022/01/14/kazakhstan/") == datetime(2022, 1, 14)
    assert date_from_url("https://example.org/news/12345") is None


def test_clean_repeats_keep_short_lines_a_body_repeats():
    lines = [
        "A long first paragraph of the article, with enough words to count.",
        "Yes.",
        "No.",
        "Yes.",
    ]
    assert repeated_lines(lines) == set()
    block = ["Headline", *lines]
    assert repeated_lines(block + block) == set(range(5, 10))


RUSSIAN_PAGE = """Главная > Политика > Казахстан
ПОЛИТИКА
Протесты в Казахстане: что известно к утру пятницы
6 января 2022, 14:30
Автор: Иван Петров
Поделиться
Просмотров: 1 234

Протесты в Казахстане начались 2 января в городе Жанаозен после резкого повышения цен на сжиженный газ, а затем охватили другие регионы страны.
Фото: РИА Новости
Президент Касым-Жомарт Токаев заявил, что обратился к странам ОДКБ за помощью в преодолении «террористической угрозы».
— Мы будем действовать максимально жестко, — сказал он в телевизионном обращении к народу.
Читайте также: Токаев отправил правительство в отставку
По данным МВД, в ходе беспорядков пострадали более трехсот сотрудников полиции, десятки человек погибли.

Мнение автора может не совпадать с позицией редакции.
Оставить комментарий
Читайте также
Токаев объявил режим ЧП
5 января 2022
Подписывайтесь на наш Telegram-канал
"""


def test_clean_russian_page():
    doc = clean(RawDocument(SourceRef("ru.txt"), RUSSIAN_PAGE, InputFormat.TEXT))
    assert doc.text.split("\n") == [
        "Протесты в Казахстане начались 2 января в городе Жанаозен после резкого повышения цен на сжиженный газ, а затем охватили другие регионы страны.",
        "Президент Касым-Жомарт Токаев заявил, что обратился к странам ОДКБ за помощью в преодолении «террористической угрозы».",
        "— Мы будем действовать максимально жестко, — сказал он в телевизионном обращении к народу.",
        "По данным МВД, в ходе беспорядков пострадали более трехсот сотрудников полиции, десятки человек погибли.",
    ]
    assert doc.title == "Протесты в Казахстане: что известно к утру пятницы"
    assert doc.published == datetime(2022, 1, 6, 14, 30)
    assert doc.authors == ("Иван Петров",)
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["Фото: РИА Новости"] == "photo credit"
    assert reasons["Просмотров: 1 234"] == "view counter"
    assert reasons["Поделиться"] == "share widget"
    assert reasons["Оставить комментарий"] == "comment form"
    assert reasons["Мнение автора может не совпадать с позицией редакции."] == "disclaimer"
    assert reasons["Токаев объявил режим ЧП"] == "related list"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "Also on rt.com Journalists & politicians from Morales’ party threatened with "
            "sedition arrests as Bolivia purges socialist elements",
            "related list",
        ),
        ("Also on Tuesday, the ombudsman's office said 30 people had been injured.", None),
        ("Also on the agenda: the fuel plant at Senkata.", None),
        # Asia Pacific Star's teasers inside a bushfire report (date benchmark 1493757507)
        (
            "MUST READ | Thousands of Australians are calling for their prime minister's",
            "related list",
        ),
        ("READ | OUTsurance's Australian business hit by bushfires", "related list"),
        ("Read the full report on the council's website.", None),
        # The Paradigm's and Live Science's last lines (extraction benchmark pages)
        ("Click here to subscribe to The Paradigm Newsletter", "subscription prompt"),
        ("Originally published on Live Science.", "syndication note"),
        ("This article originally appeared on The Conversation.", "syndication note"),
        ("The study was published in Nature on Monday.", None),
    ],
)
def test_clean_related_teaser_line(line, reason):
    assert chrome_reason(line) == reason


# The end of a real page's text as trafilatura gives it (date benchmark 1493757507): the
# article's last lines, a weather widget, then other stories' teasers cut off mid-sentence.
TEASER_TAIL = """<html><head><title>Australian megablaze brought under control</title></head>
<body><article><h1>Australian megablaze brought under control</h1>
<p>Exhausted firefighters said they had finally brought Australia's largest megablaze under
control on Monday, as wet weather promised to deliver much-needed respite for countryside
ravaged by bushfires.</p>
<p>New South Wales firefighters said they finally had the upper hand in the fight against the
vast Gospers Mountain fire on Sydney's northwestern outskirts, which has been burning out of
control for almost three months.</p>
<p>Seeing a backlash, Morrison has since deployed the military and pledged billions of dollars
in aid.</p>
<p>More Information</p><p>26</p><p>℃</p><p>Mostly Cloudy in Seletar</p>
<p>Mumbai (Maharashtra) [India], Jan 13 (ANI): Equity benchmark indices hit fresh lifetime
highs on Monday as global investors awaited for ...</p>
<p>Kuta (Bali) [Indonesia], Jan 13 (ANI): Over the new year holidays, while strolling along one
of the many sandy beaches ...</p>
<p>India celebrates the traditional harvest festivals of Bihu, Pongal, Makara Sankranti and</p>
<p>Movie Review</p>
</article></body></html>"""


def test_clean_drops_a_teaser_list_below_the_article():
    doc = clean(RawDocument(SourceRef("megablaze.html"), TEASER_TAIL, InputFormat.HTML))
    assert doc.text.rstrip().endswith("pledged billions of dollars in aid.")
    assert "Mumbai" not in doc.text and "Seletar" not in doc.text
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["Movie Review"] == "related list" and reasons["℃"] == "widget"


def test_clean_drops_a_breadcrumb_trail_ending_in_the_headline():
    """The Times of India's trail above a story, as trafilatura gives it (date benchmark)."""
    from narrascope.clean.html import _drop_chrome

    title = "Farmers protests continue for eleventh day: Top developments"
    text = "\n".join(
        [
            "- News",
            "- India News",
            f"- {title}",
            "NEW DELHI: The ongoing farmers' agitation entered the eleventh day on Sunday.",
            "- Singhu border remains closed.",
        ]
    )
    kept, removed = _drop_chrome(text, title=title)
    assert kept.startswith("NEW DELHI:") and kept.endswith("- Singhu border remains closed.")
    assert [r.reason for r in removed] == ["breadcrumb"] * 3
    # A list that opens an article without naming its headline stays.
    listed = "- Rates rise\n- Shares fall\nMarkets closed lower on Monday."
    assert _drop_chrome(listed, title="Markets close lower")[0] == listed


def test_clean_keeps_an_article_that_ends_without_a_full_stop():
    # One cut-off line is no teaser list: only the edge patterns apply below the article.
    page = (
        TEASER_TAIL.split("<p>More Information</p>")[0]
        + "<p>Movie Review</p></article></body></html>"
    )
    doc = clean(RawDocument(SourceRef("review.html"), page, InputFormat.HTML))
    assert doc.text.rstrip().endswith("Movie Review")


def test_clean_hard_wrapped_text_becomes_paragraphs():
    import textwrap

    source = _raw_text("004_09b1c19c16810eb5").content.split("\n")
    body = [line for line in source[1:20] if line]
    wrapped = source[0] + "\n\n" + "\n\n".join(textwrap.fill(p, 72) for p in body) + "\n"
    doc = clean(RawDocument(SourceRef("wrapped.txt"), wrapped, InputFormat.TEXT))
    assert doc.title == "Kazakhstan Chaos: An Opportunity, But for Who?"
    assert doc.text.split("\n") == body


def test_clean_url_line_only_from_page_edges():
    body = "The council voted on Monday to close the old bridge to cars for the whole of next year, officials said."
    page = (
        f"Bridge closes\n\n{body}\nhttps://youtu.be/abc123\n{body.replace('Monday', 'Tuesday')}\n"
        "https://www.example-news.ru/2023/05/02/bridge/\nhttps://t.me/examplenews\n"
    )
    doc = clean(RawDocument(SourceRef("links.txt"), page, InputFormat.TEXT))
    assert (doc.url, doc.outlet) == (
        "https://www.example-news.ru/2023/05/02/bridge/",
        "example-news.ru",
    )
    assert (doc.published, doc.date_source) == (datetime(2023, 5, 2), "url")
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["https://youtu.be/abc123"] == "link line"
    assert "youtu.be" not in doc.text and doc.text.count("\n") == 1


def test_clean_publication_date_beats_update_and_body_lines_stay():
    body = "Copyright infringement cases rose sharply in 2021, the court said in its annual report on Monday."
    page = f"Court report\nUpdated: January 9, 2022\nPublished: January 7, 2022\n\n{body}\nComments (3)\n"
    doc = clean(RawDocument(SourceRef("dates.txt"), page, InputFormat.TEXT))
    assert doc.published == datetime(2022, 1, 7) and doc.date_source == "text-line"
    assert doc.text == body
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["Updated: January 9, 2022"] == "date line"
    assert reasons["Comments (3)"] == "comments count"
