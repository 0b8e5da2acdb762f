"""Export rows of the corpus views: one row per storyline member, one row per outlet profile.

Rows are plain dicts made here, at the edge; `narrascope export --table storylines|profiles`
writes them as JSONL, CSV or Parquet like every other table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from narrascope.corpus import profiles, storylines
from narrascope.store import Store

_PAGE = 200


def storyline_rows(store: Store) -> Iterator[dict[str, Any]]:
    """One row per member sentence of every storyline (storyline fields repeated)."""
    total = store.corpus.storyline_count()
    lines = storylines.storylines(store, total, max_members=10**9) if total else []
    for line in lines:
        for m in line.sentences:
            yield {
                "storyline_id": line.id,
                "label": line.label,
                "storyline_documents": line.documents,
                "storyline_outlets": line.outlets,
                "first_outlet": line.first_outlet,
                "first_seen": line.first_seen.isoformat() if line.first_seen else None,
                "undated_documents": line.undated,
                "narratives": json.dumps(line.narratives, ensure_ascii=False),
                "doc_id": m.doc_id,
                "sentence": m.sentence,
                "start": m.start,
                "end": m.end,
                "text": m.text,
                "outlet": m.outlet,
                "published": m.published.isoformat() if m.published else None,
                "similarity": round(m.similarity, 4),
            }


def _ranked(items: list[profiles.Ranked]) -> str:
    return json.dumps({r.name: r.documents for r in items}, ensure_ascii=False)


def profile_rows(store: Store) -> Iterator[dict[str, Any]]:
    """One row per outlet: counts, technique rate, and ranked mixes as JSON objects."""
    for outlet in profiles.outlets(store):
        p = profiles.outlet_profile(store, outlet.name)
        if p is None:
            continue
        yield {
            "outlet": p.name,
            "documents": p.documents,
            "words": p.words,
            "first": p.first.isoformat() if p.first else None,
            "last": p.last.isoformat() if p.last else None,
            "techniques_per_1000_words": p.techniques_per_1000_words,
            "genres": _ranked(p.genres),
            "techniques": _ranked(p.techniques),
            "narratives": _ranked(p.narratives),
            "subnarratives": _ranked(p.subnarratives),
            "most_quoted": _ranked(p.quoted),
            "villains": _ranked(p.villains),
            "heroes": _ranked(p.heroes),
            "victims": _ranked(p.victims),
            "copies_from": _ranked(p.copies_from),
            "copied_by": _ranked(p.copied_by),
        }
