"""The in-process executor: runs each phase of a batch at once, in the driver's own process.

With it the run loop is synchronous (`depth` 0): every batch is prepared, deduped, analyzed
and committed before the next input is read, so an interrupted local run loses at most the
batch in hand (one document by default, as each document is its own transaction).
"""

from __future__ import annotations

from collections.abc import Sequence

from narrascope.model import DedupSettings, RawDocument
from narrascope.run.analysis import Analyzed, DocumentAnalysis, Failed, Prepared, ToAnalyze
from narrascope.run.executor import Done, finish_batch, prepare_batch


class LocalExecutor:
    """Runs the per-document work in this process with one loaded `DocumentAnalysis`."""

    depth = 0  # nothing in flight: each batch is committed before the next one is read

    def __init__(self, analysis: DocumentAnalysis, *, batch_size: int = 1) -> None:
        self.analysis, self.batch_size = analysis, batch_size
        self.encoder_name = analysis.encoder.name
        self.analyzer_versions = [a.version for a in analysis.analyzers]

    def prepare(
        self, items: Sequence[RawDocument], settings: DedupSettings
    ) -> Done[Prepared | Failed]:
        return Done(prepare_batch(self.analysis, items, settings, "local"))

    def finish(
        self, items: Sequence[ToAnalyze], *, urgent: bool = False
    ) -> Done[Analyzed | Failed]:
        return Done(finish_batch(self.analysis, items, "local"))
