"""Re-running after a new analyzer version lands: redo only what that analyzer produced.

Reads each stored document with its stored sentence vectors (no cleaning, no encoding), runs
every analyzer whose version is not the one stored for that document — and any later analyzer
that needs a layer one of those produces — and puts their output in place of the old
(`Store.replace_annotations`, one transaction per document and analyzer). Interrupted, it
resumes: a document already brought up to date is skipped. Failures are handled as in
`narrascope.run`: a bug on one document is one recorded problem line (`run.analysis.failed`)
and the re-run goes on; a database fault stops it with `RunStopped`. A `min_confidence` bar
drops low labels exactly as `run.analysis.MinConfidence` does in a first analysis. With a
model folder (`models`, a per-corpus model) an analyzer whose heads the folder changes runs
under that model's own version (`analyzers.model_version`): a folder other than the one that
made the stored labels re-runs it, and its labels replace the other model's, never mix with
them; analysts' corrections are applied over them again. So with `profile`: the analyzers of
that profile run, and their labels replace those of the same analysis in the other profile
(`analyzers.profile_versions`), never mix with them (#19).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.analyzers import Analyzer, language_reason, not_analyzed, profile_versions
from narrascope.model import Annotation, Document, Layer
from narrascope.run import ProgressCallback, load_analyzers
from narrascope.run.analysis import ConfidenceSpec, MinConfidence, failed
from narrascope.run.executor import stopping
from narrascope.store import Store
from narrascope.store.records import analyzer_family as _family


@dataclass
class ReanalyzeReport:
    """What a re-run did: documents brought up to date, already up to date, and per analyzer."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        c = self.counts
        lines = [
            f"{c['documents']} documents in {self.seconds:.1f} s — {c['reanalyzed']} re-analyzed, "
            f"{c['up to date']} up to date"
            + (
                f", {c['not an article']} not articles (not analyzed)"
                if c["not an article"]
                else ""
            )
        ]
        lines += [
            f"  {key.removeprefix('ran ')}: {n} documents"
            for key, n in sorted(c.items())
            if key.startswith("ran ")
        ]
        lines += [f"  failed: {source}: {reason}" for source, reason in self.problems]
        return "\n".join(lines)


def stale(analyzers: Sequence[Analyzer], stored: set[str]) -> list[Analyzer]:
    """The analyzers to re-run: a version not stored, or an input layer that is being redone."""
    redone: set[Layer] = set()
    out = []
    for analyzer in analyzers:
        if analyzer.version not in stored or redone & set(analyzer.requires):
            out.append(analyzer)
            redone.add(analyzer.layer)
    return out


def reanalyze_document(
    store: Store,
    doc: Document,
    analyzers: Sequence[Analyzer],
    todo: Sequence[Analyzer],
    min_confidence: MinConfidence | None = None,
) -> list[str]:
    """Re-run `todo` (a subset of `analyzers`, in their order) on one stored document."""
    bar = min_confidence or MinConfidence()
    vectors = store.vectors(doc.id)
    if vectors is None:
        vectors = np.zeros((0, 0), dtype=np.float32)
    kept = list(store.annotations(doc.id))
    ran = []
    for analyzer in todo:
        language_read = analyzer.languages is None or doc.language in analyzer.languages
        if language_read and analyzer.languages is not None and len(vectors) != len(doc.sentences):
            continue  # no stored vectors to read: what is stored stays
        # The same analysis in another profile: its labels go, never beside these (#19).
        rivals = profile_versions(analyzer.name)
        if language_read:
            earlier = {_family(a.version) for a in analyzers[: analyzers.index(analyzer)]}
            prior: tuple[Annotation, ...] = tuple(a for a in kept if _family(a.model) in earlier)
            anns = bar.keep(analyzer.analyze(doc, vectors, prior=prior))
        else:
            # A version that no longer reads this language (frames-v3 after frames-v2): what
            # the older one stored goes, and the note says why, as a fresh run would leave it.
            anns = [not_analyzed(doc, analyzer.name, language_reason(doc))] if doc.sentences else []
        store.replace_annotations(doc.id, analyzer.version, anns, replaces=rivals)
        families = {_family(version) for version in (analyzer.version, *rivals)}
        kept = [a for a in kept if _family(a.model) not in families] + anns
        ran.append(analyzer.name)
    return ran


def reanalyze(
    store: Store,
    *,
    only: Sequence[str] | None = None,
    skip: Sequence[str] = (),
    analyzers: Sequence[Analyzer] | None = None,
    on_progress: ProgressCallback | None = None,
    min_confidence: ConfidenceSpec | MinConfidence = None,
    models: Path | None = None,
    profile: str = "fast",
) -> ReanalyzeReport:
    """Bring every stored document up to the current analyzer versions, from stored vectors.

    `min_confidence` is the bar of `narrascope.pipeline.analyze`: labels below it are not stored.
    `models`: a model folder (a per-corpus model) whose heads replace the shipped ones.
    `profile`: the analysis profile to bring them to; its labels replace the other profile's.
    """
    bar = MinConfidence.parse(min_confidence)
    chosen = (
        list(analyzers)
        if analyzers is not None
        else load_analyzers(only, skip, models=models, profile=profile)
    )
    report = ReanalyzeReport()
    started = time.perf_counter()
    for doc in store.documents():
        report.counts["documents"] += 1
        if not doc.is_article:  # stored with its page type, never analyzed by default (#15)
            report.counts["not an article"] += 1
            if on_progress:  # every document counts towards the bar's total (#17)
                on_progress(1)
            continue
        todo = stale(chosen, store.analyzers_run(doc.id))
        try:
            ran = reanalyze_document(store, doc, chosen, todo, bar) if todo else []
        except Exception as exc:  # one document's bug must not stop the re-run
            if (stop := stopping(exc)) is not None:
                raise stop from exc
            failure = failed(doc.source, exc)
            report.problems.append((failure.source, failure.reason))
            store.record_problem(None, failure.source, failure.reason)
            report.counts["failed"] += 1
            if on_progress:
                on_progress(1)
            continue
        report.counts["reanalyzed" if ran else "up to date"] += 1
        report.counts.update(f"ran {name}" for name in ran)
        if on_progress:
            on_progress(1)
    report.seconds = time.perf_counter() - started
    return report
