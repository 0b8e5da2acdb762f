"""The reading commands of `narrascope`: stats, list, show, storylines, search, profile, entities
and the label glossary.

Thin like the rest of the CLI: each opens the store read-only (storylines updates them first),
makes one library call and prints. With `--json` each prints what the JSON API returns for the
same question (`/api/v1/…`, see `narrascope serve`'s /docs), so a script reads one shape
whichever door it uses; `list --json` streams JSON Lines. `cli.py` mounts them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

DbOption = Annotated[str, typer.Option("--db", help="The SQLite file, or a postgresql:// URL.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (the JSON API's shape) for scripts.")
]
DEFAULT_DB = "narrascope.db"


def _cli() -> (
    Any
):  # the CLI's consoles, store opener and error path (imported late: cli imports us)
    from narrascope import cli

    return cli


def print_json(value: Any) -> None:
    """`value` as one line of JSON: dataclasses, dates and enums made plain, controls escaped."""
    import json

    from narrascope.terminal import escape_controls
    from narrascope.web.panels import plain

    typer.echo(escape_controls(json.dumps(plain(value), ensure_ascii=False)))


def stats(db: DbOption = DEFAULT_DB, as_json: JsonOption = False) -> None:
    """Counts of what the database holds."""
    cli = _cli()
    with cli.opened(db) as store:
        found = store.stats()
    if as_json:
        print_json(dataclasses.asdict(found))
    else:
        cli.console.print(cli.escape(found.summary()))


def list_documents(
    db: DbOption = DEFAULT_DB,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per document and line (JSON Lines).")
    ] = False,
) -> None:
    """One line per document: id, date, language, outlet, title; why, for a page not analyzed."""
    from narrascope.terminal import document_line
    from narrascope.web.queries import summary

    cli = _cli()
    with cli.opened(db) as store:
        for doc in store.documents(outlet=outlet, limit=limit or None):
            if as_json:
                record = {**summary(doc), "page_type": str(doc.page_type)}
                print_json({**record, "page_reason": doc.page_reason})
            else:
                cli.console.print(cli.escape(document_line(doc)), soft_wrap=True)


def show(
    doc_id: Annotated[str, typer.Argument(help="A document id or a unique prefix of one.")],
    db: DbOption = DEFAULT_DB,
    removed: Annotated[
        bool, typer.Option(help="List what cleaning removed, line by line.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print one article with its technique spans marked and every other layer listed."""
    from narrascope.terminal import render_document, render_removed

    cli = _cli()
    with cli.opened(db) as store:
        doc = cli._found(store.document(doc_id), f"document {doc_id!r} in {db}")
        if as_json and removed:
            print_json({"id": doc.id, "removed": [dataclasses.asdict(r) for r in doc.removed]})
        elif as_json:
            from narrascope.web.definitions import Definitions
            from narrascope.web.queries import reader

            print_json(reader(store, Definitions.load(), doc.id).json())
        elif removed:
            cli.console.print(render_removed(doc))
        else:
            anns = list(store.annotations(doc.id))
            cli.console.print(render_document(doc, anns, store.sources(doc.id)))


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
    as_json: JsonOption = False,
) -> None:
    """Update storylines with the documents added since the last update, then list them."""
    from narrascope.corpus.storylines import storyline, update_storylines
    from narrascope.terminal import progress_bar, render_storyline

    cli = _cli()
    with cli.opened(db, readonly=False) as store:
        with progress_bar("documents") as advance:
            report = update_storylines(store, rebuild=rebuild, on_progress=advance)
        (cli.err if as_json else cli.console).print(cli.escape(report.summary()))
        with cli._failing(ValueError, LookupError):
            if as_json:
                print_json(_storylines_json(store, storyline_id, limit, sort, narrative, outlet))
            elif storyline_id is not None:
                line = cli._found(storyline(store, storyline_id), f"storyline {storyline_id!r}")
                cli.console.print(render_storyline(line), soft_wrap=True)
            else:
                _list_storylines(store, limit, sort, narrative, outlet)


def _storylines_json(
    store: Any, storyline_id: str | None, limit: int, sort: str, narrative: Any, outlet: Any
) -> dict[str, Any]:
    from narrascope.web import storylines as web_storylines

    if storyline_id is not None:
        return web_storylines.detail(store, storyline_id).json()
    params = web_storylines.ListParams(sort, narrative, outlet, limit=limit)
    return web_storylines.listing(store, params).json()


