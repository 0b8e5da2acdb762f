"""Every registered analyzer keeps the contract: right layer, a model id, no label without evidence,
honest `requires`, and a head that refuses an encoder it was not trained on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from narrascope import pipeline
from narrascope.analyzers import (
    AnalyzerOrderError,
    analyzer_class,
    available,
    check_order,
    load_analyzers,
    select,
)
from narrascope.heads import EncoderMismatch
from narrascope.model import Document, Layer, SourceRef
from narrascope.store import Store
from narrascope.text import segment

# The analyzers that read sentence vectors, with the head file each loads first.
VECTOR_READERS = {
    "techniques": "techniques-v5",
    "genre": "genre-v4",
    "frames": "frames-v3",
    "narratives": "narratives-v5",
    "roles": "roles-v4",
    "claims": "claims-v2",
}


@dataclass
class FakeEncoder:
    """An encoder that only describes itself: loading an analyzer needs no more."""

    name: str
    dim: int
    languages: frozenset[str] = frozenset({"en"})

    def encode(self, texts):
        return np.zeros((len(texts), self.dim), dtype=np.float32)


def _run_in_order(loaded, name, doc, vectors, *, keep=None):
    """`name`'s annotations on `doc` after every earlier analyzer ran (their output filtered to
    the layers in `keep`, if given)."""
    prior = []
    for earlier in available()[: available().index(name)]:
        prior += loaded[earlier].analyze(doc, vectors, prior=tuple(prior))
    if keep is not None:
        prior = [a for a in prior if a.layer in keep]
    return loaded[name].analyze(doc, vectors, prior=tuple(prior))


@pytest.mark.parametrize("name", available())
def test_analyzer_keeps_contract(name, example_docs, example_vectors, loaded_analyzers):
    cls = analyzer_class(name)
    assert cls.name == name and cls.version and isinstance(cls.layer, Layer)
    analyzer = loaded_analyzers[name]
    for doc in example_docs:
        anns = _run_in_order(loaded_analyzers, name, doc, example_vectors[doc.id])
        for ann in anns:
            assert ann.doc_id == doc.id and ann.model
            if ann.layer is Layer.STATS and analyzer.layer is not Layer.STATS:
                # an analyzer may decline a document, saying why
                assert ann.label == "not-analyzed" and ann.attrs["analyzer"] == name
                assert ann.attrs["reason"]
            else:
                assert ann.layer in (analyzer.layer, Layer.SUBNARRATIVE), ann
            assert 0.0 <= ann.score <= 1.0
            if ann.start is None:
                assert ann.evidence, f"{name}: document label {ann.label!r} without evidence"
                assert all(doc.text[a:b].strip() for a, b in ann.evidence)
            else:
                assert 0 <= ann.start < ann.end <= len(doc.text)
                assert doc.text[ann.start : ann.end].strip()


@pytest.mark.parametrize("name", available())
def test_analyzer_reads_only_the_layers_it_requires(
    name, example_docs, example_vectors, loaded_analyzers
):
    """`requires` is honest: hiding every earlier layer it does not declare changes nothing."""
    keep = set(analyzer_class(name).requires)
    for doc in example_docs:
        vectors = example_vectors[doc.id]
        everything = _run_in_order(loaded_analyzers, name, doc, vectors)
        assert _run_in_order(loaded_analyzers, name, doc, vectors, keep=keep) == everything


def test_roles_declare_the_entities_they_read(example_docs, example_vectors, loaded_analyzers):
    """Roles read entities from `prior` (issue 14): without them, some article reads otherwise."""
    assert Layer.ENTITY in analyzer_class("roles").requires
    changed = [
        doc.id
        for doc in example_docs
        if _run_in_order(loaded_analyzers, "roles", doc, example_vectors[doc.id])
        != _run_in_order(loaded_analyzers, "roles", doc, example_vectors[doc.id], keep=set())
    ]
    assert changed


@pytest.mark.parametrize("name", available())
def test_analyzer_handles_empty_document(name, encoder, loaded_analyzers):
    doc = segment(Document(text="", source=SourceRef("empty"), language="en"))
    assert loaded_analyzers[name].analyze(doc, encoder.encode([])) == []


@pytest.mark.parametrize("name", sorted(VECTOR_READERS))
@pytest.mark.parametrize(
    "given",
    [FakeEncoder("minilm-l6-v2", 512), FakeEncoder("use-multilingual-v3", 384)],
    ids=["other name", "other dimension"],
)
def test_analyzer_refuses_an_encoder_its_head_was_not_trained_on(name, given):
    with pytest.raises(EncoderMismatch) as refused:
        analyzer_class(name).load(given)
    message = str(refused.value)
    assert VECTOR_READERS[name] in message  # the head
    assert "trained on encoder 'use-multilingual-v3'" in message  # the encoder it needs
    assert f"the encoder given is {given.name!r} ({given.dim}-d" in message  # the one given


def test_analyzers_take_languages_from_their_encoder():
    given = FakeEncoder("use-multilingual-v3", 512, frozenset({"en", "kk"}))
    (analyzer,) = load_analyzers([analyzer_class("techniques")], given)
    assert analyzer.languages == given.languages
    # genre's features need its training languages' word lists, and frames' and narratives'
    # scores did not hold in a language held out of training (#15): the encoder's languages,
    # cut to the training ones (T3's six; T10's five)
    for name in ("genre", "frames", "narratives"):
        (analyzer,) = load_analyzers([analyzer_class(name)], given)
        assert analyzer.languages == frozenset({"en"})
    t10 = FakeEncoder("use-multilingual-v3", 512, frozenset({"en", "bg", "hi", "pt", "es"}))
    (analyzer,) = load_analyzers([analyzer_class("narratives")], t10)
    assert analyzer.languages == frozenset({"en", "bg", "hi", "pt"})


@pytest.mark.parametrize("name", ["stats", "entities", "quotes", "events"])
def test_analyzers_that_read_no_vectors_take_any_encoder(name):
    assert analyzer_class(name).load(FakeEncoder("anything", 3)).name == name


def test_analyzers_refuse_bad_order():
    class NeedsEntities:
        name, version, layer = "needs", "needs-v1", Layer.ROLE
        requires, languages = (Layer.ENTITY,), None

        @classmethod
        def load(cls, encoder):
            raise AssertionError("a bad order must be refused before any model is read")

    with pytest.raises(AnalyzerOrderError, match="needs entity"):
        check_order([NeedsEntities])
    with pytest.raises(AnalyzerOrderError, match="needs entity"):
        load_analyzers([NeedsEntities], FakeEncoder("anything", 3))


def test_pipeline_refuses_bad_order_before_the_first_article(tmp_path, examples_dir):
    with Store.open(tmp_path / "order.db") as store:
        with pytest.raises(AnalyzerOrderError, match="'roles' needs entity"):
            pipeline.analyze([examples_dir], store, only=["roles"])
        assert list(store.documents()) == []


def test_analyzers_select_only_and_skip():
    assert [c.name for c in select(["stats"])] == ["stats"]
    assert "stats" not in [c.name for c in select(skip=["stats"])]
    with pytest.raises(KeyError, match="no analyzer named"):
        select(["nonexistent"])
