"""Corrections as training examples (#19): the corrected documents of a database become
weighted rows of a document-level head, and what went in is said in the card line."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from narrascope.analyzers.frames import document_features
from narrascope.heads import sigmoid
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.review import Review
from narrascope.store import Store
from narrascope.text import segment
from narrascope.training import train
from narrascope.training.corrections import corrected_documents, weighted_in
from narrascope.training.fit import fit_sigmoid

FRAMES = ["Political", "Economic", "Security_and_defense"]


@pytest.fixture
def db(tmp_path, examples_dir):
    path = str(tmp_path / "c.db")
    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        for i, file in enumerate(sorted(examples_dir.glob("*.txt"))[:3]):
            raw = file.read_bytes()
            doc = segment(
                Document(raw.decode(), SourceRef(str(file), None, hashlib.sha256(raw).hexdigest()))
            )
            vectors = rng.normal(size=(len(doc.sentences), 8)).astype(np.float32)
            frame = Annotation(
                doc.id, Layer.FRAME, FRAMES[i], "frames-v1", score=0.4, evidence=[doc.sentences[0]]
            )
            store.add(doc, [frame], vectors=vectors, encoder="enc-a" if i < 2 else "enc-b")
        review = Review(store)
        ids = [row for doc in store.documents() for row, _ in store.corrections.annotated(doc.id)]
        docs = [doc.id for doc in store.documents()]
        review.correct("reject", user="ana", annotation_id=ids[0])
        review.correct("add", user="ana", doc_id=docs[0], layer="frame", label="Economic")
        review.correct("accept", user="ana", annotation_id=ids[1])
        review.correct("accept", user="ana", annotation_id=ids[2])  # vectors of another encoder
    return path


def test_training_corrections_become_weighted_rows(db):
    corrected = corrected_documents(db, Layer.FRAME, FRAMES, document_features, encoder="enc-a")
    assert (corrected.corrections, corrected.documents, corrected.skipped) == (4, 2, 1)
    assert corrected.x.shape == (2, 8)
    # Each document's truth is its labels with the corrections applied: Political rejected and
    # Economic added on the first, Economic accepted on the second.
    assert corrected.y.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    line = corrected.card_line(5)
    assert "4 analyst corrections on 2 documents" in line and "5x" in line and "1 corrected" in line
    assert "`c.db`" in line and "sha256:" in line  # which corpus, by name and hash
    x, y, cells = weighted_in(
        np.zeros((3, 8), np.float32), np.zeros((3, 3), np.float32), corrected, 5
    )
    assert x.shape == (5, 8) and y.shape == (5, 3)
    # A verdict weighs 5 on its own label only: Political and Economic on the first
    # document, Economic on the second; the labels nobody ruled on are left out.
    assert cells[3:].tolist() == [[5.0, 5.0, 0.0], [0.0, 5.0, 0.0]]
    assert (cells[:3] == 1.0).all()


def test_training_corrections_move_the_head(db):
    corrected = corrected_documents(db, Layer.FRAME, FRAMES, document_features, encoder="enc-a")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 8)).astype(np.float32)
    y = np.zeros((40, 3), np.float32)
    y[::4, 0] = 1.0  # the base data never says "Economic"
    w0, b0 = fit_sigmoid(x, y, l2=1e-3)
    x1, y1, cells = weighted_in(x, y, corrected, 5)
    w1, b1 = fit_sigmoid(x1, y1, l2=1e-3, cell_weights=cells)
    economic = corrected.x[corrected.y[:, 1] == 1]
    before = sigmoid(economic @ w0 + b0)[0, 1]
    after = sigmoid(economic @ w1 + b1)[0, 1]
    assert before < 0.02 and after > 0.15 and after > 10 * before


def test_training_corrections_refused_for_tasks_that_cannot_learn_them(tmp_path, db):
    with pytest.raises(KeyError, match="cannot learn from corrections"):
        train("claims", tmp_path, out=tmp_path, corrections=db)
