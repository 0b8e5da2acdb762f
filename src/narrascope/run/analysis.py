"""The per-document work an executor runs, with no store in reach: prepare, then encode and analyze.

A run hands each document through two phases here, with the run loop's dedup between them:

1. `prepare`: clean, identify the language, segment, fingerprint (the one place the run makes
   fingerprints, in the store's `DedupSettings`);
2. `finish`: encode the sentences, reusing the vectors the loop found stored for sentences a
   near copy shares verbatim with its original(s), and run every analyzer.

Both run in the driver process (local executor) or on a Dask worker (`narrascope.run.dask`),
which is why everything here is store-free and every failure becomes a `Failed` record: one
format of the failure line, whichever executor ran the document.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from narrascope.analyzers import Analyzer, select
from narrascope.analyzers import load_analyzers as load_classes
from narrascope.dedup import Fingerprinter
from narrascope.encode import Encoder, default_encoder
from narrascope.model import (
    Annotation,
    BadInput,
    DedupSettings,
    Document,
    Fingerprint,
    Layer,
    RawDocument,
)
from narrascope.text import LanguageIdentifier, segment


class StageTimes(Counter[str]):
    """Seconds spent per stage, summed over documents (and over workers)."""

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the time spent inside the block to `self[stage]`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self[stage] += time.perf_counter() - started  # type: ignore[assignment]  # seconds


@dataclass(frozen=True, slots=True)
class Failed:
    """An input that was not stored: which one and why (one line in the run's problems)."""

    source: str
    reason: str


def failed(source: object, exc: Exception) -> Failed:
    """The one failure record: a bad input's own reason, else "internal error: Type: message"."""
    if isinstance(exc, BadInput):
        return Failed(exc.source, exc.reason)
    return Failed(str(source), f"internal error: {type(exc).__name__}: {exc}")


@dataclass(slots=True)
class Prepared:
    """A document after phase 1: clean, segmented, fingerprinted."""

    doc: Document
    fingerprint: Fingerprint


@dataclass(slots=True)
class ToAnalyze:
    """A new document for phase 2, with the stored vectors of sentences it shares verbatim."""

    doc: Document
    reuse: dict[str, np.ndarray] = field(default_factory=dict)  # sentence text -> vector


@dataclass(slots=True)
class Analyzed:
    """One document as the analysis left it: ready to be stored."""

    doc: Document
    anns: list[Annotation]
    vectors: np.ndarray
    analyzers: list[str]  # versions of the analyzers that ran
    encoder: str | None  # the name of the encoder that made `vectors`, when there are any
    encoded: int = 0  # sentences that went through the encoder
    reused: int = 0  # sentences whose stored vector was reused


def load_analyzers(
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    *,
    encoder: Encoder | None = None,
) -> list[Analyzer]:
    """The chosen analyzers, loaded to read `encoder`'s vectors (default: the default encoder):
    the one place a run loads them. Fails before any input on a bad order, a missing model or a
    head trained on another encoder."""
    return load_classes(select(only, skip), encoder or default_encoder())


def load_analysis(
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    *,
    threads: int | None = None,
    analyze_all: bool = False,
) -> DocumentAnalysis:
    """The analyzers and the encoder one process needs; `threads` caps the encoder's.

    `analyze_all` runs the analyzers on pages that are not articles too (listings, legal pages…).
    """
    from narrascope.encode import UniversalSentenceEncoder

    encoder = default_encoder()
    if threads is not None and isinstance(encoder, UniversalSentenceEncoder):
        encoder = cast(
            Encoder, UniversalSentenceEncoder(threads=threads)
        )  # a worker per core: one thread each
    analyzers = load_analyzers(only, skip, encoder=encoder)
    return DocumentAnalysis(analyzers, encoder=encoder, analyze_all=analyze_all)


class DocumentAnalysis:
    """Everything done to one document that needs no store: clean, segment, encode, analyze.

    Holds the loaded models, so a process builds it once and reuses it for every document.
    A page that is not an article is stored but not analyzed, unless `analyze_all` (#15).
    """

    def __init__(
        self,
        analyzers: Sequence[Analyzer],
        *,
        encoder: Encoder | None = None,
        language_id: LanguageIdentifier | None = None,
        analyze_all: bool = False,
    ) -> None:
        self.analyzers = list(analyzers)
        self.analyze_all = analyze_all
        self.encoder = encoder or default_encoder()
        self.language_id = language_id or LanguageIdentifier()
        self._fingerprinter: Fingerprinter | None = None

    def fingerprinter(self, settings: DedupSettings) -> Fingerprinter:
        """A fingerprinter in the store's settings, made once (it holds the permutations)."""
        if self._fingerprinter is None or self._fingerprinter.settings != settings:
            self._fingerprinter = Fingerprinter(settings)
        return self._fingerprinter

    # -- phase 1 ------------------------------------------------------------------------------
    def clean(self, raw: RawDocument, times: StageTimes) -> Document:
        """Clean one raw input, identify its language and segment it."""
        from narrascope.clean import clean

        with times.timing("clean"):
            doc = clean(raw)
        with times.timing("segment"):
            doc.language = doc.language or self.language_id.identify(doc.text)
            return segment(doc)

    def prepare(self, raw: RawDocument, settings: DedupSettings, times: StageTimes) -> Prepared:
        """Phase 1: clean and segment one raw input, and fingerprint it in the store's settings."""
        doc = self.clean(raw, times)
        with times.timing("fingerprint"):
            return Prepared(doc, self.fingerprinter(settings).fingerprint(doc))

    # -- phase 2 ------------------------------------------------------------------------------
    def finish(self, item: ToAnalyze, times: StageTimes) -> Analyzed:
        """Phase 2: encode what is not reused, then run every analyzer over the vectors."""
        with times.timing("encode"):
            vectors, encoded = self.encode(item.doc, item.reuse)
        anns, ran = self.annotate(item.doc, vectors, times)
        encoder = self.encoder.name if len(vectors) else None
        reused = len(vectors) - encoded
        return Analyzed(item.doc, anns, vectors, ran, encoder, encoded, reused)

    def encode(
        self, doc: Document, reuse: dict[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, int]:
        """One vector per sentence (or none when no analyzer reads this language), and how many
        sentences the encoder saw: a sentence found in `reuse` keeps its stored vector.

        Vectors are handed to analyzers as they will be stored (float16): a reused vector and
        a fresh one are then the same input, whichever run or executor produced them, and a
        later `reanalyze` (which reads stored vectors) sees what this analysis saw.
        """
        readers = [a for a in self.analyzers if self._why_not(a, doc) is None]
        if not readers or doc.language not in self.encoder.languages:
            return np.zeros((0, self.encoder.dim), dtype=np.float32), 0
        texts = doc.sentence_texts()
        reuse = reuse or {}
        fresh = [i for i, text in enumerate(texts) if text not in reuse]
        if len(fresh) == len(texts):  # nothing reused: no second copy of the vectors (#18)
            vectors = np.require(self.encoder.encode(texts), np.float32, ["W"])
        else:
            vectors = np.empty((len(texts), self.encoder.dim), dtype=np.float32)
            if fresh:
                vectors[fresh] = self.encoder.encode([texts[i] for i in fresh])
        for i, text in enumerate(texts):
            if text in reuse:
                vectors[i] = reuse[text]
        vectors[:] = vectors.astype(np.float16)  # in place, for the same reason (issue 18)
        return vectors, len(fresh)

    def _why_not(self, analyzer: Analyzer, doc: Document) -> str | None:
        """Why `analyzer` must not read `doc` (a page that is not an article, a language it
        does not read), or None."""
        if not (doc.is_article or self.analyze_all):
            return f"not an article: {doc.page_reason or doc.page_type}"
        if analyzer.languages is not None and doc.language not in analyzer.languages:
            return _language_reason(doc)
        return None

    def annotate(
        self, doc: Document, vectors: np.ndarray, times: StageTimes | None = None
    ) -> tuple[list[Annotation], list[str]]:
        """Run every analyzer in order; returns the annotations and the analyzer versions that ran.

        An analyzer that cannot read the document's language, or a page that is not an article,
        leaves a `not-analyzed` note with the reason on the document instead of a guess.
        """
        anns: list[Annotation] = []
        ran: list[str] = []
        for analyzer in self.analyzers:
            reason = self._why_not(analyzer, doc)
            unencoded = analyzer.languages is not None and len(vectors) != len(doc.sentences)
            if reason is None and unencoded:  # the encoder does not read this language
                reason = _language_reason(doc)
            if reason is not None:
                if doc.sentences:
                    anns.append(self._not_analyzed(doc, analyzer, reason))
                continue
            with (times or StageTimes()).timing(f"analyzer {analyzer.name}"):
                anns.extend(analyzer.analyze(doc, vectors, prior=tuple(anns)))
            ran.append(analyzer.version)
        return anns, ran

    @staticmethod
    def _not_analyzed(doc: Document, analyzer: Analyzer, reason: str) -> Annotation:
        return Annotation(
            doc_id=doc.id,
            layer=Layer.STATS,
            label="not-analyzed",
            model="pipeline",
            evidence=[doc.sentences[0]],
            attrs={"analyzer": analyzer.name, "reason": reason},
        )


def _language_reason(doc: Document) -> str:
    return f"language {doc.language or 'unknown'!r} is not one it reads"
