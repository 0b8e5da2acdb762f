"""Reported speech and interview answers: quotes without quotation marks.

Indirect speech ("X said that …", "according to X, …", "…, X said", "по словам X", a transcript
label "SMITH: …") is found sentence by sentence; interview answers are paragraphs opened by a
dash, attributed to the person the lead-in paragraph names. Speakers are found as for direct
quotes (`speakers.py`), which `Reporting` extends.
"""

from __future__ import annotations

import re

from narrascope.analyzers.quotes.lexicon import (
    ACCORDING,
    ASIDE,
    COLON_LABEL,
    CUE,
    DASH_ANSWER,
    NOT_REPORTED,
    PARTICIPLE,
    POSTPOSED,
    QUESTION_LABEL,
    SAY_CLAUSE,
    SOURCE_START,
    THAT_CLAUSE,
)
from narrascope.analyzers.quotes.marks import word_count
from narrascope.analyzers.quotes.speakers import Attribution, Found, Named
from narrascope.model import Span


class Reporting(Attribution):
    """Attribution extended to quotes without marks: indirect speech and interview answers."""

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
            dash = DASH_ANSWER.match(para)
            if QUESTION_LABEL.match(para) or not dash:
                if (
                    k + 1 < len(paragraphs)
                    and DASH_ANSWER.match(text[paragraphs[k + 1][0] : paragraphs[k + 1][1]])
                    and not QUESTION_LABEL.match(para)
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
            if not _spoken(text[start:p_end]):  # a list item, a tweet's signature
                continue
            dialogue = self._dialogue_line(start, p_end)
            if dialogue is not None:  # "— Мы не уйдём, — сказал он." carries its own cue
                if not any(s < dialogue.end and dialogue.start < e for s, e in taken):
                    out.append(dialogue)
                continue
            while k < len(paragraphs):  # the answer runs on over paragraphs without a dash
                n_start, n_end = paragraphs[k]
                nxt = text[n_start:n_end]
                is_lead_in = k + 1 < len(paragraphs) and DASH_ANSWER.match(
                    text[paragraphs[k + 1][0] : paragraphs[k + 1][1]]
                )
                if DASH_ANSWER.match(nxt) or QUESTION_LABEL.match(nxt) or is_lead_in:
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
        according = ACCORDING.search(sentence)
        if according and SOURCE_START.match(according.group(1)):
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
        label = COLON_LABEL.match(sentence)
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
        aside = ASIDE.search(sentence)
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
        participle = PARTICIPLE.search(sentence)
        if participle and participle.start() >= 10:  # "…, saying conservatives need to …"
            verb = participle.group(1).split()[0]
            cue_span = (s_start + participle.start(1), s_start + participle.start(1) + len(verb))
            quote = _trimmed(text, s_start + participle.end(), s_end, "indirect")
            if quote is not None and word_count(text[quote.start : quote.end]) >= 3:
                quote.cue, quote.cue_span = verb, cue_span
                self._speaker(quote, s_start, cue_span[0], *cue_span)
                if quote.speaker_span is None and quote.speaker is None:
                    # Only objects were named ("Both parents stiffened their denunciation of
                    # Mr. Trump, saying"): the unnamed subject opens the sentence, or no quote.
                    quote.speaker_span = _leading_subject(text, s_start, cue_span[0])
                    if quote.speaker_span is None:
                        return None
                quote.score = 0.5
                return quote
        for pattern in (THAT_CLAUSE, SAY_CLAUSE):
            for cue in pattern.finditer(sentence):
                verb = re.match(r"\w+(?:\s+(?:reporters|journalists))?", cue.group(0))
                cue_span = (
                    s_start + cue.start(),
                    s_start + cue.start() + (verb.end() if verb else 0),
                )
                subject = sentence[: cue.start()]
                if not subject.strip() or re.search(r"[“”\"'’«»],?\s*$", subject):
                    continue  # no subject, or an inverted speaker after a quote
                if NOT_REPORTED.search(subject):
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
                if quote.speaker_span is None and quote.cue.endswith("ing"):
                    # "…, saying that": the subject opens the clause, not the words before it.
                    quote.speaker_span = _leading_subject(text, clause_start, cue_span[0])
                elif quote.speaker_span is None:
                    quote.speaker_span = _subject_span(text, clause_start, cue_span[0])
                if quote.speaker_span is None:
                    continue
                quote.score = 0.6
                return quote
        post = POSTPOSED.search(sentence)
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


_NOT_SUBJECT = re.compile(
    r"(?:[a-z]+ed|has|had|have|is|are|was|were|will|would|can|could|may|might|must|should|does"
    r"|did|do|on|in|at|of|for|to|with|by|from|as|after|before|who|which|that)$"
)
_DETERMINERS = frozenset(
    "the a an both all some many most several few two three four five his her their its our".split()  # noqa: SIM905
)


def _leading_subject(text: str, start: int, end: int) -> Span | None:
    """The noun phrase opening a clause, before its verb: "Both parents (stiffened …)"."""
    words: list[re.Match[str]] = []
    for m in re.finditer(r"\S+", text[start:end]):
        bare = m.group(0).strip(",.;:“”\"'’()")
        if not bare or _NOT_SUBJECT.fullmatch(bare) or len(words) == 4:
            break
        words.append(m)
        if m.group(0)[-1] in ",;:":
            break  # punctuation closes the phrase
    while words and words[-1].group(0).strip(",;:").lower() in _DETERMINERS:
        words.pop()
    if not words or len(words) == 4:
        return None  # no short phrase before a verb: not a subject we can show
    return start + words[0].start(), start + words[-1].end() - (
        1 if words[-1].group(0)[-1] in ",;:" else 0
    )


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


def _spoken(line: str) -> bool:
    """Whether a dash-opened line reads as a spoken sentence, not a list item or a signature
    ("- 15 Amazing Images of Stars", "— The Nigerian Senate (@NGRSenate) October 9, 2018")."""
    line = line.strip()
    return bool(re.search(r"[.!?…]\W*$", line)) or word_count(line) >= 25
