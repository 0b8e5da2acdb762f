"""The per-document work an executor runs, with no store in reach: prepare, then encode and analyze.

A run hands each document through two phases here, with the run loop's dedup between them:

1. `prepare`: clean, identify the language, segment, fingerprint (the one place the run makes
   fingerprints, in the store's `DedupSettings`);
2. `finish`: encode the sentences, reusing the vectors the loop found stored for sentences a
   near copy shares verbatim with its original(s), and run every analyzer.

`MinConfidence` is the run-wide operating point (`analyze --min-confidence`): the one place a
label scored below the user's bar is dropped, before a later analyzer or the store sees it.

Both run in the driver process (local executor) or on a Dask worker (`narrascope.run.dask`),
which is why everything here is store-free and every failure becomes a `Failed` record: one
format of the failure line, whichever executor ran the document.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from narrascope.analyzers import Analyzer, language_reason, not_analyzed, select
from narrascope.analyzers import load_analyzers as load_classes
from narrascope.dedup import Fingerprinter
from narrascope.encode import Encoder, default_encoder, one_blas_thread
from narrascope.heads import row_blocks
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

# Layers that record how a document was processed, not a label about it: never filtered.
BOOKKEEPING: frozenset[Layer] = frozenset({Layer.STATS})

ConfidenceSpec = float | str | Sequence[str] | Mapping[str, float] | None


@dataclass(frozen=True, slots=True)
class MinConfidence:
    """The run-wide operating point: the score every stored label must reach (#15).

    It only raises the bar above each head's own operating point: `default` for every layer,
    `layers` for the named ones. A label scored below its bar is not stored; bookkeeping
    layers (`BOOKKEEPING`) are exempt.
    """

    default: float = 0.0
    layers: Mapping[Layer, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: ConfidenceSpec | MinConfidence) -> MinConfidence:
        """From `0.6`, `"0.6"`, `"technique=0.7"`, a list of those, or `{"technique": 0.7}`."""
        if isinstance(spec, MinConfidence):
            return spec
        if spec is None:
            return cls()
        if isinstance(spec, int | float):
            return cls(_probability(spec, "min-confidence"))
        items: list[tuple[str | None, object]]
        if isinstance(spec, Mapping):
            items = list(spec.items())
        else:
            parts = [spec] if isinstance(spec, str) else list(spec)
            items = [
                (key.strip(), value) if sep else (None, key)
                for key, sep, value in (str(p).partition("=") for p in parts)
            ]
        default, layers = 0.0, {}
        for key, value in items:
            if key is None:
                default = _probability(value, "min-confidence")
                continue
            try:
                layer = Layer(key)
            except ValueError:
                raise ValueError(
                    f"min-confidence: no layer {key!r}; choose from "
                    + ", ".join(x.value for x in Layer if x not in BOOKKEEPING)
                ) from None
            if layer in BOOKKEEPING:
                raise ValueError(f"min-confidence: {key!r} is bookkeeping, it has no scores")
            layers[layer] = _probability(value, f"min-confidence {key}")
        return cls(default, layers)

    def bar(self, layer: Layer) -> float:
        """The score a label of `layer` must reach to be stored."""
        return 0.0 if layer in BOOKKEEPING else self.layers.get(layer, self.default)

    def keep(self, anns: Sequence[Annotation]) -> list[Annotation]:
        """The annotations that reach their layer's bar."""
        if not self:
            return list(anns)
        return [a for a in anns if a.score >= self.bar(a.layer)]

    def setting(self) -> dict[str, float]:
        """As the run's settings record it: `{"*": default, layer: bar, ...}`."""
        return {"*": self.default, **{layer.value: v for layer, v in self.layers.items()}}

    def __bool__(self) -> bool:
        return self.default > 0 or any(v > 0 for v in self.layers.values())


def _probability(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{what}: {number} is not a probability between 0 and 1")
    return number


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
    analyzers: list[str]  # versions of the analyzers that ran (or judged it not an article)
    encoder: str | None  # the name of the encoder that made `vectors`, when there are any
    encoded: int = 0  # sentences that went through the encoder
    reused: int = 0  # sentences whose stored vector was reused
    made_by: list[str] = field(default_factory=list)  # the analyzer version of each of `anns`


def load_analyzers(
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    *,
    encoder: Encoder | None = None,
    models: Path | None = None,
    profile: str = "fast",
) -> list[Analyzer]:
    """The chosen analyzers of `profile`, loaded to read `encoder`'s vectors (default: the
    default encoder), with their heads from the model folder `models` when given: the one place
    a run loads them. Fails before any input on a bad order, a missing model or a head trained
    on another encoder."""
    return load_classes(
        select(only, skip, profile=profile), encoder or default_encoder(), models=models
    )


def load_analysis(
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    *,
    threads: int | None = None,
    analyze_all: bool = False,
    min_confidence: ConfidenceSpec | MinConfidence = None,
    models: Path | None = None,
    profile: str = "fast",
) -> DocumentAnalysis:
    """The analyzers and the encoder one process needs; `threads` caps the encoder's;
    `models` is a model folder to read the heads from (a per-corpus model).

    `analyze_all` runs the analyzers on pages that are not articles too (listings, legal pages…);
    `min_confidence` is the run-wide operating point (`MinConfidence.parse`).
    """
    from narrascope.encode import UniversalSentenceEncoder

    encoder = default_encoder()
    if threads is not None and isinstance(encoder, UniversalSentenceEncoder):
        encoder = cast(
            Encoder, UniversalSentenceEncoder(threads=threads)
        )  # a worker per core: one thread each
    analyzers = load_analyzers(only, skip, encoder=encoder, models=models, profile=profile)
    return DocumentAnalysis(
        analyzers, encoder=encoder, analyze_all=analyze_all, min_confidence=min_confidence
    )


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
        min_confidence: ConfidenceSpec | MinConfidence = None,
    ) -> None:
        self.analyzers = list(analyzers)
        self.analyze_all = analyze_all
        self.min_confidence = MinConfidence.parse(min_confidence)
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
            doc.language = self.language_id.resolve(doc.text, doc.language)
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
        with one_blas_thread():  # small products: a second BLAS thread only spins (#15)
            anns, ran, made_by = self.annotate(item.doc, vectors, times)
        encoder = self.encoder.name if len(vectors) else None
        reused = len(vectors) - encoded
        return Analyzed(item.doc, anns, vectors, ran, encoder, encoded, reused, made_by)

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
        for block in row_blocks(len(vectors)):  # in place, for the same reason (issue 18)
            vectors[block] = vectors[block].astype(np.float16)
        return vectors, len(fresh)

    def _why_not(self, analyzer: Analyzer, doc: Document) -> str | None:
        """Why `analyzer` must not read `doc` (a page that is not an article, a language it
        does not read), or None."""
        if not (doc.is_article or self.analyze_all):
            return f"not an article: {doc.page_reason or doc.page_type}"
        if analyzer.languages is not None and doc.language not in analyzer.languages:
            return language_reason(doc)
        return None

    def annotate(
        self, doc: Document, vectors: np.ndarray, times: StageTimes | None = None
    ) -> tuple[list[Annotation], list[str], list[str]]:
        """Run every analyzer in order; returns the annotations, the analyzer versions that ran
        (on a page that is not an article: that looked and skipped it), and the version of the
        analyzer each annotation is from (its output, notes included,
        whatever model a label names: what a re-run of that analyzer replaces).

        An analyzer that cannot read the document's language, or a page that is not an article,
        leaves a `not-analyzed` note with the reason on the document instead of a guess. Labels
        below the run's `min_confidence` are dropped as each analyzer returns them, so a later
        analyzer sees what the store will hold (as in `reanalyze`, which reads its inputs from
        the store).
        """
        anns: list[Annotation] = []
        ran: list[str] = []
        made_by: list[str] = []
        for analyzer in self.analyzers:
            reason = self._why_not(analyzer, doc)
            unencoded = analyzer.languages is not None and len(vectors) != len(doc.sentences)
            if reason is None and unencoded:  # the encoder does not read this language
                reason = language_reason(doc)
            if reason is not None:
                if doc.sentences:
                    anns.append(self._not_analyzed(doc, analyzer, reason))
                    made_by.append(analyzer.version)
                # judged and skipped (a page that is not an article, a language it does not
                # read): recorded as a run of this version, so a re-analysis can tell the
                # document was considered, not missed (#15)
                ran.append(analyzer.version)
                continue
            with (times or StageTimes()).timing(f"analyzer {analyzer.name}"):
                found = self.min_confidence.keep(analyzer.analyze(doc, vectors, prior=tuple(anns)))
            anns.extend(found)
            made_by.extend([analyzer.version] * len(found))
            ran.append(analyzer.version)
        return anns, ran, made_by

    @staticmethod
    def _not_analyzed(doc: Document, analyzer: Analyzer, reason: str) -> Annotation:
        return not_analyzed(doc, analyzer.name, reason)
