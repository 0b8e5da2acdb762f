"""A small store for the workbench tests (CLI, web, browser): four documents whose sentence
vectors put two dated outlets on one claim and two undated, unnamed documents on another, with
technique, narrative, role and bookkeeping annotations on real sentences."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from narrascope.corpus import storylines
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.store import Store
from narrascope.text import segment

CLAIM = "The protests in the capital were organised from abroad by foreign agents."
OTHER = "Prices of bread and fuel rose sharply in the western regions last month."
UNDATED = "The new pipeline will carry gas to the southern provinces within two years."
NARRATIVE = "URW: Russia is the Victim"


def _doc(i: int, first: str, outlet: str | None, published: datetime | None) -> Document:
    text = f"{first} {OTHER.replace('bread', f'item {i}')}"
    return segment(
        Document(
            text=text,
            source=SourceRef(f"doc{i}.txt"),
            outlet=outlet,
            published=published,
            title=f"Title {i}",
        )
    )


def build(path: str) -> str:
    """Four documents, two storylines (one dated, one undated), labels on real sentences."""
    rng = np.random.default_rng(3)
    claim, undated = rng.normal(size=32), rng.normal(size=32)
    docs = [
        _doc(1, CLAIM, "journal-neo.org", datetime(2022, 1, 5, 9)),
        _doc(2, CLAIM.replace("foreign agents", "agents from abroad"), "tass.com", None),
        _doc(3, UNDATED, None, None),
        _doc(4, UNDATED.replace("two", "three"), None, None),
    ]
    docs[1] = segment(
        Document(
            text=docs[1].text,
            source=docs[1].source,
            outlet="tass.com",
            published=datetime(2022, 1, 7, 12),
            title="Title 2",
        )
    )
    with Store.open(path) as store:
        for k, doc in enumerate(docs):
            topic = claim if k < 2 else undated
            vectors = np.vstack([topic + 0.05 * rng.normal(size=32), rng.normal(size=32)])
            s = doc.sentences
            anns = [Annotation(doc.id, Layer.STATS, "stats", "stats-v1", attrs={"words": 20})]
            if k == 0:
                anns += [
                    Annotation(
                        doc.id, Layer.TECHNIQUE, "Loaded_Language", "t-v1", s[0][0], s[0][1], 0.8
                    ),
                    Annotation(
                        doc.id, Layer.NARRATIVE, NARRATIVE, "n-v1", score=0.7, evidence=[s[1]]
                    ),
                    Annotation(
                        doc.id,
                        Layer.ROLE,
                        "Antagonist",
                        "r-v1",
                        score=0.6,
                        evidence=[s[0]],
                        attrs={"entity": "Foreign agents", "entity_id": "foreign-agents"},
                    ),
                ]
            store.add(doc, anns, vectors=vectors.astype(np.float32), encoder="test")
        storylines.update_storylines(store)
    return path
