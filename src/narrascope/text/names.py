"""Names: spelling, cleaning and the one entity id, plus the stand-in capitalised-name finders.

Sits in `text/`, below the analyzers: entities, quotes and roles all read names through this
module. `entity_id` is the one function that turns a name into an entity id, within an article
and across the corpus; `corpus_entity_ids` then joins surname-only ids ("blinken") to the one
full name a corpus holds ("a-blinken"). When no entity analyzer ran, `capitalised_names`
(runs of capitalised words, grouped by name) and `person_names` (two to four capitalised words
taken for a person) stand in for it; `could_be_name` tells whether one word can be part of a
name in any script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from narrascope.model import Span

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i ye yi g".split(),  # noqa: SIM905
        strict=True,
    )
)
_TITLES = frozenset(
    """mr mrs ms miss madam dr prof professor sir dame lord lady president vice prime minister
    secretary sen senator rep representative gov governor gen general col colonel adm
    admiral mayor ambassador judge justice chairman chairwoman chair spokesman spokeswoman
    spokesperson king queen prince princess pope rev reverend father sheikh leader chief
    head deputy former late comrade mister monsieur herr frau state foreign defense defence
    господин госпожа президент министр премьер глава""".split()  # noqa: SIM905
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "jr.", "sr."})
QUOTE_MARKS = "\"'“”‘’«»„ "
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_FEMALE_NAMES = frozenset(
    """maria mariya marina margarita jen jennifer liz elizabeth hillary hilary nancy kamala
    angela ursula theresa teresa victoria kate catherine anna ann anne natalia natalya olga
    irina elena yelena svetlana tatiana tatyana valentina ekaterina yekaterina aizhan dinara
    gulnara sarah susan mary linda karen jane julia yulia christine samantha nikki sanae
    golda indira benazir aung""".split()  # noqa: SIM905
)

_MALE_NAMES = frozenset(
    """antony anthony john joe joseph donald barack vladimir sergey sergei dmitry dmitri
    mikhail alexander aleksandr alexei aleksei ivan igor nikolai viktor victor boris josep
    emmanuel olaf jens recep kassym nursultan tony paul mike michael james robert william
    david richard thomas charles mark george ted bernie marco jeb chris ben rand tim mitt
    gennady konstantin yevgeny evgeny andrei andrey oleg yuri pavel petr peter volodymyr
    petro alexey ramzan nikol ilham aleksandar jake lloyd antonio rishi keir""".split()  # noqa: SIM905
)

_PLACE_ALIASES = {
    "us": "United States",
    "u.s": "United States",
    "u.s.": "United States",
    "usa": "United States",
    "u.s.a": "United States",
    "united states": "United States",
    "united states of america": "United States",
    "america": "United States",
    "uk": "United Kingdom",
    "u.k": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "united kingdom": "United Kingdom",
    "russian federation": "Russia",
    "rf": "Russia",
    "kyiv": "Kiev",
    "alma-ata": "Almaty",
    "ussr": "Soviet Union",
    "soviet union": "Soviet Union",
}


def transliterate(text: str) -> str:
    """Latin letters for Cyrillic ones and no accents, so one name has one spelling for ids."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _CYRILLIC:
            latin = _CYRILLIC[low].strip("_")
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_tokens(name: str) -> list[str]:
    """The words of a name without leading titles, "the", suffixes and a trailing possessive."""
    words = _WORD.findall(_POSSESSIVE.sub("", name.strip()))
    while len(words) > 1 and words[0].lower() in _TITLES | {"the", "of"}:
        words = words[1:]
    while len(words) > 1 and words[-1].lower().rstrip(".") in _SUFFIXES:
        words = words[:-1]
    return words


def clean_name(name: str, *, label: str | None = None) -> str:
    """A display name: titles, "the", quotes and possessives stripped; a place alias resolved."""
    cleaned = _strip_the(" ".join(name.split())).strip(QUOTE_MARKS)
    cleaned = _POSSESSIVE.sub("", cleaned)
    if label == "PER":
        while (m := re.match(r"([\w]+)\.?\s+(?=\w)", cleaned)) and m.group(1).lower() in _TITLES | {
            "of",
            "the",
        }:
            cleaned = cleaned[m.end() :]
        cleaned = re.sub(r",?\s+(?:Jr|Sr|II|III|IV)\.?$", "", cleaned)
    else:
        cleaned = _PLACE_ALIASES.get(cleaned.lower().rstrip("."), cleaned)
    return cleaned or name.strip()


