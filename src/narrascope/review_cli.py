"""`narrascope review …` and `narrascope users …`: corrections and people from the terminal.

Thin like the rest of the CLI: each command makes one `narrascope.review.Review` (or
`narrascope.web.users.Users`) call and prints. `cli.py` mounts both groups.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from narrascope.model import Correction, CorrectionAction, CorrectionRefused

review_app = typer.Typer(help="Review labels: the queue, accept/reject/relabel/add, undo.")
users_app = typer.Typer(help="Users of `narrascope serve --users FILE`: names, roles, tokens.")

DbOption = Annotated[str, typer.Option("--db", help="The SQLite file, or a postgresql:// URL.")]
UserOption = Annotated[
    str | None, typer.Option("--user", help="Who makes the correction (default: login name).")
]
UsersOption = Annotated[
    Path | None, typer.Option("--users", help="Users file: --user must be a reviewer in it.")
]
NoteOption = Annotated[str, typer.Option(help="Why (kept with the correction).")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (the JSON API's shape) for scripts.")
]
DEFAULT_DB = "narrascope.db"


def _print_json(value: object) -> None:
    from narrascope.read_cli import print_json

    print_json(value)


def _console():  # the CLI's consoles and error path, one place (imported late: cli imports us)
    from narrascope import cli

    return cli


def _who(user: str | None, users: Path | None, *, undo_of: str | None = None) -> str:
    """The correcting user's name, checked against the users file when one is given."""
    name = (user or getpass.getuser()).strip()
    if users is None:
        return name
    from narrascope.web.users import Role, Users

    entry = next((e.user for e in Users.load(users).entries if e.user.name == name), None)
    if entry is None:
        _console()._fail(f"{name} is not in {users}")
    elif entry.role < Role.REVIEWER:
        _console()._fail(f"{name} is a {entry.role.name.lower()} and cannot correct labels")
    elif undo_of not in (None, name) and entry.role < Role.ADMIN:
        _console()._fail(f"{name} is a reviewer and cannot undo {undo_of}'s correction")
    return name


def _run(db: str, action: str, user: str, **fields: object) -> None:
    from narrascope.review import Review
    from narrascope.store import Store

    cli = _console()
    with Store.open(db) as store:
        try:
            done = Review(store).correct(action, user=user, **fields)  # type: ignore[arg-type]
        except CorrectionRefused as exc:
            cli._fail(str(exc))
            return
    cli.console.print(describe(done))


def describe(c: Correction) -> str:
    """One line: what was corrected, how, by whom and when."""
    from narrascope.cli import escape

    old = f"{c.old.layer} {c.old.label!r}" if c.old else ""
    new = f"{c.new.layer} {c.new.label!r}" if c.new else ""
    span = c.new or c.old
    where = f" at {span.start}-{span.end}" if span and span.start is not None else ""
    what = {
        CorrectionAction.ACCEPT: f"accepted {old}",
        CorrectionAction.REJECT: f"rejected {old}",
        CorrectionAction.RELABEL: f"relabelled {old} as {new}" if old != new else f"changed {old}",
        CorrectionAction.ADD: f"added {new}",
    }[c.action]
    what += "".join(
        f" ({key}: {c.new.attrs[key]})"
        for key in ("speaker", "entity")
        if c.new is not None
        and c.new.attrs.get(key)
        and (c.old is None or c.old.attrs.get(key) != c.new.attrs[key])
    )
    when = c.created_at.isoformat(timespec="seconds") if c.created_at else ""
    undone = f" (undone by {c.undone_by})" if c.undone_at else ""
    return escape(f"#{c.id} {c.doc_id}: {what}{where} by {c.user} {when}{undone}")


