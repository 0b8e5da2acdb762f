"""A small store for the attention-over-time tests: two outlets of different sizes, days with
nothing published between the dated documents, two undated documents, a technique on one
sentence, and sentence vectors that put the "fuel" sentences in one direction."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.store import Store
from narrascope.text import segment

BIG, SMALL = "big.example", "small.example"
FUEL = np.eye(8, dtype=np.float32)[0]
OTHER = np.eye(8, dtype=np.float32)[1]

DOCS = [
    # (outlet, published, first sentence, is it about fuel)
    (BIG, datetime(2022, 1, 3, 8), "Fuel prices rose again in the capital.", True),
    (BIG, datetime(2022, 1, 3, 23, 30), "The weather stayed mild all week.", False),
    (BIG, datetime(2022, 1, 5, 12), "A fuel shortage closed three stations.", True),
    (BIG, datetime(2022, 1, 10, 9), "The football season opened on Sunday.", False),
    (SMALL, datetime(2022, 1, 10, 18), "Parliament debated a fuel tax.", True),
    (None, None, "Queues for fuel grew in the north.", True),
    (SMALL, None, "The museum reopened after repairs.", False),
]


def build(path: str) -> str:
    """The seven documents above; the first carries Loaded_Language on its first sentence."""
    with Store.open(path) as store:
        for i, (outlet, published, first, fuel) in enumerate(DOCS):
            doc = segment(
                Document(
                    text=f"{first} Officials said more news would follow on day {i}.",
                    source=SourceRef(f"a{i}.txt"),
                    outlet=outlet,
                    published=published,
                    title=f"Attention {i}",
                )
            )
            anns = []
            if i == 0:
                start, end = doc.sentences[0]
                anns.append(
                    Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "t-v1", start, end, 0.9)
                )
            vectors = np.vstack([FUEL if fuel else OTHER, np.eye(8, dtype=np.float32)[2]])
            store.add(doc, anns, vectors=vectors, encoder="test")
    return path


class FixedEncoder:
    """Encodes any text as the "fuel" direction: semantic search without a model."""

    def encode(self, texts):
        return np.vstack([FUEL for _ in texts])
