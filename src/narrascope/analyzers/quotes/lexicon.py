"""The words that report speech: cue verbs in English and Russian, clause shapes, pronouns.

The lexicon of the quote analyzer (`analyzers/quotes/`): `CUE` finds a verb of saying with the
channel it went through ("wrote on Telegram", "по словам"); the clause patterns find indirect
speech ("X said that …", "…, X said", "according to X"); pronouns and descriptions ("she", "the
politician") are what a speaker may be called before it is resolved to a name.
"""

from __future__ import annotations

import re

SPEECH = (
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
CHANNEL = (
    r"(?:\s+back)?(?:\s+(?:on|in)\s+(?:his|her|their|its|a|an|the|our)?\s*(?:[\w-]+\s+){0,2}?"
    r"(?:Telegram|Twitter|Facebook|Instagram|VK|blog|page|channel|account|post|interview"
    r"|statement|tweet|video|op-ed|letter|column|speech)(?:\s+(?:channel|page|account))?)?"
)
CUE_EN = re.compile(rf"\b(?:{SPEECH})\b{CHANNEL}|\b[Aa]ccording to\b", re.UNICODE)
"""An English cue: a verb of saying or thinking, with the channel it went through."""

RU_VERBS = (
    "заяви|сказа|отмети|подчеркну|сообщи|написа|замети|поясни|добави|ответи|уточни|призна"
    "|предупреди|напомни|рассказа|утвержда|объясни|выступи"
)
CUE_RU = re.compile(
    rf"\b(?:(?:{RU_VERBS})(?:л|ла|ли|ло|ет|ют|ют)|считает|считают|полагает|говорит|говорят"
    rf"|заявляет|заявляют)\b{CHANNEL}|\b[Пп]о (?:словам|мнению|данным)\b",
    re.UNICODE,
)
CUE = re.compile(f"{CUE_EN.pattern}|{CUE_RU.pattern}", re.UNICODE)

BELIEF = (
    # Verbs PolNeAR also counts as attribution when a that-clause follows (polls, beliefs).
    "found|finds|showed|shows|show|suggest|indicated|indicates|revealed|reveals|hope|hopes|hoped"
    "|expect|expects|expected|fear|fears|feared|worry|worries|worried|agreed|agree|agrees"
    "|conceded|concedes|asserted|asserts|alleged|alleges|maintained|maintains|estimated"
    "|realized|realize|knew|know|knows|feel|feels|felt|recognized|recognizes|doubt|doubts|doubted"
)
THAT_CLAUSE = re.compile(
    rf"\b(?:{SPEECH}|{BELIEF}|(?:{RU_VERBS})(?:л|ла|ли|ет|ют)|считает|считают|полагает|говорит)\b"
    r"(?:\s+(?:reporters|journalists|the\s+\w+|him|her|them|us|me|[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?))?"
    r"(?:\s+(?:on|in|at|during|last|this|earlier|on\s+\w+)\s+[^,.;:“”\"«»]{0,40}?)?,?\s+(?:that|что)\s+",
    re.UNICODE,
)
SAY_CLAUSE = re.compile(
    r"\b(?:says|said|say|told\s+(?:reporters|journalists|the\s+\w+|\w+)|believes|believe|thinks"
    r"|think|argued|argues|added|warned|insisted|claimed|wrote|writes|predicted|admitted"
    r"|acknowledged|announced|explained|noted|stressed|argue|insist|warn)\s+"
    # What follows must start a clause, not a time, a place or an inverted speaker ("said Mr. X").
    r"(?!(?:in|on|at|to|for|of|by|with|about|from|during|after|before|last|this|yesterday"
    r"|today|tonight|earlier|later|recently|publicly|privately|repeatedly|so|and|or|but|no|yes"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mr|Mrs|Ms|Dr|Gov|Sen|Rep)\b)"
    r"(?=[^\W\d_])",
)
POSTPOSED = re.compile(
    r",\s+((?:[\w’'.-]+\s+){0,5}?)(said|says|added|told\s+\w+|wrote|explained|noted|argued"
    r"|show|shows|showed|found|reported|estimated)"
    r"(\s+[\w’'.-]+(?:\s+[\w’'.-]+){0,3})?"
    # An apposition may follow an inverted speaker: "…, said Anezina Solomonidou, a … fellow."
    r"(?:,\s+(?:a|an|the)\s+[^,;:“”\"]{0,80})?\.?\s*$"
)
NOT_REPORTED = re.compile(
    r"\b(?:to|will|would|should|could|can|might|must|may|do|does|did|be|been|being|is|are"
    r"|was|were|you|Do|Does|Did|not|n’t|n't)\s+(?:\w+\s+)?$|\b(?:that|which)\s+$"
)
SOURCE_START = re.compile(
    r"[A-ZА-ЯЁ\d]|(?:the|a|an|one|two|three|some|several|many|most|his|her|their|its|our|recent"
    r"|new|official|local|federal|state|data|figures|reports?|sources?|officials|experts"
    r"|analysts|polls?|surveys?|estimates?|documents?)\b"
)
# Labels in capitals that name no speaker: a letter's salutation ("DEAR ABBY:"), a fact
# check's or an update's section ("THE CLAIM:", "THE FACTS:").
NOT_A_SPEAKER = re.compile(
    r"(?:DEAR\b.*|(?:THE )?(?:CLAIM|FACTS?|VERDICT|RATING|SUMMARY|BACKGROUND|UPDATE|CORRECTION"
    r"|EDITOR'?S NOTE|NOTE|CONTEXT|BOTTOM LINE|WHAT'?S NEXT|WHY IT MATTERS))$"
)
# What follows a dateline's place: an agency in brackets, then a dash ("CHICAGO (AP) — …").
DATELINE = re.compile(r"\s*(?:\([^()\n]{2,30}\)\s*)?[—–]\s")
COLON_LABEL = re.compile(r"\s*([A-ZА-ЯЁ][\w.’'-]*(?:\s+[A-ZА-ЯЁ][\w.’'-]*){0,3})\s*:\s+(?=\S)")
ASIDE = re.compile(
    r",\s+((?:[\w’'.-]+\s+){1,6}?)(said|says|added|argued|explained|noted|wrote|insisted)"
    r"(?:\s+[\w’'.-]+){0,3},\s+(?=\S)"
)
PARTICIPLE = re.compile(
    r",\s+(saying|adding|noting|arguing|insisting|warning|claiming|explaining|writing|citing"
    r"|telling\s+(?:[\w’'.-]+\s+){1,3}?)(?:that\s+)?(?=\S)"
)
ACCORDING = re.compile(
    r"(?<!\w)(?:[Aa]ccording to|[Пп]о словам|[Пп]о мнению"
    # "Как сказал Песков, …": as Peskov said — the speaker follows the verb
    r"|[Кк]ак (?:сказал|заявил|отметил|сообщил|подчеркнул|пояснил|рассказал|написал|уточнил)а?)"
    r"\s+([^,.;:]{2,80})"
)
SOURCE_FIRST = ("according", "по ", "как ")
"""How an ACCORDING cue starts: the source follows it ("according to X", "как сказал X")."""

