"""Segmentation and language: paragraphs, sentences (character offsets) and the document's language.

Sits between cleaning and encoding: `identify_language` then `segment` fill a clean `Document`.
The package also holds the language helpers that cleaning and the analyzers share, each
imported by its own module path: `timewords` (month and weekday names, number words),
`timex/` (dates and times in prose) and `names` (names, their spelling and `entity_id`).
"""

from narrascope.text.language import LanguageIdentifier
from narrascope.text.segment import segment, sentence_spans

__all__ = ["LanguageIdentifier", "segment", "sentence_spans"]
