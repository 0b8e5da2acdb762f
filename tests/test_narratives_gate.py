"""The domain gate of narratives and roles (issue 15): what it learns from, how it cuts, what it says."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers.domain import DomainGate, Verdict
from narrascope.analyzers.roles import RoleAnalyzer
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.training.domain import lowest_cut, mentions_topics, task10_domain

CAR_REVIEW = (
    "Volkswagen's new Golf GTI is quicker than ever. We drove it for a week around Hamburg.\n"
    "Volkswagen fitted a stiffer chassis, and the Golf GTI now brakes harder than before.\n"
    "The seats hold you well, the infotainment is slow, and the boot takes 380 litres.\n"
    "Volkswagen asks 41,000 euros for the Golf GTI; the Clubsport costs 4,000 more."
)


def test_gate_negatives_leave_out_pages_naming_either_topic():
    assert mentions_topics("Kyiv said on Monday") and mentions_topics("Изменение климата")
    assert mentions_topics("जलवायु परिवर्तन") and mentions_topics("a ucrânia e a rússia")
    assert not mentions_topics("Preheat the oven to 180 degrees and mash three bananas.")


def test_gate_reads_task10_domain_from_labels_then_file_name():
    assert task10_domain("EN_UA_1.txt", ["CC: Amplifying Climate Fears"]) == "CC"
    assert task10_domain("EN_CC_100000.txt", ["Other"]) == "CC"
    assert task10_domain("RU-URW-1332.txt", ["Other"]) == "URW"


def test_gate_cut_keeps_held_out_sources_under_target_on_average():
    scores = {"a": np.linspace(0, 0.5, 100), "b": np.linspace(0, 0.9, 100)}
    cut = lowest_cut(scores)
    assert np.mean([np.mean(p >= cut) for p in scores.values()]) <= 0.02
    assert np.mean([np.mean(p >= cut - 0.02) for p in scores.values()]) > 0.02  # no higher


def test_gate_note_names_the_reason_and_probability():
    doc = segment(Document(text="A recipe. Bake it.", source=SourceRef("x"), language="en"))
    note = DomainGate.note(doc, "roles", Verdict("URW", 0.034, False))
    assert note.layer is Layer.STATS and note.label == "not-analyzed"
    assert note.attrs == {
        "analyzer": "roles",
        "reason": "outside the taxonomy (war in Ukraine, climate change): p=0.03",
    }


@pytest.fixture(scope="module")
def encoder():
    return UniversalSentenceEncoder(threads=1)


def test_roles_abstain_outside_the_taxonomy(encoder):
    doc = segment(Document(text=CAR_REVIEW, source=SourceRef("car"), language="en"))
    vectors = encoder.encode(doc.sentence_texts())
    start = doc.text.index("Volkswagen")
    attrs = {"entity": "Volkswagen", "entity_id": "volkswagen"}
    entities = [Annotation(doc.id, Layer.ENTITY, "ORG", "test", start, start + 10, attrs=attrs)] * 3
    anns = RoleAnalyzer.load(encoder).analyze(doc, vectors, prior=tuple(entities))
    assert [(a.layer, a.label, a.attrs["analyzer"]) for a in anns] == [
        (Layer.STATS, "not-analyzed", "roles")
    ]
