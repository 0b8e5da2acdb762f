"""Script, style and JSON text never reaches the body (#15): dropped with a removal reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrascope.clean import clean
from narrascope.clean.code import DATA, SCRIPT, SHORTCODE, STYLE, code_reason
from narrascope.model import InputFormat, RawDocument, SourceRef

PAGES = Path(__file__).parent / "data" / "leaked"  # article pages with code printed as text

# page → (format, sentences that stay, markers of code that must not, reasons the audit lists)
LEAKY = {
    "script-en.html": (
        InputFormat.HTML,
        ["six weeks after a winter storm", "Repairs cost about two million pounds"],
        ["__INITIAL_STATE__", "@context", "googletag", "font-size", "@media", "_paq"],
        {SCRIPT, DATA, STYLE},
    ),
    "script-ru.txt": (
        InputFormat.TEXT,
        ["Новый мост через Волгу открыли", "Строительство обошлось городу"],
        ["_tmr", "@context", "mc.yandex.ru", "font-size"],
        {SCRIPT, DATA, STYLE},
    ),
}


@pytest.mark.parametrize("name", sorted(LEAKY))
def test_clean_code_never_reaches_body(name):
    fmt, kept, markers, reasons = LEAKY[name]
    path = PAGES / name
    doc = clean(RawDocument(SourceRef(name), path.read_text(encoding="utf-8"), fmt))
    assert all(sentence in doc.text for sentence in kept)
    assert not [marker for marker in markers if marker in doc.text]
    assert reasons <= {r.reason for r in doc.removed}
    # each leaked line is listed once, with what it is
    code_lines = [r.text for r in doc.removed if r.reason in reasons]
    assert len(code_lines) == len(set(code_lines)) == len(markers)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('window.__INITIAL_STATE__ = {"article":{"id":1}};', SCRIPT),
        ("var googletag = googletag || {}; googletag.cmd = googletag.cmd || [];", SCRIPT),
        ("dataLayer.push({'event': 'pageview', 'section': 'news'});", SCRIPT),
        ("<script>var x = 1;</script>", SCRIPT),
        ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "A"}', DATA),
        ('[{"id": 1, "title": "A"}, {"id": 2, "title": "B"}]', DATA),
        ('{"@context":"https://schema.org","@type":"NewsArticle","headline":"cut sh', DATA),
        (".story p{margin:0}.story h2{font-weight:700}", STYLE),
        ("@font-face { font-family: Serif; src: url(serif.woff2); }", STYLE),
        # MoreBikes' review (extraction benchmark): "newwindow=”yes" became an ORG entity
        (
            "[button link=”http://www.morebikes.co.uk/submit-kit-review/” type=”big” "
            "newwindow=”yes”] Send us YOUR kit review[/button]",
            SHORTCODE,
        ),
        ("[/button]", SHORTCODE),
    ],
)
def test_clean_code_reason_names_code(line, reason):
    assert code_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "The minister said (in a statement on Monday) that the talks would resume; no date was set.",
        "Window sales rose 4% in the quarter, according to the company's report.",
        "Var, the southern French department, declared a drought emergency on Friday.",
        "Function over form: why the new bridge divides the city's architects.",
        "He wrote: {“we will return”} on the banner, a slogan the police took down.",
        "| | This site is best viewed with Internet Explorer 6.0 or higher; Firefox 2.0 |  |  |",
        "Score: 3-1 (2-0 at half-time); attendance 41,000.",
        "[1] The figures are the ministry's own, published in March.",
        "[Update] The ministry has since confirmed the figures.",
    ],
)
def test_clean_code_reason_leaves_prose(line):
    assert code_reason(line) is None
