"""Page type (#15): not-article pages are named with their evidence; articles stay articles."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from narrascope.clean import clean
from narrascope.clean.pagetype import decide_page_type
from narrascope.model import Document, InputFormat, PageType, RawDocument, Removal, SourceRef
from narrascope.store import Store
from narrascope.text.prose import count_words

PAGES = Path(__file__).parent / "data" / "pages"
EXAMPLES = Path(__file__).parents[1] / "examples" / "kazakhstan-2022"
SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"

# fixture page → (page type, words the reason must name)
NOT_ARTICLES = {
    "privacy-policy-en.html": (PageType.LEGAL, "'Privacy Policy'"),
    "privacy-ru.html": (PageType.LEGAL, "'Политика конфиденциальности'"),
    "impressum-de.html": (PageType.LEGAL, "'Impressum'"),
    "mentions-legales-fr.html": (PageType.LEGAL, "'Mentions légales'"),
    "ueber-uns-de.html": (PageType.ABOUT, "'Über uns'"),
    "chi-siamo-it.html": (PageType.ABOUT, "'Chi siamo'"),
    "category-allgemein-de.html": (PageType.LISTING, "Allgemein"),
    "tag-archive-en.html": (PageType.LISTING, "'Tag: city council'"),
    "product-fr.html": (PageType.PRODUCT, "'Ajouter au panier'"),
    "login-ru.html": (PageType.LOGIN, "'Вход в личный кабинет'"),
    "not-found-es.html": (PageType.ERROR, "'Error 404'"),
}


def _page(name: str) -> Document:
    path = PAGES / name
    return clean(RawDocument(SourceRef(name), path.read_text(encoding="utf-8"), InputFormat.HTML))


@pytest.mark.parametrize("name", sorted(NOT_ARTICLES))
def test_pagetype_names_not_article_and_evidence(name):
    expected, evidence = NOT_ARTICLES[name]
    doc = _page(name)
    assert doc.page_type is expected and not doc.is_article
    assert doc.page_reason is not None and evidence in doc.page_reason
    assert "words of running text" in doc.page_reason  # the structure it saw, in numbers


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.txt")), ids=lambda p: p.stem)
def test_pagetype_examples_are_articles(path):
    raw = RawDocument(SourceRef(path.name), path.read_text(encoding="utf-8"), InputFormat.TEXT)
    doc = clean(raw)
    assert doc.page_type is PageType.ARTICLE and doc.page_reason is None


# Article pages of the extraction benchmark whose headline or chrome carries a cue word.
BENCHMARK_ARTICLES = ["04a6711c", "042bb7b5", "3c6d3381", "0ec95c72"]


@pytest.mark.parametrize("prefix", BENCHMARK_ARTICLES)
def test_pagetype_benchmark_article_is_article(prefix):
    folder = SHARED_DATA / "article-extraction-benchmark" / "html"
    if not folder.is_dir():
        pytest.skip("article-extraction-benchmark is not beside the repository")
    (path,) = folder.glob(f"{prefix}*.html.gz")
    html = gzip.decompress(path.read_bytes()).decode("utf-8")
    doc = clean(RawDocument(SourceRef(path.name), html, InputFormat.HTML))
    assert doc.is_article, doc.page_reason


PROSE = (
    "The regional council voted on Tuesday to close the old harbour bridge to lorries after "
    "engineers found cracks in two of its supports, a decision that will send heavy traffic "
    "through the town centre for at least a year.\n"
    "Shop owners on the high street said they feared the noise and the fumes, while the "
    "council promised to pay for new crossings near the two primary schools."
)


@pytest.mark.parametrize(
    "title",
    [
        "Privacy policy changes anger Facebook users",
        "Page not found: how the archive lost a decade of stories",
        "Über uns und die anderen: ein Kommentar",
        "Kategorie 5: Hurrikan erreicht Florida",
        "Contact lost with the Mars lander",
        "News: council closes the harbour bridge",
    ],
)
def test_pagetype_headline_with_cue_word_is_article(title):
    doc = Document(PROSE, SourceRef("news.html"), title=title, url="https://example.org/a/b")
    assert decide_page_type(doc).is_article


def test_pagetype_shop_widget_beside_article_is_article():
    widget = [Removal(line, "outside the main text") for line in ("Add to cart", "$19.99")]
    doc = Document(PROSE * 2, SourceRef("news.html"), title="Bridge closed", removed=widget)
    assert decide_page_type(doc).is_article


def test_pagetype_thin_page_says_how_thin():
    doc = Document("Watch the video\nShare\nMore videos", SourceRef("video.html"), title="Video")
    decision = decide_page_type(doc)
    assert decision.type is PageType.THIN
    assert decision.reason == (
        "too little prose: 0 words of running text; 3 of 3 paragraphs under 8 words"
    )


def test_pagetype_front_page_is_a_listing():
    """noticialdia.com's front page (date benchmark): one teaser, stored as an article before."""
    text = (
        "2:21 pm\nLVL: «Esta pandemia le ha permitido a Maduro rescatar la imagen del control "
        "territorial»\nEl presidente de Datanálisis, Luis Vicente León, asegura que «esta pandemia "
        "le ha permitido a Maduro rescatar la imagen del control territorial», al tiempo que "
        "estima que la oposición tiene una acción limitada.\nVer noticia"
    )
    front = Document(text, SourceRef("p.html"), url="https://noticialdia.com/", title="LVL")
    assert decide_page_type(front).reason.startswith("listing page: the site's front page")
    # An article whose URL is its site's root (a CSV's url column) stays an article.
    for url in ("https://noticialdia.com/", "https://noticialdia.com/?p=1234"):
        story = Document(PROSE * 2, SourceRef("p.html"), url=url, title="LVL")
        assert decide_page_type(story).is_article


def test_pagetype_loading_placeholder_is_no_article():
    """JSTOR's "Loading" page (date benchmark): its topic list was read as Political framing."""
    text = (
        "Your PDF has successfully downloaded.\nYou may be interested in finding more content on "
        "these topics:\nWhat are topics?\nTopics provide a way to find more content about a "
        "subject and do targeted searching on JSTOR. These new topics are drawn from a thesaurus "
        "curated from 21 source vocabularies.\nGovernment cabinets\nFetching Government cabinets "
        "description..."
    )
    doc = Document(text, SourceRef("p.html"), title="Loading")
    assert decide_page_type(doc).type is PageType.ERROR


def test_pagetype_hard_wrapped_brief_is_article():
    wrapped = (
        "(ANSA) - ROMA, 28 LUG - Sarà Ghersini l'arbitro di\n"
        "Cagliari-Juventus, in campo domani sera alle 21.45, 18ma partita\n"
        "del girone di ritorno in Serie A. Lazio-Brescia è stata affidata\n"
        "a Massimi, mentre Pasqua dirigerà Sampdoria-Milan, Piccinini è\n"
        "stato designato per Torino-Roma. (ANSA)."
    )
    assert decide_page_type(Document(wrapped, SourceRef("ansa.html"))).is_article


def test_pagetype_counts_words_of_unspaced_scripts():
    assert count_words("東京都は新たに感染者を確認したと発表した") == 10
    assert count_words("three plain words") == 3


def test_pagetype_stored_and_read_back(tmp_path):
    doc = _page("impressum-de.html")
    with Store.open(tmp_path / "pages.db") as store:
        store.add(doc, [])
        stored = store.document(doc.id)
    assert stored is not None
    assert (stored.page_type, stored.page_reason) == (doc.page_type, doc.page_reason)
