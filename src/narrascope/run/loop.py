"""The one run loop: inputs in, documents stored, whoever runs the per-document work.

Streams the inputs (each file, WARC record or JSONL line is one unit), skips units stored by an
earlier run (resume), cuts the rest into batches and takes every batch through four phases:

1. the executor prepares it (clean, language, segment, fingerprint);
2. the loop dedups it: an exact copy of a stored (or in-flight) text is only linked, never
   analyzed; for a new text it finds the stored documents it copies, and fetches the stored
   vectors of the sentences a near copy shares verbatim with its original(s);
3. the executor encodes what is left and runs the analyzers;
4. the loop commits the batch in one transaction, in input order, retried whole when the
   database drops out.

The executor (`narrascope.run.local` or `narrascope.run.dask`) never touches the store; this
loop is the only place that stores documents, links copies and records what went wrong, so a
local run, a cluster run and a web upload store the same things the same way. With a
cluster, batches after the one being deduped are analyzed meanwhile (at most `depth` of them),
and their documents count as stored for dedup (`narrascope.dedup.InFlight`).

Faults: a bad input or a bug on one document is one recorded line and the run goes on; a
database refusing writes stops the run with `RunStopped`. Each batch commits whole, so what is
stored stays consistent, and the same command resumes.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from narrascope.dedup import Deduplicator
from narrascope.model import (
    BadInput,
    CopyKind,
    CopyMatch,
    Document,
    Fingerprint,
    PassedOver,
    RawDocument,
)
from narrascope.run.analysis import (
    Analyzed,
    Failed,
    Prepared,
    StageTimes,
    ToAnalyze,
    failed,
)
from narrascope.run.executor import (
    BatchResult,
    Executor,
    Pending,
    RunStopped,
    WorkerCosts,
    stopping,
)
from narrascope.store import Store
from narrascope.store.faults import database_fault

ProgressCallback = Callable[[int], None]


@dataclass
class RunReport:
    """What one run did: counts by outcome, one line per skipped input, and where time went.

    `encoded`/`reused` count sentences that went through the encoder and sentences of near
    copies whose stored vector was reused instead.
    """

    run_id: int
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    passed_over: list[tuple[str, str]] = field(default_factory=list)  # not inputs: not skipped
    seconds: float = 0.0
    stage_seconds: StageTimes = field(default_factory=StageTimes)
    encoded: int = 0
    reused: int = 0

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the time spent inside the block to `stage_seconds[stage]`."""
        with self.stage_seconds.timing(stage):
            yield

    def add(self, other: RunReport) -> None:
        """Take in a part of this run (one committed batch)."""
        self.counts.update(other.counts)
        self.problems.extend(other.problems)
        self.stage_seconds.update(other.stage_seconds)
        self.encoded += other.encoded
        self.reused += other.reused

    def summary(self) -> str:
        """A few lines for the terminal: what was stored, copied, resumed and skipped, and why."""
        c = self.counts
        lines = [
            f"run {self.run_id}: {c['inputs']} inputs in {self.seconds:.1f} s — "
            f"{c['stored']} new documents, {c['exact copies']} exact copies, "
            f"{c['near copies']} near copies, {c['already stored']} already stored, "
            f"{len(self.problems)} skipped"
        ]
        if self.reused:
            lines.append(
                f"  sentences encoded: {self.encoded}, reused from originals: {self.reused}"
            )
        reasons = Counter(reason.split(":")[0] for _, reason in self.problems)
        lines += [f"  skipped ({n}): {reason}" for reason, n in reasons.most_common()]
        return "\n".join(lines)

    def failure(self, *, strict: bool = False) -> str | None:
        """Why the run's exit code must say it failed, or None: a script can trust the code (#18)."""
        inputs, skipped = self.counts["inputs"], len(self.problems)
        if inputs == 0:
            return "nothing to read in the inputs given"
        if skipped == inputs:
            return f"every input failed ({skipped} skipped)"
        if strict and skipped:
            return f"{skipped} of {inputs} inputs skipped (--strict)"
        return None

    def stage_table(self) -> str:
        """Seconds and share of the run's time per stage, largest first."""
        total = sum(self.stage_seconds.values()) or 1.0
        return "\n".join(
            f"  {stage:<28} {secs:8.2f} s  {100 * secs / total:5.1f}%"
            for stage, secs in self.stage_seconds.most_common()
        )


