"""Every registered analyzer keeps the contract: right layer, a model id, no label without evidence."""

from __future__ import annotations

import pytest

from narrascope.analyzers import AnalyzerOrderError, analyzer_class, available, check_order, select
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment


@pytest.fixture(scope="session")
def encoder():
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="session")
def example_docs(examples_dir):
    docs = []
    for path in sorted(examples_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        docs.append(segment(Document(text=text, source=SourceRef(str(path)), language="en")))
    return docs


@pytest.fixture(scope="session")
def example_vectors(example_docs, encoder):
    return {doc.id: encoder.encode(doc.sentence_texts()) for doc in example_docs}


@pytest.mark.parametrize("name", available())
def test_analyzer_keeps_contract(name, example_docs, example_vectors):
    cls = analyzer_class(name)
    assert cls.name == name and cls.version and isinstance(cls.layer, Layer)
    analyzer = cls.load()
    prior_classes = [analyzer_class(n) for n in available()[: available().index(name)]]
    prior_analyzers = [c.load() for c in prior_classes]
    for doc in example_docs:
        vectors = example_vectors[doc.id]
        prior = []
        for earlier in prior_analyzers:
            prior += earlier.analyze(doc, vectors, prior=tuple(prior))
        anns = analyzer.analyze(doc, vectors, prior=tuple(prior))
        for ann in anns:
            assert ann.doc_id == doc.id and ann.model
            assert ann.layer in (analyzer.layer, Layer.SUBNARRATIVE), ann
            assert 0.0 <= ann.score <= 1.0
            if ann.start is None:
                assert ann.evidence, f"{name}: document label {ann.label!r} without evidence"
                assert all(doc.text[a:b].strip() for a, b in ann.evidence)
            else:
                assert 0 <= ann.start < ann.end <= len(doc.text)
                assert doc.text[ann.start : ann.end].strip()


@pytest.mark.parametrize("name", available())
def test_analyzer_handles_empty_document(name):
    doc = segment(Document(text="", source=SourceRef("empty"), language="en"))
    assert analyzer_class(name).load().analyze(doc, UniversalSentenceEncoder().encode([])) == []


def test_analyzers_refuse_bad_order():
    class NeedsEntities:
        name, version, layer = "needs", "needs-v1", Layer.ROLE
        requires, languages = (Layer.ENTITY,), None

    with pytest.raises(AnalyzerOrderError, match="needs entity"):
        check_order([NeedsEntities])


def test_analyzers_select_only_and_skip():
    assert [c.name for c in select(["stats"])] == ["stats"]
    assert "stats" not in [c.name for c in select(skip=["stats"])]
    with pytest.raises(KeyError, match="no analyzer named"):
        select(["nonexistent"])
