"""Exports of the store's tables as JSONL, CSV or Parquet: complete, streamed, no row caps.

Rows are plain dicts made here, at the edge; the store hands over model objects. `labels` is
the flat table an analyst opens in a spreadsheet (one row per label, with its document's outlet
and date, the span and evidence sentences as text, the entity of a role); the bookkeeping rows
(`stats`, `not-analyzed`) go to their own table. The format follows the file's suffix.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from narrascope.model import Annotation, Document, Layer
from narrascope.store import Store

FORMATS = ("jsonl", "csv", "parquet", "semeval")
TABLES = (
    "documents",
    "labels",
    "bookkeeping",
    "annotations",
    "sentences",
    "publications",
    "storylines",
    "profiles",
)
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
SUFFIXES |= {".parquet": "parquet", ".pq": "parquet"}
_PARQUET_BATCH = 5000


def document_row(doc: Document) -> dict[str, Any]:
    """A document as an export row (text included; segmentation as counts)."""
    return {
        "id": doc.id,
        "url": doc.url,
        "outlet": doc.outlet,
        "title": doc.title,
        "authors": "; ".join(doc.authors),
        "published": doc.published.isoformat() if doc.published else None,
        "date_source": doc.date_source,
        "language": doc.language,
        "words": doc.word_count,
        "paragraphs": len(doc.paragraphs),
        "sentences": len(doc.sentences),
        "source": str(doc.source),
        "raw_sha256": doc.source.raw_sha256,
        "text": doc.text,
    }


def annotation_row(ann: Annotation, text: str | None = None) -> dict[str, Any]:
    """An annotation as an export row, with the span's text when the document text is given."""
    return {
        "doc_id": ann.doc_id,
        "layer": str(ann.layer),
        "label": ann.label,
        "start": ann.start,
        "end": ann.end,
        "span_text": text[ann.start : ann.end] if text is not None and ann.span else None,
        "score": round(float(ann.score), 6),
        "evidence": json.dumps(ann.evidence),
        "attrs": json.dumps(ann.attrs, ensure_ascii=False, default=str),
        "model": ann.model,
    }


def label_row(doc: Document, ann: Annotation) -> dict[str, Any]:
    """A label as a flat spreadsheet row: offsets resolved to text, the entity named."""
    evidence = " | ".join(doc.text[s:e].strip() for s, e in ann.evidence)
    attrs = ann.attrs or {}
    return {
        "doc_id": doc.id,
        "outlet": doc.outlet,
        "published": doc.published.isoformat() if doc.published else None,
        "title": doc.title,
        "layer": str(ann.layer),
        "label": ann.label,
        "confidence": round(float(ann.score), 4),
        "span_text": doc.text[ann.start : ann.end] if ann.span else None,
        "evidence_text": evidence or None,
        "entity": attrs.get("entity") or attrs.get("name"),
        "speaker": attrs.get("speaker"),
        "start": ann.start,
        "end": ann.end,
        "model": ann.model,
    }


def bookkeeping_row(doc: Document, ann: Annotation) -> dict[str, Any]:
    """A bookkeeping note (`stats`, `not-analyzed`): what ran on a document, not a label."""
    return {
        "doc_id": doc.id,
        "kind": ann.label,
        "model": ann.model,
        "details": json.dumps(ann.attrs, ensure_ascii=False, default=str),
    }


def _rows(store: Store, table: str) -> Iterator[dict[str, Any]]:
    if table == "documents":
        yield from (document_row(doc) for doc in store.documents())
    elif table in ("labels", "bookkeeping"):
        bookkeeping = table == "bookkeeping"
        for doc in store.documents():
            for ann in store.annotations(doc.id):
                if (ann.layer == Layer.STATS) == bookkeeping:
                    yield bookkeeping_row(doc, ann) if bookkeeping else label_row(doc, ann)
    elif table == "annotations":
        for doc in store.documents():
            yield from (annotation_row(ann, doc.text) for ann in store.annotations(doc.id))
    elif table == "sentences":
        for doc in store.documents():
            for i, (start, end) in enumerate(doc.sentences):
                yield {
                    "doc_id": doc.id,
                    "index": i,
                    "start": start,
                    "end": end,
                    "text": doc.text[start:end],
                }
    elif table == "publications":
        for doc in store.documents():
            for pub in store.sources(doc.id):
                row = asdict(pub) if is_dataclass(pub) and not isinstance(pub, type) else dict(pub)
                yield {
                    "doc_id": doc.id,
                    **{k: (str(v) if v is not None else None) for k, v in row.items()},
                }
    elif table == "storylines":
        from narrascope.export.corpus_rows import storyline_rows

        yield from storyline_rows(store)
    elif table == "profiles":
        from narrascope.export.corpus_rows import profile_rows

        yield from profile_rows(store)
    else:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(TABLES)}")


def format_for(out: Path, format: str | None = None) -> str:
    """The format asked for, else the one `out`'s suffix names (`ValueError` if none does)."""
    if format:
        return format
    if out.suffix.lower() in SUFFIXES:
        return SUFFIXES[out.suffix.lower()]
    raise ValueError(
        f"cannot tell the format from {out.name!r}: name it .csv, .parquet or .jsonl,"
        " or give --format"
    )


def write(store: Store, out: Path, *, format: str | None = None, table: str = "documents") -> int:
    """Write every row of `table` to `out` in `format` (default: from `out`'s suffix)."""
    format = format_for(out, format)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(TABLES)}")
    if format == "semeval":  # a folder of the shared tasks' files, whatever `table` says
        from narrascope.export.semeval import write_semeval

        return sum(write_semeval(store, out).values())
    return write_rows(_rows(store, table), out, format=format)


def write_rows(rows: Iterator[dict[str, Any]], out: Path, *, format: str | None = None) -> int:
    """Write `rows` (plain dicts, one shape) to `out` as JSONL, CSV or Parquet; how many."""
    format = format_for(out, format)
    if format not in ("jsonl", "csv", "parquet"):
        raise ValueError(f"unknown format {format!r}; choose from jsonl, csv, parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    if format == "jsonl":
        return _write_jsonl(rows, out)
    if format == "csv":
        return _write_csv(rows, out)
    return _write_parquet(rows, out)


def _write_jsonl(rows: Iterator[dict[str, Any]], out: Path) -> int:
    count = 0
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def _write_csv(rows: Iterator[dict[str, Any]], out: Path) -> int:
    count = 0
    with out.open("w", encoding="utf-8", newline="") as f:
        writer: csv.DictWriter | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(row))
                writer.writeheader()
            # Spreadsheet formula injection: a cell starting with = + - @ is made inert.
            writer.writerow({k: _inert(v) for k, v in row.items()})
            count += 1
    return count


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_parquet(rows: Iterator[dict[str, Any]], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    count, batch = 0, list[dict[str, Any]]()

    def flush() -> None:
        nonlocal writer, schema
        if not batch:
            return
        table = pa.Table.from_pylist(batch, schema=schema)
        if writer is None:
            schema = table.schema
            writer = pq.ParquetWriter(out, schema)
        writer.write_table(table)
        batch.clear()

    for row in rows:
        batch.append(row)
        count += 1
        if len(batch) >= _PARQUET_BATCH:
            flush()
    flush()
    if writer is not None:
        writer.close()
    else:
        pq.write_table(pa.table({}), out)
    return count
