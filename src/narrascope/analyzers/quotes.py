"""Who said what: direct quotes, indirect speech and interview answers, each with its speaker.

Runs after the entity analyzer and reads its mentions from `prior` (without them it falls back
on capitalised names). Direct quotes are found by pairing quotation marks of every style
(“…”, ‘…’, «…», „…“, "…"), tolerating nesting, unclosed marks and quotes that run over
paragraphs; the cue ("said", "wrote on Telegram") and the speaker are looked for after the
quote, then before it, then in a lead-in paragraph ending with ":" or "that". Indirect speech
("X said that …", "according to X", "по словам X") and interview answers opened by a dash are
rule-based too. Pronouns and descriptions ("she", "the politician") resolve to the nearest
compatible earlier person; an unknown speaker is recorded as None, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from narrascope.analyzers.entities import canonical_entity_id, clean_name, person_gender
from narrascope.model import Annotation, Document, Layer, Span
from narrascope.text.segment import paragraph_spans

# --- lexicon -----------------------------------------------------------------------------------

_SPEECH = (
    # Only forms that are rarely nouns: "state", "post", "report", "call" are left out.
    "say|says|said|saying|tell|tells|told|telling|stated|stating|stresses|stressed|adds|added"
    "|adding|noted|noting|write|writes|wrote|writing|replied|replying|answered|asks|asked"
    "|claimed|claiming|declare|declares|declared|announce|announces|announced|explain|explains"
    "|explained|explaining|insist|insists|insisted|warns|warned|argue|argues|argued|arguing"
    "|commented|remarked|tweeted|posted|believe|believes|believed|think|thinks|thought|accuses"
    "|accused|urges|urged|emphasize|emphasizes|emphasized|emphasise|emphasised|concluded|admits"
    "|admitted|acknowledges|acknowledged|suggests|suggested|denies|denied|reported|recalls"
    "|recalled|continued|retorted|complained|predicted|promised|vowed|confirms|confirmed"
    "|responded|joked|shouted|called|mocked|quipped|described|expressed|published"
)
_CHANNEL = (
    r"(?:\s+back)?(?:\s+(?:on|in)\s+(?:his|her|their|its|a|an|the|our)?\s*(?:[\w-]+\s+){0,2}?"
    r"(?:Telegram|Twitter|Facebook|Instagram|VK|blog|page|channel|account|post|interview"
    r"|statement|tweet|video|op-ed|letter|column|speech)(?:\s+(?:channel|page|account))?)?"
)
CUE_EN = re.compile(rf"\b(?:{_SPEECH})\b{_CHANNEL}|\b[Aa]ccording to\b", re.UNICODE)
"""An English cue: a verb of saying or thinking, with the channel it went through."""

_RU_VERBS = (
    "заяви|сказа|отмети|подчеркну|сообщи|написа|замети|поясни|добави|ответи|уточни|призна"
    "|предупреди|напомни|рассказа|утвержда|объясни|выступи"
)
CUE_RU = re.compile(
    rf"\b(?:(?:{_RU_VERBS})(?:л|ла|ли|ло|ет|ют|ют)|считает|считают|полагает|говорит|говорят"
    rf"|заявляет|заявляют)\b{_CHANNEL}|\b[Пп]о (?:словам|мнению|данным)\b",
    re.UNICODE,
)
CUE = re.compile(f"{CUE_EN.pattern}|{CUE_RU.pattern}", re.UNICODE)

_BELIEF = (
    # Verbs PolNeAR also counts as attribution when a that-clause follows (polls, beliefs).
    "found|finds|showed|shows|show|suggest|indicated|indicates|revealed|reveals|hope|hopes|hoped"
    "|expect|expects|expected|fear|fears|feared|worry|worries|worried|agreed|agree|agrees"
    "|conceded|concedes|asserted|asserts|alleged|alleges|maintained|maintains|estimated"
    "|realized|realize|knew|know|knows|feel|feels|felt|recognized|recognizes|doubt|doubts|doubted"
)
_THAT_CLAUSE = re.compile(
    rf"\b(?:{_SPEECH}|{_BELIEF}|(?:{_RU_VERBS})(?:л|ла|ли|ет|ют)|считает|считают|полагает|говорит)\b"
    r"(?:\s+(?:reporters|journalists|the\s+\w+|him|her|them|us|me|[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?))?"
    r"(?:\s+(?:on|in|at|during|last|this|earlier|on\s+\w+)\s+[^,.;:“”\"«»]{0,40}?)?,?\s+(?:that|что)\s+",
    re.UNICODE,
)
_SAY_CLAUSE = re.compile(
    r"\b(?:says|said|say|told\s+(?:reporters|journalists|the\s+\w+|\w+)|believes|believe|thinks"
    r"|think|argued|argues|added|warned|insisted|claimed|wrote|writes|predicted|admitted"
    r"|acknowledged|announced|explained|noted|stressed|argue|insist|warn)\s+"
    # What follows must start a clause, not a time, a place or an inverted speaker ("said Mr. X").
    r"(?!(?:in|on|at|to|for|of|by|with|about|from|during|after|before|last|this|yesterday"
    r"|today|tonight|earlier|later|recently|publicly|privately|repeatedly|so|and|or|but|no|yes"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mr|Mrs|Ms|Dr|Gov|Sen|Rep)\b)"
    r"(?=[^\W\d_])",
)
_POSTPOSED = re.compile(
    r",\s+((?:[\w’'.-]+\s+){0,5}?)(said|says|added|told\s+\w+|wrote|explained|noted|argued"
    r"|show|shows|showed|found|reported|estimated)"
    r"(\s+[\w’'.-]+(?:\s+[\w’'.-]+){0,3})?\.?\s*$"
)
_NOT_REPORTED = re.compile(
    r"\b(?:to|will|would|should|could|can|might|must|may|do|does|did|be|been|being|is|are"
    r"|was|were|you|Do|Does|Did|not|n’t|n't)\s+(?:\w+\s+)?$|\b(?:that|which)\s+$"
)
_SOURCE_START = re.compile(
    r"[A-ZА-ЯЁ\d]|(?:the|a|an|one|two|three|some|several|many|most|his|her|their|its|our|recent"
    r"|new|official|local|federal|state|data|figures|reports?|sources?|officials|experts"
    r"|analysts|polls?|surveys?|estimates?|documents?)\b"
)
_COLON_LABEL = re.compile(r"\s*([A-ZА-ЯЁ][\w.’'-]*(?:\s+[A-ZА-ЯЁ][\w.’'-]*){0,3})\s*:\s+(?=\S)")
_ASIDE = re.compile(
    r",\s+((?:[\w’'.-]+\s+){1,6}?)(said|says|added|argued|explained|noted|wrote|insisted)"
    r"(?:\s+[\w’'.-]+){0,3},\s+(?=\S)"
)
_PARTICIPLE = re.compile(
    r",\s+(saying|adding|noting|arguing|insisting|warning|claiming|explaining|writing|citing"
    r"|telling\s+(?:[\w’'.-]+\s+){1,3}?)(?:that\s+)?(?=\S)"
)
_ACCORDING = re.compile(r"\b(?:[Aa]ccording to|[Пп]о словам|[Пп]о мнению)\s+([^,.;:]{2,80})")

_PRONOUNS = {
    "he": "m",
    "she": "f",
    "they": None,
    "it": None,
    "он": "m",
    "она": "f",
    "они": None,
    "we": None,
    "i": None,
    "мы": None,
    "я": None,
}
_PRONOUN = re.compile(
    r"\b(?:he|she|they|it|we|He|She|They|It|We|I|он|она|они|мы|я|Он|Она|Они|Мы|Я)\b"
)
_DESCRIPTION = re.compile(
    r"\b(?:the|The|one|One|a|A|an|An|another|Another)\s+(?:[\w’'-]+\s+){0,5}?"
    r"(?:spokes(?:man|woman|person)|politician|expert|scientist|researcher|analyst|official"
    r"|minister|secretary|president|leader|head|diplomat|ambassador|protester|speaker|activist"
    r"|lawyer|professor|journalist|author|source|spokesperson|representative|chairman|senator"
    r"|governor|candidate|aide|adviser|advisor|director|manager|officer|economist|correspondent)s?\b"
)
_ADVERBS = (
    r"(?:\s*,?\s+(?:also|then|later|further|again|once|had|has|have|would|will|was|were|is"
    r"|recently|immediately|publicly|reportedly|earlier|back|however|too|in turn),?)*"
)
_FEMALE_NOUN = re.compile(r"woman\b")
_ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gov|Sen|Rep|St|Jr|Sr|Gen|Col|Lt|Prof|[A-Z])\.")

_OPEN_CLOSE = {"“": "”", "‘": "’", "«": "»", "„": "“”", '"': '"'}
_MARKS = frozenset('“”‘’«»„"')
_DASH_ANSWER = re.compile(r"\s*[–—-]\s+")
_QUESTION_LABEL = re.compile(r"\s*[“\"«]?[\w .]{1,25}[”\"»]?\s*:\s*[–—-]\s+")
_TITLE_BEFORE = re.compile(
    r"(?:titled|entitled|headlined|article|paper|report|book|headline),?\s*$"
    r"|\b(?:on|in|at|from)\s*$"  # a show or paper's name: "said on “Meet the Press.”"
)


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


# --- the analyzer ------------------------------------------------------------------------------


class QuoteAnalyzer:
    """Finds direct and indirect quotes and attributes each to a speaker entity or None."""

    name: ClassVar[str] = "quotes"
    version: ClassVar[str] = "quotes-v1"
    layer: ClassVar[Layer] = Layer.QUOTE
    requires: ClassVar[tuple[Layer, ...]] = (Layer.ENTITY,)
    languages: ClassVar[frozenset[str] | None] = frozenset({"en", "ru"})

    def __init__(self, *, min_words: int = 3, unattributed_min_words: int = 8) -> None:
        self.min_words, self.unattributed_min_words = min_words, unattributed_min_words

    @classmethod
    def load(cls) -> QuoteAnalyzer:
        return cls()

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if not doc.text.strip():
            return []
        ids = {
            str(a.attrs["entity"]): str(a.attrs.get("entity_id") or "")
            for a in prior
            if a.layer == Layer.ENTITY and a.attrs.get("entity")
        }
        return [
            Annotation(
                doc_id=doc.id,
                layer=self.layer,
                label=q.kind,
                model=self.version,
                start=q.start,
                end=q.end,
                score=q.score,
                attrs={
                    "speaker": q.speaker,
                    "speaker_id": _speaker_id(q.speaker, ids),
                    "speaker_span": list(q.speaker_span) if q.speaker_span else None,
                    "cue": q.cue,
                    "cue_span": list(q.cue_span) if q.cue_span else None,
                },
            )
            for q in find_quotes(
                doc,
                prior,
                min_words=self.min_words,
                unattributed_min_words=self.unattributed_min_words,
            )
            if doc.text[q.start : q.end].strip()
        ]


def find_quotes(
    doc: Document,
    prior: Sequence[Annotation] = (),
    *,
    min_words: int = 3,
    unattributed_min_words: int = 8,
) -> list[Found]:
    """Every quote of `doc` (direct, interview answers, indirect), in text order."""
    text = doc.text
    paragraphs = doc.paragraphs or paragraph_spans(text)
    sentences = doc.sentences or paragraphs
    named = _named(doc, prior)
    marks = quote_spans(text, paragraphs, sentences)
    inside = [(o, c) for o, c, _, _ in marks]
    ctx = _Context(text, named, inside, sentences, paragraphs)
    found: list[Found] = []
    for i, (open_at, close_at, start, end) in enumerate(marks):
        words = word_count(text[start:end])
        if words == 0 or _TITLE_BEFORE.search(text[max(0, open_at - 30) : open_at]):
            continue
        quote = Found(start, end, "direct")
        prev_close = marks[i - 1][1] if i else -1
        next_open = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        attributed = ctx.attribute_direct(quote, open_at, close_at, prev_close, next_open)
        if not attributed and found and _same_paragraph(paragraphs, found[-1].end, start):
            previous = found[-1]  # "…,” she said, “…” — the second half shares the speaker
            if previous.cue and open_at - previous.end < 200:
                quote.speaker, quote.speaker_span = previous.speaker, previous.speaker_span
                quote.cue, quote.cue_span, attributed = previous.cue, previous.cue_span, True
        if attributed and words >= min_words:
            quote.score = 0.9 if quote.speaker else 0.7
            _merge_mixed(text, quote, open_at)
        elif not attributed and words >= unattributed_min_words and _sentence_like(text[start:end]):
            quote.score = 0.5
        else:
            continue
        found.append(quote)
    found += ctx.interview_answers(found)
    found += ctx.indirect(found)
    found.sort(key=lambda q: (q.start, q.end))
    return found


def _merge_mixed(text: str, quote: Found, open_at: int) -> None:
    """A quote embedded in reported speech ("Morris says the campaign will “compete …”") becomes
    one indirect quote from the cue on, so the reported words are not lost."""
    if quote.cue_span is None or quote.cue_span[1] > open_at or quote.cue in ("", ":"):
        return
    if quote.cue.lower().startswith(("according", "по ")):
        return
    if quote.speaker_span and quote.speaker_span[0] >= quote.cue_span[1]:
        return  # the speaker sits between cue and quote: "said Mr. Smith: “…”"
    gap = text[quote.cue_span[1] : open_at]
    lead = re.match(r"[\s,:]*(?:(?:that|что)\b)?[\s,]*", gap)
    start = quote.cue_span[1] + (lead.end() if lead else 0)
    rest = text[start:open_at]
    if word_count(rest) < 3 or re.search(r"[.!?:]\s|[“”\"«»‘’]", rest):
        return
    if rest.rstrip().endswith(",") or re.match(
        r"(?:on|in|at|during|last|this|after|before|to|for|with|about|from|back)\b", rest
    ):
        return  # said on January 6, 2022, "We …" — an adverbial, not reported words
    quote.start, quote.kind = start, "indirect"


def word_count(text: str) -> int:
    """Words, counting each Chinese or Japanese character as one (they use no spaces)."""
    return len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+", text))


def _same_paragraph(paragraphs: list[Span], a: int, b: int) -> bool:
    return any(s <= a <= e and s <= b <= e for s, e in paragraphs)


def _sentence_like(content: str) -> bool:
    return bool(re.search(r"[.!?…]\W*$", content.strip())) and content.strip()[:1].isupper()


def _named(doc: Document, prior: Sequence[Annotation]) -> list[Named]:
    """Entity mentions from the entity analyzer; capitalised names when there are none."""
    named = []
    for a in prior:
        if a.layer == Layer.ENTITY and a.start is not None and a.end is not None:
            name = str(a.attrs.get("entity") or doc.text[a.start : a.end])
            named.append(Named(a.start, a.end, a.label, name))
    if named:
        return sorted(named)
    # Stand-in: two to four capitalised words in a row are taken for a person's name.
    pattern = re.compile(r"\b[A-ZА-ЯЁ][\w’'-]+(?:\s+[A-ZА-ЯЁ][\w’'-]+){1,3}\b")
    return [
        Named(m.start(), m.end(), "PER", clean_name(m.group(0), label="PER"))
        for m in pattern.finditer(doc.text)
    ]


# --- pairing quotation marks -------------------------------------------------------------------


def _can_open(text: str, i: int, mark: str) -> bool:
    before = text[i - 1] if i else "\n"
    after = text[i + 1] if i + 1 < len(text) else "\n"
    if mark == '"':
        return (before.isspace() or before in "([{—–-/:,;") and not after.isspace()
    if mark == "‘":
        return not before.isalnum()
    return mark in "“«„"


def _can_close(text: str, i: int, mark: str) -> bool:
    before = text[i - 1] if i else "\n"
    after = text[i + 1] if i + 1 < len(text) else "\n"
    if mark in ('"', "’"):
        return not before.isspace() and not after.isalnum()
    return mark in "”»“"


def quote_spans(
    text: str, paragraphs: list[Span], sentences: list[Span]
) -> list[tuple[int, int, int, int]]:
    """Outermost quotations as (open mark, close mark or end, content start, content end).

    Marks pair within a paragraph with a stack, so nested quotes stay inside their outer one.
    An outer quote whose closing mark was taken by an inner one closes at that mark; an
    unclosed quote that opens its paragraph runs on until a closing mark in a later paragraph
    (a quote over several paragraphs), and any other unclosed quote ends with its sentence.
    """
    text = text.replace("''", '"\x00')  # two apostrophes as a quotation mark (NYT style)
    out: list[tuple[int, int, int, int]] = []
    pending: tuple[int, str, int] | None = None  # unclosed opener at a paragraph start
    for p_index, (p_start, p_end) in enumerate(paragraphs):
        stack: list[tuple[int, str]] = []
        inner_close: dict[int, int] = {}
        if pending is not None and p_index - pending[2] > 12:  # no close in sight: give up
            prev_end = paragraphs[pending[2]][1]
            out.append(_span(text, pending[0], prev_end, prev_end))
            pending = None
        for i in range(p_start, p_end):
            mark = text[i]
            if mark not in _MARKS:
                continue
            if pending is not None:
                open_at, family, _ = pending
                if mark in _OPEN_CLOSE[family] and _can_close(text, i, mark):
                    out.append(_span(text, open_at, i, i))
                    pending = None
                    continue
                if mark == family and _can_open(text, i, mark):
                    prev_end = paragraphs[p_index - 1][1]
                    out.append(_span(text, open_at, prev_end, prev_end))
                    pending = None
                else:
                    continue
            closes = [k for k, (_, fam) in enumerate(stack) if mark in _OPEN_CLOSE[fam]]
            if closes and _can_close(text, i, mark):
                k = closes[-1]
                open_at = stack[k][0]
                del stack[k:]
                if not stack:
                    out.append(_span(text, open_at, i, i))
                else:
                    inner_close[stack[0][0]] = i
                continue
            if mark == '"' and stack and stack[-1][1] == '"':
                # A straight quote that can only open: the previous one was never closed.
                open_at = stack.pop()[0]
                if not stack:
                    end = _sentence_end(sentences, open_at, p_end)
                    out.append(_span(text, open_at, end, min(end, i)))
            if _can_open(text, i, mark):
                stack.append((i, mark))
        if pending is not None:
            continue
        if stack:
            open_at, family = stack[0]
            if open_at in inner_close:  # ‘outer … ‘inner … ’ — the last mark closes the outer
                out.append(_span(text, open_at, inner_close[open_at], inner_close[open_at]))
            elif not text[p_start:open_at].strip(" –—-"):
                pending = (open_at, family, p_index)
            else:
                end = _sentence_end(sentences, open_at, p_end)
                out.append(_span(text, open_at, end, end))
    if pending is not None:
        end = paragraphs[-1][1]
        out.append(_span(text, pending[0], end, end))
    out.sort()
    # Keep outermost: drop spans inside an earlier one.
    kept: list[tuple[int, int, int, int]] = []
    for span in out:
        if kept and span[0] < kept[-1][1]:
            continue
        if span[3] > span[2]:
            kept.append(span)
    return kept


def _span(text: str, open_at: int, close_at: int, content_end: int) -> tuple[int, int, int, int]:
    start, end = open_at + 1, content_end
    while start < end and (text[start].isspace() or text[start] in _MARKS or text[start] == "\x00"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _MARKS):
        end -= 1
    return open_at, close_at, start, end


def _sentence_end(sentences: list[Span], at: int, limit: int) -> int:
    for s, e in sentences:
        if s <= at < e:
            return min(e, limit)
    return limit


# --- attribution -------------------------------------------------------------------------------


class _Context:
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
            text[close_at] in _MARKS or text.startswith("''", close_at)
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
            gap = _ABBREVIATION.sub("", text[offset : cue.start()])
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
        ]
        before = text[start:cue_start]
        pronoun = re.search(rf"({_PRONOUN.pattern}){_ADVERBS}\s*$", before)
        according = text[cue_start:cue_end].lower().startswith(("according", "по "))
        if pronoun and not according:
            p_start = start + pronoun.start(1)
            quote.speaker_span = (p_start, start + pronoun.end(1))
            quote.speaker = self.resolve_pronoun(pronoun.group(1), p_start)
            return
        ahead = [n for n in names if n.end <= cue_start][::-1]  # closest first
        behind = [n for n in names if n.start >= cue_end]
        if according:
            ahead, behind = behind, ahead
        person = next((n for n in ahead if n.label == "PER"), None)
        if not according and re.search(r"(?:,\s*|ing)$", before.rstrip() + text[cue_start:cue_end]):
            # "Shane Shook, a security expert who …, said" / "Fiorina …, saying": the speaker is
            # the clause's subject, the first person named in it, not the nearest.
            in_order = [n for n in ahead[::-1] if n.label == "PER"]
            subject = [n for n in in_order if re.match(r"\s*[,(]", text[n.end : n.end + 3])]
            if subject or in_order:
                person = (subject or in_order)[0]
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
        bare = re.fullmatch(r"[\s,—–-]*((?:\S+\s+){0,3}\S+)\s*", before)
        if (
            person is None
            and not ahead
            and not according
            and bare
            and all(_proper(w) for w in bare.group(1).split())
        ):
            # A name the tagger missed, in any script ("王毅 said"): the subject itself.
            quote.speaker_span = (start + bare.start(1), start + bare.end(1))
            quote.speaker = clean_name(bare.group(1), label="PER")
            return
        choice = person or (ahead[0] if ahead else None) or _prefer_people(behind)
        if choice is not None:
            quote.speaker, quote.speaker_span = choice.name, (choice.start, choice.end)
            return
        if not according:
            inverted = re.match(rf"\s*({_PRONOUN.pattern})\b", text[cue_end:end])
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
        found = list(_DESCRIPTION.finditer(region))
        if not found:
            return None
        d = found[-1] if last else found[0]
        return base + d.start(), base + d.end(), d.group(0).split()[0].lower() == "the"

    def _is_name(self, start: int, end: int) -> bool:
        """Whether text[start:end] is a tagged name, or an all-capitals transcript label."""
        label = self.text[start:end]
        if label.isupper() and len(label) > 2:
            return True
        return any(
            n.start <= start and end <= n.end + 1 and n.label in ("PER", "ORG") for n in self.named
        )

    def resolve_pronoun(self, pronoun: str, at: int) -> str | None:
        """The nearest earlier person (or organisation for "it"/"they") the pronoun fits."""
        if pronoun.lower() in ("i", "we", "я", "мы"):
            return None  # the author, or an interviewee the caller knows better
        gender = _PRONOUNS.get(pronoun.lower())
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
        female = bool(_FEMALE_NOUN.search(description))
        for n in reversed(self.named):
            if n.end > at or n.label != "PER" or self._in_quote(n.start, n.end):
                continue
            if female and person_gender(n.name) == "m":
                continue
            return n.name if at - n.end < 3000 else None
        return None

    def interview_answers(self, found: list[Found]) -> list[Found]:
        """Answers opened by a dash, attributed to the person the lead-in paragraph names."""
        text, paragraphs = self.text, self.paragraphs
        taken = [(q.start, q.end) for q in found]
        out: list[Found] = []
        interviewee: Named | None = None
        k = 0
        while k < len(paragraphs):
            p_start, p_end = paragraphs[k]
            para = text[p_start:p_end]
            dash = _DASH_ANSWER.match(para)
            if _QUESTION_LABEL.match(para) or not dash:
                if (
                    k + 1 < len(paragraphs)
                    and _DASH_ANSWER.match(text[paragraphs[k + 1][0] : paragraphs[k + 1][1]])
                    and not _QUESTION_LABEL.match(para)
                ):
                    people = [
                        n
                        for n in self.named
                        if p_start <= n.start < p_end
                        and n.label == "PER"
                        and not self._in_quote(n.start, n.end)
                    ]
                    if people:
                        interviewee = people[0]
                k += 1
                continue
            start = p_start + dash.end()
            end = p_end
            k += 1
            dialogue = self._dialogue_line(start, p_end)
            if dialogue is not None:  # "— Мы не уйдём, — сказал он." carries its own cue
                if not any(s < dialogue.end and dialogue.start < e for s, e in taken):
                    out.append(dialogue)
                continue
            while k < len(paragraphs):  # the answer runs on over paragraphs without a dash
                n_start, n_end = paragraphs[k]
                nxt = text[n_start:n_end]
                is_lead_in = k + 1 < len(paragraphs) and _DASH_ANSWER.match(
                    text[paragraphs[k + 1][0] : paragraphs[k + 1][1]]
                )
                if _DASH_ANSWER.match(nxt) or _QUESTION_LABEL.match(nxt) or is_lead_in:
                    break
                if len(nxt.split()) < 5:
                    break
                end = n_end
                k += 1
            if interviewee is None or any(s < end and start < e for s, e in taken):
                continue
            out.append(
                Found(
                    start,
                    end,
                    "direct",
                    cue="interview answer",
                    speaker=interviewee.name,
                    speaker_span=(interviewee.start, interviewee.end),
                    score=0.8,
                )
            )
        return out

    def _dialogue_line(self, start: int, end: int) -> Found | None:
        """A dash-opened line with its own cue after a second dash: "— …, — said he"."""
        second = re.search(r"[,.!?…]?\s+[–—]\s+", self.text[start:end])
        if second is None:
            return None
        tail = start + second.end()
        cue = CUE.match(self.text, tail) or next(
            CUE.finditer(self.text, tail, min(end, tail + 40)), None
        )
        if cue is None:
            return None
        quote = _trimmed(self.text, start, start + second.start() + 1, "direct")
        if quote is None:
            return None
        self._fill(quote, cue, tail, end)
        quote.score = 0.9 if quote.speaker else 0.7
        return quote

    def indirect(self, found: list[Found]) -> list[Found]:
        """Reported speech: "X said that …", "according to X, …", "…, X said", "по словам X"."""
        text = self.text
        taken = [(q.start, q.end) for q in found]
        used_cues = {q.cue_span for q in found if q.cue_span}
        out: list[Found] = []
        for s_start, s_end in self.sentences:
            if any(s < s_end and s_start < e for s, e in taken):
                continue
            sentence = text[s_start:s_end]
            quote = self._indirect_in(sentence, s_start, s_end)
            if quote is None or quote.cue_span in used_cues:
                continue
            if word_count(text[quote.start : quote.end]) < 3:
                continue
            out.append(quote)
        return out

    def _indirect_in(self, sentence: str, s_start: int, s_end: int) -> Found | None:
        text = self.text
        according = _ACCORDING.search(sentence)
        if according and _SOURCE_START.match(according.group(1)):
            cue_text = sentence[according.start() : according.start(1)].rstrip()
            cue_span = (s_start + according.start(), s_start + according.start() + len(cue_text))
            source_end = s_start + according.end(1)
            lead = sentence[: according.start()].strip(" ,")
            if len(lead.split()) <= 5 and len(text[source_end:s_end].split()) >= 4:
                start, end = source_end + 1, s_end
            else:
                start, end = s_start, s_start + according.start()
            quote = _trimmed(text, start, end, "indirect")
            if quote is None:
                return None
            quote.cue, quote.cue_span = text[cue_span[0] : cue_span[1]].strip(), cue_span
            self._speaker(quote, cue_span[0], source_end, *cue_span)
            if quote.speaker_span is None:  # "according to one global index"
                quote.speaker_span = _trimmed_span(text, s_start + according.start(1), source_end)
            quote.score = 0.6
            return quote if quote.speaker_span else None
        label = _COLON_LABEL.match(sentence)
        first_line = not self.paragraphs or s_start <= self.paragraphs[0][1]
        if (
            label
            and not first_line  # a title "Kazakhstan Chaos: An Opportunity, But for Who?"
            and self._is_name(s_start + label.start(1), s_start + label.end(1))
        ):
            quote = _trimmed(text, s_start + label.end(), s_end, "indirect")
            if quote is not None:
                colon = s_start + label.end(1) + sentence[label.end(1) :].index(":")
                quote.cue, quote.cue_span = ":", (colon, colon + 1)
                self._speaker(quote, s_start, colon, colon, colon + 1)
                if quote.speaker_span is None:
                    quote.speaker_span = (s_start + label.start(1), s_start + label.end(1))
                quote.score = 0.5
                return quote
        aside = _ASIDE.search(sentence)
        if aside and aside.start() >= 10:  # "The bigger risk, he said, is a clash …"
            cue_span = (s_start + aside.start(2), s_start + aside.end(2))
            quote = _trimmed(text, s_start, s_end, "indirect")
            if quote is not None:
                quote.cue, quote.cue_span = aside.group(2), cue_span
                self._speaker(quote, s_start + aside.start(1), cue_span[0], *cue_span)
                if quote.speaker_span is None:
                    quote.speaker_span = _trimmed_span(text, s_start + aside.start(1), cue_span[0])
                quote.score = 0.5
                return quote
        participle = _PARTICIPLE.search(sentence)
        if participle and participle.start() >= 10:  # "…, saying conservatives need to …"
            verb = participle.group(1).split()[0]
            cue_span = (s_start + participle.start(1), s_start + participle.start(1) + len(verb))
            quote = _trimmed(text, s_start + participle.end(), s_end, "indirect")
            if quote is not None and word_count(text[quote.start : quote.end]) >= 3:
                quote.cue, quote.cue_span = verb, cue_span
                self._speaker(quote, s_start, cue_span[0], *cue_span)
                if quote.speaker_span is not None:
                    quote.score = 0.5
                    return quote
        for pattern in (_THAT_CLAUSE, _SAY_CLAUSE):
            for cue in pattern.finditer(sentence):
                verb = re.match(r"\w+(?:\s+(?:reporters|journalists))?", cue.group(0))
                cue_span = (
                    s_start + cue.start(),
                    s_start + cue.start() + (verb.end() if verb else 0),
                )
                subject = sentence[: cue.start()]
                if not subject.strip() or re.search(r"[“”\"'’«»],?\s*$", subject):
                    continue  # no subject, or an inverted speaker after a quote
                if _NOT_REPORTED.search(subject):
                    continue  # "to say", "will say", "be said", "Do you think"
                end = s_end
                if re.search(r"\b(?:who|which)\b(?:\s+\w+)?\s*$", subject):
                    # "Ablyazov, who also told AFP he wanted …, is a controversial figure":
                    # the reported words end with the relative clause.
                    comma = text.find(", ", s_start + cue.end(), s_end)
                    end = comma if comma > 0 else s_end
                quote = _trimmed(text, s_start + cue.end(), end, "indirect")
                if quote is None:
                    continue
                quote.cue, quote.cue_span = text[cue_span[0] : cue_span[1]], cue_span
                clause_start = s_start + _clause_start(subject)
                self._speaker(quote, clause_start, cue_span[0], *cue_span)
                if quote.speaker_span is None:
                    quote.speaker_span = _subject_span(text, clause_start, cue_span[0])
                if quote.speaker_span is None:
                    continue
                quote.score = 0.6
                return quote
        post = _POSTPOSED.search(sentence)
        if post and len(sentence[: post.start()].split()) >= 4:
            cue_span = (s_start + post.start(2), s_start + post.end(2))
            quote = _trimmed(text, s_start, s_start + post.start(), "indirect")
            if quote is None:
                return None
            quote.cue, quote.cue_span = post.group(2), cue_span
            self._speaker(quote, s_start + post.start(1), s_start + post.end(), *cue_span)
            if quote.speaker_span is None:
                quote.speaker_span = _subject_span(text, s_start + post.start(1), cue_span[0])
            if quote.speaker_span is None:
                return None
            quote.score = 0.5
            return quote
        return None


_FUNCTION_WORDS = frozenset(
    "and but or that which who whom as so if when while because although then also".split()  # noqa: SIM905
)


def _trimmed_span(text: str, start: int, end: int) -> Span | None:
    found = _trimmed(text, start, end, "")
    return (found.start, found.end) if found else None


def _subject_span(text: str, start: int, end: int) -> Span | None:
    """The last few words before a cue, taken as its (unnamed) subject: "Democrats say …"."""
    words = list(re.finditer(r"[\w’'.-]+", text[start:end]))[-6:]
    while words and words[0].group(0).lower() in _FUNCTION_WORDS:
        words = words[1:]
    if not words:
        return None
    return start + words[0].start(), start + words[-1].end()


def _clause_start(subject: str) -> int:
    """Where the clause holding the subject of a cue begins (after a ";", "but", a quote…)."""
    cut = 0
    for m in re.finditer(r"[;:”»\"]|\b(?:but|while|because|although)\b", subject):
        cut = m.end()
    return cut


def _trimmed(text: str, start: int, end: int, kind: str) -> Found | None:
    while start < end and (text[start].isspace() or text[start] in ",:;—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;—–-"):
        end -= 1
    return Found(start, end, kind) if end > start else None


_NOT_NAMES_TEXT = (
    "as in on at the a an it this that these those there then and but or so he she they we"
    " i you yet also thus still now here when while after before if"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _proper(word: str) -> bool:
    """A word that can be part of a name: capitalised, or in a script without letter case."""
    letter = next((c for c in word if c.isalpha()), "")
    if not letter or word.lower().strip(",.") in _NOT_NAMES:
        return False
    return letter.isupper() or not letter.islower()


def _prefer_people(candidates: list[Named]) -> Named | None:
    """The first person among candidates ordered by closeness; else the closest other name."""
    return next((n for n in candidates if n.label == "PER"), candidates[0] if candidates else None)


def _speaker_id(name: str | None, ids: dict[str, str]) -> str | None:
    """The entity id of a speaker: the entity analyzer's, else the canonical id of the name."""
    if name is None:
        return None
    return ids.get(name) or canonical_entity_id(name, label="PER")
