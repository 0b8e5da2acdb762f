"""The label glossaries: what each technique, genre, frame, narrative and role means (#17).

Read from the same files the web reader's hover definitions come from
(`web/definitions.json` for the SemEval-2023 techniques, genres and frames;
`resources/taxonomy/narratives.json` and `roles.json` for the SemEval-2025 narratives and
roles), so the glossary and the tooltips never disagree. `glossary_markdown()` is
`docs/glossary.md` (`narrascope glossary --markdown`; a test keeps the file up to date).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrascope.heads import RESOURCES

OWN_DEFINITIONS = Path(__file__).resolve().parents[1] / "web" / "definitions.json"


@dataclass(frozen=True, slots=True)
class Term:
    """One label: its layer, its name as stored, what it means, and where it sits."""

    layer: str
    label: str
    definition: str
    parent: str | None = None  # a subnarrative's narrative, a fine role's main role
    domain: str | None = None  # URW or CC, for narratives


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def glossary() -> list[Term]:
    """Every label of every layer with a definition, in taxonomy order."""
    own = _load(OWN_DEFINITIONS)
    terms = [
        Term(layer, label, text)
        for layer in ("technique", "genre", "frame")
        for label, text in own.get(layer, {}).items()
    ]
    for entry in _load(RESOURCES / "taxonomy" / "narratives.json")["labels"]:
        terms.append(
            Term(
                entry["level"],
                entry["label"],
                entry["definition"],
                entry.get("parent"),
                entry.get("domain"),
            )
        )
    for entry in _load(RESOURCES / "taxonomy" / "roles.json")["labels"]:
        layer = "role" if entry["level"] == "main" else "fine role"
        terms.append(Term(layer, entry["label"], entry["definition"], entry.get("parent")))
    return terms


_SECTIONS = (
    (
        "technique",
        "Persuasion techniques",
        "SemEval-2023 Task 3, 23 techniques, marked on the sentences that use them.",
    ),
    ("genre", "Genres", "SemEval-2023 Task 3 subtask 1: one per article."),
    (
        "frame",
        "Frames",
        "SemEval-2023 Task 3 subtask 2: the framing dimensions an article takes up.",
    ),
    (
        "narrative",
        "Narratives and subnarratives",
        "SemEval-2025 Task 10 subtask 2: war in Ukraine (URW) and climate change (CC); each subnarrative under its narrative.",
    ),
    (
        "role",
        "Entity roles",
        "SemEval-2025 Task 10 subtask 1: the main role an article casts a named person, organisation or place in, and its fine roles.",
    ),
)


def glossary_markdown() -> str:
    """The glossaries as one Markdown page (`docs/glossary.md`)."""
    terms = glossary()
    lines = [
        "# Label glossary",
        "",
        "What each label Narrascope shows means. Generated from the taxonomy files by",
        "`narrascope glossary --markdown > docs/glossary.md`; do not edit by hand. The same",
        "definitions show on hover in the web reader. Labels are spelled as stored (the",
        "shared tasks' spelling); filters also accept the legend's spelling",
        '("Loaded Language" for `Loaded_Language`).',
        "",
    ]
    for layer, title, note in _SECTIONS:
        lines += [f"## {title}", "", note, ""]
        if layer == "narrative":
            lines += _narratives(terms)
        elif layer == "role":
            lines += _roles(terms)
        else:
            lines += [f"- **{t.label}**: {t.definition}" for t in terms if t.layer == layer]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _narratives(terms: list[Term]) -> list[str]:
    lines = []
    for narrative in (t for t in terms if t.layer == "narrative"):
        lines.append(f"- **{narrative.label}**: {narrative.definition}")
        for sub in (t for t in terms if t.layer == "subnarrative" and t.parent == narrative.label):
            short = sub.label.removeprefix(f"{narrative.label}: ")
            lines.append(f"  - *{short}*: {sub.definition}")
    return lines


def _roles(terms: list[Term]) -> list[str]:
    lines = []
    for main in (t for t in terms if t.layer == "role"):
        lines.append(f"- **{main.label}**: {main.definition}")
        for fine in (t for t in terms if t.layer == "fine role" and t.parent == main.label):
            lines.append(f"  - *{fine.label}*: {fine.definition}")
    return lines