def _strip_the(name: str) -> str:
    return re.sub(r"^(?:the|The|THE)\s+", "", " ".join(name.split()))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", transliterate(text).lower()).strip("-")


def entity_id(name: str, *, label: str | None = None) -> str:
    """The stable id of an entity name, the same within and across articles.

    People with a first name and a surname get `<first initial>-<surname>` so that spelling
    variants of the first name ("Antony"/"Anthony", "Jen"/"Jennifer") share an id; any other
    name is the slug of its clean form ("the U.S." and "United States" → "united-states").
    Cyrillic is transliterated, so "Захарова" and "Zakharova" meet.
    """
    if label == "PER":
        words = [_slug(w) for w in name_tokens(name)]
        words = [w for w in words if w]
        if len(words) >= 2:
            return f"{words[0][0]}-{words[-1]}"
        return words[0] if words else _slug(name) or "unknown"
    return _slug(clean_name(name, label=label)) or _slug(name) or "unknown"


def is_entity_id(text: str) -> bool:
    """Whether `text` has the shape `entity_id` gives (a slug), rather than a name's."""
    return re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", text) is not None


def corpus_entity_ids(entity_ids: Iterable[str]) -> dict[str, str]:
    """Across a corpus, map each entity id to the id it should be counted under.

    An article that names a person only by surname gives "blinken"; when the corpus holds
    exactly one full id with that surname ("a-blinken"), the surname id joins it. Every other
    id maps to itself.
    """
    ids = set(entity_ids)
    by_surname: dict[str, set[str]] = {}
    for entity_id in ids:
        initial, _, surname = entity_id.partition("-")
        if len(initial) == 1 and surname:
            by_surname.setdefault(surname, set()).add(entity_id)
    mapping = {}
    for entity_id in ids:
        full = by_surname.get(entity_id, set())
        mapping[entity_id] = next(iter(full)) if len(full) == 1 else entity_id
    return mapping


def alias_reason(alias: str, name: str, *, label: str | None = None) -> str:
    """Why the surface form `alias` was counted as the entity called `name`, in a few words.

    The rules are those `analyzers/entities.py` groups mentions by: the same name with a title
    or possessive, the surname alone, the first name alone, a variant of the first name, an
    acronym of the long form, another name of a place, or a role description.
    """
    if re.match(r"(?i)(?:the|a)\s", alias) and label == "PER":
        return "role description that fits only this person here"
    if alias == name:
        return "the name"
    if entity_id(alias, label=label) == entity_id(name, label=label) and label != "PER":
        bare = _POSSESSIVE.sub("", _strip_the(alias).strip(QUOTE_MARKS)).rstrip(".")
        same = bare.casefold() == name.casefold()
        return "the name, cleaned" if same else "another name of the same place"
    if label != "PER":
        short = clean_name(alias, label=label)
        if short == initials(name):
            return "acronym of the long form"
        return "long form of the acronym" if initials(short) == name else "same entity"
    have, full = name_tokens(alias), name_tokens(name)
    if not have or not full:
        return "same entity"
    first, last = transliterate(have[0]).lower(), transliterate(have[-1]).lower()
    surname = transliterate(full[-1]).lower()
    titled = len(_WORD.findall(alias)) > len(have)
    if len(have) == 1 and first == surname:
        return "title and surname" if titled else "surname alone"
    if len(have) == 1 and len(full) > 1 and first_names_match(have[0], full[0]):
        return "first name alone"
    if last == surname and len(full) > 1 and first_names_match(have[0], full[0]):
        return "same name, first name spelled another way" if have[0] != full[0] else "the name"
    return "same entity"


