"""A throw-away PostgreSQL server for tests: Debian's binaries, a temp dir, loopback only.

`PostgresServer.start()` runs `initdb` and `pg_ctl start` as the `postgres` user when the tests
run as root (PostgreSQL refuses to run as root), on a free port of 127.0.0.1, with fsync off.
It raises `PostgresUnavailable` (tests skip on it) when the binaries are missing; CI installs
them with `apt-get install -y postgresql`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (binaries or the `postgres` user missing)."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise PostgresUnavailable(
            "no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def _version(path: str) -> int:
    part = Path(path).parents[1].name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One running server; `url(name)` is a database URL, `create()` makes a fresh database."""

    def __init__(self, root: Path, port: int, bin_dir: Path, as_user: list[str]) -> None:
        self.root, self.port, self.bin_dir, self._as_user = root, port, bin_dir, as_user

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _bin_dir()
        as_user: list[str] = []
        root = Path(tempfile.mkdtemp(prefix="narrascope-pg-"))
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise PostgresUnavailable("running as root without runuser")
            try:
                shutil.chown(root, user="postgres")
            except (LookupError, PermissionError) as exc:
                raise PostgresUnavailable(f"no postgres user to run the server as ({exc})") from exc
            as_user = [runuser, "-u", "postgres", "--"]
        server = cls(root, _free_port(), bin_dir, as_user)
        try:
            server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
            options = (
                f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            )
            server._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-o", options,
                        "-w", "-t", "60", "start")  # fmt: skip
        except (subprocess.CalledProcessError, OSError) as exc:
            log = root / "log"
            detail = log.read_text(errors="replace")[-500:] if log.exists() else str(exc)
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(f"PostgreSQL did not start: {detail}") from exc
        return server

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
            cwd=self.root,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create(self) -> str:
        """A fresh, empty database's URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def terminate_connections(self, url: str) -> int:
        """Drop every client connection to this database (a network cut); returns how many."""
        import psycopg

        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            ).fetchall()
        return len(rows)

    def stop(self) -> None:
        with suppress(subprocess.CalledProcessError, OSError):  # already gone
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def running() -> Iterator[PostgresServer]:
    """A server for the duration of the block."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new, empty database on the server at URL `server` for the block, dropped after it."""
    import psycopg

    name = f"narrascope_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
