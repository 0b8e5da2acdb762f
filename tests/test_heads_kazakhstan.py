"""The committed heads label the Kazakhstan examples as they did before a refactor (issue 14).

`snapshots/kazakhstan-heads.json` holds, per example article, what every analyzer that reads
sentence vectors found, run in pipeline order (roles read the entities analyzer's output, so a
change there shows here too): layer, label, offsets, score to 4 decimals, evidence. A refactor
keeps it; a retrained head regenerates it on purpose with
`python tests/test_heads_kazakhstan.py` and says so in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "kazakhstan-heads.json"
HEADS = ("techniques", "genre", "frames", "narratives", "roles", "claims")


def label_rows(docs, vectors_by_id, analyzers) -> dict[str, list]:
    """Per document (by file stem), the sorted rows of every head's annotations."""
    out = {}
    for doc in docs:
        vectors, prior = vectors_by_id[doc.id], []
        for analyzer in analyzers.values():
            prior += analyzer.analyze(doc, vectors, prior=tuple(prior))
        out[Path(doc.source.location).stem] = sorted(
            [
                ann.layer.value,
                ann.label,
                ann.start,
                ann.end,
                round(float(ann.score or 0.0), 4),
                [list(span) for span in ann.evidence],
            ]
            for ann in prior
            if ann.model.rsplit("-v", 1)[0] in HEADS
        )
    return out


def test_heads_label_kazakhstan_as_before(example_docs, example_vectors, loaded_analyzers):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    found = json.loads(json.dumps(label_rows(example_docs, example_vectors, loaded_analyzers)))
    assert found.keys() == expected.keys()
    for stem, rows in expected.items():
        assert found[stem] == rows, stem


if __name__ == "__main__":  # regenerate the snapshot after a deliberate change of a head
    from narrascope.analyzers import available, load_analyzers, select
    from narrascope.encode import UniversalSentenceEncoder
    from narrascope.model import Document, SourceRef
    from narrascope.text import segment

    encoder = UniversalSentenceEncoder(threads=1)
    examples = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"
    docs = [
        segment(
            Document(text=p.read_text(encoding="utf-8"), source=SourceRef(str(p)), language="en")
        )
        for p in sorted(examples.glob("*.txt"))
    ]
    analyzers = dict(zip(available(), load_analyzers(select(), encoder), strict=True))
    rows = label_rows(docs, {d.id: encoder.encode(d.sentence_texts()) for d in docs}, analyzers)
    SNAPSHOT.parent.mkdir(exist_ok=True)
    lines = ",\n".join(
        f"{json.dumps(stem)}: [\n"
        + ",\n".join(json.dumps(r, ensure_ascii=False) for r in found)
        + "\n]"
        for stem, found in rows.items()
    )
    SNAPSHOT.write_text("{\n" + lines + "\n}\n", encoding="utf-8")  # one row a line: short diffs
