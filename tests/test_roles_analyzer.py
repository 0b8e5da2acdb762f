"""The role analyzer on the Kazakhstan examples, with and without the entities analyzer (issues 4, 15):
roles only on named actors the entity layer recognised, one record per entity."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.analyzers.entities import EntityAnalyzer
from narrascope.analyzers.roles import (
    RoleAnalyzer,
    entities_from,
    is_named,
    name_features,
    read_taxonomy,
)
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.text import segment

US_BLAMED = "003_4fa640b94b0919dd"  # "Massacre in Kazakhstan: the United States hit the 'soft underbelly' of Russia"


@pytest.fixture(scope="module")
def encoder():
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="module")
def article(examples_dir, encoder):
    path = examples_dir / f"{US_BLAMED}.txt"
    doc = segment(
        Document(text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en")
    )
    return doc, encoder.encode(doc.sentence_texts())


def _main_roles(anns):
    roles = [a for a in anns if a.layer is Layer.ROLE]
    assert len({a.attrs["entity_id"] for a in roles}) == len(roles)  # one record per entity
    return {a.attrs["entity"]: a for a in roles}


def _head_cut_for_english(analyzer: RoleAnalyzer) -> RoleAnalyzer:
    """`analyzer` with its English cuts set aside: English roles pass the head's own cut."""
    cuts = analyzer.main.info["language_thresholds"]
    analyzer.main.info = {
        **analyzer.main.info,
        "language_thresholds": {k: v for k, v in cuts.items() if k != "en"},
    }
    return analyzer


def test_roles_united_states_is_cast_as_antagonist(article, encoder):
    """The head casts the United States as Antagonist. An English Antagonist is shown only
    where it beats the base rate (70% of English mentions, #15), which this one does not: with
    the English cut set aside (the head's own cut), its record is the one analysis writes."""
    doc, vectors = article
    entities = EntityAnalyzer.load().analyze(doc, vectors)
    analyzer = RoleAnalyzer.load(encoder)
    assert "United States" not in _main_roles(analyzer.analyze(doc, vectors, tuple(entities)))
    cuts = analyzer.main.info["language_thresholds"]
    roles = _main_roles(_head_cut_for_english(analyzer).analyze(doc, vectors, tuple(entities)))
    us = roles["United States"]
    assert us.score < cuts["en"][analyzer.main.labels.index("Antagonist")]
    assert us.label == "Antagonist" and us.layer is Layer.ROLE and 0.5 < us.score <= 1.0
    assert us.attrs["entity_id"]
    assert all(doc.text[s:e] for s, e in us.evidence) and len(us.evidence) <= 3
    mentioned = {doc.sentences.index(span) for span in us.evidence}
    assert all(
        any(s <= m[0] < e for m in us.attrs["mentions"])
        for s, e in (doc.sentences[i] for i in mentioned)
    )
    parents = {r.label: r.parent for r in read_taxonomy() if r.level == "fine"}
    fine = us.attrs["fine_scores"]
    assert fine and all(parents[r] == "Antagonist" for r in fine)
    assert set(us.attrs["fine_roles"]) <= set(fine)


def test_roles_need_the_entity_layer(article, encoder):
    """No capitalised-word fallback: without recognised entities nothing is cast."""
    doc, vectors = article
    assert RoleAnalyzer.load(encoder).analyze(doc, vectors) == []


def _mentions(doc, name, label, times=3):
    at = doc.text.index("Russia")
    attrs = {"entity": name, "entity_id": f"{label}:{name}"}
    return [Annotation(doc.id, Layer.ENTITY, label, "test", at, at + 6, attrs=attrs)] * times


