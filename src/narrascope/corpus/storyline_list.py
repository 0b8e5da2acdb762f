"""The storylines list (sorted, filtered) and a storyline's wording drift: the analyst's views.

`storyline_list` reads what `narrascope.corpus.storylines` stored, filters by narrative, outlet
and date range, and sorts by size, outlets, first seen or growth; the `/storylines` page, its
`/api/v1/storylines` twin and `narrascope storylines` all call it. `drift` marks the words of
a member sentence that the storyline's representative claim does not have.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from narrascope.corpus import NotComputed
from narrascope.corpus.storylines import NOT_BUILT, Storyline, StorylineSettings, build_storylines
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET

SORTS = ("outlets", "size", "first_seen", "growth")
"""size: member documents; growth: documents dated in the last window before the newest date."""


@dataclass(slots=True)
class StorylineListing:
    """Storylines in the asked order, with what the filters may pick from."""

    lines: list[Storyline]
    total: int  # storylines that pass the filters (`lines` holds the first `limit`)
    growth: dict[str, int] = field(default_factory=dict)  # id → documents in the last window
    sort: str = "outlets"
    narratives: list[str] = field(default_factory=list)  # present in any storyline
    outlets: list[str] = field(default_factory=list)  # named outlets of any storyline


def storyline_list(
    store: Store,
    *,
    sort: str = "outlets",
    narrative: str | None = None,
    outlet: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 50,
) -> StorylineListing:
    """Storylines filtered and sorted; `since`/`until` bound their dated members' span.

    `narrative` and `outlet` must be exact names (resolve what a user typed first, with
    `narrascope.corpus.labels`). `NotComputed` when no storyline update has run.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; choose from {', '.join(SORTS)}")
    if not store.corpus.storylines_seen() and store.corpus.pending_storyline_docs(limit=1):
        raise NotComputed(NOT_BUILT)
    rows = store.corpus.storyline_rows(vectors=False)
    narratives = sorted({n for r in rows for n in r.narratives})
    if narrative is not None:
        rows = [r for r in rows if narrative in r.narratives]
    lines = build_storylines(store, rows, max_members=0)
    outlets = sorted({o for line in lines for o in line.by_outlet if o != NO_OUTLET})
    if outlet is not None:
        lines = [line for line in lines if outlet in line.by_outlet]
    if since is not None:
        lines = [s for s in lines if s.last_seen and s.last_seen.date() >= since]
    if until is not None:
        lines = [s for s in lines if s.first_seen and s.first_seen.date() <= until]
    growth = _growth(store, lines)
    keys = {
        "outlets": lambda s: (-s.outlets, -s.documents, -s.members, s.id),
        "size": lambda s: (-s.documents, -s.members, -s.outlets, s.id),
        "first_seen": lambda s: (s.first_seen is None, s.first_seen or datetime.min, s.id),
        "growth": lambda s: (-growth.get(s.id, 0), -s.documents, s.id),
    }
    lines.sort(key=keys[sort])
    return StorylineListing(lines[:limit], len(lines), growth, sort, narratives, outlets)


def _growth(store: Store, lines: list[Storyline]) -> dict[str, int]:
    """Dated member documents in the window before the newest dated member of any storyline.

    The corpus's own newest date, never today's: a corpus from 2022 still shows what grew last.
    """
    newest = max((s.last_seen for s in lines if s.last_seen), default=None)
    if newest is None:
        return {}
    start = newest - timedelta(days=StorylineSettings().window_days)
    members = store.corpus.storyline_members([s.id for s in lines])
    recent: dict[str, set[str]] = {}
    for m in members:
        if m.published and m.at >= start:
            recent.setdefault(m.storyline_id, set()).add(m.doc_id)
    return {sid: len(docs) for sid, docs in recent.items()}


def drift(claim: str, text: str) -> list[tuple[str, bool]]:
    """`text` in pieces, True where its words are not in `claim` (how the wording drifted)."""
    tokens = re.findall(r"\S+|\s+", text)
    words = [(i, t) for i, t in enumerate(tokens) if not t.isspace()]
    base = [w.lower().strip(".,;:!?\"'“”‘’()") for w in claim.split()]
    mine = [t.lower().strip(".,;:!?\"'“”‘’()") for _, t in words]
    changed = set(range(len(words)))
    for block in difflib.SequenceMatcher(a=base, b=mine, autojunk=False).get_matching_blocks():
        changed -= set(range(block.b, block.b + block.size))
    flags = {words[k][0] for k in changed}
    pieces: list[tuple[str, bool]] = []
    for i, tok in enumerate(tokens):
        on = i in flags
        if (pieces and pieces[-1][1] == on) or (pieces and tok.isspace()):
            pieces[-1] = (pieces[-1][0] + tok, pieces[-1][1])
        else:
            pieces.append((tok, on))
    return pieces
