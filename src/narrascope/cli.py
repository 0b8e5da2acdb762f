"""The `narrascope` command: a thin skin where each command makes one library call and prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from narrascope.terminal import progress_bar
from narrascope.terminal import safe_text as escape  # article text, safe for the terminal

if TYPE_CHECKING:
    from narrascope.store import Store

from narrascope import read_cli
from narrascope.attention_cli import attention_command
from narrascope.review_cli import review_app, users_app
from narrascope.training_cli import ProfileOption, evaluate, train

app = typer.Typer(
    help="Take news articles apart: techniques, narratives, roles, quotes, claims, copies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(review_app, name="review")
app.add_typer(users_app, name="users")
app.command("attention")(attention_command)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# A string, not a Path: Path would fold "postgresql://host/db" into "postgresql:/host/db", which
# then opened as a SQLite file in a folder named "postgresql:".
DbOption = Annotated[str, typer.Option("--db", help="The SQLite file, or a postgresql:// URL.")]
DEFAULT_DB = "narrascope.db"
ModelOption = Annotated[
    Path | None,
    typer.Option(help="A model folder (train --corrections DB --out DIR) to label with."),
]
MinConfidenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--min-confidence",
        help="Store only labels scored at least P (above each head's own cut); "
        "LAYER=P for one layer, e.g. technique=0.7. Repeatable.",
    ),
]
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(1)


def _found(value: T | None, what: str) -> T:
    """`value`, or one `error:` line saying there is no such `what` (exit status 1)."""
    if value is None:
        _fail(f"no {what}")
    return value


@contextmanager
def _failing(*errors: type[Exception]) -> Iterator[None]:
    """Turn these library errors into one `error:` line and exit status 1 (no traceback)."""
    try:
        yield
    except errors as exc:
        # str() of a KeyError is the repr of its message: print the message itself.
        _fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))


@contextmanager
def opened(db: str, *, create: bool = False, readonly: bool = True) -> Iterator[Store]:
    """The store at `db`, or one `error:` line naming it and the reason (no traceback).

    Only `analyze` and `migrate` pass `create`; reading commands pass `readonly` (#18).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from narrascope.store import DatabaseError, Store
    from narrascope.store.access import display_name, driver_reason

    try:
        with Store.open(db, create=create, readonly=readonly) as store:
            yield store
    except DatabaseError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:  # a file cut short can pass the opening check
        _fail(f"{display_name(db)}: {driver_reason(exc)}")


@app.command()
def analyze(
    sources: Annotated[list[str], typer.Argument(help="Files, folders, globs or http(s) URLs.")],
    db: DbOption = DEFAULT_DB,
    only: Annotated[list[str] | None, typer.Option(help="Run only these analyzers.")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Do not run these analyzers.")] = None,
    dedup_threshold: Annotated[float, typer.Option(help="MinHash Jaccard for near copies.")] = 0.8,
    allow_private: Annotated[
        bool, typer.Option(help="Allow URLs on private or loopback addresses.")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Analyze on a local Dask cluster of this many processes.")
    ] = 0,
    scheduler: Annotated[
        str | None, typer.Option(help="Analyze on an existing Dask cluster (tcp://HOST:PORT).")
    ] = None,
    analyze_all: Annotated[
        bool,
        typer.Option(help="Analyze pages that are not articles too (listings, legal pages…)."),
    ] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero when any input is skipped.")] = False,
    min_confidence: MinConfidenceOption = None,
    outlet: Annotated[
        str | None, typer.Option(help="The publisher of every input (a folder of text files).")
    ] = None,
    model: ModelOption = None,
    profile: ProfileOption = "fast",
) -> None:
    """Analyze every article under SOURCES into the database DB (made if missing).

    Exits non-zero when an input path does not exist, when nothing could be read, when every
    input failed, and (with --strict) when any input was skipped.
    """
    from narrascope import pipeline
    from narrascope.heads import ModelFileError
    from narrascope.ingest.count import count_inputs
    from narrascope.ingest.sources import missing_paths
    from narrascope.run import RunStopped
    from narrascope.terminal import next_steps

    missing = missing_paths(sources)
    if missing:
        _fail(f"no such input: {', '.join(missing)}")
    with _failing(ValueError):
        pipeline.named_outlet(outlet)  # a date or a headline is refused before any work
    with (
        _failing(ModelFileError, KeyError, ValueError, RunStopped),
        opened(db, create=True, readonly=False) as store,
        progress_bar("articles", total=count_inputs(sources)) as advance,
    ):
        report = pipeline.analyze(
            sources,
            store,
            only=only,
            skip=skip or (),
            dedup_threshold=dedup_threshold,
            allow_private=allow_private,
            on_progress=advance,
            workers=workers,
            scheduler=scheduler,
            analyze_all=analyze_all,
            min_confidence=min_confidence,
            outlet=outlet,
            models=model,
            profile=profile,
        )
    for source, reason in report.passed_over:
        err.print(f"not read {escape(source)}: {escape(reason)}")
    for source, reason in report.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(source)}: {escape(reason)}")
    console.print(escape(report.summary()))
    console.print(f"database: {escape(str(db))}")
    failed = report.failure(strict=strict)
    if failed:
        _fail(failed)
    console.print(next_steps(db), style="dim", soft_wrap=True)


@app.command()
def reanalyze(
    db: DbOption = DEFAULT_DB,
    only: Annotated[list[str] | None, typer.Option(help="Consider only these analyzers.")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Do not consider these.")] = None,
    min_confidence: MinConfidenceOption = None,
    model: ModelOption = None,
    profile: Annotated[
        str | None,
        typer.Option(help="fast or accurate; by default the profile of the latest analyze run."),
    ] = None,
) -> None:
    """Re-run, from stored vectors, each analyzer whose stored version is not the current one
    (with --model DIR: the version of that per-corpus model; with --profile: that profile's,
    whose labels replace the other profile's)."""
    from narrascope import reanalyze as rerun
    from narrascope.heads import ModelFileError

    with (
        _failing(ModelFileError, KeyError, ValueError),
        opened(db, readonly=False) as store,
        progress_bar("documents", total=store.stats().documents) as advance,
    ):
        # An accurate-profile database stays accurate unless asked otherwise (#19).
        profile = profile or store.corpus.last_run_settings().get("profile", "fast")
        report = rerun.reanalyze(
            store,
            only=only,
            skip=skip or (),
            on_progress=advance,
            min_confidence=min_confidence,
            models=model,
            profile=profile,
        )
    console.print(escape(report.summary()))


for _name, _command in read_cli.COMMANDS.items():  # stats, list, show, storylines, search…
    app.command(_name)(_command)


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="The file to write.")],
    db: DbOption = DEFAULT_DB,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="jsonl, csv, parquet, or semeval (OUT is then a folder); default: OUT's suffix.",
        ),
    ] = None,
    table: Annotated[
        str,
        typer.Option(
            help="documents, labels (flat, for spreadsheets), bookkeeping, annotations,"
            " sentences, publications, storylines or profiles."
        ),
    ] = "documents",
) -> None:
    """Write a whole table of the database to OUT, streamed, with no row cap."""
    from narrascope import export as exporter

    with opened(db) as store, _failing(ValueError):
        rows = exporter.write(store, out, format=format, table=table)
    console.print(f"{rows} rows → {escape(str(out))}")


