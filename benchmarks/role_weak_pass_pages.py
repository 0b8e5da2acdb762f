"""Role labels on clearly outside pages, before and after the weak-pass entity rule (issue 15).

Two databases of the same pages (`narrascope analyze ... --db`), one made before the rule
(`role_weak_pass.topic_near` on articles the gate passes only by a keyword) and one after.
Each page with a role label before is placed by the shipped gate on its stored sentence
vectors: a *weak pass* (it names a topic and P(inside) is under the learned cut) or a *strong*
one (over the cut; the rule does not touch it). Printed: role labels before and after on each
kind of page, and, page by page, each entity the rule removed or kept, with the rule's own
prediction from the `before` database (`topic_near` on the entity's stored mentions) beside the
`after` database's answer.

    PYTHONPATH=src .venv/bin/python benchmarks/role_weak_pass_pages.py BEFORE.db AFTER.db
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from role_weak_pass import topic_near

from narrascope.analyzers.domain import GATE_FILE, NAMED_TOPIC_CUT, DomainGate, mentions_topics
from narrascope.analyzers.roles import sentence_index
from narrascope.heads import LinearHead
from narrascope.model import Layer
from narrascope.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument(
        "--explore",
        type=int,
        nargs="*",
        default=[],
        help="also say what the rule would keep with these other contexts (decides nothing)",
    )
    args = parser.parse_args()
    gate = DomainGate(LinearHead.from_file(GATE_FILE))
    with (
        Store.open(args.before, readonly=True) as old,
        Store.open(args.after, readonly=True) as new,
    ):
        before = roles_by_page(old)
        after = roles_by_page(new)
        counts: Counter[str] = Counter()
        lines = []
        for doc_id, anns in sorted(before.items()):
            doc = old.document(doc_id)
            vectors = old.vectors(doc_id)
            if doc is None or vectors is None:
                counts["pages without vectors"] += 1
                continue
            verdict = gate.verdict(vectors, doc.text)
            # passed only by the keyword rule (what `Verdict.by_topic_word` said in the
            # implementation measured, commit 8bd67a7)
            weak = mentions_topics(doc.text) and NAMED_TOPIC_CUT <= verdict.p_inside < gate.cut
            kind = "weak" if weak else "strong"
            kept_now = {a.attrs.get("entity_id") for a in after.get(doc_id, [])}
            counts[f"{kind} pages"] += 1
            page = Path(doc.source.location).name
            lines.append(f"- {kind} pass p={verdict.p_inside:.2f}: {page} ({doc.title or ''})")
            for ann in anns:
                rows = sentence_index(doc, [tuple(m) for m in ann.attrs.get("mentions", [])])
                predicted = not weak or topic_near(doc.text, doc.sentences, rows)
                kept = ann.attrs.get("entity_id") in kept_now
                counts[f"{kind} before"] += 1
                counts[f"{kind} after"] += kept
                counts["prediction differs"] += predicted != kept
                mark = "kept" if kept else "REMOVED"
                other = []
                for context in args.explore:
                    near = not weak or topic_near(doc.text, doc.sentences, rows, context=context)
                    counts[f"{kind} kept with context {context}"] += near
                    other.append(f"context {context}: {'kept' if near else 'removed'}")
                lines.append(
                    f"  - {mark}: {ann.attrs.get('entity')} ({ann.attrs.get('entity_type')}) "
                    f"{ann.label} {ann.score:.2f}"
                    + ("" if predicted == kept else " [rule predicted otherwise]")
                    + (f" ({'; '.join(other)})" if other else "")
                )
        extra = {d: a for d, a in after.items() if d not in before}
        counts["labels after on pages without one before"] = sum(len(a) for a in extra.values())
    total_before = sum(len(a) for a in before.values())
    total_after = sum(len(a) for a in after.values())
    print(f"role labels on all pages: {total_before} before, {total_after} after")
    for kind in ("weak", "strong"):
        b, a = counts[f"{kind} before"], counts[f"{kind} after"]
        fall = 1 - a / b if b else 0.0
        print(
            f"{kind} passes: {counts[f'{kind} pages']} pages, role labels {b} before, {a} after "
            f"(fall {fall:.1%})"
        )
    for context in args.explore:
        print(
            f"exploring context {context}: weak-pass labels kept "
            f"{counts[f'weak kept with context {context}']} of {counts['weak before']}"
        )
    for what in ("prediction differs", "pages without vectors"):
        print(f"{what}: {counts[what]}")
    print(
        "labels after on pages without one before: "
        f"{counts['labels after on pages without one before']}"
    )
    print("\n".join(lines))


def roles_by_page(store: Store) -> dict[str, list]:
    """The role annotations of `store`, by document."""
    found: dict[str, list] = {}
    for ann in store.annotations(layer=Layer.ROLE):
        found.setdefault(ann.doc_id, []).append(ann)
    return found


if __name__ == "__main__":
    main()
