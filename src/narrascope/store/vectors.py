"""Writing a document's sentence vectors: float16 rows, row-major, in one blob per document.

On SQLite the blob is written a block of rows at a time through SQLite's incremental blob I/O
(a `zeroblob` of the right size first): a document of 60,000 tiny sentences has a 64 MB blob,
which one bound parameter held three times over (the float16 copy, its bytes, SQLite's copy of
them) and SQLite's record once more, 300 MB at the store's step of the run (issue 18). The
bytes stored are the same either way; other databases get them in one parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, literal_column, select

from narrascope.store import schema as t

BLOCK_ROWS = 4096
"""Rows converted and written at once (4 MB of a 512-dimension encoder's float16)."""


def write_vectors(
    conn: Connection, insert: Callable[..., Any], doc_id: str, vectors: np.ndarray, encoder: str
) -> None:
    """Store (or replace) `doc_id`'s vectors as float16; `insert` is the dialect's upsert insert."""
    rows, dim = vectors.shape
    values: dict[str, Any] = {"encoder": encoder, "rows": rows, "dim": dim}
    raw = conn.connection.driver_connection
    streamed = conn.dialect.name == "sqlite" and hasattr(raw, "blobopen")
    if streamed:
        values["data"] = func.zeroblob(rows * dim * np.dtype(np.float16).itemsize)
    else:
        values["data"] = np.ascontiguousarray(vectors, dtype=np.float16).tobytes()
    conn.execute(
        insert(t.vectors)
        .values(doc_id=doc_id, **values)
        .on_conflict_do_update(index_elements=["doc_id"], set_=values)
    )
    if not streamed or raw is None:  # (streamed: never None, said so for the checker)
        return
    rowid: int = conn.execute(
        select(literal_column("rowid")).select_from(t.vectors).where(t.vectors.c.doc_id == doc_id)
    ).scalar_one()
    with raw.blobopen("vectors", "data", rowid) as blob:
        for lo in range(0, rows, BLOCK_ROWS):
            blob.write(np.ascontiguousarray(vectors[lo : lo + BLOCK_ROWS], np.float16).tobytes())