app.command()(train)
app.command()(evaluate)


@app.command()
def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[
        str, typer.Option(help="Address to bind; off loopback a token is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="NARRASCOPE_TOKEN",
            show_envvar=True,
            help="Require this token (made up when bound off loopback); or set the variable.",
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(help="Read the token from this file's first line (keeps it out of `ps`)."),
    ] = None,
    users: Annotated[
        Path | None, typer.Option(help="Users file: per-user tokens and roles (narrascope users).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (a team: one a core).")] = 1,
    threads: Annotated[
        int | None,
        typer.Option(min=1, help="Requests each server process handles at once [default: 2]."),
    ] = None,
) -> None:
    """Open the web workbench and JSON API (/api/v1) over the database DB."""
    from narrascope import web
    from narrascope.web.users import server_token

    with _failing(ValueError):
        token = server_token(token, token_file)
    with opened(db, readonly=False):  # refuses a missing, foreign or older database (#18)
        pass
    with _failing(FileNotFoundError, ValueError):
        web.serve(
            db,
            host=host,
            port=port,
            token=token,
            on_ready=lambda url: console.print(f"serving {escape(url)}"),
            users_file=users,
            workers=workers,
            threads=threads,
        )


@app.command()
def migrate(db: DbOption = DEFAULT_DB) -> None:
    """Create the database DB, or bring an older one's schema up to this version."""
    from narrascope.store import DatabaseError
    from narrascope.store.access import probe

    with _failing(DatabaseError):
        before = probe(db, create=True)  # refuses a folder or a foreign file; makes nothing
    with opened(db, create=True, readonly=False):
        pass
    if before.empty:
        console.print(f"created {escape(db)} at schema version {before.head}")
    elif before.current:
        console.print(f"{escape(db)} is at schema version {before.head} already")
    else:
        console.print(
            f"migrated {escape(db)} from schema version {before.revision} to {before.head}"
        )


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the report into.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write a static, offline HTML report: corpus overview and one page per article."""
    from narrascope.corpus.storylines import update_storylines
    from narrascope.export.report import write_report

    with (
        opened(db, readonly=False) as store,
        progress_bar("articles", total=store.stats().documents) as advance,
    ):
        update_storylines(store)
        result = write_report(store, out, on_progress=advance)
    console.print(
        f"{result.articles} article pages, {result.storylines} storylines → "
        f"{escape(str(out / 'index.html'))}"
    )


def main() -> None:  # pragma: no cover - console entry
    app()
