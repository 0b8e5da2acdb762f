"""Opening a database: a path means a SQLite file (WAL mode), a URL any SQLAlchemy database.

Also runs the Alembic migrations shipped in `migrations/` to head, programmatically and under a
lock, so two processes opening a fresh database at once cannot both create it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).with_name("migrations")
WRITE = "narrascope_write"
"""Execution option marking a connection whose transaction will write (SQLite: BEGIN IMMEDIATE)."""


def database_url(url_or_path: str | Path, *, create: bool = True) -> str:
    """The SQLAlchemy URL for a path or URL; PostgreSQL URLs get the psycopg 3 driver.

    Only with `create` does a path get its missing folders made.
    """
    text_ = str(url_or_path)
    if "://" not in text_:
        path = Path(text_).expanduser().resolve()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    for plain in ("postgresql://", "postgres://"):
        if text_.startswith(plain):
            return "postgresql+psycopg://" + text_[len(plain) :]
    return text_


SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database file: write-ahead log, its shared memory, rollback journal."""


def sqlite_files(url_or_path: str | Path) -> tuple[Path, ...]:
    """The SQLite file a path (or `sqlite:///` URL) names, then its sidecar files, whether they
    exist or not; none for another database."""
    url = database_url(url_or_path, create=False)
    if not url.startswith("sqlite:///"):
        return ()
    path = Path(url.removeprefix("sqlite:///")).expanduser().resolve()
    return (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDECARS))


def make_engine(url_or_path: str | Path, *, readonly: bool = False) -> Engine:
    """An engine for the database; SQLite connections use WAL, foreign keys and a busy timeout.

    `readonly` opens the file (or PostgreSQL session) so that nothing can be written: no WAL
    switch, no table, not a byte changed (#18).
    """
    url = database_url(url_or_path, create=not readonly)
    if not url.startswith("sqlite"):
        options = {"options": "-c default_transaction_read_only=on"} if readonly else {}
        return create_engine(url, pool_pre_ping=True, connect_args=options)
    if readonly:  # a URI, so that SQLite itself refuses every write ("mode=ro")
        uri = f"file:{quote(url.removeprefix('sqlite:///'))}?mode=ro"
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False),
        )
    else:
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's own transaction handling defers the write lock
        # and then fails with "database is locked" when two writers upgrade at once).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if readonly:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on any error."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


class Connections:
    """Where the store's reads and writes go: a connection of their own, or the open batch.

    Outside a batch each write is its own transaction. Inside `batch()` every write is a
    savepoint of the batch's one transaction (a failing document rolls back alone) and reads
    see the batch's own writes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._batch: Connection | None = None
        self._snapshot: ContextVar[Connection | None] = ContextVar("snapshot", default=None)
        self._memo: ContextVar[dict[str, Any] | None] = ContextVar("snapshot_memo", default=None)
        self.on_rollback: list[Callable[[], None]] = []  # forget what a rollback undid

    def _rolled_back(self) -> None:
        for forget in self.on_rollback:
            forget()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        if self._batch is not None:
            yield self._batch
            return
        pinned = self._snapshot.get()
        if pinned is not None:
            yield pinned
            return
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read of this thread or task inside it goes to one connection, in one read
        transaction: a page's dozen queries see one state of the store, and skip a dozen
        connection checkouts and BEGINs (#17). Writes still take their own transaction."""
        if self._batch is not None or self._snapshot.get() is not None:
            yield
            return
        with self.engine.connect() as conn:
            token, memo = self._snapshot.set(conn), self._memo.set({})
            try:
                yield
            finally:
                self._memo.reset(memo)
                self._snapshot.reset(token)

    def memo(self) -> dict[str, Any] | None:
        """Values read once per `snapshot()` (its state does not move under it), None outside
        one: `change_stamp()` is asked by every cache a page consults (#17)."""
        return self._memo.get()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        try:
            if self._batch is not None:
                with self._batch.begin_nested():
                    yield self._batch
            else:
                with writing(self.engine) as conn:
                    yield conn
        except BaseException:
            self._rolled_back()
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        if self._batch is not None:  # already inside one: join it
            yield
            return
        try:
            with writing(self.engine) as conn:
                self._batch = conn
                try:
                    yield
                finally:
                    self._batch = None
        except BaseException:
            self._rolled_back()
            raise


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; cheap when it already is there."""
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    from alembic import command

    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            # Several workers may open a fresh database at once; one migrates, the rest wait.
            conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
