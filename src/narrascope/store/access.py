"""Whether a database may be opened, and how: the check `Store.open` makes before anything else.

Only `analyze` and `migrate` may create a database or bring its schema to this version; every
other command opens an existing Narrascope database as it is, and a read-only one so that not a
byte changes (#18). Whatever goes wrong (no such file, a folder, another application's SQLite
file, a cut file, a PostgreSQL server that does not answer) comes out as one `DatabaseError`
naming the database and the reason, never as a driver's traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from narrascope.store.engine import MIGRATIONS, make_engine

_SQLITE_MAGIC = b"SQLite format 3\x00"


class DatabaseError(RuntimeError):
    """A database that cannot be opened as asked; the message names it and says why."""


@dataclass(frozen=True)
class SchemaState:
    """What a database holds: nothing yet, or Narrascope's schema at some revision."""

    empty: bool
    revision: str | None = None  # None with tables present: not a Narrascope database
    head: str = ""

    @property
    def current(self) -> bool:
        return self.revision == self.head


def display_name(url_or_path: str | Path) -> str:
    """The database as the user wrote it, any password in a URL hidden."""
    text_ = str(url_or_path)
    if "://" not in text_:
        return text_
    try:
        return make_url(text_).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return text_.split("@")[-1]


def revisions() -> tuple[list[str], str]:
    """Every schema revision this version knows, oldest first, and the newest (head)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    known = [rev.revision for rev in script.walk_revisions()][::-1]
    return known, str(script.get_current_head())


def check_file(url_or_path: str | Path, *, create: bool) -> None:
    """Refuse a SQLite path that is missing (unless `create`), a folder or not a SQLite file."""
    if "://" in str(url_or_path):
        return
    name, path = display_name(url_or_path), Path(url_or_path).expanduser()
    if path.is_dir():
        raise DatabaseError(f"{name}: is a folder, not a database file")
    if not path.exists():
        if create:
            return
        raise DatabaseError(f"{name}: no such database (`narrascope analyze` makes one)")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseError(f"{name}: cannot read ({exc.strerror})") from None
    if head and head != _SQLITE_MAGIC:
        raise DatabaseError(f"{name}: not a SQLite database (not a Narrascope database)")
    if not head and not create:
        raise DatabaseError(f"{name}: empty file, not a Narrascope database")


def schema_state(engine: Engine, name: str) -> SchemaState:
    """What the database holds, read without writing; driver errors become `DatabaseError`."""
    known, head = revisions()
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return SchemaState(empty=True, head=head)
            if "alembic_version" not in tables:
                return SchemaState(empty=False, head=head)
            found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError as exc:
        raise DatabaseError(f"{name}: {driver_reason(exc)}") from None
    revision = found[0] if len(found) == 1 else None
    if revision is not None and revision not in known:
        raise DatabaseError(
            f"{name}: schema version {revision} is newer than this Narrascope knows "
            f"(newest {head}): upgrade Narrascope"
        )
    return SchemaState(empty=False, revision=revision, head=head)


def refuse(state: SchemaState, name: str, *, create: bool) -> None:
    """Raise unless a database in `state` may be opened (`create`: may be made or migrated)."""
    if state.empty:
        if not create:
            raise DatabaseError(f"{name}: empty database, no Narrascope tables yet")
    elif state.revision is None:
        raise DatabaseError(f"{name}: not a Narrascope database (it holds other tables)")
    elif not state.current and not create:
        raise DatabaseError(
            f"{name}: schema version {state.revision}, this Narrascope needs {state.head}: "
            f"run `narrascope migrate --db {name}`"
        )


@contextmanager
def database_errors(url_or_path: str | Path, *, doing: str = "") -> Iterator[None]:
    """Turn a driver's error inside the block into a `DatabaseError` naming the database."""
    try:
        yield
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = f"{doing} ({driver_reason(exc)})" if doing else driver_reason(exc)
        raise DatabaseError(f"{display_name(url_or_path)}: {reason}") from None


def driver_reason(exc: BaseException) -> str:
    """The first line of what the database driver said, without SQLAlchemy's boilerplate."""
    inner = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    reason = lines[0] if lines else type(inner).__name__
    return reason.removeprefix("(sqlite3.DatabaseError) ")


def probe(url_or_path: str | Path, *, create: bool) -> SchemaState:
    """Check the database before opening it for real: raises `DatabaseError` if it may not be."""
    name = display_name(url_or_path)
    check_file(url_or_path, create=create)
    if "://" not in str(url_or_path) and not Path(url_or_path).expanduser().exists():
        return SchemaState(empty=True, head=revisions()[1])  # `create`: a new file
    with database_errors(url_or_path):
        engine = make_engine(url_or_path, readonly=True)
    try:
        state = schema_state(engine, name)
    finally:
        engine.dispose()
    refuse(state, name, create=create)
    return state
