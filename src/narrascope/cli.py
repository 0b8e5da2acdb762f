"""The `narrascope` command: a thin skin where each command makes one library call and prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from narrascope.terminal import progress_bar
from narrascope.terminal import safe_text as escape  # article text, safe for the terminal

if TYPE_CHECKING:
    from narrascope.store import Store

from narrascope.review_cli import review_app, users_app

app = typer.Typer(
    help="Take news articles apart: techniques, narratives, roles, quotes, claims, copies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(review_app, name="review")
app.add_typer(users_app, name="users")
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# A string, not a Path: Path would fold "postgresql://host/db" into "postgresql:/host/db", which
# then opened as a SQLite file in a folder named "postgresql:".
DbOption = Annotated[str, typer.Option("--db", help="The SQLite file, or a postgresql:// URL.")]
DEFAULT_DB = "narrascope.db"
MinConfidenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--min-confidence",
        help="Store only labels scored at least P (above each head's own cut); "
        "LAYER=P for one layer, e.g. technique=0.7. Repeatable.",
    ),
]
T = TypeVar("T")
DataOption = Annotated[Path, typer.Option(help="The labelled data set's folder (read by path).")]
ProfileOption = Annotated[str, typer.Option(help="fast (shared encoder) or accurate (fine-tuned).")]


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
    profile: ProfileOption = "fast",
) -> None:
    """Analyze every article under SOURCES into the database DB (made if missing).

    Exits non-zero when an input path does not exist, when nothing could be read, when every
    input failed, and (with --strict) when any input was skipped.
    """
    from narrascope import pipeline
    from narrascope.heads import ModelFileError
    from narrascope.ingest.sources import missing_paths
    from narrascope.run import RunStopped

    missing = missing_paths(sources)
    if missing:
        _fail(f"no such input: {', '.join(missing)}")
    with (
        _failing(ModelFileError, KeyError, ValueError, RunStopped),
        opened(db, create=True, readonly=False) as store,
        progress_bar("articles") as advance,
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
            profile=profile,
        )
    for source, reason in report.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(source)}: {escape(reason)}")
    console.print(escape(report.summary()))
    console.print(f"database: {escape(str(db))}")
    failed = report.failure(strict=strict)
    if failed:
        _fail(failed)


@app.command()
def reanalyze(
    db: DbOption = DEFAULT_DB,
    only: Annotated[list[str] | None, typer.Option(help="Consider only these analyzers.")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Do not consider these.")] = None,
    min_confidence: MinConfidenceOption = None,
) -> None:
    """Re-run, from stored vectors, each analyzer whose stored version is not the current one."""
    from narrascope import reanalyze as rerun
    from narrascope.heads import ModelFileError

    with (
        _failing(ModelFileError, KeyError, ValueError),
        opened(db, readonly=False) as store,
        progress_bar("documents") as advance,
    ):
        report = rerun.reanalyze(
            store,
            only=only,
            skip=skip or (),
            on_progress=advance,
            min_confidence=min_confidence,
        )
    console.print(escape(report.summary()))


@app.command()
def stats(db: DbOption = DEFAULT_DB) -> None:
    """Counts of what the database holds."""

    with opened(db) as store:
        console.print(escape(store.stats().summary()))


@app.command("list")
def list_documents(
    db: DbOption = DEFAULT_DB,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).")] = 0,
) -> None:
    """One line per document: id, date, language, outlet, title; why, for a page not analyzed."""
    from narrascope.terminal import document_line

    with opened(db) as store:
        for doc in store.documents(outlet=outlet, limit=limit or None):
            console.print(escape(document_line(doc)), soft_wrap=True)


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="A document id or a unique prefix of one.")],
    db: DbOption = DEFAULT_DB,
    removed: Annotated[
        bool, typer.Option(help="List what cleaning removed, line by line.")
    ] = False,
) -> None:
    """Print one article with its technique spans marked and every other layer listed."""
    from narrascope.terminal import render_document, render_removed

    with opened(db) as store:
        doc = _found(store.document(doc_id), f"document {doc_id!r} in {db}")
        if removed:
            console.print(render_removed(doc))
            return
        console.print(render_document(doc, list(store.annotations(doc.id)), store.sources(doc.id)))


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


@app.command()
def train(
    task: Annotated[
        str, typer.Argument(help="techniques, genre, frames, narratives, roles, claims…")
    ],
    data: DataOption,
    out: Annotated[Path | None, typer.Option(help="Where heads go (default: the package).")] = None,
    seed: int = 13,
    folds: int = 5,
    corrections: Annotated[
        str | None, typer.Option(help="A database whose analysts' corrections are weighted in.")
    ] = None,
    profile: ProfileOption = "fast",
) -> None:
    """Train TASK's head reproducibly (fixed seed, k-fold CV for thresholds) and print CV scores."""
    from narrascope import training
    from narrascope.heads import RESOURCES

    run = {"profile": profile, "on_progress": lambda line: err.print(escape(line))}
    with _failing(KeyError, FileNotFoundError):
        report = training.train(
            task, data, out=out or RESOURCES, seed=seed, folds=folds, corrections=corrections, **run
        )
    console.print(escape(report.summary()))


