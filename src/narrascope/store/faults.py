"""Telling a database's own failure (disk full, connection lost) from one document's problem.

The pipeline records a bad document and goes on, but a failing database must stop the run:
writing on would store documents by halves.
"""

from __future__ import annotations

from collections.abc import Iterator


def database_fault(exc: BaseException) -> str | None:
    """Why the database failed a write, when that is the database's fault (not one document's).

    Looks down the chain of exceptions: SQLite rolls a whole transaction back when the disk
    fills, so what surfaces is a failing `ROLLBACK TO SAVEPOINT` with the real cause beneath.
    """
    faults = [_fault(e) for e in _chain(exc)]
    found = [f for f in faults if f]
    return next((f for f in found if f.startswith("disk full")), found[0] if found else None)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _fault(exc: BaseException) -> str | None:
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, OSError) and exc.errno == 28:
        return f"disk full: {exc}"
    if not isinstance(exc, DBAPIError):
        return None
    lines = str(exc.orig or exc).strip().splitlines()
    message = lines[0] if lines else type(exc.orig).__name__
    code = getattr(exc.orig, "sqlstate", None) or ""
    if code == "53100" or "disk is full" in message or "No space left" in message:
        return f"disk full: {message}"
    if exc.connection_invalidated or code.startswith(("08", "57P", "40")):
        return f"connection lost or conflict: {message}"
    if "database is locked" in message or "no such savepoint" in message:
        return f"transaction lost: {message}"
    return None
