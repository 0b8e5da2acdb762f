"""Plain-text views for the terminal: documents (`narrascope list`, `show`), storylines,
progress bars.

Article text is hostile: it is shown as rich `Text` (never parsed as markup) with control
characters removed, so a page cannot restyle or drive the analyst's terminal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from narrascope.analyzers import not_analyzed_by_reason
from narrascope.model import Annotation, Document, Layer

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SPAN_STYLES = ("bold red", "bold magenta", "bold blue", "bold green", "bold yellow", "bold cyan")


def safe_text(text: str) -> str:
    """`text` without terminal control characters or bidi overrides, with rich markup escaped."""
    from rich.markup import escape

    return escape(_CONTROL.sub("", text))


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def document_line(doc: Document) -> str:
    """One line for a listing: id, date, language, outlet, title, and for a page that is not an
    article, the evidence for what it is (#15)."""
    date = doc.published.date().isoformat() if doc.published else "----------"
    title = (doc.title or doc.text[:70]).replace("\n", " ")
    line = f"{doc.id}  {date}  {doc.language or '--'}  {doc.outlet or '-':<24.24}  {title:.80}"
    return line if doc.is_article else f"{line}  [not an article: {doc.page_reason}]"


def _evidence_text(doc: Document, ann: Annotation, *, limit: int = 2) -> list[str]:
    spans = ann.evidence or ([ann.span] if ann.span else [])
    return [doc.text[a:b] for a, b in spans[:limit]]


def _marked_text(doc: Document, spans: Sequence[Annotation]) -> Text:
    """The article with each technique span styled and its labels appended after the span."""
    text = Text(_clean(doc.text))
    styles: dict[str, str] = {}
    labels_at: dict[int, list[str]] = defaultdict(list)
    for ann in spans:
        if ann.start is None or ann.end is None:
            continue
        style = styles.setdefault(ann.label, SPAN_STYLES[len(styles) % len(SPAN_STYLES)])
        text.stylize(style, ann.start, ann.end)
        labels_at[ann.end].append(f"{ann.label} {ann.score:.2f}")
    # Insert labels from the end backwards so earlier offsets stay valid.
    pieces, last = [], len(doc.text)
    for end in sorted(labels_at, reverse=True):
        pieces.append(text[end:last])
        pieces.append(Text(f" ⟦{'; '.join(labels_at[end])}⟧", style="dim italic"))
        last = end
    pieces.append(text[0:last])
    return Text("").join(reversed(pieces))


def _section(title: str, rows: list[Text]) -> list[Any]:
    return [Text(f"\n{title}", style="bold underline"), *rows] if rows else []


def render_document(
    doc: Document, anns: Sequence[Annotation], sources: Sequence[Any] = ()
) -> Group:
    """The article with technique spans marked, then narratives, roles, quotes, claims and the rest."""
    by_layer: dict[Layer, list[Annotation]] = defaultdict(list)
    for ann in anns:
        by_layer[Layer(ann.layer)].append(ann)
    head = Text(_clean(doc.title or "(no title)"), style="bold")
    meta = Text(
        _clean(
            f"{doc.id} · {doc.outlet or 'unknown outlet'} · "
            f"{doc.published.date().isoformat() if doc.published else 'no date'}"
            f"{f' ({doc.date_source})' if doc.date_source else ''} · {doc.language or '?'} · "
            f"{doc.word_count} words · {', '.join(doc.authors) or 'no byline'}\n{doc.url or ''}"
        ),
        style="dim",
    )
    parts: list[Any] = [head, meta, Text(""), _marked_text(doc, by_layer.pop(Layer.TECHNIQUE, []))]

    for layer in (Layer.GENRE, Layer.FRAME, Layer.NARRATIVE, Layer.SUBNARRATIVE):
        rows = []
        for ann in sorted(by_layer.pop(layer, []), key=lambda a: -a.score):
            rows.append(Text(_clean(f"  {ann.label}  {ann.score:.2f}"), style="bold"))
            rows += [Text(_clean(f"      “{s}”"), style="italic") for s in _evidence_text(doc, ann)]
        parts += _section(layer.value.title() + "s", rows)

    roles = []
    for ann in sorted(by_layer.pop(Layer.ROLE, []), key=lambda a: -a.score):
        who = ann.attrs.get("entity") or (doc.text[ann.start : ann.end] if ann.span else "?")
        fine = ", ".join(ann.attrs.get("fine_roles", []) or [])
        roles.append(Text(_clean(f"  {who}: {ann.label} {ann.score:.2f} {fine}")))
        roles += [
            Text(_clean(f"      “{s}”"), style="italic") for s in _evidence_text(doc, ann, limit=1)
        ]
    parts += _section("Roles", roles)

    quotes_by_speaker: dict[str, list[Annotation]] = defaultdict(list)
    for ann in by_layer.pop(Layer.QUOTE, []):
        quotes_by_speaker[ann.attrs.get("speaker") or "(unknown speaker)"].append(ann)
    quotes = []
    for speaker, group in sorted(quotes_by_speaker.items(), key=lambda kv: -len(kv[1])):
        quotes.append(Text(_clean(f"  {speaker}"), style="bold"))
        for ann in group:
            cue = ann.attrs.get("cue") or ""
            quotes.append(
                Text(
                    _clean(
                        f"    [{ann.label}{', ' + cue if cue else ''}] “{doc.text[ann.start : ann.end]}”"
                    )
                )
            )
    parts += _section("Quotes", quotes)

    entities: dict[str, list[str]] = defaultdict(list)
    for ann in by_layer.pop(Layer.ENTITY, []):
        entities[f"{ann.attrs.get('entity', '?')} ({ann.label})"].append(
            doc.text[ann.start : ann.end]
        )
    parts += _section(
        "Entities",
        [
            Text(_clean(f"  {name}: {len(m)} mentions — {', '.join(sorted(set(m)))}"))
            for name, m in sorted(entities.items(), key=lambda kv: -len(kv[1]))
        ],
    )

    # Ranked within the article (#15): "#1/46" is its most check-worthy sentence.
    claims = sorted(by_layer.pop(Layer.CLAIM, []), key=lambda a: (a.attrs.get("rank", 0), -a.score))
    parts += _section(
        "Check-worthy claims",
        [
            Text(_clean(f"  {_claim_rank(a)}{a.score:.2f}  {doc.text[a.start : a.end]}"))
            for a in claims
            if a.span
        ],
    )

    # A bare time no day was found for ("at 7:14") has no date: it reads "unresolved", last.
    events = sorted(by_layer.pop(Layer.EVENT, []), key=lambda a: str(a.attrs.get("date") or "~"))
    parts += _section(
        "Timeline",
        [
            Text(
                _clean(
                    f"  {a.attrs.get('date') or a.label}  ({a.attrs.get('expression', '')})  "
                    + " / ".join(_evidence_text(doc, a, limit=1))
                )
            )
            for a in events
        ],
    )

    # One line per reason, naming the analyzers it held back (ten analyzers, one reason: one line).
    leftover = [ann for group in by_layer.values() for ann in group]
    skipped = not_analyzed_by_reason(leftover)
    parts += _section(
        "Not analyzed",
        [Text(_clean(f"  {reason} — {', '.join(names)}")) for reason, names in skipped.items()],
    )
    rest = [
        Text(
            _clean(
                f"  {a.layer.value}: {a.label} " + ", ".join(f"{k}={v}" for k, v in a.attrs.items())
            )
        )
        for a in leftover
        if a.label != "not-analyzed"
    ]
    parts += _section("Other", rest)
    if sources:
        parts += _section("Publications", [Text(_clean(f"  {s}")) for s in sources])
    return Group(*parts)


def render_removed(doc: Document) -> Group:
    """Every line cleaning removed, with its reason, for an audit of the cleaning."""
    rows = [Text(_clean(f"[{r.reason}] {r.text}")) for r in doc.removed]
    header = Text(f"{len(rows)} lines removed from {doc.id}", style="bold")
    return Group(header, *rows)


def _first_seen(line: Any) -> str:
    """When and where a storyline was first seen; never a date it does not have (#15)."""
    undated = f", {line.undated} undated" if line.undated else ""
    if line.first_seen is None:
        return f"no dated member{undated}"
    return f"first {line.first_outlet or '(no outlet)'} {line.first_seen.date()}{undated}"


def storyline_line(line: Any) -> Text:
    """A storyline as one line of `narrascope storylines`."""
    return Text(
        _clean(
            f"{line.id}  {line.documents:>3} docs {line.outlets:>3} outlets  "
            f"{_first_seen(line)}  {line.label[:120]}"
        )
    )


def render_storyline(line: Any) -> Group:
    """One storyline: its claim, counts, and members by date and outlet."""
    unnamed = f", {line.unnamed} without outlet" if line.unnamed else ""
    rows: list[Any] = [
        Text(_clean(line.label), style="bold"),
        Text(f"{line.documents} documents, {line.outlets} outlets{unnamed}; {_first_seen(line)}"),
    ]
    for m in line.sentences:
        day = m.published.date().isoformat() if m.published else "undated"
        rows.append(
            Text(_clean(f"{day}  {m.outlet or '(no outlet)'}  {m.doc_id}#{m.sentence}  {m.text}"))
        )
    return Group(*rows)


def render_hit(hit: Any) -> Group:
    """A search hit: where, date, outlet, title and labels; under it the snippet, when it adds."""
    where = f"{hit.doc_id}#{hit.sentence}" if hit.sentence is not None else hit.doc_id
    day = hit.published.date().isoformat() if hit.published else "undated"
    shown = ", ".join(hit.labels) or hit.label or ""
    label = f"  [{shown}]" if shown else ""
    outlet, title = hit.outlet or "(no outlet)", hit.title or "(no title)"
    rows = [Text(_clean(f"{where}  {day}  {outlet}  {title}{label}"))]
    if hit.snippet and hit.snippet != hit.title:
        rows.append(Text(_clean(f"    {hit.snippet}")))
    return Group(*rows)


def render_profile(profile: Any) -> Group:
    """An outlet's profile: its size, technique rate, and the top eight of each ranking."""
    rows: list[Any] = [
        Text.assemble(
            (_clean(profile.name), "bold"),
            f": {profile.documents} articles, {profile.words} words",
        ),
        Text(f"techniques per 1,000 words: {profile.techniques_per_1000_words}"),
    ]
    for title, ranked in (
        ("genres", profile.genres),
        ("narratives", profile.narratives),
        ("techniques", profile.techniques),
        ("most quoted", profile.quoted),
        ("villains", profile.villains),
        ("heroes", profile.heroes),
        ("victims", profile.victims),
        ("copies from", profile.copies_from),
        ("copied by", profile.copied_by),
    ):
        if ranked:
            items = ", ".join(f"{r.name} ({r.documents})" for r in ranked[:8])
            rows.append(Text(_clean(f"{title}: {items}")))
    return Group(*rows)


@contextmanager
def progress_bar(
    what: str, *, total: int | None = None, console: Console | None = None
) -> Iterator:
    """A rich progress bar (on stderr) with count and rate; yields the callback that advances it.

    With a `total` (counted up front where that is cheap: `narrascope.ingest.count_inputs`) the
    bar fills and shows the time left; without one it counts up (`12/?`).
    """
    columns: list[Any] = [
        SpinnerColumn(),
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    ]
    if total is not None:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    with Progress(
        *columns, console=console or Console(stderr=True, highlight=False), transient=False
    ) as progress:
        task = progress.add_task(what, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            t = progress.tasks[task]
            if t.elapsed:
                progress.update(task, rate=f"{t.completed / t.elapsed:.1f}/s")

        yield advance


def _claim_rank(ann: Annotation) -> str:
    rank, total = ann.attrs.get("rank"), ann.attrs.get("sentences")
    return f"#{rank}/{total}  " if rank and total else ""


def next_steps(db: str) -> Text:
    """What to run after `narrascope analyze`: read the results, browse them, or report (#17)."""
    import shlex

    where = f"--db {shlex.quote(db)}"
    return Text(
        _clean(
            f"next: narrascope list {where}  ·  narrascope show ID {where}\n"
            f"      narrascope serve {where}  ·  narrascope report --out report/ {where}"
        )
    )


def similar_line(near: Any) -> Text:
    """A sentence found by `search --like`: similarity, where, outlet and the sentence."""
    return Text(
        _clean(
            f"{near.similarity:.3f}  {near.doc_id}#{near.sentence}  "
            f"{near.outlet or '(no outlet)'}  {near.text}"
        )
    )


def escape_controls(json_text: str) -> str:
    """JSON text with terminal control characters and bidi overrides written as \\uXXXX, so
    article text cannot drive the terminal; the JSON stays valid and means the same."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def entity_lines(entity: Any, *, aliases: bool = False) -> list[Text]:
    """An entity of `narrascope entities`: id, name, type and counts; with `aliases`, each
    surface form and merged id under it with the rule that joined it."""
    more = len(entity.aliases) - 1 + len(entity.merged)
    head = (
        f"{entity.id:<24} {entity.name}  {entity.type}  {entity.mentions} mentions in "
        f"{entity.documents} documents" + (f"  (+{more} names)" if more > 0 and not aliases else "")
    )
    lines = [Text(_clean(head))]
    if aliases:
        lines += [
            Text(_clean(f"    “{a.form}”  {a.documents} docs — {a.why}"), style="dim")
            for a in entity.aliases
        ]
        lines += [
            Text(_clean(f"    merged {m.entity_id} “{m.name}”  {m.documents} docs — {m.why}"))
            for m in entity.merged
        ]
    return lines
