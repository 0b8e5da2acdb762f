"""Who said it: the cue and speaker of a direct quote, and names for pronouns and descriptions.

`Attribution` holds one article's text, entity mentions and quote marks. For a direct quote it
looks for the cue after the quote, then before it, then in a lead-in paragraph; the speaker is
a pronoun or name next to the cue, else the nearest name, else a description ("the
politician"), each resolved to the nearest compatible earlier person. Reported speech and
interview answers build on it (`reported.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from narrascope.analyzers.quotes.lexicon import (
    ABBREVIATION,
    ADVERBS,
    COLON_LABEL,
    CUE,
    DATELINE,
    DESCRIPTION,
    FEMALE_NOUN,
    NOT_A_SPEAKER,
    PRONOUN,
    PRONOUNS,
    SOURCE_FIRST,
)
from narrascope.analyzers.quotes.marks import MARKS
from narrascope.model import Span
from narrascope.text.names import clean_name, could_be_name, person_gender


@dataclass(frozen=True, order=True)
class Named:
    """An entity mention a speaker can resolve to."""

    start: int
    end: int
    label: str
    name: str


@dataclass
class Found:
    """A quote before it becomes an annotation."""

    start: int
    end: int
    kind: str  # "direct" | "indirect"
    cue: str = ""
    cue_span: Span | None = None
    speaker: str | None = None
    speaker_span: Span | None = None
    score: float = 0.8


class Attribution:
    """One article's text, entity mentions and quote marks, for finding cues and speakers."""

    def __init__(
        self,
        text: str,
        named: list[Named],
        quoted: list[Span],
        sentences: list[Span],
        paragraphs: list[Span],
    ) -> None:
        self.text, self.named, self.quoted = text, named, quoted
        self.sentences, self.paragraphs = sentences, paragraphs
        self._turns: int | None = None  # paragraphs opened by an all-capitals label
        self._heads: set[int] | None = None  # offsets where paragraphs' text begins

    def _in_quote(self, start: int, end: int) -> bool:
        return any(o <= start and end <= c + 1 for o, c in self.quoted)

    def _sentence(self, at: int) -> Span:
        for s, e in self.sentences:
            if s <= at < e:
                return s, e
        for s, e in self.paragraphs:
            if s <= at <= e:
                return s, e
        return 0, len(self.text)

    def _paragraph_index(self, at: int) -> int:
        for k, (s, e) in enumerate(self.paragraphs):
            if s <= at <= e:
                return k
        return -1

    def attribute_direct(
        self, quote: Found, open_at: int, close_at: int, prev_close: int, next_open: int
    ) -> bool:
        """Fill the cue and speaker of a direct quote; False when no cue is found."""
        text = self.text
        # 1. After the quote: "…,” she said. / ”a political scientist wrote … Pogrebinsky."
        closed = close_at < len(text) and (
            text[close_at] in MARKS or text.startswith("''", close_at)
        )
        after_start = close_at + 1 if closed else next_open
        sent_end = self._sentence(min(close_at, len(text) - 1))[1]
        p_end = (
            self.paragraphs[self._paragraph_index(close_at)][1] if self.paragraphs else len(text)
        )
        after_end = min(max(sent_end, after_start), next_open, p_end)
        after = text[after_start:after_end]
        lead = re.match(r"[\s,.;:!?—–'-]*", after)
        offset = after_start + (lead.end() if lead else 0)
        for cue in CUE.finditer(text, offset, after_end):
            gap = ABBREVIATION.sub("", text[offset : cue.start()])
            # A speaker with an apposition ("House Speaker Paul Ryan, the convention chair,")
            # may stand between quote and cue; a clause with "and" or "will" may not.
            limit = 14 if gap.rstrip().endswith(",") else 6
            if len(gap.split()) > limit or re.search(
                r"[.!?]\s|\b(?:and|but|or|will|would|to)\b", gap
            ):
                break
            return self._fill(quote, cue, offset, after_end)
        # 2. Before the quote, in its sentence: "Antony Blinken said that ‘…’" (not a cue
        # inside another quote of the sentence, so "X wrote that “…,” this “…”" shares it).
        sent_start = self._sentence(open_at)[0]
        before_start = sent_start
        cues = [
            c
            for c in CUE.finditer(text, before_start, open_at)
            if not self._in_quote(c.start(), c.end())
        ]
        if cues:
            return self._fill(quote, cues[-1], before_start, open_at)
        # 3. A lead-in paragraph ending with ":" or "that" ("… replied back on Telegram:").
        k = self._paragraph_index(open_at)
        if k > 0 and not text[self.paragraphs[k][0] : open_at].strip(" –—-"):
            p_start, p_stop = self.paragraphs[k - 1]
            lead_in = text[p_start:p_stop].rstrip()
            if re.search(r"(?::|\bthat|,|\bчто)$", lead_in):
                l_start = self._sentence(p_stop - 1)[0]
                cues = list(CUE.finditer(text, l_start, p_stop))
                if cues:
                    return self._fill(quote, cues[-1], l_start, p_stop)
                quote.cue = ""
                self._speaker(quote, l_start, p_stop, p_stop, p_stop)
                return quote.speaker is not None
        return False

    def _fill(self, quote: Found, cue: re.Match[str], start: int, end: int) -> bool:
        quote.cue = " ".join(cue.group(0).split())
        quote.cue_span = (cue.start(), cue.end())
        self._speaker(quote, start, end, cue.start(), cue.end())
        return True

    def _speaker(self, quote: Found, start: int, end: int, cue_start: int, cue_end: int) -> None:
        """The speaker in text[start:end] around a cue: a pronoun or name right before the cue,
        else the nearest name before it, else a name after it, else a description."""
        text = self.text
        names = [
            n
            for n in self.named
            if start <= n.start
            and n.end <= end
            and not self._in_quote(n.start, n.end)
            and not (n.start < cue_end and cue_start < n.end)
            and not self._dateline(n)
        ]
        before = text[start:cue_start]
        pronoun = re.search(rf"({PRONOUN.pattern}){ADVERBS}\s*$", before)
        according = text[cue_start:cue_end].lower().startswith(SOURCE_FIRST)
        if pronoun and not according:
            p_start = start + pronoun.start(1)
            quote.speaker_span = (p_start, start + pronoun.end(1))
            quote.speaker = self.resolve_pronoun(pronoun.group(1), p_start)
            return
        ahead = [n for n in names if n.end <= cue_start][::-1]  # closest first
        behind = [n for n in names if n.start >= cue_end]
        telling = _TELLING.match(text, cue_start, cue_end) is not None
        if telling:
            behind = []  # "told REVOLT TV": who is told does not speak
        if according:
            ahead, behind = behind, ahead
        person = next((n for n in ahead if n.label == "PER"), None)
        if (
            ahead
            and person is not ahead[0]
            and not according
            and self._subject_of_cue(ahead[0], start, cue_start)
        ):
            person = ahead[0]  # "Earlier this month, NASA announced": the name the cue follows
        if not according and re.search(r"(?:,\s*|ing)$", before.rstrip() + text[cue_start:cue_end]):
            # "Shane Shook, a security expert who …, said" / "Fiorina …, saying": the speaker is
            # the clause's subject, the first person named in it, not the nearest.
            # Not a name just before the participle's comma ("… for Hillary Clinton, saying")
            # nor one after a preposition ("denunciation of Mr. Trump"): those are objects.
            in_order = [
                n
                for n in ahead[::-1]
                if n.label == "PER"
                and not _OBJECT_BEFORE.search(text, max(start, n.start - 40), n.start)
            ]
            subjects = [
                n
                for n in in_order
                if re.match(r"\s*[,(]", text[n.end : n.end + 3])
                and text[n.end : cue_start].strip(" ,")
            ]
            person = next(iter(subjects or in_order), None)
            if person is None and ahead:
                return  # only objects are named: the subject is someone unnamed
        relative = None if according else _RELATIVE.search(before)
        if relative is not None:
            # "voters who says" speaks for its antecedent: a name right before, else unnamed.
            at = start + relative.start()
            antecedent = next((n for n in ahead if not text[n.end : at].strip(" ,")), None)
            if antecedent is not None:
                quote.speaker, quote.speaker_span = (
                    antecedent.name,
                    (antecedent.start, antecedent.end),
                )
            else:
                quote.speaker_span = (start + relative.start(1), start + relative.end(1))
            return
        described = self._description(text[start:cue_start], start, last=True)
        if according:
            described = self._description(text[cue_end:end], cue_end, last=False)
        if described is not None and not according:
            gap = text[described[1] : cue_start]  # a description must be the cue's subject
            if len(gap.split()) > 3 or re.search(r"[.;:]", gap):
                described = None
        if person is None and described is not None:
            d_start, d_end, definite = described
            later = next((n for n in behind if n.label == "PER"), None)
            if not definite and later is not None:  # "a political scientist wrote … Pogrebinsky"
                person = later
            elif not ahead or ahead[0].start >= d_start:
                quote.speaker_span = (d_start, d_end)
                if definite:
                    quote.speaker = self.resolve_description(text[d_start:d_end], d_start)
                return
        common = None if according or person is not None else _common_subject(before)
        if common is not None and (not ahead or ahead[0].start >= start + common[0] - 40):
            # "New South Wales firefighters said", "Obama administration officials said": the
            # people a name qualifies speak, unnamed; the span shows their words.
            quote.speaker_span = (start + common[0], start + common[1])
            return
        bare = re.fullmatch(r"[\s,—–-]*((?:\S+\s+){0,3}\S+)\s*", before)
        if (
            person is None
            and not ahead
            and not according
            and bare
            and all(could_be_name(w) for w in bare.group(1).split())
        ):
            # A name the tagger missed, in any script ("王毅 said"): the subject itself.
            quote.speaker_span = (start + bare.start(1), start + bare.end(1))
            quote.speaker = clean_name(bare.group(1), label="PER")
            return
        shortened = (
            _SHORT_NAME.fullmatch(before)
            if person is None and not ahead and not according
            else None
        )
        if shortened is not None and (named := self.named_before(shortened.group(1), start)):
            # "The Chronicle says" after "San Francisco Chronicle": the tagger missed the short
            # form; it names the organisation named in full earlier.
            quote.speaker = named.name
            quote.speaker_span = (start + shortened.start(1), start + shortened.end(1))
            return
        subject = _DEFINITE_SUBJECT.fullmatch(before) if not ahead and not according else None
        if subject is not None and (telling or subject.group(1)[0] in "Tt"):
            # "the retired neurosurgeon told REVOLT TV": a described subject, unnamed.
            quote.speaker_span = (start + subject.start(1), start + subject.end(1))
            return
        choice = person or (ahead[0] if ahead else None) or _prefer_people(behind)
        if choice is not None:
            quote.speaker, quote.speaker_span = choice.name, (choice.start, choice.end)
            owned = (
                POSSESSED.match(text, choice.end, cue_start) if choice.end <= cue_start else None
            )
            qualified = (
                _PLACE_QUALIFIES.match(text, choice.end, cue_start)
                if choice.label == "LOC" and choice.end <= cue_start
                else None
            )
            if qualified:
                # "the New South Wales Rural Fire Service said": the place names whose service
                # speaks; it goes unnamed rather than guessed, the span shows its words.
                quote.speaker, quote.speaker_span = None, (choice.start, qualified.end(1))
                return
            if owned and not SPOKESPEOPLE.fullmatch(owned.group(1).strip()):
                # "Bolivia's public defender's office said": the office speaks, not Bolivia.
                # Who it is goes unnamed rather than guessed; the span shows its words.
                quote.speaker, quote.speaker_span = None, (choice.start, owned.end(1))
            return
        if not according:
            inverted = re.match(rf"\s*({PRONOUN.pattern})\b", text[cue_end:end])
            if inverted:  # "— …, — добавила она." / "…," said he
                p_start = cue_end + inverted.start(1)
                quote.speaker_span = (p_start, cue_end + inverted.end(1))
                quote.speaker = self.resolve_pronoun(inverted.group(1), p_start)
                return
            after = self._description(text[cue_end:end], cue_end, last=False)
            if after is not None:
                quote.speaker_span = after[:2]

    def _description(self, region: str, base: int, *, last: bool) -> tuple[int, int, bool] | None:
        """A description in `region` ("the politician", "one protester"): span and definiteness."""
        found = list(DESCRIPTION.finditer(region))
        if not found:
            return None
        d = found[-1] if last else found[0]
        return base + d.start(), base + d.end(), d.group(0).split()[0].lower() == "the"

    def _is_name(self, start: int, end: int) -> bool:
        """Whether text[start:end] is a tagged name, or an all-capitals transcript label.

        One all-capitals label in a whole text is a dateline ("NEW DELHI: Shares of PSU banks
        …"), not a speaker: a transcript gives its speakers several turns."""
        label = self.text[start:end]
        if NOT_A_SPEAKER.match(label):
            return False
        if label.isupper() and len(label) > 2 and self._transcript():
            return True
        return any(
            n.start <= start and end <= n.end + 1 and n.label in ("PER", "ORG") for n in self.named
        )

    def _dateline(self, name: Named) -> bool:
        """Whether `name` opens a paragraph as its dateline: "CHICAGO (AP) — A spokesman says"."""
        if self._heads is None:  # where each paragraph's text begins, computed once
            self._heads = {
                a + len(self.text[a:b]) - len(self.text[a:b].lstrip()) for a, b in self.paragraphs
            }
        if name.start not in self._heads:
            return False
        after = DATELINE.match(self.text, name.end)
        # "Trump — who … — said" opens a paragraph too: a dateline is in capitals or names its agency
        surface = self.text[name.start : name.end]
        return after is not None and (surface.isupper() or "(" in after.group(0))

    def _transcript(self) -> bool:
        """Whether two or more paragraphs open with an all-capitals label and a colon."""
        if self._turns is None:
            labels = (COLON_LABEL.match(self.text, a, b) for a, b in self.paragraphs)
            self._turns = sum(
                1
                for m in labels
                if m and m.group(1).isupper() and not NOT_A_SPEAKER.match(m.group(1))
            )
        return self._turns >= 2

    def _subject_of_cue(self, name: Named, start: int, cue_start: int) -> bool:
        """Whether `name` sits right before the cue as its subject ("NASA announced"), not as an
        object ("John Smith of the Brookings Institution said")."""
        gap = self.text[name.end : cue_start]
        if re.fullmatch(rf"{ADVERBS}\s*", gap) is None:
            return False
        return not _OBJECT_BEFORE.search(self.text, max(start, name.start - 40), name.start)

    def named_before(self, short: str, at: int) -> Named | None:
        """The organisation named before `at` whose name ends with `short` ("Chronicle")."""
        for n in reversed(self.named):
            if (
                n.end <= at
                and n.label == "ORG"
                and (n.name == short or n.name.endswith(" " + short))
            ):
                return n
        return None

    def resolve_pronoun(self, pronoun: str, at: int) -> str | None:
        """The nearest earlier person (or organisation for "it"/"they") the pronoun fits."""
        if pronoun.lower() in ("i", "we", "я", "мы"):
            return None  # the author, or an interviewee the caller knows better
        gender = PRONOUNS.get(pronoun.lower())
        wanted = ("ORG", "LOC") if pronoun.lower() in ("it", "they", "они") else ("PER",)
        for n in reversed(self.named):
            if n.end > at or self._in_quote(n.start, n.end) or n.label not in wanted:
                continue
            if at - n.end > 3000:
                return None
            guess = person_gender(n.name) if n.label == "PER" else None
            if gender and guess and guess != gender:
                continue
            return n.name
        return None

    def resolve_description(self, description: str, at: int) -> str | None:
        """A description not tagged as an entity ("the politician") → nearest earlier person."""
        female = bool(FEMALE_NOUN.search(description))
        for n in reversed(self.named):
            if n.end > at or n.label != "PER" or self._in_quote(n.start, n.end):
                continue
            if female and person_gender(n.name) == "m":
                continue
            return n.name if at - n.end < 3000 else None
        return None


