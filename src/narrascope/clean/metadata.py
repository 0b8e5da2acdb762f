"""What an extractor found in one page, and the page metadata helpers cleaning shares.

`Extracted` is the common result of the HTML and the plain-text extractors; `clean()` merges
it with the metadata the container gave (which wins) into a `Document`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from urllib.parse import urlsplit

from narrascope.model import Removal


@dataclass(slots=True)
class Extracted:
    """An article's clean text (paragraphs separated by "\\n"), what was dropped, and metadata."""

    text: str
    removed: list[Removal] = field(default_factory=list)
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    date_source: str | None = None
    url: str | None = None
    outlet: str | None = None
    language: str | None = None


# Hosts whose subdomains are separate publishers (a blog each): the host is the outlet there.
_PLATFORMS = re.compile(
    r"(^|\.)(blogspot(\.[a-z]{2,3}){1,2}|wordpress\.com|livejournal\.com|medium\.com"
    r"|substack\.com|tumblr\.com|typepad\.com|over-blog\.com|narod\.ru|ucoz\.ru"
    r"|mirtesen\.ru|liveinternet\.ru)$"
)


def outlet_from_url(url: str | None) -> str | None:
    """The outlet a URL belongs to: its registered domain (`edition.cnn.com` → `cnn.com`,
    `news.bbc.co.uk` → `bbc.co.uk`, by the public-suffix list), or the host without "www."
    where there is none (an IP address, `localhost`, `.example`) or where the subdomain is the
    publisher (`someone.substack.com`, `someone.livejournal.com`)."""
    if not url:
        return None
    host = (urlsplit(url if "://" in url else "//" + url).hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("m.").strip(".")
    if not host or _PLATFORMS.search(host):
        return host or None
    from tld import get_fld

    return get_fld(host, fix_protocol=True, fail_silently=True) or host


def outlet_from_folder(location: str) -> str | None:
    """The outlet a local file's folder names: its nearest folder called like a domain
    (`corpus/rt.com/2022/a.txt` → `rt.com`), or None; never any other folder name (#17)."""
    if "://" in location:
        return None
    from tld import get_tld

    for folder in reversed(PurePath(location).parts[:-1]):
        name = folder.lower()
        # A real public suffix, so "v1.backup" or "my.docs" name no outlet.
        if HOST.match(name) and get_tld(name, fix_protocol=True, fail_silently=True):
            return outlet_from_url(name)
    return None


_SOCIAL_HOSTS = re.compile(
    r"(^|\.)(facebook\.com|fb\.com|twitter\.com|x\.com|t\.me|telegram\.me|vk\.com"
    r"|instagram\.com|youtube\.com|youtu\.be|tiktok\.com|ok\.ru|linkedin\.com)$"
)
_COPYRIGHT = re.compile(r"^\s*(©|\(c\)|ⓒ|copyright\b)|all rights reserved|все права защищены", re.I)
_DATE_LIKE = re.compile(
    r"(?<!\d)(\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|(19|20)\d\d)(?!\d)"
    r"|^[\d\s.,:/-]+$"
)
# A name that reads as a domain: "Space.com", "rt.com", never "10 кг. Отзывы".
HOST = re.compile(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}$", re.I)
_BYLINE = re.compile(r"^(by|von|par|por|di|автор)\s", re.I)
# A site name that is one generic word names no publisher ("Hosted" on hosted.ap.org).
_GENERIC_SITE = re.compile(
    r"^(hosted|home|homepage|news|blog|index|website|site|online|web|portal|default|main)$", re.I
)
_MAX_WORDS = 10


def publisher_name(
    value: str | None, *, title: str | None = None, authors: tuple[str, ...] = ()
) -> str | None:
    """`value` if it can name a publisher (a site name or a domain), else None (#15).

    A page's site-name field, a feed's title or a JSONL column sometimes holds something else:
    the headline, a copyright line, a date ("02.11.2021"), the author, or a social-media
    address. Such a value is refused rather than shown as an outlet; a URL becomes its host.
    """
    if not value:
        return None
    name = " ".join(html.unescape(value).split()).strip(" |-–—·:")
    if "://" in name or name.lower().startswith("www.") or HOST.match(name):
        host = outlet_from_url(name)
        if host is None or _SOCIAL_HOSTS.search(host):
            return None
        return name if HOST.match(name) else host  # "Space.com" keeps its spelling
    folded = name.casefold()
    headline = " ".join((title or "").split()).casefold()
    if (
        not name
        or _COPYRIGHT.search(name)
        or _DATE_LIKE.search(name)
        or _BYLINE.match(name)
        or _GENERIC_SITE.match(name)
        or len(name.split()) > _MAX_WORDS
        or (
            headline
            and (folded == headline or (folded.startswith(headline) and len(headline.split()) >= 3))
        )
        or any(folded == author.casefold() for author in authors)
    ):
        return None
    return name


# What extractors leave around a byline's names: a label before them ("Текст", "Analysis by"),
# a weekday, month or "Published" after them, a job title beside them ("Ap Auto Writer").
_BYLINE_LABEL = re.compile(
    r"^((?i:(analysis|text|story|words|written|reporting|photos?) by|by|text|текст|авторы?"
    r"|author|von|par|por|door)|di)\s*:?\s+"  # "di Mario Rossi", never "Di Maio"
)
# A month that is also a surname ("Theresa May", "Fredric March") counts only with its day.
_BYLINE_TAIL = re.compile(
    r"((^|,?\s+)((mon|tues|wednes|thurs|fri|satur|sun)day|(jan(uary)?|feb(ruary)?|mar|apr|jun"
    r"|july?|aug|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)\.?(\s+\d{1,2})?"
    r"|(may|june|april|march|august)\s+\d{1,2}|published|updated|posted|publié le"
    r"|mis à jour( à)?)\b)+\s*$",
    re.I,
)
_JOB_TITLE = re.compile(
    r"(^|\s+)(is an? )?((the|ap|associated press|cnn|news|staff|senior|chief|national|political"
    r"|security|sports?|auto|business|health|science|online)\s+){0,3}(writer|reporter"
    r"|correspondent|editor(-at-large)?|columnist)$",
    re.I,
)
_NOT_A_NAME = re.compile(
    r"^(updated|uppdaterad|aktualisiert|actualizado|aggiornato|atualizado|обновлено|publicado"
    r"|veröffentlicht|staff|admin)$",
    re.I,
)
_SPELT_DOMAIN = re.compile(r"\s(com|org|net|info|co uk|ru|ua|kz|in|be|fr|de|nl|cat)$", re.I)


def byline_names(authors: tuple[str, ...], *, site: str | None = None) -> tuple[str, ...]:
    """The names in a page's byline fields, without what is not a name (#15).

    Extractors hand over "Текст Венера Ерофеева", "Malcolm Owen Monday", "November",
    "Ap Auto Writer", "Uppdaterad", "TIMESOFINDIA COM, Dec 6": a label, a date, a job title,
    the word "Updated", the site's own name. What is left of each is kept; a byline that is
    the site's name (`site`) names no author: the site is the outlet, not a person.
    """
    names: list[str] = []
    for value in authors:
        name = " ".join(value.split())
        name = _BYLINE_LABEL.sub("", name)
        name = _BYLINE_TAIL.sub("", name).strip(" ,;|-–—·:")
        name = _JOB_TITLE.sub("", name).strip(" ,;|-–—·:")  # "Phil Helsel is a reporter"
        if (
            not name
            or _NOT_A_NAME.match(name)
            or _SPELT_DOMAIN.search(name)
            or (site and name.casefold() == site.casefold())
        ):
            continue
        if name not in names:
            names.append(name)
    return tuple(names)
