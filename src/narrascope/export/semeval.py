"""Our stored labels in the shared tasks' own file formats, so researchers can score them.

- SemEval-2025 Task 10 subtask 2 (`narratives.txt`): `id TAB narratives TAB subnarratives`.
- SemEval-2025 Task 10 subtask 1 (`roles.txt`): `id TAB mention TAB start TAB end TAB main TAB
  fine…`, end inclusive, one line per mention of an entity given a role.
- SemEval-2023 Task 3 subtask 1 (`genre.txt`): `id TAB genre`; subtask 2 (`frames.txt`):
  `id TAB frame,frame`; subtask 3 (`techniques.txt`): `id TAB line TAB technique,technique`
  per line of the text (1-based) that a technique span overlaps.

Article ids are the input file names (Task 10 keys on `EN_UA_123.txt`, Task 3 on `123` of
`article123.txt`). Offsets index our clean text: they match the official files only when the
input was the task's own text file, which cleaning keeps as is. The writers are the training
modules' own, so the scorers in `narrascope evaluate` read these files back unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath

from narrascope.model import Annotation, Document, Layer
from narrascope.store import Store
from narrascope.training.semeval2023 import write_line_labels
from narrascope.training.semeval2025 import (
    Mention,
    NarrativeLabels,
    write_mentions,
    write_narrative_labels,
)


def task10_id(doc: Document) -> str:
    """The Task 10 article id: the input file's name."""
    return PurePosixPath(doc.source.location.replace("\\", "/")).name or doc.id


def task3_id(doc: Document) -> str:
    """The Task 3 article id: the input file's stem without its `article` prefix."""
    stem = PurePosixPath(task10_id(doc)).stem
    return stem.removeprefix("article") or doc.id


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def _roles(doc: Document, anns: list[Annotation]) -> list[Mention]:
    main = {a.attrs.get("entity_id"): a for a in anns if a.attrs.get("level", "main") == "main"}
    fine: dict[object, list[str]] = defaultdict(list)
    for a in anns:
        if a.attrs.get("level") == "fine":
            fine[a.attrs.get("entity_id")].append(a.label)
    out = []
    for entity_id, ann in main.items():
        for start, end in ann.attrs.get("mentions") or []:
            out.append(
                Mention(
                    task10_id(doc),
                    doc.text[start:end],
                    start,
                    end,
                    start,
                    end - 1,
                    ann.label,
                    # one record per entity (roles-v2) holds its fine roles; v1 had fine rows
                    tuple(fine.get(entity_id) or ann.attrs.get("fine_roles") or ()),
                )
            )
    return sorted(out, key=lambda m: (m.start, m.end))


def write_semeval(store: Store, out: Path) -> dict[str, int]:
    """Write the five files under `out`; returns the number of lines of each."""
    out.mkdir(parents=True, exist_ok=True)
    narratives: list[NarrativeLabels] = []
    mentions: list[Mention] = []
    techniques: dict[tuple[str, int], list[str]] = {}
    genre_lines: list[str] = []
    frame_lines: list[str] = []
    for doc in store.documents():
        anns = list(store.annotations(doc.id))
        by_layer: dict[Layer, list[Annotation]] = defaultdict(list)
        for ann in anns:
            by_layer[ann.layer].append(ann)
        narr = tuple(dict.fromkeys(a.label for a in by_layer[Layer.NARRATIVE])) or ("Other",)
        subs = tuple(dict.fromkeys(a.label for a in by_layer[Layer.SUBNARRATIVE])) or ("Other",)
        narratives.append(NarrativeLabels(task10_id(doc), narr, subs))
        mentions += _roles(doc, by_layer[Layer.ROLE])
        if by_layer[Layer.GENRE]:
            best = max(by_layer[Layer.GENRE], key=lambda a: a.score)
            genre_lines.append(f"{task3_id(doc)}\t{best.label}")
        if by_layer[Layer.FRAME]:
            labels = sorted(dict.fromkeys(a.label for a in by_layer[Layer.FRAME]))
            frame_lines.append(f"{task3_id(doc)}\t{','.join(labels)}")
        per_line: dict[int, list[str]] = defaultdict(list)
        for ann in by_layer[Layer.TECHNIQUE]:
            if ann.start is None or ann.end is None:
                continue
            for line in range(line_of(doc.text, ann.start), line_of(doc.text, ann.end - 1) + 1):
                if ann.label not in per_line[line]:
                    per_line[line].append(ann.label)
        for line, labels in sorted(per_line.items()):
            techniques[(task3_id(doc), line)] = sorted(labels)
    write_narrative_labels(out / "narratives.txt", narratives)
    write_mentions(out / "roles.txt", mentions)
    (out / "genre.txt").write_text("".join(x + "\n" for x in genre_lines), encoding="utf-8")
    (out / "frames.txt").write_text("".join(x + "\n" for x in frame_lines), encoding="utf-8")
    if techniques:
        write_line_labels(out / "techniques.txt", techniques)
    else:
        (out / "techniques.txt").write_text("", encoding="utf-8")
    return {
        "narratives.txt": len(narratives),
        "roles.txt": len(mentions),
        "genre.txt": len(genre_lines),
        "frames.txt": len(frame_lines),
        "techniques.txt": len(techniques),
    }
