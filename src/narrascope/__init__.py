"""Narrascope: persuasion techniques, narratives, roles, quotes, claims and copies in news.

The Python API mirrors the CLI: `narrascope.analyze(paths, db=...)` runs the pipeline and
`narrascope.open(db)` returns a `Corpus` whose tables are pandas DataFrames. Importing this
package loads no model and opens no file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from narrascope.run import ProgressCallback, RunReport
    from narrascope.store import Store

__all__ = ["Corpus", "analyze", "open"]


def analyze(
    paths: Sequence[str | Path] | str | Path,
    *,
    db: str | Path = "narrascope.db",
    on_progress: ProgressCallback | None = None,
    **options: Any,
) -> RunReport:
    """Analyze files, folders, globs or URLs into the database `db`; returns the run's report."""
    from narrascope import pipeline
    from narrascope.store import Store

    sources = [paths] if isinstance(paths, str | Path) else list(paths)
    with Store.open(db) as store:
        return pipeline.analyze(sources, store, on_progress=on_progress, **options)


class Corpus:
    """A stored corpus for notebooks: tables as DataFrames over one open store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def documents(self, *, outlet: str | None = None) -> pd.DataFrame:
        """One row per document (metadata and text)."""
        import pandas as pd

        from narrascope.export import document_row

        return pd.DataFrame([document_row(d) for d in self.store.documents(outlet=outlet)])

    def annotations(self, doc_id: str | None = None, *, layer: str | None = None) -> pd.DataFrame:
        """One row per annotation, with the text of its span where it has one."""
        import pandas as pd

        from narrascope.export import annotation_row
        from narrascope.model import Layer

        chosen = Layer(layer) if layer else None
        docs = [self.store.document(doc_id)] if doc_id else self.store.documents()
        rows = [
            annotation_row(ann, doc.text)
            for doc in docs
            if doc is not None
            for ann in self.store.annotations(doc.id, layer=chosen)
        ]
        return pd.DataFrame(rows)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Corpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open(db: str | Path) -> Corpus:
    """Open a database written by `analyze` for reading in Python (read-only: it changes nothing)."""
    from narrascope.store import Store

    return Corpus(Store.open(db, readonly=True))