# A preposition (and a title) right before a name: the name is an object, not a subject.
_OBJECT_BEFORE = re.compile(
    r"\b(?:of|for|with|against|to|by|from|about|on|at|in|into|over|toward|towards|between"
    r"|among|than|like|behind|under|after|before)\s+(?:(?:the|Mr\.|Mrs\.|Ms\.|Dr\.|Sen\.|Gov\."
    r"|Rep\.|President|Secretary|former|Republican|Democrat(?:ic)?|Senator|Governor)\s+){0,3}$"
)
# A relative pronoun as the cue's subject: "voters who says" ("a piece that noted" is left
# to the outer speaker, as PolNeAR credits it).
_RELATIVE = re.compile(rf"((?:[\w’'-]+\s*,?\s+)?\bwho)\b{ADVERBS}\s*$")
# A plural common noun as the cue's subject, with up to three words qualifying it:
# "New South Wales firefighters (said)", "Crime Stoppers of Michigan officials (said)".
_COMMON_SUBJECT = re.compile(
    rf"((?:[\w’'.-]+\s+){{0,3}}?)(?<![\w’'.-])([a-z][a-z-]+s)\b{ADVERBS}\s*$"
)
_NOT_PLURAL_NOUN = frozenset(
    re.findall(
        r"\S+",
        "has was is does as us its his hers ours theirs yours this thus always perhaps sometimes"
        " less unless across besides afterwards nevertheless nonetheless whereas news",
    )
)
_NOT_IN_PHRASE = frozenset(
    "the a an and or but of in on at for to with by from that which who as than".split()  # noqa: SIM905
)


