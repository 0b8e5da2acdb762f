"""Page type: is a cleaned page an article, or a listing, legal, about, product, login or error page?

The last step of cleaning (`clean()` calls `decide_page_type` on the finished `Document`). The
decision reads the page title, the URL path, the clean text's paragraphs and the lines cleaning
removed (buttons, form labels and prices usually sit outside the main text), so it can be taken
again on a stored document. It favours precision on articles: a page is called something else
only on explicit evidence (a title that *is* "Datenschutzerklärung", an "Add to cart" button
beside a price, a 404 heading) or when it has almost no running text; the reason names that
evidence so an analyst can check it. Not-articles are stored but not analyzed by default (#15).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from narrascope.clean import pagecues as cue
from narrascope.model import Document, PageType
from narrascope.text.prose import SHORT_WORDS, TERMINAL, count_words, is_prose

MIN_PROSE_WORDS = 40
"""A page with fewer words of running text than this is too thin to be an article."""

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·»:]{1,2}\s+|\s*[|»·]\s*")
_WRAP_WIDTH = 40  # characters: a line this long that stops mid-sentence may be hard-wrapped


@dataclass(frozen=True, slots=True)
class PageDecision:
    """A page type and, for anything but an article, the one-line evidence for it."""

    type: PageType
    reason: str | None = None

    @property
    def is_article(self) -> bool:
        return self.type is PageType.ARTICLE


ARTICLE = PageDecision(PageType.ARTICLE)


@dataclass(frozen=True, slots=True)
class PageShape:
    """How much of a page is running text: its paragraphs, the short ones, the prose ones."""

    paragraphs: int
    short: int  # paragraphs under 8 words
    prose_paragraphs: int
    prose_words: int

    @classmethod
    def of(cls, lines: list[str]) -> PageShape:
        counts = [count_words(line) for line in lines]
        blocks = [(block, count_words(block)) for block in _unwrapped(lines)]
        prose = [n for block, n in blocks if is_prose(block, n)]
        return cls(len(lines), sum(n < SHORT_WORDS for n in counts), len(prose), sum(prose))

    def describe(self) -> str:
        """ "12 words of running text; 9 of 12 paragraphs under 8 words" """
        return (
            f"{self.prose_words} words of running text; "
            f"{self.short} of {self.paragraphs} paragraphs under {SHORT_WORDS} words"
        )


def decide_page_type(doc: Document) -> PageDecision:
    """Whether `doc` is an article, and if not, what page it is and on what evidence."""
    lines = [line.strip() for line in doc.text.splitlines() if line.strip()]
    removed = [r.text.strip() for r in doc.removed if r.text.strip()]
    shape = PageShape.of(lines)
    page = _Evidence(
        _headings(doc.title, lines), _slug(doc.url), _is_front(doc.url), lines, removed, shape
    )
    for rule in (page.error, page.login, page.legal, page.about, page.product, page.listing):
        if (decision := rule()) is not None:
            return decision
    if shape.prose_words < MIN_PROSE_WORDS:
        return PageDecision(PageType.THIN, f"too little prose: {shape.describe()}")
    return ARTICLE


def with_page_type(doc: Document) -> Document:
    """`doc` with its page type and reason set (the same object)."""
    decision = decide_page_type(doc)
    doc.page_type, doc.page_reason = decision.type, decision.reason
    return doc


@dataclass(slots=True)
class _Evidence:
    """What one page shows, and one rule per kind of page that is not an article."""

    headings: list[str]  # the title's segments, and a short first line
    slug: str | None  # the last segment of the URL path
    front: bool  # the URL is a site's root ("https://noticialdia.com/"), no query
    lines: list[str]
    removed: list[str]
    shape: PageShape

    def error(self) -> PageDecision | None:
        if self.shape.prose_words >= 150:  # an error page says little
            return None
        heading = _first(cue.ERROR_TITLE.match, self.headings)
        line = heading or _first(cue.ERROR_BODY.search, self.lines[:20])
        if line is None:
            return None
        where = "heading" if heading else "text"
        return PageDecision(PageType.ERROR, f"error page: {where} {_quote(line)}; {self._shape()}")

    def login(self) -> PageDecision | None:
        if self.shape.prose_words >= 150:
            return None
        heading = _first(cue.LOGIN_TITLE.match, self.headings)
        # Only the kept text: most pages carry a sign-in box in their chrome.
        fields = [line for line in self.lines if cue.LOGIN_BODY.match(line)]
        password = any(cue.PASSWORD.match(line) for line in fields)
        if not (heading or (len(fields) >= 2 and password)):
            return None
        evidence = f"title {_quote(heading)}" if heading else f"form lines {_quotes(fields)}"
        return PageDecision(PageType.LOGIN, f"login page: {evidence}; {self._shape()}")

    def legal(self) -> PageDecision | None:
        heading = _first(cue.LEGAL_TITLE.match, self.headings)
        weak = _first(cue.LEGAL_WEAK_TITLE.match, self.headings)
        slug = self.slug if self.slug and cue.LEGAL_SLUG.match(self.slug) else None
        if heading is None and weak is None and slug is None:
            return None
        terms = [line for line in self.lines if cue.LEGAL_BODY.search(line)]
        if heading is not None and (terms or self.shape.prose_words < 300):
            return PageDecision(
                PageType.LEGAL, f"legal page: title {_quote(heading)}; {self._terms(terms)}"
            )
        if len(terms) >= 3:
            evidence = f"title {_quote(weak)}" if weak else f"URL ending {_quote(slug)}"
            return PageDecision(PageType.LEGAL, f"legal page: {evidence}; {self._terms(terms)}")
        return None

    def about(self) -> PageDecision | None:
        if self.shape.prose_words >= 800:  # an outlet's story of itself, not a long read
            return None
        heading = _first(cue.ABOUT_TITLE.match, self.headings)
        slug = self.slug if self.slug and cue.ABOUT_SLUG.match(self.slug) else None
        if heading is None and (slug is None or self.shape.prose_words >= 300):
            return None
        evidence = f"title {_quote(heading)}" if heading else f"URL ending {_quote(slug)}"
        return PageDecision(PageType.ABOUT, f"about/contact page: {evidence}; {self._shape()}")

    def product(self) -> PageDecision | None:
        everything = self.lines + self.removed
        cart = _first(cue.CART.match, everything)
        offer = _first(cue.PRICE.match, everything) or _first(cue.STOCK.match, everything)
        if cart is None or offer is None:
            return None
        in_text = any(cue.CART.match(x) or cue.PRICE.match(x) for x in self.lines)
        slug = bool(self.slug and cue.PRODUCT_SLUG.match(self.slug))
        if not (in_text or slug or self.shape.prose_words < 2 * MIN_PROSE_WORDS):
            return None  # a shop widget beside an article
        return PageDecision(
            PageType.PRODUCT,
            f"product page: {_quote(cart)} beside {_quote(offer)}; {self._shape()}",
        )

    def listing(self) -> PageDecision | None:
        heading = _first(cue.LISTING_TITLE.search, self.headings)
        if heading is not None:
            return PageDecision(
                PageType.LISTING, f"listing page: title {_quote(heading)}; {self._shape()}"
            )
        more = [line for line in self.lines if cue.READ_MORE.match(line)]
        weak = _first(cue.LISTING_WEAK_TITLE.match, self.headings)
        slug = self.slug if self.slug and cue.LISTING_SLUG.match(self.slug) else None
        teasers = len(more) >= 3 and self.shape.prose_words < 80 * len(more)
        # A root URL alone is no evidence: a CSV's `url` column may hold the outlet's address.
        if not (teasers or ((weak or slug or self.front) and self._fragmented())):
            return None
        evidence = (
            ([f"{len(more)} {_quote(more[0])} links"] if teasers else [])
            + [f"title {_quote(weak)}"] * bool(weak)
            + [f"URL ending {_quote(slug)}"] * bool(slug)
            + ["the site's front page"] * self.front
        )
        return PageDecision(
            PageType.LISTING, f"listing page: {', '.join(evidence)}; {self._shape()}"
        )

    def _fragmented(self) -> bool:
        """Mostly short lines, and no long stretch of prose: teasers, not an article."""
        shape = self.shape
        return (
            shape.short * 2 >= shape.paragraphs
            and shape.prose_words < 60 * max(1, shape.prose_paragraphs)
            and shape.prose_words < 600
        )

    def _shape(self) -> str:
        return self.shape.describe()

    def _terms(self, terms: list[str]) -> str:
        return f"{len(terms)} paragraphs with legal terms; {self._shape()}"


def _headings(title: str | None, lines: list[str]) -> list[str]:
    """The title's segments ("Datenschutz | Example GmbH" → both), and a short first line."""
    candidates = [title] if title else []
    if lines and count_words(lines[0]) <= 6:
        candidates.append(lines[0])
    segments: list[str] = []
    for text in candidates:
        text = " ".join(text.split())
        segments.append(text)
        segments += [part.strip() for part in _TITLE_SEPARATORS.split(text) if part.strip()]
    return list(dict.fromkeys(segments))


