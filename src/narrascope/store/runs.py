"""The runs table: a run's start and end, its problems, and the runs left unfinished.

A killed `analyze` leaves its run without `finished_at`. The next run marks it interrupted
(its counts say so) when the process that started it is gone, and `stats` shows both kinds
(#18). A run of another host cannot be checked from here and stays "running".
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy import Connection, select

from narrascope.store import schema as t
from narrascope.store.records import now

INTERRUPTED = "interrupted"


def this_process() -> dict[str, Any]:
    """The settings keys that say which process a run belongs to."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(settings: dict[str, Any]) -> bool:
    """Whether the process that started a run may still be running it."""
    pid, host = settings.get("pid"), settings.get("host")
    if not isinstance(pid, int):
        return False  # a run from before runs named their process
    if host != socket.gethostname():
        return True  # cannot tell: leave it alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted(conn: Connection) -> int:
    """Mark every unfinished run whose process is gone as interrupted; returns how many."""
    r = t.runs.c
    open_runs = conn.execute(
        select(r.id, r.settings).where(r.finished_at.is_(None), r.counts.is_(None))
    ).all()
    dead = [run_id for run_id, settings in open_runs if not _alive(settings or {})]
    for run_id in dead:
        conn.execute(t.runs.update().where(r.id == run_id).values(counts={INTERRUPTED: 1}))
    return len(dead)


def unfinished_runs(conn: Connection) -> dict[str, int]:
    """How many runs have no end: `interrupted` (marked so) and `running` (or not yet marked)."""
    r = t.runs.c
    found: dict[str, int] = {}
    for (counts,) in conn.execute(select(r.counts).where(r.finished_at.is_(None))):
        state = INTERRUPTED if (counts or {}).get(INTERRUPTED) else "running"
        found[state] = found.get(state, 0) + 1
    return found


def start_run(conn: Connection, *, sources: list[str], settings: dict[str, Any]) -> int:
    """Insert a run (after marking dead processes' runs interrupted); returns its id."""
    mark_interrupted(conn)
    result = conn.execute(
        t.runs.insert().values(
            started_at=now(), sources=sources, settings={**settings, **this_process()}
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def end_run(conn: Connection, run_id: int, *, counts: dict[str, int]) -> None:
    """Stamp a run finished, with its counts by outcome."""
    conn.execute(
        t.runs.update().where(t.runs.c.id == run_id).values(finished_at=now(), counts=dict(counts))
    )


def add_problem(conn: Connection, run_id: int | None, source: str, reason: str) -> None:
    """One line about an input that could not be read: which one and why."""
    conn.execute(
        t.problems.insert().values(run_id=run_id, source=source, reason=reason, created_at=now())
    )
