"""The store: one database (SQLite file by default, PostgreSQL by URL) behind model objects.

Only this package knows table names or SQL. `Store.open(path_or_url)` migrates the schema to
head and hands back documents, annotations, vectors, publications, copies and runs.
"""

from narrascope.store.database import Store
from narrascope.store.records import Cluster, CopyEdge, Publication, StoreStats

__all__ = ["Cluster", "CopyEdge", "Publication", "Store", "StoreStats"]
