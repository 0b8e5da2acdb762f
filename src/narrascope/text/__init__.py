"""Segmentation and language: paragraphs, sentences (character offsets) and the document's language.

Sits between cleaning and encoding: `identify_language` then `segment` fill a clean `Document`.
"""

from narrascope.text.language import LanguageIdentifier
from narrascope.text.segment import segment, sentence_spans

__all__ = ["LanguageIdentifier", "segment", "sentence_spans"]