def _common_subject(before: str) -> Span | None:
    """Offsets in `before` of a plural common noun subject ending right before the cue."""
    found = _COMMON_SUBJECT.search(before)
    if found is None or found.group(2) in _NOT_PLURAL_NOUN or found.group(2).endswith("ss"):
        return None
    if SPOKESPEOPLE.fullmatch(found.group(2)):
        return None  # "Kremlin representatives said" speak for the Kremlin
    words = list(re.finditer(r"[\w’'.-]+", found.group(1)))
    while words and (
        words[0].group(0).lower() in _NOT_IN_PHRASE
        or any(w.group(0).lower() in _NOT_IN_PHRASE for w in words[1:])
    ):
        words = words[1:]
    first = found.start(1) + words[0].start() if words else found.start(2)
    return first, found.end(2)


# Capitalised words after a place name, up to the cue: "New South Wales Rural Fire Service".
_PLACE_QUALIFIES = re.compile(rf"(\s+(?:[A-Z][\w&.-]*\s+){{0,3}}[A-Z][\w&.-]*){ADVERBS}\s*$")
# Verbs whose object is who was spoken to: the name after them is not the speaker.
_TELLING = re.compile(r"(?:tell|tells|told|telling|urged|urges|accused|accuses)\b")
# A whole subject that is a description with a determiner: "the retired neurosurgeon (told)".
_DEFINITE_SUBJECT = re.compile(
    rf"[\s,—–-]*((?:the|The|a|A|an|An)\s+(?:[\w’'-]+\s+){{0,4}}[a-z][\w’'-]*){ADVERBS}\s*"
)
# A short form of an organisation's name as a cue's whole subject: "The Chronicle (says)".
_SHORT_NAME = re.compile(r"[\s,—–-]*[Tt]he\s+((?:[A-Z][\w&.-]*\s+){0,2}[A-Z][\w&.-]*)\s*")
# A name's possession right before the cue: "Bolivia's public defender's office (said)".
POSSESSED = re.compile(r"['’]s\s+((?:[\w-]+['’]?s?\s+){0,4}[\w-]+)\s*$")
# Who speaks for the one named: "Nadia Cruz's office said" is Nadia Cruz speaking.
SPOKESPEOPLE = re.compile(
    r"(?i:(?:chief )?(?:office|spokes(?:man|woman|person)|press (?:office|service|secretary)"
    r"|representatives?|campaign|team|statement|press release|account|website))"
)


def _prefer_people(candidates: list[Named]) -> Named | None:
    """The first person among candidates ordered by closeness; else the closest other name."""
    return next((n for n in candidates if n.label == "PER"), candidates[0] if candidates else None)
