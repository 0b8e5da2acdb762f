"""Running text: which lines of a page read as prose, and how many words a line holds.

Page type (`clean/pagetype.py`) counts a page's prose to tell an article from a listing;
language identification (`text/language.py`) reads the prose first, not the buttons around it.
"""

from __future__ import annotations

import re

TERMINAL = (".", "!", "?", "…", '"', "”", "»", ")", "'", "’", ":", "。", "！", "？", "」", "』")
# Scripts written without spaces between words: about two characters make a word.
_DENSE = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SHORT_WORDS = 8


def count_words(text: str) -> int:
    """Words in a line; Chinese, Japanese and Thai characters count two to a word."""
    dense = len(_DENSE.findall(text))
    return (len(_DENSE.sub(" ", text).split()) if dense else len(text.split())) + dense // 2


def is_prose(line: str, words: int | None = None) -> bool:
    """A line of running text: 25 words or more, or 8 or more ending a sentence."""
    words = count_words(line) if words is None else words
    return words >= 25 or (words >= SHORT_WORDS and line.endswith(TERMINAL))
