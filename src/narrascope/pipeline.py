"""Wires the stages: ingest → clean → language → segment → dedup → encode → analyzers → store.

Streams one input unit at a time, so memory does not grow with the corpus. Stages raise
`BadInput`; only this module catches it, records one line naming the input and the reason, and
goes on. Every document is stored in one transaction, keyed by its text's hash, so a re-run
doubles nothing and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.analyzers import Analyzer, select
from narrascope.dedup import Deduplicator, Fingerprint, Fingerprinter
from narrascope.encode import Encoder, default_encoder
from narrascope.model import Annotation, BadInput, Document, Layer, RawDocument
from narrascope.store import Store
from narrascope.store.faults import database_fault
from narrascope.text import LanguageIdentifier, segment

ProgressCallback = Callable[[int], None]


class RunStopped(RuntimeError):
    """The run cannot go on (a batch that kills workers, a database refusing writes).

    Everything committed before it stays stored and consistent; the same command resumes.
    """


@dataclass
class RunReport:
    """What one `analyze` run did: counts by outcome and one line per skipped input."""

    run_id: int
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    stage_seconds: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the time spent inside the block to `stage_seconds[stage]`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds[stage] += time.perf_counter() - started

    def summary(self) -> str:
        """A few lines for the terminal: what was stored, copied, resumed and skipped, and why."""
        c = self.counts
        lines = [
            f"run {self.run_id}: {c['inputs']} inputs in {self.seconds:.1f} s — "
            f"{c['stored']} new documents, {c['exact copies']} exact copies, "
            f"{c['near copies']} near copies, {c['already stored']} already stored, "
            f"{len(self.problems)} skipped"
        ]
        reasons = Counter(reason.split(":")[0] for _, reason in self.problems)
        lines += [f"  skipped ({n}): {reason}" for reason, n in reasons.most_common()]
        return "\n".join(lines)

    def stage_table(self) -> str:
        """Seconds and share of the run's time per stage, largest first."""
        total = sum(self.stage_seconds.values()) or 1.0
        return "\n".join(
            f"  {stage:<28} {secs:8.2f} s  {100 * secs / total:5.1f}%"
            for stage, secs in self.stage_seconds.most_common()
        )


@dataclass
class Analyzed:
    """One document as the analysis left it: ready to be stored."""

    doc: Document
    anns: list[Annotation]
    vectors: np.ndarray
    analyzers: list[str]  # versions of the analyzers that ran
    fingerprint: Fingerprint | None = None  # made by a cluster worker, in the store's settings


class DocumentAnalysis:
    """Everything done to one document that needs no store: clean, segment, encode, analyze.

    Holds the loaded models, so a worker builds it once and reuses it for every document.
    """

    def __init__(
        self,
        analyzers: Sequence[Analyzer],
        *,
        encoder: Encoder | None = None,
        language_id: LanguageIdentifier | None = None,
        fingerprinter: Fingerprinter | None = None,
    ) -> None:
        self.analyzers = list(analyzers)
        self.encoder = encoder or default_encoder()
        self.language_id = language_id or LanguageIdentifier()
        # On a cluster worker: fingerprints are made here, beside the rest of the per-document
        # work, instead of in the one driver that stores every batch (its time caps the run).
        self.fingerprinter = fingerprinter

    def prepare(self, raw: RawDocument, report: RunReport) -> Document:
        """Clean one raw input, identify its language and segment it."""
        from narrascope.clean import clean

        with report.timing("clean"):
            doc = clean(raw)
        with report.timing("segment"):
            doc.language = doc.language or self.language_id.identify(doc.text)
            return segment(doc)

    def analyze(self, doc: Document, report: RunReport) -> Analyzed:
        """Encode the sentences once and run every analyzer over them."""
        with report.timing("encode"):
            vectors = self.encode(doc)
        anns, ran = self.annotate(doc, vectors, report)
        fingerprint = None
        if self.fingerprinter is not None:
            with report.timing("fingerprint"):
                fingerprint = self.fingerprinter.fingerprint(doc)
        return Analyzed(doc, anns, vectors, ran, fingerprint)

    def encode(self, doc: Document) -> np.ndarray:
        """One vector per sentence, or an empty array when no analyzer reads this language."""
        readers = [a for a in self.analyzers if self._reads(a, doc)]
        if not readers or doc.language not in self.encoder.languages:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return self.encoder.encode(doc.sentence_texts())

    @staticmethod
    def _reads(analyzer: Analyzer, doc: Document) -> bool:
        return analyzer.languages is None or doc.language in analyzer.languages

    def annotate(
        self, doc: Document, vectors: np.ndarray, report: RunReport | None = None
    ) -> tuple[list[Annotation], list[str]]:
        """Run every analyzer in order; returns the annotations and the analyzer versions that ran.

        An analyzer that cannot read the document's language leaves a `not-analyzed` note on the
        document instead of guessing.
        """
        anns: list[Annotation] = []
        ran: list[str] = []
        for analyzer in self.analyzers:
            if not self._reads(analyzer, doc) or (
                analyzer.languages is not None and len(vectors) != len(doc.sentences)
            ):
                if doc.sentences:
                    anns.append(self._not_analyzed(doc, analyzer))
                continue
            started = time.perf_counter()
            anns.extend(analyzer.analyze(doc, vectors, prior=tuple(anns)))
            ran.append(analyzer.version)
            if report is not None:
                report.stage_seconds[f"analyzer {analyzer.name}"] += time.perf_counter() - started
        return anns, ran

    @staticmethod
    def _not_analyzed(doc: Document, analyzer: Analyzer) -> Annotation:
        return Annotation(
            doc_id=doc.id,
            layer=Layer.STATS,
            label="not-analyzed",
            model="pipeline",
            evidence=[doc.sentences[0]],
            attrs={
                "analyzer": analyzer.name,
                "reason": f"language {doc.language or 'unknown'!r} is not one it reads",
            },
        )


