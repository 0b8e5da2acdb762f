"""Page chrome recognised line by line: what a scraped page shows around its article.

Comment forms and login prompts, share widgets, view counters, "see also" lists, disclaimers,
photo credits, "N thoughts on …" lines, categories and navigation, in English and Russian.
`chrome_reason(line)` names the kind of chrome a whole line is, or None for a line that may be
article text. The patterns are safe anywhere in a page; `edge_reason` adds looser ones (single
words such as "Send" or "Menu") that only count above or below the article.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_RELATED = (
    r"(see also|read also|also read|read more|related( articles| posts| stories| news)?"
    r"|more on (this|the) (topic|subject)|you (may|might) also like|recommended( for you)?"
    r"|more from [\w ]{1,30}|latest news|most (read|popular)|trending( now)?"
    r"|читайте (также|еще|ещё)|смотрите также|по теме|ещё по теме|еще по теме"
    r"|похожие (статьи|новости|материалы|публикации)|другие (новости|материалы)"
    r"|самое (читаемое|популярное)|лента новостей)"
)
_RELATED_HEADING = re.compile(_RELATED + r"\s*:?", _I)

# (reason, pattern); a pattern must describe a whole line of chrome, never a sentence of prose.
_CHROME: list[tuple[str, re.Pattern[str]]] = [
    (
        "comment form",
        re.compile(
            r"^(leave a (reply|comment)|post a comment|add (a )?comment|write (a )?comment"
            r"|cancel reply|you must be (logged|signed) in|log ?in to (post|comment|reply)"
            r"|fill in your details below|you are commenting using your|connecting to %s"
            r"|notify me of (new|follow-up)|save my name, email|your email address will not be"
            r"|required fields are marked|%d bloggers like this|be the first to (comment|like)"
            r"|you can enter \d+ characters|comments are closed|join the discussion"
            r"|\(?in (their|your) comments,? (readers|users|you) (should|must)"
            r"|(оставьте|оставить|написать|добавить) (свой )?(комментарий|отзыв|ответ)"
            r"|(вы должны|необходимо|нужно) (войти|авторизоваться|зарегистрироваться)"
            r"|войдите,? чтобы|комментарии (закрыты|отключены)"
            r"|для (того,? чтобы )?(оставить|добавить|написать) комментари"
            r"|(ваш )?(e-?mail|адрес) не будет опубликован)",
            _I,
        ),
    ),
    (
        "comment form",
        re.compile(
            r"^((twitter|facebook|google|wordpress(\.com)?)\s+(picture|photo|icon|account)"
            r"|log ?out\s*/\s*change\s*\)?|like this:?|loading\.\.\.|logo)$",
            _I,
        ),
    ),
    (
        "comments count",
        re.compile(
            r"^(\d+|one|no|two|three)\s+(thoughts?|responses?|repl(y|ies)|comments?)\s+(on|to)\b"
            r"|^\d+\s+(comments?|responses?)$|^\d+\s+комментари\w*$"
            r"|^(comments?|комментари\w*)\s*[:(]?\s*\d+\)?$",
            _I,
        ),
    ),
    (
        "share widget",
        re.compile(
            r"^(share|share this( article| story| post| page)?|share on \w+|share via \w+|tweet"
            r"|pin it|email this|print this( article| page)?|поделиться|поделитесь\b.{0,40}"
            r"|расскажите друзьям)\s*:?$"
            r"|^((facebook|twitter|telegram|vk|vkontakte|whatsapp|viber|linkedin|reddit|email"
            r"|e-mail|print|pinterest|одноклассники|вконтакте|телеграм)[\s,|/•·]*){2,}$",
            _I,
        ),
    ),
    (
        "view counter",
        re.compile(
            r"^(read|reads|views?|viewed|hits|просмотр(ов|ы)?|прочитано|просмотрено)\s*[:：]?\s*[\d\s,.]+[kк]?$"
            r"|^[\d\s,.]+[kк]?\s+(views?|reads|просмотр\w*)$",
            _I,
        ),
    ),
    ("related list", re.compile(rf"^{_RELATED}\s*(:.*)?$", _I)),
    # A teaser headline after a pipe: "MUST READ | Thousands of Australians are calling …",
    # "READ | OUTsurance's Australian business hit by bushfires", "WATCH | …"
    ("related list", re.compile(rf"^({_RELATED}|(must |also )?(read|watch|listen))\s*\|\s*\S", _I)),
    # RT's teaser "Also on rt.com <headline>": a site's name after "also on", never "Tuesday"
    ("related list", re.compile(r"^also on [\w-]+(\.[\w-]+)*\.[a-z]{2,}\s", _I)),
    (
        "disclaimer",
        re.compile(
            r"(views|opinions)( expressed)? (of|by|in) .{0,120}do(es)? not necessarily (represent|reflect)"
            r"|^(the )?(views|opinions) expressed (here|in this)|^disclaimer\b"
            r"|мнение (автора|редакции) .{0,40}не (обязательно )?совпада"
            r"|точка зрения (автора|редакции) .{0,40}не (обязательно )?совпада"
            r"|all rights reserved|все права защищены|при (использовании|копировании|цитировании) материалов",
            _I,
        ),
    ),
    (
        "photo credit",
        re.compile(
            r"^(©\s*)?(photo|photos|photograph|image|picture|pictured|illustration|photo credit"
            r"|на фото|фото|фотография|источник фото|иллюстрация|кадр)\s*(credit)?\s*[:：©]"
            r"|^in the (photo|picture|image)\s*:|\((photo|image|фото|credit)\s*:[^)]{0,80}\)\s*$"
            r"|^\S+(\s\S+){0,6}\s(file )?(photo|фото)\s*:\s*\S+(\s\S+){0,3}$"
            r"|^(getty images|reuters|ap photo|afp|epa|тасс|риа новости)\s*/.{0,60}$",
            _I,
        ),
    ),
    (
        "subscription prompt",
        re.compile(
            r"^((click|tap) here to )?((subscribe|sign up)\b.{0,60}\b(newsletter|channel|updates"
            r"|telegram|youtube|feed)"
            r"|follow us (on|in)\b|join us (on|in)\b|подписывайтесь\b|подпишитесь\b"
            r"|подписаться на\b|следите за (нами|новостями))",
            _I,
        ),
    ),
    (
        "syndication note",
        re.compile(
            r"^(this (article|story|post|piece) )?(was |has been )?(originally|first) "
            r"(published|appeared|posted|ran) (on|in|at|by)\b.{0,80}$",
            _I,
        ),
    ),
    (
        "navigation",
        re.compile(
            r"^((article )?categor(y|ies)|tags?|topics?|filed under|posted in|рубрик[аи]|теги"
            r"|метки|разделы?)\s*:"
            r"|^(home|главная)\s*[>»/|]|^(\S[^>»]{0,30}\s[>»]\s){2,}",
            _I,
        ),
    ),
    (
        "copyright",
        re.compile(
            r"^(©|ⓒ|\(c\)\s|copyright\s*(©|ⓒ|\(c\))?\s*(\d{4}|by\b|[^\s,]+\s+\d{4}\b|ⓒ)).{0,100}$",
            _I,
        ),
    ),
    (
        "advertisement",
        re.compile(r"^(advertisement|sponsored( content)?|реклама|партнерские материалы)$", _I),
    ),
    ("source credit", re.compile(r"^(source|источник)\s*:\s*\S.{0,60}$", _I)),
]

_EDGE = re.compile(
    r"^(send|submit|reply|cancel|warning!?|news ?feed|menu|search|home|log ?in|sign ?in|register"
    r"|next|previous|prev|back|top|more|more information|comments?|отправить|ответить|отмена|внимание!?|меню"
    r"|поиск|главная|войти|регистрация|далее|назад|наверх|комментарии)\s*[:.!]?$",
    _I,
)
_COUNTERS = re.compile(r"^(\d{1,6}\s+){0,3}\d{1,6}$")
# Below or above an article only: another story's truncated summary ("Mumbai (Maharashtra)
# [India], Jan 13 (ANI): Equity benchmark indices … as global investors awaited for ..."), a
# weather widget ("26", "℃", "Mostly Cloudy in Seletar"), a line of symbols only.
_TEASER = re.compile(r"\s(\.\.\.|…)$")
_WEATHER = re.compile(
    r"^((mostly|partly) )?(sunny|cloudy|clear|overcast|fair|rain|light rain|showers|drizzle"
    r"|thunderstorms?|fog|foggy|mist|haze|hazy|snow|windy)( in [\w .'-]{1,40})?$",
    _I,
)
_SYMBOLS = re.compile(r"^[^\w]+$")
_URL_LINE = re.compile(r"^(source:\s*|источник:\s*)?(https?://|www\.)\S+$", _I)


def chrome_reason(line: str) -> str | None:
    """The kind of page chrome a whole (stripped) line is, or None if it may be article text."""
    if not line or len(line) > 400:
        return None
    for reason, pattern in _CHROME:
        if pattern.search(line):
            return reason
    return None


def edge_reason(line: str) -> str | None:
    """Chrome only recognisable above or below the article (form buttons, menus, counters)."""
    if (reason := chrome_reason(line)) is not None:
        return reason
    if _COUNTERS.match(
        line
    ):  # "0 0" share counters; inside a body a lone number may be a list mark
        return "view counter"
    if _TEASER.search(line):
        return "related list"
    if _WEATHER.match(line) or _SYMBOLS.match(line):
        return "widget"
    return "page navigation" if _EDGE.match(line) else None


def url_in_line(line: str) -> str | None:
    """The URL a line consists of (a page often prints its own address), or None."""
    match = _URL_LINE.match(line)
    if match is None:
        return None
    url = line[match.start(2) :].rstrip(".,;)")
    return url if url.lower().startswith("http") else "https://" + url


def opens_related_list(line: str) -> bool:
    """A heading such as "See also" or "Читайте также" with nothing after it: a list follows."""
    return bool(_RELATED_HEADING.fullmatch(line))