PRONOUNS = {
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
PRONOUN = re.compile(
    r"\b(?:he|she|they|it|we|He|She|They|It|We|I|он|она|они|мы|я|Он|Она|Они|Мы|Я)\b"
)
DESCRIPTION = re.compile(
    r"\b(?:the|The|one|One|a|A|an|An|another|Another)\s+(?:[\w’'-]+\s+){0,5}?"
    r"(?:spokes(?:man|woman|person)|politician|expert|scientist|researcher|analyst|official"
    r"|minister|secretary|president|leader|head|diplomat|ambassador|protester|speaker|activist"
    r"|lawyer|professor|journalist|author|source|spokesperson|representative|chairman|senator"
    r"|governor|candidate|aide|adviser|advisor|director|manager|officer|economist|correspondent"
    r"|chief|commander|mayor|judge|prosecutor|lawmaker|attorney|executive)s?\b"
)
ADVERBS = (
    r"(?:\s*,?\s+(?:also|then|later|further|again|once|had|has|have|would|will|was|were|is"
    r"|recently|immediately|publicly|reportedly|earlier|back|however|too|in turn|instead|still"
    r"|repeatedly|previously|quickly|finally|now),?)*"
)
FEMALE_NOUN = re.compile(r"woman\b")
ABBREVIATION = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gov|Sen|Rep|St|Jr|Sr|Gen|Col|Lt|Prof|[A-Z])\.")
DASH_ANSWER = re.compile(r"\s*[–—-]\s+")
QUESTION_LABEL = re.compile(r"\s*[“\"«]?[\w .]{1,25}[”\"»]?\s*:\s*[–—-]\s+")
TITLE_BEFORE = re.compile(
    r"(?:titled|entitled|headlined|article|paper|report|book|headline),?\s*$"
    r"|\b(?:on|in|at|from)\s*$"  # a show or paper's name: "said on “Meet the Press.”"
)
