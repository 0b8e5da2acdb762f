"""Exports of the corpus view: SemEval files read back by the training readers, view tables."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from narrascope import export
from narrascope.export.semeval import write_semeval
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.store import Store
from narrascope.training.semeval2023 import read_frames, read_genres, read_line_labels
from narrascope.training.semeval2025 import read_narrative_labels

TEXT = "Kyiv is to blame.\nThe West lies, says Moscow.\nA neutral last line."


def _store(path) -> tuple[Store, Document]:
    spans = [(0, 17), (18, 46), (47, len(TEXT))]
    doc = Document(
        text=TEXT,
        source=SourceRef("data/EN/raw/article123.txt"),
        outlet="x.example",
        published=datetime(2022, 3, 1),
        language="en",
        sentences=spans,
        paragraphs=spans,
    )
    nar = "URW: Blaming the war on others rather than the invader"
    anns = [
        Annotation(doc.id, Layer.TECHNIQUE, "Name_Calling-Labeling", "techniques-v1", 0, 4, 0.8),
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v1", 27, 31, 0.7),
        Annotation(doc.id, Layer.NARRATIVE, nar, "narratives-v1", score=0.6, evidence=[spans[0]]),
        Annotation(
            doc.id,
            Layer.SUBNARRATIVE,
            f"{nar}: Ukraine is the aggressor",
            "narratives-v1",
            score=0.6,
            evidence=[spans[0]],
        ),
        Annotation(doc.id, Layer.GENRE, "opinion", "genre-v1", score=0.9, evidence=[spans[1]]),
        Annotation(doc.id, Layer.FRAME, "Political", "frames-v1", score=0.7, evidence=[spans[1]]),
        Annotation(
            doc.id,
            Layer.ROLE,
            "Antagonist",
            "roles-v1",
            score=0.8,
            evidence=[spans[0]],
            attrs={"entity": "Kyiv", "entity_id": "kyiv", "level": "main", "mentions": [[0, 4]]},
        ),
        Annotation(
            doc.id,
            Layer.ROLE,
            "Instigator",
            "roles-v1",
            score=0.6,
            evidence=[spans[0]],
            attrs={"entity": "Kyiv", "entity_id": "kyiv", "level": "fine", "main": "Antagonist"},
        ),
    ]
    store = Store.open(path)
    store.add(doc, anns, vectors=np.eye(3, 8, dtype=np.float32), encoder="test")
    return store, doc


def test_corpus_exports_semeval_files_read_back(tmp_path):
    store, _ = _store(tmp_path / "x.db")
    with store:
        counts = write_semeval(store, tmp_path / "semeval")
    assert counts == {
        "narratives.txt": 1,
        "roles.txt": 1,
        "genre.txt": 1,
        "frames.txt": 1,
        "techniques.txt": 2,
    }
    labels = read_narrative_labels(tmp_path / "semeval" / "narratives.txt")["article123.txt"]
    assert labels.narratives == ("URW: Blaming the war on others rather than the invader",)
    assert read_genres(tmp_path / "semeval" / "genre.txt") == {"123": "opinion"}
    assert read_frames(tmp_path / "semeval" / "frames.txt") == {"123": ["Political"]}
    lines = read_line_labels(tmp_path / "semeval" / "techniques.txt")
    assert lines == {("123", 1): ["Name_Calling-Labeling"], ("123", 2): ["Loaded_Language"]}
    roles = (tmp_path / "semeval" / "roles.txt").read_text(encoding="utf-8")
    assert roles == "article123.txt\tKyiv\t0\t3\tAntagonist\tInstigator\n"


def test_corpus_exports_storyline_and_profile_tables(tmp_path):
    store, _ = _store(tmp_path / "x.db")
    with store:
        assert export.write(store, tmp_path / "s.jsonl", table="storylines") == 0
        assert export.write(store, tmp_path / "p.csv", format="csv", table="profiles") == 1
    assert "x.example" in (tmp_path / "p.csv").read_text(encoding="utf-8")