@dataclass(slots=True)
class _Slot:
    """One input of a batch on its way through the phases."""

    raw: RawDocument | None  # None for an input that could not even be read
    result: Prepared | Analyzed | Failed | None = None
    exact: bool = False  # its text is stored (or on its way): link it, do not analyze it
    sent: bool = False  # went to the executor's second phase with its batch
    deferred: bool = False  # copies a text still being analyzed: encoded once that one is done
    copies: list[CopyMatch] = field(default_factory=list)
    fingerprint: Fingerprint | None = None  # of a new text, held by dedup until committed


@dataclass(slots=True)
class _Batch:
    slots: list[_Slot]
    seen: int  # inputs it stands for, those skipped as already stored included
    prepared: Pending[Prepared | Failed] | None = None
    finished: Pending[Analyzed | Failed] | None = None


class RunLoop:
    """Drives inputs through an executor into one store; see the module's docstring.

    `resume=False` analyzes inputs even when the same unit is stored (the web's uploads, which
    then link to the stored text); `shown` names a source in problem lines; `on_document`
    hears the id of every document an input became (stored or linked), in input order.
    """

    def __init__(
        self,
        store: Store,
        executor: Executor,
        *,
        dedup_threshold: float = 0.8,
        retries: int = 3,
        retry_wait: float = 2.0,
        resume: bool = True,
        shown: Callable[[str], str] = str,
        on_document: Callable[[str], None] | None = None,
        costs: WorkerCosts | None = None,
    ) -> None:
        self.store, self.executor = store, executor
        self.dedup = Deduplicator(store, threshold=dedup_threshold)
        self.retries, self.retry_wait = retries, retry_wait
        self.resume, self.shown, self.on_document = resume, shown, on_document
        self.costs = costs if costs is not None else WorkerCosts()

    def run(
        self,
        inputs: Iterable[RawDocument | BadInput | PassedOver],
        *,
        run_id: int,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        """Process every input, recording bad ones and going on; stops on a database fault."""
        report = RunReport(run_id)
        started = time.perf_counter()
        try:
            self._run(inputs, report, on_progress)
        except Exception as exc:
            if (stop := stopping(exc)) not in (None, exc):
                raise stop from exc
            raise
        report.seconds = time.perf_counter() - started
        return report

    def _run(
        self,
        inputs: Iterable[RawDocument | BadInput | PassedOver],
        report: RunReport,
        on_progress: ProgressCallback | None,
    ) -> None:
        depth = self.executor.depth
        # With batches in flight, the next batch is prepared while this one is deduped.
        lookahead = 1 if depth else 0
        waiting: deque[_Batch] = deque()  # prepared, not deduped yet
        analyzing: deque[_Batch] = deque()  # being analyzed, not committed yet
        for batch in self._batches(inputs, report):
            raws = [slot.raw for slot in batch.slots if slot.raw is not None]
            batch.prepared = self.executor.prepare(raws, self.dedup.settings)
            waiting.append(batch)
            while len(waiting) > lookahead:
                analyzing.append(self._dedup(waiting.popleft(), report))
            while len(analyzing) > depth:
                self._commit(analyzing.popleft(), report, on_progress)
        while waiting:
            analyzing.append(self._dedup(waiting.popleft(), report))
        while analyzing:
            self._commit(analyzing.popleft(), report, on_progress)

    def _batches(
        self, inputs: Iterable[RawDocument | BadInput | PassedOver], report: RunReport
    ) -> Iterator[_Batch]:
        """Batches of inputs not stored yet, with how many inputs each one stands for."""
        slots: list[_Slot] = []
        seen = 0
        stream = iter(inputs)
        while True:
            with report.timing("ingest"):
                item = next(stream, None)
            if item is None:
                break
            if isinstance(item, PassedOver):  # the run's own database: not an input at all
                report.passed_over.append((item.source, item.reason))
                continue
            report.counts["inputs"] += 1
            seen += 1
            if isinstance(item, BadInput):
                slots.append(_Slot(None, failed(item.source, item)))
            else:
                if self.resume:
                    with report.timing("store"):
                        if self.store.has_source(item.source):  # stored by an earlier run
                            report.counts["already stored"] += 1
                            continue
                slots.append(_Slot(item))
            if len(slots) >= self.executor.batch_size:
                yield _Batch(slots, seen)
                slots, seen = [], 0
        if slots or seen:
            yield _Batch(slots, seen)

    def _absorb(self, batch: BatchResult[object], report: RunReport) -> None:
        self.costs.add(batch)
        report.stage_seconds.update(batch.stage_seconds)  # the executor's time, summed

    # -- phase 2: dedup before encoding ----------------------------------------------------------
    def _dedup(self, batch: _Batch, report: RunReport) -> _Batch:
        """Link exact copies, find each new text's copies, and send the new texts for analysis."""
        assert batch.prepared is not None
        prepared = batch.prepared.result()
        self._absorb(prepared, report)
        results = iter(prepared.results)
        todo: list[ToAnalyze] = []
        for slot in batch.slots:
            if slot.raw is None:
                continue
            slot.result = result = next(results)
            if isinstance(result, Failed):
                continue
            try:
                with report.timing("dedup"):
                    todo_item = self._find_copies(slot, result)
            except Exception as exc:
                if database_fault(exc) is not None:
                    raise
                slot.result = failed(slot.raw.source, exc)
                continue
            if todo_item is not None:
                slot.sent = True
                todo.append(todo_item)
        batch.finished = self.executor.finish(todo)
        return batch

    def _find_copies(self, slot: _Slot, prepared: Prepared) -> ToAnalyze | None:
        doc = prepared.doc
        if doc.id in self.dedup.index or self.store.has_document(doc.id):
            slot.exact = True  # the same text: another publication of it, not analyzed again
            return None
        slot.copies, slot.fingerprint = (
            self.dedup.find(doc, prepared.fingerprint),
            prepared.fingerprint,
        )
        if any(doc_id in self.dedup.index for doc_id in _originals(slot.copies)):
            # Its original is still being analyzed (a cluster run): it has no vectors yet. The
            # copy waits for them (`_finish_deferred`), so it reuses exactly what a local run's
            # copy reuses, and stores the same bytes.
            slot.deferred = True
            self.dedup.hold(doc, prepared.fingerprint)
            return None
        self.dedup.hold(doc, prepared.fingerprint)
        return ToAnalyze(doc, self._reusable(doc, slot.copies, {}))

    def _reusable(
        self, doc: Document, copies: list[CopyMatch], fresh: dict[str, Analyzed]
    ) -> dict[str, np.ndarray]:
        """Vectors of the sentences `doc` shares verbatim with the texts it copies whole.

        From the store, or from `fresh` (this batch's results, not stored yet: their vectors are
        already rounded as the store keeps them); only vectors of the encoder the executor uses.
        """
        wanted = set(doc.sentence_texts())
        reuse: dict[str, np.ndarray] = {}
        for doc_id in _originals(copies):
            texts, vectors = self._vectors_of(doc_id, fresh)
            for text, vector in zip(texts, vectors, strict=True):
                if text in wanted:
                    reuse.setdefault(text, vector)
        return reuse

    def _vectors_of(
        self, doc_id: str, fresh: dict[str, Analyzed]
    ) -> tuple[list[str], np.ndarray | list[np.ndarray]]:
        """An original's sentence texts and vectors (none when it has none of this encoder's)."""
        encoder = self.executor.encoder_name
        doc: Document | None
        if doc_id in fresh:
            found = fresh[doc_id]
            doc, vectors = found.doc, found.vectors if found.encoder == encoder else None
        else:
            vectors = self.store.vectors(doc_id, encoder=encoder)
            doc = self.store.document(doc_id) if vectors is not None else None
        if doc is None or vectors is None or len(vectors) != len(doc.sentences):
            return [], []
        return doc.sentence_texts(), vectors

    def _finish_deferred(
        self, batch: _Batch, fresh: dict[str, Analyzed], report: RunReport
    ) -> None:
        """Analyze the batch's copies of in-flight texts, now that those texts have vectors.

        Every earlier batch is stored by now; a copy of a text deferred itself waits one more
        round (an original always comes before its copies, so every round has work).
        """
        deferred = [s for s in batch.slots if s.deferred]
        while deferred:
            waiting = {s.fingerprint.doc_id for s in deferred if s.fingerprint}
            ready = [
                s for s in deferred if not any(doc_id in waiting for doc_id in _originals(s.copies))
            ]
            ready = ready or deferred  # cannot happen (see above), but never spin
            todo = []
            for slot in ready:
                assert isinstance(slot.result, Prepared)
                doc = slot.result.doc
                try:
                    todo.append(ToAnalyze(doc, self._reusable(doc, slot.copies, fresh)))
                except Exception as exc:
                    if database_fault(exc) is not None:
                        raise
                    todo.append(ToAnalyze(doc))  # encoded in full rather than lost
            done = self.executor.finish(todo, urgent=True).result()
            self._absorb(done, report)
            for slot, result in zip(ready, done.results, strict=True):
                slot.result = result
                if isinstance(result, Analyzed):
                    fresh[result.doc.id] = result
            deferred = [s for s in deferred if s not in ready]

    # -- phase 4: commit -------------------------------------------------------------------------
    def _commit(
        self, batch: _Batch, report: RunReport, on_progress: ProgressCallback | None
    ) -> None:
        assert batch.finished is not None
        finished = batch.finished.result()
        self._absorb(finished, report)
        results = iter(finished.results)
        fresh: dict[str, Analyzed] = {}
        for slot in batch.slots:
            if slot.sent:
                slot.result = result = next(results)
                if isinstance(result, Analyzed):
                    fresh[result.doc.id] = result
        self._finish_deferred(batch, fresh, report)
        report.add(self._store(batch, report.run_id))
        if (reason := every_document_fails(report)) is not None:
            raise RunStopped(f"every document fails the same way: {reason}")
        self.dedup.release(s.fingerprint.doc_id for s in batch.slots if s.fingerprint)
        if on_progress:
            on_progress(batch.seen)

    def _store(self, batch: _Batch, run_id: int) -> RunReport:
        """Commit one batch in one transaction; retried whole when the database drops out."""
        for attempt in range(self.retries + 1):
            part = RunReport(run_id)
            try:
                with self.store.batch():
                    for slot in batch.slots:
                        self._store_one(slot, part)
                return part
            except Exception as exc:
                reason = database_fault(exc)
                if reason is None:
                    raise
                if reason.startswith("disk full") or attempt == self.retries:
                    raise RunStopped(
                        f"the database refused a batch ({reason}) after {attempt + 1} "
                        f"attempt(s); every batch before it is stored and consistent — "
                        f"fix the cause and run the same command again to resume"
                    ) from exc
                time.sleep(self.retry_wait * 2**attempt)
        raise AssertionError("unreachable")

    def _store_one(self, slot: _Slot, part: RunReport) -> None:
        """Store one input's outcome; a bug on it becomes its problem line, a fault goes up."""
        result = slot.result
        assert result is not None
        if isinstance(result, Failed):
            self._record(part, result)
            return
        doc = result.doc
        try:
            with part.timing("store"):
                self._store_doc(slot, result, part)
        except Exception as exc:
            if database_fault(exc) is not None:
                raise
            self._record(part, failed(doc.source, exc))

    def _store_doc(self, slot: _Slot, result: Prepared | Analyzed, part: RunReport) -> None:
        store, doc = self.store, result.doc
        if self.resume and store.has_source(doc.source):  # the same input twice in one run
            part.counts["already stored"] += 1
            return
        if isinstance(result, Prepared):  # an exact copy: one more publication of the text
            if not store.has_document(doc.id):  # the first of them failed in this run
                raise LookupError(f"the text it repeats ({doc.id[:12]}) was not stored")
            store.add_source(
                doc.id, doc.source, url=doc.url, outlet=doc.outlet, published=doc.published
            )
            part.counts["exact copies"] += 1
        else:
            stored = store.add(
                doc,
                result.anns,
                vectors=result.vectors if len(result.vectors) else None,
                encoder=result.encoder,
                analyzers=result.analyzers,
                made_by=result.made_by,
                copies=slot.copies,
                fingerprint=slot.fingerprint,
            )
            part.counts["stored" if stored else "exact copies"] += 1
            part.counts["near copies"] += any(c.kind == CopyKind.NEAR for c in slot.copies)
            part.encoded += result.encoded
            part.reused += result.reused
        if self.on_document:
            self.on_document(doc.id)

    def _record(self, part: RunReport, failure: Failed) -> None:
        source = self.shown(failure.source)
        part.problems.append((source, failure.reason))
        self.store.record_problem(part.run_id, source, failure.reason)


SAME_ERROR_STOP = 5
"""A run whose first this-many inputs all fail on one internal error stops (#18)."""


def every_document_fails(report: RunReport) -> str | None:
    """The one internal error every input so far failed on, once there are enough of them.

    A broken install (a missing module) fails every document alike: stop with it at once
    rather than record it a million times and exit as if the run went well (#18).
    """
    c = report.counts
    reasons = {reason for _, reason in report.problems}
    if c["stored"] or c["exact copies"] or c["already stored"] or len(reasons) != 1:
        return None
    (reason,) = reasons
    if len(report.problems) >= SAME_ERROR_STOP and reason.startswith("internal error"):
        return reason
    return None


def _originals(copies: list[CopyMatch]) -> list[str]:
    """The texts a document copies whole (exact words or near copies), which may lend vectors.

    In id order: the order dedup found them in may differ between runs, and two originals may
    hold a shared sentence with vectors a hair apart (each encoded amid its own sentences).
    """
    return sorted(c.doc_id for c in copies if c.kind != CopyKind.PARTIAL)