def _list_storylines(
    store: Any, limit: int, sort: str, narrative: str | None, outlet: str | None
) -> None:
    from narrascope.corpus.labels import resolve_filters
    from narrascope.corpus.storyline_list import storyline_list
    from narrascope.terminal import storyline_line

    narrative, outlet = resolve_filters(store, narrative=narrative, outlet=outlet)
    listing = storyline_list(store, sort=sort, narrative=narrative, outlet=outlet, limit=limit)
    for line in listing.lines:
        _cli().console.print(storyline_line(line), soft_wrap=True)


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
    as_json: JsonOption = False,
) -> None:
    """Full-text search over sentences with facets, or --like for sentences with the same meaning."""
    from narrascope.corpus import NotComputed
    from narrascope.corpus.search import OtherEncoder, SearchQuery, similar_sentences
    from narrascope.corpus.search import search as run_search
    from narrascope.terminal import render_hit, similar_line

    cli = _cli()
    with cli.opened(db) as store:
        if like:
            with cli._failing(NotComputed, OtherEncoder):
                similar = similar_sentences(store, query, k=limit)
            if as_json:
                print_json({"query": query, "results": similar})
                return
            for near in similar:
                cli.console.print(similar_line(near), soft_wrap=True)
            return
        with cli._failing(ValueError):
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
    if as_json:
        from narrascope.web.search import search_json

        print_json(search_json(page))
        return
    cli.console.print(f"{page.total}{'+ (newest first)' if page.capped else ''} hits")
    for hit in page.hits:
        cli.console.print(render_hit(hit), soft_wrap=True)
    if page.next_cursor:
        cli.console.print(f"next page: --cursor {page.next_cursor}")


def profile(
    outlet: Annotated[str, typer.Argument(help="The outlet's name, as `narrascope list` shows.")],
    db: DbOption = DEFAULT_DB,
    as_json: JsonOption = False,
) -> None:
    """An outlet's profile: articles, genres, technique rate, narratives, quoted, roles, copies."""
    from narrascope.corpus.profiles import outlet_profile
    from narrascope.terminal import render_profile

    cli = _cli()
    with cli.opened(db) as store:
        if as_json:
            from narrascope.web.queries import NotFound
            from narrascope.web.queries import outlet as outlet_json

            with cli._failing(NotFound):
                print_json(outlet_json(store, outlet).json())
            return
        found = cli._found(outlet_profile(store, outlet), f"outlet {outlet!r} in {db}")
    cli.console.print(render_profile(found), soft_wrap=True)


def entities(
    name: Annotated[
        str | None, typer.Argument(help="Only entities whose name contains this.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    type: Annotated[str | None, typer.Option(help="PER, ORG or LOC.")] = None,
    aliases: Annotated[
        bool, typer.Option(help="List the surface forms and ids merged into each, and why.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many entities (0: all).")] = 30,
    as_json: JsonOption = False,
) -> None:
    """People, organisations and places across the corpus: one entity per person, with the
    names and ids merged into it (--aliases) and the rule that merged each."""
    from narrascope.corpus.entities import corpus_entities
    from narrascope.terminal import entity_lines

    cli = _cli()
    with cli.opened(db) as store:
        found = corpus_entities(store, type=type and type.upper(), name=name, limit=limit or None)
    if as_json:
        print_json({"entities": found})
        return
    for entity in found:
        for line in entity_lines(entity, aliases=aliases):
            cli.console.print(line, soft_wrap=True)


def glossary(
    layer: Annotated[
        str | None,
        typer.Argument(help="technique, genre, frame, narrative, subnarrative, role, fine role."),
    ] = None,
    markdown: Annotated[bool, typer.Option(help="The whole glossary as Markdown.")] = False,
    as_json: JsonOption = False,
) -> None:
    """What each label means: techniques, genres, frames, narratives, roles."""
    from narrascope.export.glossary import glossary as terms
    from narrascope.export.glossary import glossary_markdown

    cli = _cli()
    if markdown:
        typer.echo(glossary_markdown(), nl=False)
        return
    found = [t for t in terms() if layer is None or t.layer == layer.lower()]
    if not found:
        cli._fail(f"no layer {layer!r}: technique, genre, frame, narrative, subnarrative, role")
    if as_json:
        print_json({"labels": found})
        return
    for term in found:
        cli.console.print(f"[bold]{cli.escape(term.label)}[/bold] ({term.layer})", soft_wrap=True)
        cli.console.print(f"    {cli.escape(term.definition)}", soft_wrap=True)


COMMANDS: dict[str, Callable[..., Any]] = {
    "stats": stats,
    "list": list_documents,
    "show": show,
    "storylines": storylines,
    "search": search,
    "profile": profile,
    "entities": entities,
    "glossary": glossary,
}
"""The commands `cli.py` mounts, in the order `narrascope --help` lists them."""
