"""BERT's uncased WordPiece tokenizer in plain Python, read from a model's `vocab.txt`.

The accurate profile's fine-tuned MiniLM reads sentence pairs as WordPiece ids. The `tokenizers`
package would do the same in Rust, but it brings the Hugging Face hub client with it; this
module reproduces `BertTokenizer(do_lower_case=True)` (basic tokenization, lower-casing, accent
stripping, punctuation split, greedy longest-match word pieces) and is checked against it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_WORD_CHARS = 100  # BERT's cut: a longer "word" becomes [UNK]


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _clean(text: str) -> str:
    out = []
    for char in text:
        cp = ord(char)
        if cp in (0, 0xFFFD):
            continue
        if char in "\t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _is_cjk(cp):
            out.append(f" {char} ")
        else:
            out.append(char)
    return "".join(out)


def basic_tokens(text: str) -> list[str]:
    """Lower-cased, accent-stripped words and punctuation marks, as BERT's BasicTokenizer."""
    words = []
    for word in _clean(text).split():
        word = unicodedata.normalize("NFD", word.lower())
        word = "".join(c for c in word if unicodedata.category(c) != "Mn")
        current: list[str] = []
        for char in word:
            if _is_punctuation(char):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(char)
            else:
                current.append(char)
        if current:
            words.append("".join(current))
    return words


_ASCII_PUNCTUATION = frozenset(chr(cp) for cp in range(33, 127) if _is_punctuation(chr(cp)))


def _basic_tokens_with_origins(text: str) -> list[tuple[str, list[int]]]:
    """`basic_tokens(text)` with, for every character of every token, the index in `text` of
    the character it came from (character by character, so lower-casing or accent stripping
    that changes a length keeps each character's origin)."""
    words: list[tuple[str, list[int]]] = []
    chars: list[str] = []
    origins: list[int] = []

    def close() -> None:
        if chars:
            words.append(("".join(chars), list(origins)))
            chars.clear()
            origins.clear()

    for index, char in enumerate(text):
        # Printable ASCII, most of an English text, cleans, lower-cases and normalises to
        # itself lower-cased: the general path below gives the same tokens, 2-3x slower.
        if "!" <= char <= "~":
            if char in _ASCII_PUNCTUATION:
                close()
                words.append((char, [index]))
            else:
                chars.append(char.lower())
                origins.append(index)
            continue
        if char == " ":
            close()
            continue
        cleaned = _clean(char)
        if not cleaned:
            continue
        if cleaned.isspace() or _is_cjk(ord(char)):
            close()
            if _is_cjk(ord(char)):
                words.append((char, [index]))
            continue
        normal = unicodedata.normalize("NFD", char.lower())
        for piece in normal:
            if unicodedata.category(piece) == "Mn":
                continue
            if _is_punctuation(piece):
                close()
                words.append((piece, [index]))
            else:
                chars.append(piece)
                origins.append(index)
    close()
    return words


@dataclass(frozen=True)
class PairBatch:
    """Padded model inputs for a batch of (sentence, context) pairs, each (batch, length) int64."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray


class WordPiece:
    """Uncased WordPiece over a BERT vocabulary; encodes sentence pairs for a BERT encoder."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.tokens = list(vocab)
        self.ids = {token: i for i, token in enumerate(self.tokens)}
        self.unk, self.cls = self.ids["[UNK]"], self.ids["[CLS]"]
        self.sep, self.pad = self.ids["[SEP]"], self.ids["[PAD]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        """Read a `vocab.txt` (one token a line, the line number is the id)."""
        return cls(path.read_text(encoding="utf-8").splitlines())

    def _word(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return (self.unk,)
        pieces, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                return (self.unk,)
            pieces.append(found)
            start = end
        return tuple(pieces)

    def tokenize(self, text: str) -> list[int]:
        """Word-piece ids of `text` (no special tokens)."""
        out: list[int] = []
        for word in basic_tokens(text):
            ids = self._cache.get(word)
            if ids is None:
                ids = self._word(word)
                if len(self._cache) < 200_000:  # bounded: a corpus's vocabulary, not its text
                    self._cache[word] = ids
            out.extend(ids)
        return out

    def tokenize_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Word-piece ids of `text`, as `tokenize` gives them, with each piece's half-open
        character offsets into `text` (a piece of an accented or expanded character covers
        that character; an [UNK] word covers the whole word)."""
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        for word, origins in _basic_tokens_with_origins(text):
            pieces = self._cache.get(word) or self._word(word)
            if pieces == (self.unk,):
                ids.append(self.unk)
                offsets.append((origins[0], origins[-1] + 1))
                continue
            start = 0
            for piece in pieces:
                token = self.tokens[piece]
                length = len(token) - 2 if token.startswith("##") else len(token)
                ids.append(piece)
                offsets.append((origins[start], origins[start + length - 1] + 1))
                start += length
        return ids, offsets

    def pair_ids(self, text: str, context: str, max_tokens: int) -> tuple[list[int], list[int]]:
        """`[CLS] text [SEP] context [SEP]` ids and their segment ids, cut to `max_tokens`:
        the context gives way first (keeping its end, nearest the sentence), then the text."""
        a = self.tokenize(text)
        room = max_tokens - 3 - min(len(a), max_tokens - 2)
        b = self.tokenize(context) if context and room > 0 else None
        return self.join_pair(a, b, max_tokens)

    def join_pair(
        self, text_ids: Sequence[int], context_ids: Sequence[int] | None, max_tokens: int
    ) -> tuple[list[int], list[int]]:
        """`pair_ids` from the word-piece ids of the text and of its context (None: no
        context), for a caller that has them already (each sentence of a document is the next
        one's context: tokenized once)."""
        a = list(text_ids[: max_tokens - 2])
        room = max_tokens - 3 - len(a)
        b = list(context_ids) if context_ids is not None and room > 0 else []
        b = b[len(b) - room :] if len(b) > room else b
        ids = [self.cls, *a, self.sep]
        types = [0] * len(ids)
        if context_ids is not None and room > 0:
            ids += [*b, self.sep]
            types += [1] * (len(b) + 1)
        return ids, types

    def batch(self, pairs: Sequence[tuple[str, str]], max_tokens: int) -> PairBatch:
        """Pad encoded pairs to the longest in the batch."""
        encoded = [self.pair_ids(text, context, max_tokens) for text, context in pairs]
        return pad(encoded, self.pad)


def pad(encoded: Sequence[tuple[list[int], list[int]]], pad_id: int = 0) -> PairBatch:
    """Stack (ids, segment ids) rows into a padded `PairBatch`."""
    length = max((len(ids) for ids, _ in encoded), default=0)
    input_ids = np.full((len(encoded), length), pad_id, dtype=np.int64)
    types = np.zeros((len(encoded), length), dtype=np.int64)
    mask = np.zeros((len(encoded), length), dtype=np.int64)
    for i, (ids, segment) in enumerate(encoded):
        input_ids[i, : len(ids)] = ids
        types[i, : len(ids)] = segment
        mask[i, : len(ids)] = 1
    return PairBatch(input_ids, mask, types)