@review_app.command("queue")
def queue(
    db: DbOption = DEFAULT_DB,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet's labels.")] = None,
    layer: Annotated[str | None, typer.Option(help="Only this layer (technique, …).")] = None,
    label: Annotated[str | None, typer.Option(help="Only this label.")] = None,
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many to list.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List the labels whose review would teach the models most, first, with progress."""
    from narrascope.review import Review
    from narrascope.store import Store

    cli = _console()
    with Store.open(db) as store:
        try:
            q = Review(store).queue(outlet=outlet, layer=layer, label=label, limit=limit)
        except ValueError as exc:
            cli._fail(str(exc))
            return
        if as_json:
            from narrascope.web.review import queue_json

            _print_json(queue_json(q))
            return
        for item in q.items:
            ann = item.ann
            doc = store.document(ann.doc_id)
            text = doc.text[ann.start : ann.end] if doc and ann.start is not None else ""
            quote = ' "{}"'.format(" ".join(text.split())[:80]) if text else ""
            why = "; ".join(item.reasons) or "sure, common label"
            cli.console.print(
                cli.escape(
                    f"{item.annotation_id:>8}  {ann.doc_id}  {ann.layer}: {ann.label} "
                    f"({ann.score:.2f}){quote}  - {why}"
                ),
                soft_wrap=True,
            )
    cli.console.print(f"{q.reviewed} reviewed, {q.remaining} to go ({q.progress:.1%})")


def _verdict(action: str, doc: str):
    """`review accept|reject ANNOTATION_ID`: the same options, one action each."""

    def command(
        annotation_id: int,
        db: DbOption = DEFAULT_DB,
        user: UserOption = None,
        users: UsersOption = None,
        note: NoteOption = "",
    ) -> None:
        _run(db, action, _who(user, users), annotation_id=annotation_id, note=note)

    command.__doc__ = doc
    return review_app.command(action)(command)


accept = _verdict("accept", "Mark label ANNOTATION_ID right: it stays whatever a later model says.")
reject = _verdict(
    "reject", "Mark label ANNOTATION_ID wrong: it goes, and stays gone after re-analysis."
)


StartOption = Annotated[int | None, typer.Option(help="Span start (character offset).")]
EndOption = Annotated[int | None, typer.Option(help="Span end (character offset, exclusive).")]
SpeakerOption = Annotated[str | None, typer.Option(help="Who speaks a quote (a name).")]
EntityOption = Annotated[
    str | None, typer.Option(help="The entity an entity mention names (a name).")
]


@review_app.command("relabel")
def relabel(
    annotation_id: int,
    label: Annotated[str | None, typer.Option(help="The right label.")] = None,
    start: StartOption = None,
    end: EndOption = None,
    speaker: SpeakerOption = None,
    entity: EntityOption = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    users: UsersOption = None,
    note: NoteOption = "",
) -> None:
    """Give label ANNOTATION_ID another label, move or resize its span, give a quote another
    speaker (--speaker) or link an entity mention to another entity (--entity)."""
    span = {"start": start, "end": end}
    _run(
        db,
        "relabel",
        _who(user, users),
        annotation_id=annotation_id,
        label=label,
        speaker=speaker,
        entity=entity,
        note=note,
        **span,
    )


@review_app.command("add")
def add(
    doc_id: str,
    layer: Annotated[str, typer.Option(help="technique, narrative, genre, frame, role, …")],
    label: Annotated[str, typer.Option(help="The label the model missed.")],
    start: StartOption = None,
    end: EndOption = None,
    subject: Annotated[str | None, typer.Option(help="Entity id (roles).")] = None,
    speaker: SpeakerOption = None,
    entity: EntityOption = None,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    users: UsersOption = None,
    note: NoteOption = "",
) -> None:
    """Add a label the model missed to document DOC_ID (span layers need --start/--end; an
    entity mention needs --entity, a quote may name its --speaker)."""
    fields = {"doc_id": doc_id, "layer": layer, "label": label, "subject": subject}
    fields |= {"speaker": speaker, "entity": entity}
    _run(db, "add", _who(user, users), start=start, end=end, note=note, **fields)


@review_app.command("undo")
def undo(
    correction_id: int,
    db: DbOption = DEFAULT_DB,
    user: UserOption = None,
    users: UsersOption = None,
) -> None:
    """Take correction CORRECTION_ID back: the model's label returns."""
    from narrascope.review import Review
    from narrascope.store import Store

    cli = _console()
    with Store.open(db) as store:
        found = store.corrections.get(correction_id)
        who = _who(user, users, undo_of=found.user if found else None)
        try:
            done = Review(store).undo(correction_id, user=who)
        except CorrectionRefused as exc:
            cli._fail(str(exc))
            return
    cli.console.print(describe(done))


@review_app.command("list")
def list_corrections(
    db: DbOption = DEFAULT_DB,
    doc: Annotated[str | None, typer.Option(help="Only this document's.")] = None,
    undone: Annotated[bool, typer.Option(help="Include undone corrections.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Every correction, oldest first: who corrected what, how and when."""
    from narrascope.store import Store

    cli = _console()
    with Store.open(db) as store:
        found = list(store.corrections.of(doc, undone=undone))
    if as_json:
        from narrascope.web.review import correction_json

        _print_json({"corrections": [correction_json(c) for c in found]})
        return
    for c in found:
        cli.console.print(describe(c))


@users_app.command("add")
def add_user(
    name: str,
    role: Annotated[str, typer.Option(help="reader, reviewer or admin.")] = "reader",
    users: Annotated[Path, typer.Option("--users", help="The users file.")] = Path("users.json"),
) -> None:
    """Add user NAME (or give them a new token) and print the token, shown only this once."""
    from narrascope.web.users import Role, Users

    cli = _console()
    try:
        token = Users.load(users, create=True).add(name, Role.named(role))
    except ValueError as exc:
        cli._fail(str(exc))
        return
    cli.console.print(f"{cli.escape(name)} ({role}): token {token}")
