"""Role labels of the accurate profile on clearly outside pages, before and after the agreement
rule (issue 15, pre-registered in RESULTS.md): the accurate head's role shown only where the
fast head, on the same entity, picks the same main role.

Two databases of the same pages (`narrascope analyze ... --profile accurate --db`), one made
before the rule and one after. Printed: role labels on all pages before and after (the accurate
head's, `roles-accurate-*`, and the fast fallback's on other languages, which the rule does not
touch), and, page by page, each label kept or removed, with the rule's own prediction from the
`before` database beside it (the fast head's argmax on the page's stored vectors and the
entity's stored mentions).

    PYTHONPATH=src .venv/bin/python benchmarks/roles_agree_pages.py BEFORE.db AFTER.db
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from narrascope.analyzers.roles import FINE_FILE, MAIN_FILE, RoleAnalyzer, sentence_index
from narrascope.heads import LinearHead
from narrascope.model import Annotation, Layer
from narrascope.store import Store


def roles_by_page(store: Store) -> dict[str, list[Annotation]]:
    """The role annotations of `store`, by document."""
    found: dict[str, list[Annotation]] = {}
    for ann in store.annotations(layer=Layer.ROLE):
        found.setdefault(ann.doc_id, []).append(ann)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    fast = RoleAnalyzer(LinearHead.from_file(MAIN_FILE), LinearHead.from_file(FINE_FILE))
    counts: Counter[str] = Counter()
    lines = []
    with (
        Store.open(args.before, readonly=True) as old,
        Store.open(args.after, readonly=True) as new,
    ):
        before, after = roles_by_page(old), roles_by_page(new)
        for doc_id, anns in sorted(before.items()):
            doc, vectors = old.document(doc_id), old.vectors(doc_id)
            if doc is None or vectors is None:
                counts["pages without vectors"] += 1
                continue
            now = {a.attrs.get("entity_id"): a for a in after.get(doc_id, [])}
            lines.append(f"- {Path(doc.source.location).name} ({doc.language}; {doc.title or ''})")
            for ann in anns:
                accurate = ann.model.startswith("roles-accurate")
                rows = sentence_index(doc, [tuple(m) for m in ann.attrs.get("mentions", [])])
                theirs = fast.decide(vectors, rows, str(ann.attrs.get("entity")), doc.language)
                predicted = not accurate or theirs.main == ann.label
                kept = ann.attrs.get("entity_id") in now
                kind = "accurate head" if accurate else "fast fallback"
                counts[f"{kind} before"] += 1
                counts[f"{kind} after"] += kept
                counts["prediction differs"] += predicted != kept
                lines.append(
                    f"  - {'kept' if kept else 'REMOVED'}: {ann.attrs.get('entity')} "
                    f"({ann.attrs.get('entity_type')}) {ann.label} {ann.score:.2f} [{ann.model}]; "
                    f"fast head: {theirs.main} {theirs.main_score:.2f}"
                    + ("" if predicted == kept else " [rule predicted otherwise]")
                )
        counts["labels after on pages without one before"] = sum(
            len(a) for d, a in after.items() if d not in before
        )
        total_before = sum(len(a) for a in before.values())
        total_after = sum(len(a) for a in after.values())
    fall = 1 - total_after / total_before if total_before else 0.0
    print(f"role labels on all pages: {total_before} before, {total_after} after (fall {fall:.1%})")
    for kind in ("accurate head", "fast fallback"):
        print(f"{kind}: {counts[f'{kind} before']} before, {counts[f'{kind} after']} after")
    for what in (
        "prediction differs",
        "pages without vectors",
        "labels after on pages without one before",
    ):
        print(f"{what}: {counts[what]}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
