"""`narrascope attention`: a search's matching documents per day, week or month, by outlet.

Thin like the rest of the CLI: one `narrascope.corpus.attention.attention` call, printed as a
table (one row per bucket, one column per query and outlet; undated documents said apart) and
written whole to `--csv`. `cli.py` mounts the command.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    from narrascope.corpus.attention import Attention

DbOption = Annotated[str, typer.Option("--db", help="The SQLite file, or a postgresql:// URL.")]


def _day(value: str | None, name: str) -> date | None:
    from narrascope import cli

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        cli._fail(f"{name}: not a date (YYYY-MM-DD): {value!r}")


def attention_command(
    query: Annotated[str, typer.Argument(help='Words or "a phrase" (empty: filters only).')] = "",
    db: DbOption = "narrascope.db",
    outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (ISO code).")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    narrative: Annotated[str | None, typer.Option(help="Carrying this narrative.")] = None,
    technique: Annotated[str | None, typer.Option(help="Carrying this technique.")] = None,
    entity: Annotated[str | None, typer.Option(help="Mentioning this entity.")] = None,
    speaker: Annotated[str | None, typer.Option(help="Quoting this speaker.")] = None,
    like: Annotated[
        bool, typer.Option(help="Semantic: documents with a sentence like QUERY (stored vectors).")
    ] = False,
    min_similarity: Annotated[
        float | None,
        typer.Option(help="With --like: the least cosine similarity that counts [0.3]."),
    ] = None,
    compare: Annotated[
        str | None, typer.Option(help="A second query (same filters) on the same axis.")
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="day, week or month (default: by the span).")
    ] = None,
    normalize: Annotated[
        bool, typer.Option(help="Show the share of the outlet's documents, not counts.")
    ] = False,
    by: Annotated[str, typer.Option(help="outlet (the --top outlets, the rest as one) or all.")] = (
        "all"
    ),
    top: Annotated[int, typer.Option(help="With --by outlet: outlets shown apart.")] = 8,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write every bucket of every series here.")
    ] = None,
) -> None:
    """Attention over time: documents matching QUERY per day/week/month, on a true time axis."""
    from narrascope import cli
    from narrascope.corpus import NotComputed
    from narrascope.corpus.attention import MIN_SIMILARITY, attention
    from narrascope.export import write_rows
    from narrascope.store.search import SearchQuery

    if by not in ("outlet", "all"):
        cli._fail(f"--by {by!r}: outlet or all")
    asked = SearchQuery(
        text=query,
        outlet=outlet,
        language=language,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
        narrative=narrative,
        technique=technique,
        entity=entity,
        speaker=speaker,
    )
    queries = [asked, *([dataclasses.replace(asked, text=compare)] if compare else [])]
    with cli.opened(db) as store, cli._failing(ValueError, NotComputed):
        found = attention(
            store,
            queries,
            interval=interval,
            by_outlet=by == "outlet",
            top=top,
            normalize=normalize,
            like=like,
            min_similarity=MIN_SIMILARITY if min_similarity is None else min_similarity,
        )
    cli.console.print(render_attention(found))
    for label, n in found.undated.items():
        if n:
            total = found.undated_totals.get(label, 0)
            cli.console.print(
                f"undated (not on the axis): {n} of {total} undated documents match "
                f"{cli.escape(label)}",
                soft_wrap=True,
            )
    if csv is not None:
        rows = write_rows(found.rows(), csv, format="csv")
        cli.console.print(f"{rows} rows → {cli.escape(str(csv))}")


def render_attention(found: Attention) -> Table:
    """One row per bucket, one column per series: counts, or shares with --normalize."""
    from narrascope.terminal import safe_text

    unit = "share of the outlet's documents" if found.normalized else "matching documents"
    several = len(found.queries) > 1
    table = Table(title=f"{unit} per {found.interval}", title_justify="left")
    table.add_column(found.interval)
    for s in found.series:
        name = f"{s.query} · {s.outlet}" if several else s.outlet
        table.add_column(safe_text(name), justify="right")
    for i, start in enumerate(found.buckets):
        cells = []
        for s in found.series:
            if found.normalized:
                share = s.shares[i]
                cells.append("–" if share is None else f"{100 * share:.1f}%")
            else:
                cells.append(str(s.counts[i]))
        table.add_row(start.isoformat(), *cells)
    if found.buckets:
        table.add_row("dated, all", *(str(s.documents) for s in found.series), end_section=True)
    return table
