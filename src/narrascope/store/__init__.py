"""The store: one database (SQLite file by default, PostgreSQL by URL) behind model objects.

Only this package knows table names or SQL. `Store.open(path_or_url)` checks the database
(`access.py`), creates or migrates it only when asked, and hands back documents, annotations,
vectors, publications, copies and runs.
"""

from narrascope.store.access import DatabaseError
from narrascope.store.database import Store
from narrascope.store.records import Cluster, CopyEdge, Publication, StoreStats

__all__ = ["Cluster", "CopyEdge", "DatabaseError", "Publication", "Store", "StoreStats"]
