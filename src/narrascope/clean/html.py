"""HTML page → main text and metadata with trafilatura (text, title, byline, site) and htmldate.

Settings were chosen on the ScrapingHub article-extraction benchmark (`benchmarks/extraction.py`):
trafilatura's fast mode (no readability/jusText fallback) with `favor_recall` scores as well as
its slower modes (F1 0.963 against 0.960-0.964) at about twice the speed; comments are left
out, tables kept. The date comes from htmldate in its extensive search for the original
publication date. The page's text lines that trafilatura did not keep are listed as removals,
so an analyst can audit the cut.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from trafilatura.metadata import examine_title_element
from trafilatura.settings import Document
from trafilatura.utils import load_html, repair_faulty_html

from narrascope.clean.chrome import chrome_reason, edge_reason
from narrascope.clean.code import code_reason
from narrascope.clean.metadata import HOST, Extracted, outlet_from_url
from narrascope.model import Removal
from narrascope.text.language import language_code
from narrascope.text.timewords import MONTHS

EXTRACTION: dict[str, Any] = {
    "fast": True,
    "favor_recall": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
}
"""trafilatura options (tuned for F1 on the article-extraction benchmark)."""

# trafilatura's own parser settings, plus `huge_tree` (see `parse_page`).
_PARSER: dict[str, Any] = {
    "collect_ids": False,
    "default_doctype": False,
    "encoding": "utf-8",
    "remove_comments": True,
    "remove_pis": True,
    "huge_tree": True,
}
_MAX_DEPTH = 2048  # libxml2's nesting limit even with huge_tree


class PageRefused(ValueError):
    """An HTML page the parser cannot hold whole; the message says why."""


_INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "table",
        "article",
        "section",
        "header",
        "footer",
        "nav",
        "aside",
        "br",
        "blockquote",
        "pre",
        "figcaption",
        "figure",
        "dd",
        "dt",
        "dl",
        "form",
        "main",
        "address",
        "hr",
        "button",
        "label",
        "option",
        "select",
        "textarea",
    ]
)


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    """The main text of an HTML page and its metadata; removals are the page lines left out."""
    tree = parse_page(html)
    if tree is None:
        return Extracted(text="")
    # trafilatura's own date search stays cheap: the date comes from `_published` below.
    cheap_date = {"original_date": True, "extensive_search": False}
    # bare_extraction works on its own copy of the tree: `tree` stays whole for `page_lines`.
    found = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, date_extraction_params=cheap_date, **EXTRACTION
    )
    if not isinstance(found, Document):  # None: trafilatura found no article
        return Extracted(text="", removed=_left_out(tree, ""))
    text, chrome = _drop_chrome(found.text or "", title=found.title)
    removed = chrome + _left_out(tree, text, dropped={" ".join(r.text.split()) for r in chrome})
    page_url = found.url or url
    published = _published(html, url=url or page_url)
    return Extracted(
        text=text,
        removed=removed,
        title=_without_site(found.title, found.sitename),
        authors=_authors(found.author),
        published=published,
        date_source="html-meta" if published else None,
        url=page_url,
        outlet=_declared_site(found.sitename, tree, page_url) or outlet_from_url(page_url),
        language=_declared_language(tree),
    )


def _declared_site(sitename: str | None, tree: HtmlElement, url: str | None) -> str | None:
    """trafilatura's site name, unless it guessed it from the `<title>` and it is no domain;
    of a name with a tagline ("LinkNaija | Nigeria's popular news platform"), the part the
    page's domain names (`_named_part`).

    Without a site-name field trafilatura takes any part of the title holding a dot: "Space.com"
    from "Europa's plumes | Space.com", but also "потеря веса до 10 кг. Отзывы" from a diet
    page's title. An outlet is never a piece of a title (#15): such a guess is kept only when it
    reads as a domain; otherwise the page's URL names the outlet, or nothing does.
    """
    if not sitename:
        return None
    _, *parts = examine_title_element(tree)
    # trafilatura's own guess (`extract_sitename`); a declared name equal to it costs only the
    # declared spelling: the URL's domain names the outlet then.
    guess = next((part for part in parts if part and "." in part), None)
    if sitename == guess and not HOST.match(sitename):
        return None
    return _named_part(sitename, url)


_SITE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", ": ")


def _named_part(sitename: str, url: str | None) -> str:
    """Of a site name in parts ("Name | tagline"), the one part the domain of `url` spells."""
    host = re.sub(r"[^\w]", "", (outlet_from_url(url) or "").casefold())
    for separator in _SITE_SEPARATORS:
        parts = [part.strip() for part in sitename.split(separator) if part.strip()]
        if len(parts) < 2 or not host:
            continue
        named = [
            part
            for part in parts
            if len(key := re.sub(r"[^\w]", "", part.casefold())) >= 3 and key in host
        ]
        if len(named) == 1:
            return named[0]
    return sitename


def parse_page(html: str) -> HtmlElement | None:
    """The page's tree, parsed as trafilatura would but without libxml2's depth limit.

    Past 255 nested elements (or 300 unclosed `<font>` tags, as old CMS output has) the default
    parser stops and the article is lost (#18). `huge_tree` lifts that limit; the input size caps
    (ingest) still bound what it can cost.
    """
    parser = HTMLParser(**_PARSER)  # one per page: lxml parsers are not for sharing by threads
    try:
        # A whole document even for a fragment (a feed's `<p>…</p>`): trafilatura finds no
        # article in a bare element (#18).
        tree = document_fromstring(repair_faulty_html(html, html[:50].lower()), parser=parser)
    except (ValueError, etree.ParserError):  # an encoding declaration, an empty document…
        return load_html(html)  # trafilatura's own fallbacks
    if any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log):
        raise PageRefused(f"page nested deeper than the HTML parser's limit ({_MAX_DEPTH:,})")
    return tree if tree is not None and len(tree) else load_html(html)


def page_lines(tree: HtmlElement) -> list[str]:
    """The visible text of a page, one line per block element (scripts and styles left out)."""
    pieces: list[str] = []
    hidden = 0  # depth inside invisible elements
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else None  # None: a comment
        if event == "start":
            hidden += tag in _INVISIBLE
            if not hidden and tag is not None:
                pieces.extend(("\n" if tag in _BLOCKS else "", element.text or ""))
            continue
        if tag in _INVISIBLE:
            hidden -= 1
        if not hidden and element is not tree:
            pieces.extend(("\n" if tag in _BLOCKS else "", element.tail or ""))
    text = "".join(pieces)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _drop_chrome(text: str, *, title: str | None = None) -> tuple[str, list[Removal]]:
    """trafilatura's text without the chrome lines it let through ("Read more: …", "© …"),
    nor script, style or JSON text a page printed outside its `<script>` elements (#15)."""
    kept, removed = [], []
    for line in text.splitlines():
        line = line.strip()
        if line and (reason := chrome_reason(line) or code_reason(line)) is not None:
            removed.append(Removal(line, reason))
        elif line:
            kept.append(line)
    head = _breadcrumbs(kept, title)
    kept = kept[len(head) :]
    return "\n".join(kept[: len(kept) - len(tail := _tail(kept))]), removed + head + tail


def _breadcrumbs(lines: list[str], title: str | None) -> list[Removal]:
    """A trail of short bullets opening the text that ends in the headline (#15): "- News",
    "- India News", "- Farmers protests continue for eleventh day" above a Times of India story."""
    run = 0
    while (
        run < len(lines)
        and lines[run].startswith(("- ", "• ", "» "))
        and len(lines[run].split()) <= 16
    ):
        run += 1
    headline = " ".join((title or "").split()).casefold()
    crumbs = [line[2:].strip().casefold() for line in lines[:run]]
    if run < 2 or not headline or not any(c and headline.startswith(c) for c in crumbs[1:]):
        return []
    return [Removal(line, "breadcrumb") for line in lines[:run]]


# A line that ends a sentence; what does not is a fragment (a label, a cut-off teaser).
_SENTENCE_END = re.compile(r"[.!?:;\"”»)…'’]$")


def _tail(lines: list[str]) -> list[Removal]:
    """The chrome below the article in trafilatura's last `lines` (#15).

    The looser edge patterns (a widget, "More Information", a counter) are safe there, from
    the last line up. Where that bottom run, taken with the fragments between (a section
    label, a teaser cut off mid-sentence), holds two or more other stories' teasers ("… as
    global investors awaited for ..."), the whole run is a teaser list and goes."""
    edge = 0
    while edge < len(lines) and edge_reason(lines[-1 - edge]) is not None:
        edge += 1
    run, teasers = 0, 0
    for line in reversed(lines):
        reason = edge_reason(line)
        if reason is None and _SENTENCE_END.search(line):
            break
        run += 1
        teasers += reason == "related list"
    cut = run if teasers >= 2 else edge
    return [
        Removal(line, edge_reason(line) or "related list") for line in lines[len(lines) - cut :]
    ]


def _left_out(
    tree: HtmlElement, kept: str, *, dropped: frozenset[str] | set[str] = frozenset()
) -> list[Removal]:
    """The page's lines that are not in the kept text, nor `dropped` from it already."""
    kept_flat = " ".join(kept.split())
    removed = []
    for line in page_lines(tree):
        if line not in kept_flat and line not in dropped:
            reason = code_reason(line) or edge_reason(line) or "outside the main text"
            removed.append(Removal(line, reason))
    return removed


def _without_site(title: str | None, site: str | None) -> str | None:
    """The headline without the site name pages append to `<title>` ("… - News Nation") or put
    before it ("LinkNaija | Nigeria's popular news platform: Nollywood Actress …")."""
    if not title or not site:
        return title or None
    for separator in (" - ", " | ", " — ", " – ", " :: "):
        head, sep, tail = title.rpartition(separator)
        if sep and head and tail.strip().casefold() == site.strip().casefold():
            return head.strip()
    site_name = site.strip()
    if title.casefold().startswith(site_name.casefold()):
        rest = title[len(site_name) :]
        for separator in _SITE_SEPARATORS:
            if rest.startswith(separator) and rest[len(separator) :].strip():
                return rest[len(separator) :].strip()
    return title


def _authors(author: str | None) -> tuple[str, ...]:
    if not author:
        return ()
    return tuple(name.strip() for name in author.split(";") if name.strip())


def _published(html: str, *, url: str | None) -> datetime | None:
    """The original publication date (htmldate, extensive search), at day precision only.

    htmldate falls back to a copyright year or a month ("2020-01-01", "2020-05-01"); such a
    date is kept only if the page writes that very day somewhere. htmldate gets the page as
    text: it parses it its own way, which finds more dates than trafilatura's tree.
    """
    found = find_date(
        html, url=url, original_date=True, extensive_search=True, max_date=datetime.now()
    )
    if not found:
        return None
    when = datetime.strptime(found, "%Y-%m-%d")
    return when if when.day != 1 or _writes_first_of_month(html, when) else None


def _writes_first_of_month(html: str, when: datetime) -> bool:
    month_names = "|".join(name for name, number in MONTHS.items() if number == when.month)
    year, month = when.year, when.month
    pattern = (
        rf"{year}[-/.]0?{month}[-/.]01(?!\d)|(?<!\d)0?1[-/.]0?{month}[-/.]{year}"
        rf"|(?<![\d/])0?{month}/0?1/{year}|(?<!\d)0?1(st)?\s+(of\s+)?({month_names})\.?,?\s+{year}"
        rf"|(?<!\w)({month_names})\.?\s+0?1(st)?,?\s+{year}"
    )
    return re.search(pattern, html, re.IGNORECASE) is not None


def _declared_language(tree: HtmlElement) -> str | None:
    """The language the page declares (`<html lang>`, content-language meta), not a guess."""
    root = tree.getroottree().getroot()
    declared = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        for meta in root.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                declared = meta.get("content")
                break
    return language_code(declared)