@app.command()
def evaluate(
    task: Annotated[str, typer.Argument(help="The task whose shipped head is scored.")],
    data: DataOption,
    split: Annotated[str, typer.Option(help="The split's file prefix: train, dev, test…")] = "dev",
    predictions: Annotated[
        Path | None, typer.Option(help="Also write predictions in the official format here.")
    ] = None,
    profile: ProfileOption = "fast",
) -> None:
    """Score TASK on a split with the task's official metric."""
    from narrascope import training

    with _failing(KeyError, FileNotFoundError):
        report = training.evaluate(
            task, data, split=split, predictions=predictions, profile=profile
        )
    console.print(escape(report.summary()))


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
def storylines(
    storyline_id: Annotated[
        str | None, typer.Argument(help="Show this storyline: its members by date and outlet.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    limit: Annotated[int, typer.Option(help="Show this many storylines.")] = 20,
    sort: Annotated[str, typer.Option(help="outlets, size, first_seen or growth.")] = "outlets",
    narrative: Annotated[str | None, typer.Option(help="Only storylines carrying it.")] = None,
    outlet: Annotated[str | None, typer.Option(help="Only storylines this outlet joined.")] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Cluster everything again (old ids pass to the nearest).")
    ] = False,
) -> None:
    """Update storylines with the documents added since the last update, then list them."""
    from narrascope.corpus.storylines import storyline, update_storylines
    from narrascope.terminal import render_storyline

    with opened(db, readonly=False) as store:
        with progress_bar("documents") as advance:
            report = update_storylines(store, rebuild=rebuild, on_progress=advance)
        console.print(escape(report.summary()))
        with _failing(ValueError):
            if storyline_id is not None:
                line = _found(storyline(store, storyline_id), f"storyline {storyline_id!r}")
                console.print(render_storyline(line), soft_wrap=True)
            else:
                _list_storylines(store, limit, sort, narrative, outlet)


def _list_storylines(
    store: Any, limit: int, sort: str, narrative: str | None, outlet: str | None
) -> None:
    from narrascope.corpus.labels import resolve_filters
    from narrascope.corpus.storyline_list import storyline_list
    from narrascope.terminal import storyline_line

    narrative, outlet = resolve_filters(store, narrative=narrative, outlet=outlet)
    listing = storyline_list(store, sort=sort, narrative=narrative, outlet=outlet, limit=limit)
    for line in listing.lines:
        console.print(storyline_line(line), soft_wrap=True)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words or "a phrase" (empty: facets only).')] = "",
    db: DbOption = DEFAULT_DB,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (ISO code).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    narrative: Annotated[
        str | None, typer.Option(help="This narrative (its evidence sentences without words).")
    ] = None,
    technique: Annotated[
        str | None, typer.Option(help="This technique (its labelled spans without words).")
    ] = None,
    entity: Annotated[str | None, typer.Option(help="Documents mentioning this entity.")] = None,
    speaker: Annotated[str | None, typer.Option(help="Documents quoting this speaker.")] = None,
    like: Annotated[
        bool, typer.Option(help="Semantic: sentences like QUERY (stored vectors).")
    ] = False,
    limit: int = 20,
    cursor: Annotated[str | None, typer.Option(help="The next-page cursor printed before.")] = None,
) -> None:
    """Full-text search over sentences with facets, or --like for sentences with the same meaning."""
    from datetime import date

    from narrascope.corpus import NotComputed
    from narrascope.corpus.search import SearchQuery, similar_sentences
    from narrascope.corpus.search import search as run_search
    from narrascope.terminal import render_hit

    with opened(db) as store:
        if like:
            with _failing(NotComputed):
                similar = similar_sentences(store, query, k=limit)
            for near in similar:
                console.print(
                    f"{near.similarity:.3f}  {near.doc_id}#{near.sentence}  "
                    f"{escape(near.outlet or '(no outlet)')}  {escape(near.text)}",
                    soft_wrap=True,
                )
            return
        with _failing(ValueError):
            page = run_search(
                store,
                SearchQuery(
                    text=query,
                    outlet=outlet,
                    language=language,
                    since=date.fromisoformat(since) if since else None,
                    until=date.fromisoformat(until) if until else None,
                    narrative=narrative,
                    technique=technique,
                    entity=entity,
                    speaker=speaker,
                    limit=limit,
                    cursor=cursor,
                ),
            )
    console.print(f"{page.total}{'+ (newest first)' if page.capped else ''} hits")
    for hit in page.hits:
        console.print(render_hit(hit), soft_wrap=True)
    if page.next_cursor:
        console.print(f"next page: --cursor {page.next_cursor}")


@app.command()
def profile(
    outlet: Annotated[str, typer.Argument(help="The outlet's name, as `narrascope list` shows.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """An outlet's profile: articles, genres, technique rate, narratives, quoted, roles, copies."""
    from narrascope.corpus.profiles import outlet_profile
    from narrascope.terminal import render_profile

    with opened(db) as store:
        found = _found(outlet_profile(store, outlet), f"outlet {outlet!r} in {db}")
    console.print(render_profile(found), soft_wrap=True)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the report into.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write a static, offline HTML report: corpus overview and one page per article."""
    from narrascope.corpus.storylines import update_storylines
    from narrascope.export.report import write_report

    with opened(db, readonly=False) as store, progress_bar("articles") as advance:
        update_storylines(store)
        result = write_report(store, out, on_progress=advance)
    console.print(
        f"{result.articles} article pages, {result.storylines} storylines → "
        f"{escape(str(out / 'index.html'))}"
    )


def main() -> None:  # pragma: no cover - console entry
    app()
