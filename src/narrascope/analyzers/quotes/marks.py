"""Quotation marks: pairing them into quotations, in every style, nested or left open.

Pairs “…”, ‘…’, «…», „…“ and "…" within a paragraph (a stack keeps nested quotes inside their
outer one); a quote left open at a paragraph's start runs on over later paragraphs. Read by
the quote analyzer (`analyzers/quotes/`) before it looks for cues and speakers.
"""

from __future__ import annotations

import re

from narrascope.model import Span

OPEN_CLOSE = {"“": "”", "‘": "’", "«": "»", "„": "“”", '"': '"'}
MARKS = frozenset('“”‘’«»„"')


def word_count(text: str) -> int:
    """Words, counting each Chinese or Japanese character as one (they use no spaces)."""
    return len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]|[^\W\u3040-\u30ff\u3400-\u9fff]+", text))


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
            if mark not in MARKS:
                continue
            if pending is not None:
                open_at, family, _ = pending
                if mark in OPEN_CLOSE[family] and _can_close(text, i, mark):
                    out.append(_span(text, open_at, i, i))
                    pending = None
                    continue
                if mark == family and _can_open(text, i, mark):
                    prev_end = paragraphs[p_index - 1][1]
                    out.append(_span(text, open_at, prev_end, prev_end))
                    pending = None
                else:
                    continue
            closes = [k for k, (_, fam) in enumerate(stack) if mark in OPEN_CLOSE[fam]]
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
    while start < end and (text[start].isspace() or text[start] in MARKS or text[start] == "\x00"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in MARKS):
        end -= 1
    return open_at, close_at, start, end


def _sentence_end(sentences: list[Span], at: int, limit: int) -> int:
    for s, e in sentences:
        if s <= at < e:
            return min(e, limit)
    return limit