def test_roles_never_on_a_lower_case_noun(article, encoder):
    doc, vectors = article
    entities = list(EntityAnalyzer.load().analyze(doc, vectors))
    entities += _mentions(doc, "gewalt", "ORG") + _mentions(doc, "sticker", "PER")
    # English roles are rare under roles-v4's English cut (#15): the head's own cut, to have some
    analyzer = _head_cut_for_english(RoleAnalyzer.load(encoder))
    roles = analyzer.analyze(doc, vectors, prior=tuple(entities))
    assert roles and all(a.layer is Layer.ROLE for a in roles)
    assert not any(a.attrs["entity"][:1].islower() for a in roles)
    assert not is_named("anmerkung") and is_named("Anmerkung") and is_named("Путин")
    assert is_named("मोदी")  # a script without case is not judged by case


def test_roles_only_for_named_entity_types(article):
    doc, _ = article
    made = [
        m for kind in ("PER", "ORG", "LOC", "DATE", "MONEY") for m in _mentions(doc, "Russia", kind)
    ]
    assert {e.type for e in entities_from(made)} == {"PER", "ORG", "LOC"}


def test_roles_name_features_are_stable_and_normalised():
    a, b = name_features("NATO"), name_features("NATO")
    assert (a == b).all() and abs(float((a * a).sum()) - 1.0) < 1e-5
    assert float(a @ name_features("Vladimir Putin")) < 0.5


def test_roles_one_record_exports_its_fine_roles():
    """The T10 writer reads a v2 record's fine roles from its attrs (v1 wrote fine rows)."""
    from narrascope.export.semeval import _roles

    doc = Document(text="Kyiv said no.", source=SourceRef("article1.txt"), language="en")
    ann = Annotation(
        doc.id,
        Layer.ROLE,
        "Antagonist",
        "roles-v3",
        score=0.8,
        evidence=[(0, 13)],
        attrs={
            "entity": "Kyiv",
            "entity_id": "kyiv",
            "mentions": [[0, 4]],
            "fine_roles": ["Instigator"],
        },
    )
    (mention,) = _roles(doc, [ann])
    assert (mention.text, mention.main_role, mention.fine_roles) == (
        "Kyiv",
        "Antagonist",
        ("Instigator",),
    )


def test_roles_shown_at_the_operating_point_of_the_article_language(encoder):
    from narrascope.analyzers.roles import RoleDecision

    analyzer = RoleAnalyzer.load(encoder)
    table = analyzer.main.info["language_thresholds"]
    assert set(table) == {"bg", "en", "hi", "pt", "ru"}  # the training languages
    # A role that is rarely right in a language is never shown there: English Protagonists
    # were right 45% of the time out of fold under roles-v2's one cut.
    assert table["en"][analyzer.main.labels.index("Protagonist")] > 1.0
    sure = RoleDecision("Protagonist", 0.97, {}, [], [])
    assert not analyzer.shown(sure, "en")
    assert analyzer.shown(sure, "ru") and analyzer.shown(sure, "de")  # de: the head's own cut


def test_roles_language_cut_must_beat_the_base_rate_issue_15():
    """A role right 80% of the time where 70% of the language's mentions play it is silenced
    by the lift rule (it needs 85%); a rare role right as often keeps its cut."""
    from narrascope.training.role_cuts import MIN_SKILL, language_cuts

    # 400 mentions, 280 Antagonists (1): 350 called Antagonist (280 right), 50 Protagonist (0,
    # all right)
    y = np.array([1] * 280 + [0] * 120)
    chosen = np.array([1] * 350 + [0] * 50)
    n = len(y)
    probabilities = np.zeros((n, 3))
    probabilities[np.arange(n), chosen] = 0.9
    probabilities[np.arange(n), 1 - chosen] = 0.1
    languages = np.array(["en"] * n)
    plain = language_cuts(probabilities, y, languages)["en"]
    lifted = language_cuts(probabilities, y, languages, min_skill=MIN_SKILL)["en"]
    assert plain[1] <= 0.9 < lifted[1]  # Antagonist: 0.80 right < 0.70 + 0.30 / 2
    assert lifted[0] == plain[0] <= 0.9  # Protagonist (base 0.3, right 100%): shown in both
