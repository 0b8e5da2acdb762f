"""The Analyze page's work: pasted text, a URL or uploaded files through the same run loop.

Uploads are written to a temporary folder and read by the ingest readers like any folder, then
go through `narrascope.run.RunLoop` in this process, so an upload is analyzed, deduped, stored
and its failures recorded exactly as `narrascope analyze` would; URLs go through ingest's fetcher,
which refuses private and loopback addresses. Returns the ids of the documents it stored.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from narrascope.run import DocumentAnalysis, LocalExecutor, RunLoop
from narrascope.store import Store

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what one Analyze request may send."""

    max_files: int = 20
    max_file_bytes: int = 5_000_000
    max_total_bytes: int = 20_000_000
    max_text_chars: int = 500_000


@dataclass(slots=True)
class Upload:
    """One uploaded file: its (untrusted) name and its bytes."""

    name: str
    data: bytes


@dataclass(slots=True)
class Outcome:
    """What an Analyze request did: the documents it stored or found, and what it skipped."""

    doc_ids: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


class TooLarge(ValueError):
    """An Analyze request over its caps (answered with 413)."""


def check(limits: Limits, uploads: Sequence[Upload], text: str) -> None:
    """Refuse a request over the caps before anything is written or analyzed."""
    if len(uploads) > limits.max_files:
        raise TooLarge(f"too many files: {len(uploads)} (at most {limits.max_files})")
    for upload in uploads:
        if len(upload.data) > limits.max_file_bytes:
            raise TooLarge(f"{upload.name}: larger than {limits.max_file_bytes} bytes")
    if sum(len(u.data) for u in uploads) > limits.max_total_bytes:
        raise TooLarge(f"uploads larger than {limits.max_total_bytes} bytes in all")
    if len(text) > limits.max_text_chars:
        raise TooLarge(f"pasted text longer than {limits.max_text_chars} characters")


def safe_name(name: str, index: int) -> str:
    """A file name that cannot leave the temporary folder, keeping the extension (format hint)."""
    base = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "upload"
    return f"{index:03d}_{base[-80:]}"


def run(
    store: Store,
    analysis: DocumentAnalysis,
    *,
    text: str = "",
    url: str = "",
    uploads: Sequence[Upload] = (),
    limits: Limits = Limits(),
    allow_private: bool = False,
) -> Outcome:
    """Analyze pasted text, a URL and uploaded files into `store`; ids of the resulting documents."""
    from narrascope.ingest import iter_inputs

    check(limits, uploads, text)
    with tempfile.TemporaryDirectory(prefix="narrascope-upload-") as tmp:
        folder = Path(tmp)
        sources: list[str | Path] = []
        if text.strip():
            path = folder / "pasted.txt"
            path.write_text(text, encoding="utf-8")
            sources.append(path)
        for i, upload in enumerate(uploads):
            path = folder / safe_name(upload.name, i)
            path.write_bytes(upload.data)
            sources.append(path)
        if url.strip():
            sources.append(url.strip())
        if not sources:
            raise ValueError("nothing to analyze: paste text, give a URL or choose files")
        run_id = store.begin_run(
            sources=[_shown(s, folder) for s in sources],
            settings={"analyzers": [a.version for a in analysis.analyzers], "via": "web"},
        )
        outcome = Outcome()
        loop = RunLoop(
            store,
            LocalExecutor(analysis),
            resume=False,  # the same text again links to the stored one, and shows it
            shown=lambda source: _shown(source, folder),
            on_document=outcome.doc_ids.append,
        )
        inputs = iter_inputs(sources, allow_private=allow_private, max_bytes=limits.max_total_bytes)
        report = loop.run(inputs, run_id=run_id)
        outcome.problems = report.problems
        store.finish_run(run_id, counts=dict(report.counts))
    outcome.doc_ids = list(dict.fromkeys(outcome.doc_ids))
    return outcome


def _shown(source: str | Path, folder: Path) -> str:
    """A source as the analyst named it: without the temporary folder's path."""
    return str(source).replace(str(folder) + "/", "upload:")