def person_gender(name: str) -> str | None:
    """ "f", "m" or None: a guess from titles, common first names and Slavic surname endings."""
    words = [transliterate(w).lower().rstrip(".") for w in _WORD.findall(name)]
    if not words:
        return None
    if words[0] in {"mrs", "ms", "miss", "madam", "lady", "dame", "госпожа"}:
        return "f"
    if words[0] in {"mr", "sir", "lord", "mister", "господин"}:
        return "m"
    tokens = name_tokens(name)
    first = transliterate(tokens[0]).lower() if tokens else ""
    last = transliterate(tokens[-1]).lower() if tokens else ""
    if first in _FEMALE_NAMES and len(tokens) > 1:
        return "f"
    if first in _MALE_NAMES and len(tokens) > 1:
        return "m"
    if re.search(r"(?:ova|eva|ina|aya|yna)$", last):
        return "f"
    if re.search(r"(?:ov|ev|in|sky|skiy|iy|yi)$", last):
        return "m"
    return None


def is_first_name(word: str) -> bool:
    """Whether `word` is a common first name ("Theresa", "Vladimir", "Мария")."""
    key = transliterate(word).lower().rstrip(".")
    return key in _FEMALE_NAMES or key in _MALE_NAMES


def first_names_match(a: str, b: str) -> bool:
    a, b = transliterate(a).lower().rstrip("."), transliterate(b).lower().rstrip(".")
    if not a or not b or a[0] != b[0]:
        return False
    if len(a) == 1 or len(b) == 1 or a.startswith(b) or b.startswith(a):
        return True
    return SequenceMatcher(None, a, b).ratio() >= 0.75


def initials(name: str) -> str:
    stop = {"of", "for", "and", "the", "in", "on", "de", "du", "la", "&"}
    parts = re.split(r"[\s-]+", _strip_the(name))
    return "".join(p[0] for p in parts if p and p.lower() not in stop and p[0].isalpha()).upper()


# --- stand-in name finders ----------------------------------------------------------------

_CAPITALISED_RUN = re.compile(
    r"(?:[A-ZА-ЯЁ][\w’'\-]*\.?)(?:\s+(?:(?:of|the|de|da|von|van|al|bin)\s+)?[A-ZА-ЯЁ][\w’'\-]*)*"
)
_PERSON_NAME = re.compile(r"\b[A-ZА-ЯЁ][\w’'-]+(?:\s+[A-ZА-ЯЁ][\w’'-]+){1,3}\b")


def capitalised_names(text: str, sentences: Sequence[Span]) -> dict[str, list[Span]]:
    """Runs of capitalised words within each sentence, grouped by name, with their spans.

    Leading words that the text also uses in lower case ("The", "But", "If") are dropped, so
    is a possessive "'s". The names are untyped; an entity analyzer does better.
    """
    lower_words = set(re.findall(r"\b[a-zа-яё]+\b", text))
    spans: dict[str, list[Span]] = {}
    for s_start, s_end in sentences:
        for m in _CAPITALISED_RUN.finditer(text, s_start, s_end):
            start, words = m.start(), m.group().split()
            while words and words[0].lower().strip(".") in lower_words:
                start = text.index(words[1], start + len(words[0])) if len(words) > 1 else m.end()
                words = words[1:]
            name = re.sub(r"[’']s$", "", " ".join(words)).rstrip(".")
            if len(name) < 2 or name.isdigit():
                continue
            spans.setdefault(name, []).append((start, start + len(name)))
    return spans


def person_names(text: str) -> list[tuple[int, int, str]]:
    """Two to four capitalised words in a row, taken for a person: (start, end, clean name)."""
    return [
        (m.start(), m.end(), clean_name(m.group(0), label="PER"))
        for m in _PERSON_NAME.finditer(text)
    ]


_NOT_NAMES = frozenset(
    """as in on at the a an it this that these those there then and but or so he she they we
    i you yet also thus still now here when while after before if""".split()  # noqa: SIM905
)


def could_be_name(word: str) -> bool:
    """A word that can be part of a name: capitalised, or in a script without letter case."""
    letter = next((c for c in word if c.isalpha()), "")
    if not letter or word.lower().strip(",.") in _NOT_NAMES:
        return False
    return letter.isupper() or not letter.islower()
