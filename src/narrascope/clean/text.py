"""Scraped plain text → the article: page chrome, repeats and header lines out, metadata kept.

A page scraped to text is a column of lines: a header (rubric, title, date, byline, share
counters), the body, and a footer (comment form, "see also" list, disclaimers). The body is the
stretch from the first to the last prose line; inside it only lines that are chrome wherever
they stand (photo credits, "Read also: …") or repeats of an earlier block are dropped. Above
and below it every line goes, after the title, date, byline and URL have been read from it.
Every dropped line is recorded with its reason. Hard-wrapped text is first unwrapped into one
line per paragraph.
"""

from __future__ import annotations

import re
from datetime import datetime

from narrascope.clean.chrome import chrome_reason, edge_reason, opens_related_list, url_in_line
from narrascope.clean.code import code_reason
from narrascope.clean.dates import date_from_url, parse_date_line
from narrascope.clean.metadata import Extracted, outlet_from_url
from narrascope.clean.repeats import line_key, repeated_lines
from narrascope.model import Removal

TITLE, DATE, BYLINE, URL = (
    "title → metadata",
    "date → metadata",
    "byline → metadata",
    "url → metadata",
)
REPEAT, LINK = "repeated block", "link line"

_SPACE = re.compile(r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+")
_TERMINAL = (".", "!", "?", "…", '"', "”", "»", ")", "'", "’")
_BYLINE = re.compile(
    r"^(by|written by|words by|author|authors|автор|авторы|текст)\s*[:\-–—]?\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_WRAP_MIN, _WRAP_MAX = 40, 110  # widths of the lines of a hard-wrapped text
_LIST_ITEM = re.compile(r"^([-*•–—]\s|\d{1,3}[.)]\s|#)")
_EMBED_HOSTS = re.compile(
    r"(^|\.)(youtube\.com|youtu\.be|t\.co|twitter\.com|x\.com|facebook\.com|fb\.com|t\.me"
    r"|telegram\.me|vk\.com|instagram\.com|tiktok\.com|rumble\.com|bitchute\.com|ok\.ru)$"
)
_UPDATED = re.compile(r"^(updated|last updated|modified|обновлено|изменено)\b", re.IGNORECASE)
_PUBLISHED = re.compile(r"^(published|posted|опубликовано|дата публикации)\b", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bи\b)\s*")
_NAME_WORD = re.compile(r"^(?:[A-ZА-ЯЁ][\w'’.-]*|de|da|van|von|der|al|bin|ibn|la|le)$")


def extract_text(content: str) -> Extracted:
    """The article in a scraped plain-text page, with its title, date, byline and URL."""
    page = _Page(unwrap([_SPACE.sub(" ", line).strip() for line in content.splitlines()]))
    page.mark_chrome()
    page.mark_repeats()
    first, last = page.body_bounds()
    page.read_header(first)
    page.mark_body(first, last)
    page.read_footer(last)
    page.read_url(first, last)
    return page.result()


def unwrap(lines: list[str]) -> list[str]:
    """Hard-wrapped text (e-mail, Markdown, 72-column files) as one line per paragraph.

    A text is hard-wrapped when no line is long and many lines stop mid-sentence at a similar
    width; then the lines of each blank-line-separated block are joined, except list items
    and Markdown headings, which keep their own line.
    """
    nonblank = [line for line in lines if line]
    if len(nonblank) < 6 or max(len(line) for line in nonblank) > _WRAP_MAX:
        return lines
    cut = sum(len(line) >= _WRAP_MIN and not line.endswith(_TERMINAL) for line in nonblank)
    if cut < 0.4 * len(nonblank):
        return lines
    joined: list[str] = []
    previous = ""
    for line in lines:
        if line and previous and not _LIST_ITEM.match(line) and not previous.startswith("#"):
            # A line broken after a hyphen ("so-" / "called") joins without a space.
            glue = "" if re.search(r"\w-$", joined[-1]) and line[:1].islower() else " "
            joined[-1] = f"{joined[-1]}{glue}{line}"
        else:
            joined.append(line)
        previous = line
    return joined


class _Page:
    """The lines of one page and what has been decided about each (line index → reason)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.nonblank = [i for i, line in enumerate(lines) if line]
        self.position = {i: pos for pos, i in enumerate(self.nonblank)}
        self.reasons: dict[int, str] = {}
        self.title: str | None = None
        self.authors: tuple[str, ...] = ()
        self.published: datetime | None = None
        self._date_is_update = False
        self.url: str | None = None

    def mark_chrome(self) -> None:
        """Lines that are chrome or code wherever they stand, URL lines, lists after "See also"."""
        for i in self.nonblank:
            line = self.lines[i]
            if url_in_line(line) is not None:
                self.reasons[i] = LINK
            elif (reason := chrome_reason(line) or code_reason(line)) is not None:
                self.reasons[i] = reason
        for pos, i in enumerate(self.nonblank):
            if self.reasons.get(i) == "related list" and opens_related_list(self.lines[i]):
                for j in self.nonblank[pos + 1 :]:
                    if _is_prose(self.lines[j]):
                        break
                    self.reasons.setdefault(j, "related list")

    def mark_repeats(self) -> None:
        for i in repeated_lines(self.lines, ignore=frozenset(self.reasons)):
            self.reasons[i] = REPEAT

    def body_bounds(self) -> tuple[int, int]:
        """Index of the first and last line of the body: prose lines that are not chrome."""
        candidates = [i for i in self.nonblank if i not in self.reasons]
        prose = [i for i in candidates if _is_prose(self.lines[i])]
        if not prose:  # no paragraph of prose: a short note or a list; keep what is not chrome
            for i in candidates:
                if (reason := edge_reason(self.lines[i])) is not None:
                    self.reasons[i] = reason
            candidates = [i for i in candidates if i not in self.reasons]
            return (candidates[0], candidates[-1]) if candidates else (len(self.lines), -1)
        last = prose[-1]
        for i in candidates[candidates.index(last) + 1 :]:
            # Closing short sentences ("Shame and shame.") still belong to the body.
            chrome_between = self.position[i] - self.position[last] > 1
            if chrome_between or not _is_sentence(self.lines[i]):
                break
            last = i
        return prose[0], last

    def read_header(self, first: int) -> None:
        """Date, byline and title from the lines above the body, which leave the text.

        Lines above the title are rubrics and navigation; a line of text below it (a deck,
        "Sweden says enough!") belongs to the article and stays.
        """
        rest = []
        for i in [i for i in self.nonblank if i < first and i not in self.reasons]:
            line = self.lines[i]
            if (dated := parse_date_line(line)) is not None:
                self._take_date(i, *dated)
            elif (byline := _BYLINE.match(line)) and len(_words(line)) <= 8:
                self.authors = self.authors or _names(byline["names"])
                self.reasons[i] = BYLINE
            elif (reason := edge_reason(line)) is not None:
                self.reasons[i] = reason
            else:
                rest.append(i)
        titles = [i for i in rest if _is_headline(self.lines[i])]
        longer = [i for i in titles if len(_words(self.lines[i])) >= 3]
        title = (longer or titles)[0] if titles else None
        if title is not None:
            self.title, self.reasons[title] = self.lines[title].lstrip("# ").strip(), TITLE
        for i in rest:
            if i in self.reasons:
                continue
            names = () if self.authors or not self._next_to_date(i) else _names(self.lines[i])
            if names:  # a lone name next to the date line is the byline ("Editorial")
                self.authors, self.reasons[i] = names, BYLINE
            elif title is None or i < title or not _is_deck(self.lines[i]):
                self.reasons[i] = "page header"

    def mark_body(self, first: int, last: int) -> None:
        """Inside the body only bare date lines and the title line of a repeated copy go."""
        for i in self.nonblank:
            if first <= i <= last and i not in self.reasons:
                if self._repeats_title(i):
                    self.reasons[i] = "repeated title"
                elif parse_date_line(self.lines[i], max_other_words=0) is not None:
                    self.reasons[i] = "date line"
                elif self._heads_repeat(i):
                    self._take_repeated_title(i)

    def read_footer(self, last: int) -> None:
        """Every line below the body goes; the URL and a repeated copy's title are kept as metadata."""
        for i in self.nonblank:
            if i <= last or i in self.reasons:
                continue
            line = self.lines[i]
            if self._heads_repeat(i):
                self._take_repeated_title(i)
            elif self._repeats_title(i):
                self.reasons[i] = "repeated title"
            elif (dated := parse_date_line(line, max_other_words=1)) is not None:
                if self.published is None and _PUBLISHED.match(line):  # "Published - Aug 24, 2024"
                    self._take_date(i, dated[0], "")
                else:
                    self.reasons[i] = "date line (page footer)"
            else:
                self.reasons[i] = edge_reason(line) or "page footer"

    def read_url(self, first: int, last: int) -> None:
        """The page's own address: a URL line above or below the body, not a social or video
        link (a URL line inside the body is an embed, and leaves the text without a say)."""
        for i in self.nonblank:
            if self.reasons.get(i) == LINK and not first <= i <= last:
                url = url_in_line(self.lines[i])
                if url and not _EMBED_HOSTS.search(outlet_from_url(url) or ""):
                    self.url, self.reasons[i] = url, URL
                    return

    def result(self) -> Extracted:
        kept = [line for i, line in enumerate(self.lines) if line and i not in self.reasons]
        removed = [Removal(self.lines[i], self.reasons[i]) for i in sorted(self.reasons)]
        published, source = self.published, "text-line" if self.published else None
        if published is None and (published := date_from_url(self.url)) is not None:
            source = "url"
        return Extracted(
            text="\n".join(kept),
            removed=removed,
            title=self.title,
            authors=self.authors,
            published=published,
            date_source=source,
            url=self.url,
            outlet=outlet_from_url(self.url),
        )

    def _take_date(self, i: int, when: datetime, other: str) -> None:
        """The first date line is the publication date, unless it is an update's date."""
        update = bool(_UPDATED.match(self.lines[i]))
        if self.published is not None and (update or not self._date_is_update):
            self.reasons[i] = "date line"
            return
        for j, reason in list(self.reasons.items()):  # a publication date replaces an update's
            if reason == DATE:
                self.reasons[j] = "date line"
        self.published, self.reasons[i], self._date_is_update = when, DATE, update
        names = _names(other) if other else ()
        if names and not self.authors:  # "Editorial, January 7, 2022" · "John Smith | Jan 6, 2022"
            self.authors = names

    def _heads_repeat(self, i: int) -> bool:
        """A headline standing right before a repeated copy of the body is that copy's title."""
        pos = self.position[i]
        after = self.nonblank[pos + 1] if pos + 1 < len(self.nonblank) else None
        return (
            after is not None and self.reasons.get(after) == REPEAT and _is_headline(self.lines[i])
        )

    def _take_repeated_title(self, i: int) -> None:
        if self.title is None:
            self.title, self.reasons[i] = self.lines[i], TITLE
        else:
            self.reasons[i] = REPEAT

    def _repeats_title(self, i: int) -> bool:
        return self.title is not None and line_key(self.lines[i]) == line_key(self.title)

    def _next_to_date(self, i: int) -> bool:
        pos = self.position[i]
        near = self.nonblank[max(pos - 1, 0) : pos + 2]
        return any(self.reasons.get(j) == DATE for j in near if j != i)


def _words(line: str) -> list[str]:
    return line.split()


def _is_title_case(line: str) -> bool:
    """Most longer words capitalised, as English headlines are written."""
    long_words = [w.strip("\"'“”«»‘’(") for w in _words(line)]
    long_words = [w for w in long_words if len(w) >= 4 and w[:1].isalpha()]
    if len(long_words) < 2:
        return False
    return sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.7


def _is_sentence(line: str) -> bool:
    return len(_words(line)) >= 3 and line.endswith(_TERMINAL)


def _is_prose(line: str) -> bool:
    """A paragraph of running text: long, or a full sentence that is not a title-cased headline."""
    words = len(_words(line))
    if words >= 25:
        return True
    return words >= 8 and line.endswith(_TERMINAL) and not _is_title_case(line)


def _is_headline(line: str) -> bool:
    words = _words(line.lstrip("# "))
    if not 2 <= len(words) <= 30 or len(line) > 250 or line.endswith((":", ",", ";")):
        return False
    return not _is_prose(line) and any(ch.isalpha() for ch in line)


def _is_deck(line: str) -> bool:
    """A standfirst or first sentence under the title: running text, not a rubric in capitals."""
    words = len(_words(line))
    if line.endswith(_TERMINAL):  # a first sentence ("Wait!", "SPRINGFIELD, Mo.")
        return True
    return (
        words >= 3 and any(c.islower() for c in line) and (words >= 10 or not _is_title_case(line))
    )


def _names(text: str) -> tuple[str, ...]:
    """Person names in a byline fragment ("Editorial", "John Smith and Jane Doe"), else ()."""
    names = [part.strip(" .:|-–—") for part in _NAME_SPLIT.split(text.strip(" ,:|-–—"))]
    names = [n for n in names if n]
    if not names or len(names) > 4:
        return ()
    for name in names:
        words = name.split()
        if not 1 <= len(words) <= 4 or name.isupper() or any(c.isdigit() for c in name):
            return ()
        if not all(_NAME_WORD.match(w) for w in words):
            return ()
    return tuple(names)
