"""What the store hands back besides `Document` and `Annotation`, and the row conversions.

Rows (dicts) exist only inside `store/`; callers get these small typed records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from narrascope.model import Annotation, Document, Layer, PageType, Removal, SourceRef


@dataclass(frozen=True, slots=True)
class Publication:
    """One input unit that carried a stored text: where, which record, and as whom."""

    location: str
    record: str | None
    raw_sha256: str
    url: str | None
    outlet: str | None
    published: datetime | None

    @property
    def source(self) -> SourceRef:
        return SourceRef(self.location, self.record, self.raw_sha256)

    def __str__(self) -> str:
        date = self.published.date().isoformat() if self.published else "undated"
        return f"{self.outlet or '?'}  {date}  {self.url or self.source}"


@dataclass(frozen=True, slots=True)
class CopyEdge:
    """`copy_id` repeats `original_id` (published earlier, or as early and longer).

    `spans` are `(copy_start, copy_end, original_start, original_end, words)` for partial reuse.
    """

    copy_id: str
    original_id: str
    kind: str
    similarity: float
    spans: tuple[tuple[int, int, int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Cluster:
    """Near-duplicate documents; `members` start with the canonical one (earliest, then longest)."""

    id: str
    canonical_id: str
    size: int
    members: tuple[str, ...] = ()


@dataclass(slots=True)
class StoreStats:
    """Counts of what a database holds."""

    documents: int = 0
    publications: int = 0
    outlets: int = 0
    annotations: dict[str, int] = field(default_factory=dict)
    copies: dict[str, int] = field(default_factory=dict)
    clusters: int = 0
    problems: int = 0
    runs: int = 0
    unfinished: dict[str, int] = field(default_factory=dict)  # "interrupted"/"running" → runs

    def summary(self) -> str:
        """A few lines for the terminal."""
        open_runs = ", ".join(f"{n} {state}" for state, n in sorted(self.unfinished.items()))
        lines = [
            f"{self.documents} documents, {self.publications} publications, "
            f"{self.outlets} outlets, {self.runs} runs"
            + (f" ({open_runs})" if open_runs else "")
            + f", {self.problems} problems",
            f"copies: {self.clusters} near-duplicate clusters; "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(self.copies.items())) or "none"),
        ]
        total = sum(self.annotations.values())
        lines.append(f"annotations: {total}")
        lines += [f"  {layer:<14} {n}" for layer, n in sorted(self.annotations.items())]
        return "\n".join(lines)


def now() -> datetime:
    """The current time as naive UTC (how every timestamp column stores time)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(moment: datetime | None) -> datetime | None:
    """A datetime as naive UTC for ordering; naive values are taken to be UTC already."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@lru_cache(maxsize=4096)  # a handful of model ids, asked for every annotation a page shows
def analyzer_family(model: str) -> str:
    """A model id without its version: `techniques-v2` → `techniques`."""
    return re.sub(r"-v\d+(?:[.\-_]\w+)*$", "", model) or model


def document_row(doc: Document, *, outlet_id: int | None, run_id: int | None) -> dict[str, Any]:
    return {
        "id": doc.id,
        "text": doc.text,
        "url": doc.url,
        "outlet_id": outlet_id,
        "title": doc.title,
        "authors": list(doc.authors),
        "published": iso(doc.published),
        "published_utc": as_utc(doc.published),
        "date_source": doc.date_source,
        "language": doc.language,
        "page_type": str(doc.page_type),
        "page_reason": doc.page_reason,
        "words": doc.word_count,
        "location": doc.source.location,
        "record": doc.source.record,
        "raw_sha256": doc.source.raw_sha256,
        "run_id": run_id,
        "added_at": now(),
    }


def document_from_row(
    row: Mapping[Any, Any],
    *,
    paragraphs: list[tuple[int, int]],
    sentences: list[tuple[int, int]],
    removed: list[Removal],
) -> Document:
    return Document(
        id=row["id"],
        text=row["text"],
        source=SourceRef(row["location"], row["record"], row["raw_sha256"]),
        url=row["url"],
        outlet=row["outlet"],
        title=row["title"],
        authors=tuple(row["authors"] or ()),
        published=from_iso(row["published"]),
        date_source=row["date_source"],
        language=row["language"],
        page_type=PageType(row["page_type"] or PageType.ARTICLE),
        page_reason=row["page_reason"],
        paragraphs=paragraphs,
        sentences=sentences,
        removed=removed,
    )


def annotation_row(ann: Annotation, *, doc_id: str, analyzer: str | None = None) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "layer": str(ann.layer),
        "label": ann.label,
        "start": ann.start,
        "end": ann.end,
        "score": float(ann.score),
        "evidence": [[int(s), int(e)] for s, e in ann.evidence],
        "attrs": ann.attrs,
        "model": ann.model,
        "analyzer": analyzer or analyzer_family(ann.model),
    }


def annotation_from_row(row: Mapping[Any, Any]) -> Annotation:
    return Annotation(
        doc_id=row["doc_id"],
        layer=Layer(row["layer"]),
        label=row["label"],
        model=row["model"],
        start=row["start"],
        end=row["end"],
        score=row["score"],
        evidence=[(s, e) for s, e in row["evidence"]],
        attrs=row["attrs"],
    )