class Pipeline:
    """The analysis of a stream of inputs into a store: resume, exact copies, dedup, storing."""

    def __init__(
        self, store: Store, analysis: DocumentAnalysis, *, dedup_threshold: float = 0.8
    ) -> None:
        self.store = store
        self.analysis = analysis
        self.deduplicator = Deduplicator(store, threshold=dedup_threshold)

    def process(self, raw: RawDocument, report: RunReport) -> None:
        """Carry one raw input through every stage into the store."""
        with report.timing("store"):
            if self.store.has_source(raw.source):
                report.counts["already stored"] += 1
                return
        doc = self.analysis.prepare(raw, report)
        if self.add_copy(raw, doc, report):
            return
        self.commit(self.analysis.analyze(doc, report), report)

    def add_copy(self, raw: RawDocument, doc: Document, report: RunReport) -> bool:
        """Record `raw` as another publication when its exact text is stored already."""
        with report.timing("store"):
            if not self.store.has_document(doc.id):
                return False
            self.store.add_source(
                doc.id, raw.source, url=doc.url, outlet=doc.outlet, published=doc.published
            )
        report.counts["exact copies"] += 1
        return True

    def commit(self, result: Analyzed, report: RunReport) -> None:
        """Find the stored copies of a new document and store it with its analysis, atomically."""
        with report.timing("dedup"):
            copies = self.deduplicator.find(result.doc, result.fingerprint)
        with report.timing("store"):
            stored = self.store.add(
                result.doc,
                result.anns,
                vectors=result.vectors if len(result.vectors) else None,
                encoder=self.analysis.encoder.name if len(result.vectors) else None,
                analyzers=result.analyzers,
                copies=copies,
                # The one find() just made: fingerprinting twice cost 15% of a lean run (#8).
                fingerprint=self.deduplicator.fingerprint(result.doc),
            )
        report.counts["stored" if stored else "exact copies"] += 1
        report.counts["near copies"] += any(c.kind == "near" for c in copies)

    def _record(self, report: RunReport, source: str, reason: str) -> None:
        report.problems.append((source, reason))
        self.store.record_problem(report.run_id, source, reason)

    def run(
        self,
        inputs: Iterable[RawDocument | BadInput],
        *,
        run_id: int,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        """Process every input, recording bad ones and going on."""
        report = RunReport(run_id)
        started = time.perf_counter()
        stream = iter(inputs)
        while True:
            with report.timing("ingest"):
                item = next(stream, None)
            if item is None:
                break
            report.counts["inputs"] += 1
            try:
                if isinstance(item, BadInput):
                    raise item
                self.process(item, report)
            except BadInput as bad:
                self._record(report, bad.source, bad.reason)
            except Exception as exc:  # a bug on one article must not stop a million-article run
                if (fault := database_fault(exc)) is not None:  # ...but a failing database must
                    raise RunStopped(f"the database refused a write: {fault}") from exc
                source = str(item.source) if isinstance(item, RawDocument) else "?"
                self._record(report, source, f"internal error: {type(exc).__name__}: {exc}")
            if on_progress:
                on_progress(1)
        report.seconds = time.perf_counter() - started
        return report


def analyze(
    sources: Sequence[str | Path],
    store: Store,
    *,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    dedup_threshold: float = 0.8,
    allow_private: bool = False,
    on_progress: ProgressCallback | None = None,
    workers: int = 0,
    scheduler: str | None = None,
) -> RunReport:
    """Analyze every article under `sources` (files, folders, globs, URLs) into `store`.

    With `workers` (a local Dask cluster of that many processes) or `scheduler` (the address of
    an existing Dask cluster) the analysis runs on the cluster; see `narrascope.distributed`.
    """
    from narrascope.ingest import iter_inputs

    if workers or scheduler:
        from narrascope import distributed

        return distributed.analyze(
            sources,
            store,
            only=only,
            skip=skip,
            dedup_threshold=dedup_threshold,
            allow_private=allow_private,
            on_progress=on_progress,
            workers=workers,
            scheduler=scheduler,
        )
    classes = select(only, skip)
    analyzers = [cls.load() for cls in classes]  # fails on a missing model before any input
    run_id = store.begin_run(
        sources=[str(s) for s in sources],
        settings={
            "analyzers": [a.version for a in analyzers],
            "dedup_threshold": dedup_threshold,
        },
    )
    pipeline = Pipeline(store, DocumentAnalysis(analyzers), dedup_threshold=dedup_threshold)
    inputs = iter_inputs(sources, allow_private=allow_private)
    report = pipeline.run(inputs, run_id=run_id, on_progress=on_progress)
    store.finish_run(run_id, counts=dict(report.counts))
    return report