def _slug(url: str | None) -> str | None:
    """The last segment of a URL's path, without its extension ("/de/impressum.html" → impressum)."""
    if not url:
        return None
    path = unquote(urlsplit(url if "://" in url else "//" + url).path).strip("/")
    if not path:
        return None
    last = path.rsplit("/", 1)[-1]
    return re.sub(r"\.(html?|php|aspx?|jsp)$", "", last, flags=re.IGNORECASE) or None


def _is_front(url: str | None) -> bool:
    """Whether `url` is a site's root: a host, no path beyond "/" or an index file, no query."""
    if not url or "://" not in url:
        return False
    parts = urlsplit(url)
    path = re.sub(r"/(index|default|home)\.(html?|php|aspx?)$", "/", parts.path, flags=re.I)
    return bool(parts.netloc) and path in ("", "/") and not parts.query


def _unwrapped(lines: list[str]) -> list[str]:
    """Lines joined where a paragraph was hard-wrapped ("… l'arbitro di" / "Cagliari-Juventus, …").

    A line runs on when it stops mid-sentence and the next line continues it: it starts in lower
    case, or both lines are of a wrapped width.
    """
    blocks: list[str] = []
    runs_on = False
    for line in lines:
        continues = line[:1].islower() or len(line) >= _WRAP_WIDTH * 3 // 4
        if runs_on and continues:
            blocks[-1] = f"{blocks[-1]} {line}"
        else:
            blocks.append(line)
        runs_on = not line.endswith(TERMINAL) and len(line) >= _WRAP_WIDTH
    return blocks


def _first(test: Callable[[str], object], lines: Iterable[str]) -> str | None:
    """The first line that passes `test` (a pattern's `match` or `search`), or None."""
    return next((line for line in lines if test(line)), None)


def _quote(text: str | None, limit: int = 60) -> str:
    text = text or ""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _quotes(lines: list[str]) -> str:
    return ", ".join(_quote(line, 30) for line in lines[:3])
