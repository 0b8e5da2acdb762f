"""One person, not two, when the NER splits a name: "Theresa" and "May" for "Theresa May" (#17).

spaCy's English model reads "May" as a month and "Theresa" as a lone person, or tags only one
word of a full name, so an article would hold two people. Two repairs, both on the NER's
`(start, end, label)` spans before mentions are grouped (`analyzers/entities.py`):

- two one-word people the article writes side by side ("Theresa May") become one full-name
  mention wherever the pair occurs, tagged or not;
- a one-word person that is a common first name, followed by a capitalised word no other
  mention covers, takes that word in as its surname.

The lone mentions elsewhere ("May said", "Theresa") then join the full name by surname or
first name, as the grouping does for any person.
"""

from __future__ import annotations

import re

from narrascope.text.names import could_be_name, is_first_name

Span = tuple[int, int, str]
_ONE_WORD = re.compile(r"[^\W\d_][\w’'-]*", re.UNICODE)
_NEXT_WORD = re.compile(r"[ \u00a0]([A-ZА-ЯЁ][\w’'-]*[^\W\d_])(?![\w-])")


def join_split_names(spans: list[Span], text: str) -> list[Span]:
    """The spans with split person names joined into one PER span each, sorted."""
    singles = {
        text[start:end]
        for start, end, label in spans
        if label == "PER" and _ONE_WORD.fullmatch(text[start:end])
    }
    joined: list[tuple[int, int]] = []
    if len(singles) >= 2:
        names = "|".join(sorted(map(re.escape, singles), key=len, reverse=True))
        pair = re.compile(rf"(?<![\w-])({names})[ \u00a0]({names})(?![\w-])")
        joined += [(m.start(), m.end()) for m in pair.finditer(text) if m.group(1) != m.group(2)]
    for start, end, label in spans:
        if label != "PER" or text[start:end] not in singles or not is_first_name(text[start:end]):
            continue
        after = _NEXT_WORD.match(text, end)
        if after is None or not could_be_name(after.group(1)):
            continue
        surname = (end + 1, after.end())
        if not any(s < surname[1] and surname[0] < e for s, e, _ in spans):
            joined.append((start, after.end()))
    if not joined:
        return spans
    kept = [
        (start, end, label)
        for start, end, label in spans
        if not any(s < end and start < e for s, e in joined)
    ]
    return sorted({*kept, *((s, e, "PER") for s, e in joined)})
