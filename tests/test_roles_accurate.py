"""Entity roles in the accurate profile (#16 item 3): the mention's word pieces read in context
by the accurate MiniLM (ONNX, asked for its token states), on the Kazakhstan examples."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers import select
from narrascope.analyzers.entities import EntityAnalyzer
from narrascope.analyzers.roles import NAMED_TYPES, RoleAnalyzer, read_taxonomy
from narrascope.analyzers.roles_accurate import (
    ROLES_ACCURATE_VERSION,
    AccurateRoleAnalyzer,
    TokenStates,
    head_files,
    mention_pieces,
)
from narrascope.analyzers.techniques_accurate import (
    FineTunedTechniques,
    PairModel,
    model_files,
    sentence_pairs,
    shared_pair_model,
    with_outputs,
)
from narrascope.heads import RESOURCES
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment

MINILM = all(p.is_file() for k, p in model_files(RESOURCES).items() if k != "card")
HEADS = all(p.is_file() for p in head_files().values())
needs_minilm = pytest.mark.skipif(not MINILM, reason="no accurate MiniLM shipped")
needs_heads = pytest.mark.skipif(not (MINILM and HEADS), reason="no accurate role heads shipped")
US_BLAMED = "003_4fa640b94b0919dd"


@pytest.fixture(scope="module")
def states():
    return TokenStates()


@needs_minilm
def test_onnx_with_the_lower_layer_keeps_the_logits_and_the_last_layer(states, example_docs):
    """The graph asked for layer 5 too gives the shipped model's logits and last-layer token
    states bit for bit, and layer 5 beside them, piece for piece; the file is read as is."""
    files = model_files(RESOURCES)
    plain = PairModel(files["onnx"], files["vocab"])
    pairs = sentence_pairs(example_docs[3].sentence_texts())
    shipped = plain.run(pairs, tokens=True)
    reading = states.model.run(pairs, tokens=True)
    assert np.array_equal(reading.logits, shipped.logits)
    assert all(np.array_equal(a, b) for a, b in zip(reading.states, shipped.states, strict=True))
    assert [s.shape for s in reading.lower] == [s.shape for s in shipped.states]
    assert shipped.lower == [] and reading.states[0].shape[1] == 384
    assert with_outputs(files["onnx"].read_bytes(), []) == files["onnx"].read_bytes()


@needs_minilm
def test_mention_pieces_keep_their_place_in_the_text(states):
    sentence = "The “United States” hit Russia's soft underbelly, said Lavrov."
    at = sentence.index("United States")
    doc = segment(Document(text=sentence, source=SourceRef("s.txt"), language="en"))
    read = states.read(doc.text, doc.sentences, [0])[0]
    assert read.states.shape == (len(read.spans), 2 * 384)
    mask = mention_pieces(read, [(at, at + len("United States"))])
    assert [sentence[a:b] for (a, b), m in zip(read.spans, mask, strict=True) if m] == [
        "United",
        "States",
    ]


@needs_minilm
def test_one_run_serves_roles_and_techniques(states, example_docs):
    """The role analyzer's read of a document and the technique analyzer's scores of it are
    one run of the model (whoever asks first), with the logits of a run of its own."""
    doc = example_docs[3]
    pairs = sentence_pairs(doc.sentence_texts())
    files = model_files(RESOURCES)
    alone = PairModel(files["onnx"], files["vocab"]).logits(pairs)
    read = states.read(doc.text, doc.sentences, [2, 5])
    assert sorted(read) == [2, 5] and read[2].states.shape[1] == 2 * 384
    techniques = FineTunedTechniques(RESOURCES)
    assert techniques.model is states.model
    reading = states.model.read(pairs)
    techniques.scores_and_phrases(doc.sentence_texts())
    assert states.model.read(pairs) is reading  # kept: no second run
    assert np.array_equal(reading.logits, alone)


@needs_minilm
def test_shared_pair_model_is_one_per_model_file(tmp_path):
    """However the folder is spelled, one model; a model file rewritten in place is loaded
    anew, never served from the old session."""
    import os
    import shutil

    for path in model_files(RESOURCES).values():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    first = shared_pair_model(tmp_path)
    assert shared_pair_model(tmp_path / "." / "") is first
    assert shared_pair_model(tmp_path, threads=1) is first
    onnx = model_files(tmp_path)["onnx"]
    os.utime(onnx, ns=(onnx.stat().st_atime_ns, onnx.stat().st_mtime_ns + 1_000_000_000))
    assert shared_pair_model(tmp_path) is not first


def test_select_accurate_profile_swaps_the_role_analyzer():
    fast, accurate = select(), select(profile="accurate")
    assert RoleAnalyzer in fast and AccurateRoleAnalyzer in accurate
    assert fast.index(RoleAnalyzer) == accurate.index(AccurateRoleAnalyzer)
    assert AccurateRoleAnalyzer.requires == (Layer.ENTITY,)


@pytest.fixture(scope="module")
def analyzer(encoder):
    return AccurateRoleAnalyzer.load(encoder)


@needs_heads
def test_accurate_roles_sit_on_named_entities_one_record_each(analyzer, encoder, example_docs):
    """On the five articles: every role is one record per recognised named entity, its main
    role a calibrated probability over the operating point, its fine roles that role's children."""
    parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
    entities = EntityAnalyzer.load()
    cast = 0
    for doc in example_docs:
        vectors = encoder.encode(doc.sentence_texts())
        prior = tuple(entities.analyze(doc, vectors))
        named = {
            a.attrs["entity_id"]: a
            for a in prior
            if a.layer is Layer.ENTITY and a.label in NAMED_TYPES and a.attrs.get("entity_id")
        }
        roles = [a for a in analyzer.analyze(doc, vectors, prior) if a.layer is Layer.ROLE]
        ids = [a.attrs["entity_id"] for a in roles]
        assert len(ids) == len(set(ids))
        for ann in roles:
            cast += 1
            assert ann.attrs["entity_id"] in named and ann.model == ROLES_ACCURATE_VERSION
            assert ann.label in ("Protagonist", "Antagonist", "Innocent")
            # the English cut, right >= 75% and beating the base rate out of fold (#15)
            cut = analyzer.main.info["language_thresholds"]["en"][
                analyzer.main.labels.index(ann.label)
            ]
            assert cut <= ann.score <= 1.0
            assert abs(sum(ann.attrs["main_scores"].values()) - 1.0) < 1e-4
            assert all(parents[r] == ann.label for r in ann.attrs["fine_scores"])
            assert set(ann.attrs["fine_roles"]) <= set(ann.attrs["fine_scores"])
            assert ann.evidence and len(ann.evidence) <= 3
            for start, end in ann.evidence:  # each evidence sentence names the entity
                assert any(start <= m[0] < end for m in ann.attrs["mentions"])
    assert cast, "no entity cast in five articles about the unrest"


@needs_heads
def test_accurate_roles_need_the_entity_layer(analyzer, encoder, example_docs):
    doc = example_docs[0]
    assert analyzer.analyze(doc, encoder.encode(doc.sentence_texts())) == []


@needs_heads
def test_accurate_roles_fall_back_to_the_fast_head_for_russian(analyzer, encoder, example_docs):
    """A Russian article gets the fast head's roles and a note; here an English text stands in,
    marked Russian, so that the entities analyzer finds the same actors."""
    doc = example_docs[3]
    vectors = encoder.encode(doc.sentence_texts())
    prior = tuple(EntityAnalyzer.load().analyze(doc, vectors))
    doc.language = "ru"
    try:
        anns = analyzer.analyze(doc, vectors, prior)
    finally:
        doc.language = "en"
    roles = [a for a in anns if a.layer is Layer.ROLE]
    notes = [a for a in anns if a.layer is Layer.STATS]
    assert all(a.model == RoleAnalyzer.version for a in roles)
    if roles:
        assert len(notes) == 1 and notes[0].label == "not-analyzed"
        assert "fast head" in notes[0].attrs["reason"] and "'ru'" in notes[0].attrs["reason"]
