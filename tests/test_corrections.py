"""Corrections (#19): stored, applied over the model's labels, surviving re-analysis, undone,
and refused whole when they point at nothing or say something impossible."""

from __future__ import annotations

import hashlib

import pytest

from narrascope.model import (
    Annotation,
    CorrectionAction,
    CorrectionRefused,
    Document,
    LabelKey,
    Layer,
    SourceRef,
)
from narrascope.review import Review
from narrascope.store import Store
from narrascope.text import segment


@pytest.fixture(scope="module")
def doc(examples_dir) -> Document:
    path = sorted(examples_dir.glob("*.txt"))[0]
    raw = path.read_bytes()
    source = SourceRef(str(path), None, hashlib.sha256(raw).hexdigest())
    return segment(Document(raw.decode("utf-8"), source, outlet="outlet.example", language="en"))


def model_labels(doc: Document, version: str = "techniques-v1") -> list[Annotation]:
    (s0, e0), (s1, e1), (s2, e2) = doc.sentences[:3]
    return [
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", version, s0, e0, score=0.9),
        Annotation(doc.id, Layer.TECHNIQUE, "Doubt", version, s1, e1, score=0.35),
        Annotation(doc.id, Layer.TECHNIQUE, "Flag_Waving", version, s2, e2, score=0.6),
    ]


def narrative(doc: Document) -> Annotation:
    s, e = doc.sentences[0]
    return Annotation(
        doc.id,
        Layer.NARRATIVE,
        "URW: Blaming the war on others rather than the invader",
        "narratives-v1",
        score=0.55,
        evidence=[(s, e)],
    )


@pytest.fixture
def review(database_url, doc):
    with Store.open(database_url) as store:
        store.add(doc, [*model_labels(doc), narrative(doc)], analyzers=["techniques-v1"])
        yield Review(store)


def ids_by_label(store: Store, doc_id: str) -> dict[str, int]:
    return {ann.label: row_id for row_id, ann in store.corrections.annotated(doc_id)}


def labels(store: Store, doc_id: str, layer: Layer = Layer.TECHNIQUE) -> dict[str, tuple]:
    return {a.label: (a.start, a.end, a.model) for a in store.annotations(doc_id, layer=layer)}


def test_corrections_override_labels_and_keep_who_and_when(review, doc):
    store = review.store
    ids = ids_by_label(store, doc.id)
    rejected = review.correct("reject", user="ana", annotation_id=ids["Doubt"], note="hedging")
    relabelled = review.correct(
        CorrectionAction.RELABEL, user="ben", annotation_id=ids["Flag_Waving"], label="Slogans"
    )
    accepted = review.correct("accept", user="ana", annotation_id=ids["Loaded_Language"])
    s3, e3 = doc.sentences[3]
    added = review.correct(
        "add", user="ana", doc_id=doc.id, layer="technique", label="Repetition", start=s3, end=e3
    )
    now = labels(store, doc.id)
    assert set(now) == {"Loaded_Language", "Slogans", "Repetition"}
    assert now["Slogans"][2] == "correction" and now["Repetition"][:2] == (s3, e3)
    assert now["Loaded_Language"][2] == "techniques-v1"  # accepted: the model's row stays
    kept = store.corrections.of(doc.id)
    assert [c.id for c in kept] == [rejected.id, relabelled.id, accepted.id, added.id]
    assert kept[0].user == "ana" and kept[0].note == "hedging" and kept[0].created_at is not None
    assert kept[0].model == "techniques-v1" and kept[0].old.label == "Doubt" and kept[0].new is None
    assert (kept[1].old.label, kept[1].new.label, kept[1].user) == ("Flag_Waving", "Slogans", "ben")
    assert kept[3].old is None and kept[3].model == ""
    assert store.stats().annotations["technique"] == 3  # what counts and exports read


def test_corrections_survive_reanalysis_by_a_new_model_version(review, doc):
    store = review.store
    ids = ids_by_label(store, doc.id)
    review.correct("reject", user="ana", annotation_id=ids["Doubt"])
    review.correct("relabel", user="ana", annotation_id=ids["Flag_Waving"], label="Slogans")
    store.replace_annotations(doc.id, "techniques-v2", model_labels(doc, "techniques-v2"))
    now = labels(store, doc.id)
    assert set(now) == {"Loaded_Language", "Slogans"}
    assert now["Loaded_Language"][2] == "techniques-v2"
    assert labels(store, doc.id, Layer.NARRATIVE)  # another analyzer's labels are untouched


def test_a_rejected_sentence_stays_rejected_on_its_phrases_after_reanalysis(review, doc):
    """A technique rejected on a whole sentence (the fast profile's span) must not come back
    on that sentence's phrases when the accurate profile re-analyses it; a phrase of another
    sentence, or of another technique, stays; undo brings the phrases back (#16, #19)."""
    store = review.store
    ids = ids_by_label(store, doc.id)
    review_id = review.correct("reject", user="ana", annotation_id=ids["Loaded_Language"]).id
    (s0, e0), (s1, _) = doc.sentences[:2]
    accurate = "techniques-accurate-v1"
    phrases = [
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", accurate, s0, s0 + 12, score=0.8),
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", accurate, e0 - 9, e0, score=0.7),
        Annotation(doc.id, Layer.TECHNIQUE, "Doubt", accurate, s0, s0 + 12, score=0.6),
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", accurate, s1, s1 + 8, score=0.9),
    ]
    store.replace_annotations(doc.id, accurate, phrases, replaces=["techniques-v1"])
    now = sorted((a.label, a.start) for a in store.annotations(doc.id, layer=Layer.TECHNIQUE))
    assert now == [("Doubt", s0), ("Loaded_Language", s1)]
    review.undo(review_id, user="ana")
    back = sorted((a.label, a.start) for a in store.annotations(doc.id, layer=Layer.TECHNIQUE))
    assert back == sorted(
        [
            ("Doubt", s0),
            ("Loaded_Language", s0),
            ("Loaded_Language", e0 - 9),
            ("Loaded_Language", s1),
        ]
    )


def test_corrections_reapplied_when_a_dropped_document_is_stored_again_issue_19(review, doc):
    """The corrections table has no foreign key, so a correction outlives its document being
    dropped (its labels go with it); storing the text again writes the model's labels anew,
    and the analyst's corrections must be applied over them at once, undo included."""
    from sqlalchemy import text

    store = review.store
    ids = ids_by_label(store, doc.id)
    rejected = review.correct("reject", user="ana", annotation_id=ids["Doubt"])
    review.correct("relabel", user="ana", annotation_id=ids["Flag_Waving"], label="Slogans")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM documents WHERE id = :id"), {"id": doc.id})
    assert not store.has_document(doc.id) and not labels(store, doc.id)
    stored = store.add(doc, model_labels(doc, "techniques-v2"), analyzers=["techniques-v2"])
    assert stored
    now = labels(store, doc.id)
    assert set(now) == {"Loaded_Language", "Slogans"}
    assert now["Loaded_Language"][2] == "techniques-v2" and now["Slogans"][2] == "correction"
    review.undo(rejected.id, user="ana")  # what the model says now, once
    assert labels(store, doc.id)["Doubt"][2] == "techniques-v2"
    assert sorted(labels(store, doc.id)) == ["Doubt", "Loaded_Language", "Slogans"]


def test_corrections_undo_after_a_profile_switch_brings_back_no_other_profiles_label_issue_19(
    database_url, doc
):
    """Rejected under the accurate profile, re-analysed in the fast one (which does not give
    the label), then undone: the fast model's view stands, no accurate label beside it."""
    with Store.open(database_url) as store:
        accurate = "techniques-accurate-v1"
        store.add(doc, model_labels(doc, accurate), analyzers=[accurate])
        review = Review(store)
        ids = ids_by_label(store, doc.id)
        rejected = review.correct("reject", user="ana", annotation_id=ids["Doubt"])
        fast = model_labels(doc, "techniques-v3")[:1]
        store.replace_annotations(doc.id, "techniques-v3", fast, replaces=[accurate])
        review.undo(rejected.id, user="ana")
        (s0, e0), *_ = doc.sentences
        assert labels(store, doc.id) == {"Loaded_Language": (s0, e0, "techniques-v3")}


def test_corrections_undo_brings_the_model_label_back(review, doc):
    store = review.store
    ids = ids_by_label(store, doc.id)
    before = labels(store, doc.id)
    relabelled = review.correct(
        "relabel", user="ana", annotation_id=ids["Flag_Waving"], label="Slogans", start=0, end=5
    )
    rejected = review.correct("reject", user="ana", annotation_id=ids["Doubt"])
    undone = review.undo(relabelled.id, user="ben")
    assert undone.undone_by == "ben" and undone.undone_at is not None
    assert set(labels(store, doc.id)) == {"Loaded_Language", "Flag_Waving"}  # Doubt stays out
    review.undo(rejected.id, user="ben")
    assert labels(store, doc.id) == before
    assert store.corrections.of(doc.id) == []
    assert len(store.corrections.of(doc.id, undone=True)) == 2  # history is kept
    with pytest.raises(CorrectionRefused, match="already undone"):
        review.undo(rejected.id, user="ben")


def test_corrections_relabel_a_document_label(review, doc):
    store = review.store
    row = ids_by_label(store, doc.id)["URW: Blaming the war on others rather than the invader"]
    review.correct("relabel", user="ana", annotation_id=row, label="URW: Praise of Russia")
    (ann,) = store.annotations(doc.id, layer=Layer.NARRATIVE)
    assert ann.label == "URW: Praise of Russia" and ann.evidence  # the evidence travels along


def genre(doc: Document, label: str, version: str = "genre-v2") -> Annotation:
    return Annotation(doc.id, Layer.GENRE, label, version, score=0.7, evidence=[doc.sentences[0]])


def role(doc: Document, entity: str, label: str, version: str = "roles-v3") -> Annotation:
    s, e = doc.sentences[1]
    attrs = {"entity": entity, "entity_id": f"PER:{entity.lower()}"}
    return Annotation(doc.id, Layer.ROLE, label, version, score=0.6, evidence=[(s, e)], attrs=attrs)


def genres(store: Store, doc_id: str) -> list[tuple[str, str]]:
    return sorted((a.label, a.model) for a in store.annotations(doc_id, layer=Layer.GENRE))


def test_corrections_genre_relabel_wins_over_a_later_models_third_genre_issue_19(review, doc):
    """One genre per article: after an analyst's relabel, no model's genre stands beside it,
    not even one another model gives after re-analysis; undo shows what the model says now."""
    store = review.store
    store.replace_annotations(doc.id, "genre-v2", [genre(doc, "opinion")])
    row = ids_by_label(store, doc.id)["opinion"]
    relabel = review.correct("relabel", user="ana", annotation_id=row, label="reporting")
    assert genres(store, doc.id) == [("reporting", "correction")]
    store.replace_annotations(doc.id, "genre-v4", [genre(doc, "satire", "genre-v4")])
    assert genres(store, doc.id) == [("reporting", "correction")]
    store.replace_annotations(doc.id, "narratives-v2", [narrative(doc)])  # another layer re-run
    assert genres(store, doc.id) == [("reporting", "correction")]
    review.undo(relabel.id, user="ana")  # the model that ran last, not the one corrected
    assert genres(store, doc.id) == [("satire", "genre-v4")]


def test_corrections_genre_add_and_accept_hide_every_other_genre_until_undone(review, doc):
    store = review.store
    store.replace_annotations(doc.id, "genre-v2", [genre(doc, "opinion")])
    added = review.correct("add", user="ana", doc_id=doc.id, layer="genre", label="satire")
    assert genres(store, doc.id) == [("satire", "correction")]
    review.undo(added.id, user="ana")
    assert genres(store, doc.id) == [("opinion", "genre-v2")]
    row = ids_by_label(store, doc.id)["opinion"]
    accepted = review.correct("accept", user="ben", annotation_id=row)
    store.replace_annotations(doc.id, "genre-v4", [genre(doc, "reporting", "genre-v4")])
    assert genres(store, doc.id) == [("opinion", "genre-v2")]  # as the analyst accepted it
    review.undo(accepted.id, user="ben")
    assert genres(store, doc.id) == [("reporting", "genre-v4")]


def test_corrections_role_relabel_wins_for_its_entity_only_issue_19(review, doc):
    """A role's main role is one label per entity: the corrected entity keeps the analyst's
    alone after re-analysis, another entity keeps the model's."""
    store = review.store
    store.replace_annotations(
        doc.id, "roles-v3", [role(doc, "Tokayev", "Protagonist"), role(doc, "Putin", "Antagonist")]
    )

    def cast() -> list[tuple[str, str, str]]:
        anns = store.annotations(doc.id, layer=Layer.ROLE)
        return sorted((a.attrs["entity"], a.label, a.model) for a in anns)

    row = ids_by_label(store, doc.id)["Protagonist"]
    relabel = review.correct("relabel", user="ana", annotation_id=row, label="Antagonist")
    later = [
        role(doc, "Tokayev", "Innocent", "roles-v3"),
        role(doc, "Putin", "Innocent", "roles-v3"),
    ]
    store.replace_annotations(doc.id, "roles-v3", later)
    assert cast() == [("Putin", "Innocent", "roles-v3"), ("Tokayev", "Antagonist", "correction")]
    review.undo(relabel.id, user="ana")
    assert cast() == [("Putin", "Innocent", "roles-v3"), ("Tokayev", "Innocent", "roles-v3")]


def span_value(doc: Document, layer: Layer, label: str, version: str, **attrs) -> Annotation:
    s = doc.sentences[1][0]
    return Annotation(doc.id, layer, label, version, s, s + 12, score=0.6, attrs=attrs)


def span_values(store: Store, doc: Document, layer: Layer) -> list[tuple]:
    """The values on `span_value`'s span."""
    s = doc.sentences[1][0]
    anns = [a for a in store.annotations(doc.id, layer=layer) if (a.start, a.end) == (s, s + 12)]
    return sorted((a.label, a.attrs.get("speaker") or a.attrs.get("entity"), a.model) for a in anns)


@pytest.mark.parametrize(
    ("layer", "version", "given", "corrected", "later"),
    [
        (  # a quote's speaker
            Layer.QUOTE,
            "quotes-v1",
            ("direct", {"speaker": "Askar Mamin"}),
            {"speaker": "Alikhan Smailov"},
            ("direct", {"speaker": "Olzhas Bektenov"}),
        ),
        (  # the entity a mention links to
            Layer.ENTITY,
            "entities-v1",
            ("PER", {"entity": "Mamin", "entity_id": "PER:mamin"}),
            {"entity": "Askar Mamin"},
            ("PER", {"entity": "Mamin Bank", "entity_id": "ORG:mamin-bank"}),
        ),
        (  # the date a date expression names
            Layer.EVENT,
            "events-v2",
            ("2024-03-01", {}),
            {"label": "2024-03-02"},
            ("2024-03-03", {}),
        ),
    ],
)
def test_corrections_span_value_wins_over_a_later_models_value_on_that_span_issue_19(
    review, doc, layer, version, given, corrected, later
):
    """A quote's speaker, a mention's entity link and a date hold one value per span: after an
    analyst's relabel, a later model's other value on that span does not stand beside it;
    undo shows what the model says now."""
    store = review.store
    s, e = doc.sentences[2]  # dates have no closed list: a relabel picks one the store knows
    known = [Annotation(doc.id, layer, "2024-03-02", version, s, e)] if layer is Layer.EVENT else []
    first = span_value(doc, layer, given[0], version, **given[1])
    store.replace_annotations(doc.id, version, [first, *known])
    key = LabelKey.of(first)
    (row,) = [i for i, a in store.corrections.annotated(doc.id) if LabelKey.of(a) == key]
    relabel = review.correct("relabel", user="ana", annotation_id=row, **corrected)
    after = span_values(store, doc, layer)
    assert len(after) == 1 and after[0][2] == "correction"
    v2 = version.replace("-v1", "-v2")
    store.replace_annotations(doc.id, v2, [span_value(doc, layer, later[0], v2, **later[1])])
    assert span_values(store, doc, layer) == after
    review.undo(relabel.id, user="ana")
    (back,) = span_values(store, doc, layer)
    assert back[0] == later[0] and back[2] == v2


def _refusals(doc: Document, ids: dict[str, int]) -> list[tuple[dict, str]]:
    (s0, _), (s1, e1) = doc.sentences[0], doc.sentences[1]
    n = len(doc.text)
    return [
        ({"action": "reject", "annotation_id": 10**9}, "no label"),
        (
            {
                "action": "add",
                "doc_id": "0" * 16,
                "layer": "technique",
                "label": "Doubt",
                "start": 0,
                "end": 4,
            },
            "no document",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Doubt",
                "start": s1 + 1,
                "end": e1 + 3,
            },
            "overlaps",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Repetition",
                "start": n - 2,
                "end": n + 10,
            },
            "out of the text",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Repetition",
                "start": 9,
                "end": 9,
            },
            "out of the text",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "technique",
                "label": "Not_A_Technique",
                "start": s0,
                "end": s0 + 4,
            },
            "unknown technique label",
        ),
        ({"action": "relabel", "annotation_id": ids["Doubt"], "label": "Bogus"}, "unknown"),
        (
            {
                "action": "relabel",
                "annotation_id": ids["Doubt"],
                "doc_id": "f" * 16,
                "label": "Slogans",
            },
            "not on document",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "narrative",
                "label": "URW: Blaming the war on others rather than the invader",
            },
            "already has",
        ),
        (
            {
                "action": "add",
                "doc_id": doc.id,
                "layer": "genre",
                "label": "opinion",
                "start": 0,
                "end": 5,
            },
            "whole document",
        ),
        ({"action": "relabel", "annotation_id": ids["Doubt"], "label": "Doubt"}, "changes neither"),
        ({"action": "sharpen", "annotation_id": ids["Doubt"]}, "unknown action"),
        ({"action": "accept", "annotation_id": ids["Doubt"], "user": " "}, "name of who"),
    ]


def test_corrections_refuse_bad_input_and_store_nothing(review, doc):
    store = review.store
    ids = ids_by_label(store, doc.id)
    before = sorted((a.label, a.start, a.end) for a in store.annotations(doc.id))
    for request, reason in _refusals(doc, ids):
        request = {"user": "ana", **request}
        with pytest.raises(CorrectionRefused, match=reason):
            review.correct(request.pop("action"), **request)
    assert store.corrections.of(undone=True) == []
    assert sorted((a.label, a.start, a.end) for a in store.annotations(doc.id)) == before


def test_corrections_refuse_a_label_reanalysis_removed(review, doc):
    store = review.store
    stale = ids_by_label(store, doc.id)["Doubt"]
    store.replace_annotations(doc.id, "techniques-v2", model_labels(doc, "techniques-v2")[:1])
    with pytest.raises(CorrectionRefused, match="re-analysed"):
        review.correct("reject", user="ana", annotation_id=stale)
    assert store.corrections.count() == 0


def test_corrections_queue_puts_uncertain_labels_first_and_counts_progress(review, doc):
    queue = review.queue(layer="technique")
    # Doubt's 0.35 and Flag_Waving's 0.6 sit nearer their cuts than Loaded_Language's 0.9.
    assert [i.ann.label for i in queue.items][-1] == "Loaded_Language"
    assert (queue.reviewed, queue.remaining) == (0, 3)
    first = queue.items[0]
    review.correct("accept", user="ana", annotation_id=first.annotation_id)
    after = review.queue(layer="technique")
    assert first.annotation_id not in [i.annotation_id for i in after.items]
    assert (after.reviewed, after.remaining) == (1, 2) and after.progress == pytest.approx(1 / 3)
    assert review.queue(outlet="elsewhere.example").items == []
    left = after.items[0].ann.label
    assert [i.ann.label for i in review.queue(label=left).items] == [left]


def test_corrections_reach_search_counts_and_semeval_exports(review, doc, tmp_path):
    from narrascope.export.semeval import write_semeval
    from narrascope.store.search import SearchQuery

    store = review.store
    ids = ids_by_label(store, doc.id)
    review.correct("relabel", user="ana", annotation_id=ids["Flag_Waving"], label="Slogans")
    review.correct("reject", user="ana", annotation_id=ids["Doubt"])
    found, total, _ = store.corpus.search_documents(SearchQuery(technique="Slogans"))
    assert (found, total) == ([doc.id], 1)
    assert store.corpus.search_documents(SearchQuery(technique="Doubt"))[1] == 0
    write_semeval(store, tmp_path)
    techniques = (tmp_path / "techniques.txt").read_text(encoding="utf-8")
    assert "Slogans" in techniques and "Doubt" not in techniques and "Flag_Waving" not in techniques


def test_corrections_accepted_label_stays_after_a_model_drops_it(review, doc):
    store = review.store
    accepted = review.correct(
        "accept", user="ana", annotation_id=ids_by_label(store, doc.id)["Doubt"]
    )
    store.replace_annotations(doc.id, "techniques-v2", model_labels(doc, "techniques-v2")[:1])
    assert set(labels(store, doc.id)) == {"Loaded_Language", "Doubt"}
    review.undo(accepted.id, user="ana")  # without the verdict, the new model's view stands
    assert set(labels(store, doc.id)) == {"Loaded_Language"}


def test_corrections_reach_cached_pick_lists_and_the_dashboard_at_once(review, doc):
    """The pick-lists and the dashboard are cached per state of the store (#17): a relabel,
    which leaves every count as it was, and its undo must still show at the next request."""
    from narrascope.corpus.labels import labels_present
    from narrascope.web.dashboard import DashboardCache

    store, dashboards = review.store, DashboardCache()
    assert "Slogans" not in labels_present(store, [Layer.TECHNIQUE])
    before = dashboards.get(store)
    done = review.correct(
        "relabel", user="ana", annotation_id=ids_by_label(store, doc.id)["Doubt"], label="Slogans"
    )
    assert labels_present(store, [Layer.TECHNIQUE]) == ["Flag_Waving", "Loaded_Language", "Slogans"]
    assert dashboards.get(store) is not before
    after_undo = store.corpus.change_stamp()
    review.undo(done.id or 0, user="ana")
    assert store.corpus.change_stamp() != after_undo
    assert labels_present(store, [Layer.TECHNIQUE]) == ["Doubt", "Flag_Waving", "Loaded_Language"]


def test_corrections_and_new_documents_reach_cached_searches_at_once(review, doc):
    """Search pages and their facets are cached per state of the store (#17): a relabel, its
    undo and a new document must show at the next search, words or label filter alike."""
    from narrascope.store.search import SearchQuery
    from narrascope.web.queries import BadRequest
    from narrascope.web.search import SearchCache, search

    store, cache = review.store, SearchCache()
    doubt, slogans = SearchQuery(technique="Doubt"), SearchQuery(technique="Slogans")
    words = SearchQuery(text="Zakharova")
    first = search(store, doubt, cache=cache)
    assert first.total == 1 and search(store, doubt, cache=cache) is first  # kept
    found = search(store, words, cache=cache)
    assert search(store, words, cache=cache) is found
    assert found.facets["outlet"] == [("outlet.example", 1)]
    done = review.correct(
        "relabel", user="ana", annotation_id=ids_by_label(store, doc.id)["Doubt"], label="Slogans"
    )
    with pytest.raises(BadRequest, match="matches nothing stored"):
        search(store, doubt, cache=cache)
    assert search(store, slogans, cache=cache).total == 1
    review.undo(done.id or 0, user="ana")
    assert search(store, doubt, cache=cache).total == 1
    with pytest.raises(BadRequest):
        search(store, slogans, cache=cache)
    other = Document(
        "Maria Zakharova spoke again.\nShe said the West was wrong.", SourceRef("z.txt")
    )
    store.add(segment(Document(other.text, other.source, outlet="other.example")), [])
    again = search(store, words, cache=cache)
    assert again is not found and again.total == found.total + 1
    assert dict(again.facets["outlet"]) == {"outlet.example": 1, "other.example": 1}


def test_review_queue_spread_over_documents():
    from narrascope.review.queue import QueueItem, _spread

    def item(row, doc, priority):
        ann = Annotation(doc, Layer.FRAME, f"F{row}", "frames-v3", score=0.5)
        return QueueItem(row, ann, priority, ())

    ranked = [item(1, "a", 0.9), item(2, "a", 0.85), item(3, "a", 0.8), item(4, "b", 0.7)]
    assert [i.annotation_id for i in _spread(ranked, 1.0)] == [1, 2, 3, 4]
    # Halved per label its document already has ahead: 0.85 -> 0.425 falls behind b's 0.7.
    assert [i.annotation_id for i in _spread(ranked, 0.5)] == [1, 4, 2, 3]


def test_review_queue_spread_over_labels():
    from narrascope.review.queue import QueueItem, _spread

    def item(row, doc, label, priority):
        ann = Annotation(doc, Layer.NARRATIVE, label, "narratives-v2", score=0.5)
        return QueueItem(row, ann, priority, ())

    ranked = [item(1, "a", "X", 0.9), item(2, "b", "X", 0.85), item(3, "c", "Y", 0.6)]
    assert [i.annotation_id for i in _spread(ranked, 1.0, 1.0)] == [1, 2, 3]
    # X's second item keeps 0.85 * 0.5 = 0.425, behind Y's 0.6.
    assert [i.annotation_id for i in _spread(ranked, 1.0, 0.5)] == [1, 3, 2]
    # Both at once: a's second label keeps 0.88 * 0.5 = 0.44, ahead of X's second (0.425).
    both = [*ranked, item(4, "a", "Z", 0.88)]
    assert [i.annotation_id for i in _spread(both, 0.5, 0.5)] == [1, 3, 4, 2]


def test_review_queue_interleaves_a_blind_share():
    from narrascope.review.queue import BLIND_REASON, QueueItem, _interleave

    def item(row):
        ann = Annotation("d", Layer.FRAME, f"F{row}", "frames-v3", score=0.5)
        return QueueItem(row, ann, 1.0 / row, ())

    ranked = [item(r) for r in (1, 2, 3, 4, 5, 6, 7, 8)]
    drawn = [item(r) for r in (3, 8, 1, 6)]  # the blind order: 3 is ranked third too
    # A quarter blind: places 4 and 8 take the next drawn label not already in the queue
    # (8 at place 4; at place 8 the drawn 1 and 6 are queued already, so the ranked 7 comes).
    quarter = _interleave(ranked, drawn, 0.25, 8)
    assert [i.annotation_id for i in quarter] == [1, 2, 3, 8, 4, 5, 6, 7]
    assert [BLIND_REASON in i.reasons for i in quarter] == [0, 0, 0, 1, 0, 0, 0, 0]
    # A third blind (3 * 1/3 must count as one place): places 3 and 6.
    third = _interleave(ranked, drawn, 1 / 3, 6)
    assert [i.annotation_id for i in third] == [1, 2, 3, 4, 5, 8]
    # When one stream runs dry the other fills the places; no label comes twice.
    short = _interleave(ranked[:2], drawn, 0.5, 8)
    assert [i.annotation_id for i in short] == [1, 3, 2, 8, 6]


def test_review_queue_weighs_a_labels_count_as_asked():
    from narrascope.review.queue import _item
    from narrascope.review.vocabulary import Vocabulary

    vocabulary = Vocabulary()
    layer = str(Layer.FRAME)
    counts = {(layer, "Common"): 40, (layer, "Rare"): 2, (str(Layer.TECHNIQUE), "Doubt"): 400}

    def items(weight, most):
        # The same score, so the same uncertainty: only the label's count tells them apart.
        common, rare = (
            _item(
                row,
                Annotation("d", Layer.FRAME, label, "frames-v3", score=0.5),
                vocabulary,
                counts,
                most,
                set(),
                weight,
            )
            for row, label in ((1, "Common"), (2, "Rare"))
        )
        return common, rare

    common, rare = items("rare", 400)  # the default: rarity over the corpus's largest count
    assert rare.priority > common.priority
    assert any(r.startswith("rare label (2") for r in rare.reasons)
    common, rare = items("frequent", 40)  # most: the largest count of the item's layer
    assert common.priority > rare.priority
    assert any(r.startswith("frequent label (40") for r in common.reasons)
    assert not any("frequent" in r for r in rare.reasons)
    common, rare = items("impact", 40)  # the chance it is wrong times the share it could move
    assert rare.priority == pytest.approx(common.priority * 2 / 40, abs=1e-3)


def test_review_queue_weighs_narratives_by_impact_and_other_layers_by_rarity(database_url, doc):
    from narrascope.review.queue import build_queue
    from narrascope.review.vocabulary import Vocabulary

    with Store.open(database_url) as store:
        store.add(doc, [*model_labels(doc), narrative(doc)], analyzers=["techniques-v1"])
        vocabulary = Vocabulary()

        def priorities(**weight) -> dict[str, float]:
            queue = build_queue(store, vocabulary, limit=10, explore=0.0, spread=1.0, **weight)
            return {i.ann.label: i.priority for i in queue.items}

        default, impact, rare = (
            priorities(),
            priorities(label_weight="impact"),
            priorities(label_weight="rare"),
        )
        told = narrative(doc).label
        assert default[told] == impact[told] != rare[told]
        techniques = [a.label for a in model_labels(doc)]
        assert [default[t] for t in techniques] == [rare[t] for t in techniques]


def test_review_queue_refuses_an_unknown_label_weight(database_url):
    from narrascope.review.queue import build_queue
    from narrascope.review.vocabulary import Vocabulary

    with Store.open(database_url) as store, pytest.raises(ValueError, match="label_weight"):
        build_queue(store, Vocabulary(), label_weight="popular")


def test_review_queue_blind_share_is_stable_and_keeps_the_rest_ranked(database_url, doc):
    from narrascope.review.queue import BLIND_REASON, build_queue
    from narrascope.review.vocabulary import Vocabulary

    with Store.open(database_url) as store:
        store.add(doc, model_labels(doc), analyzers=["techniques-v1"])
        review, vocabulary = Review(store), Vocabulary()
        ranked = build_queue(store, vocabulary, layers=[Layer.TECHNIQUE], limit=3)
        half = build_queue(store, vocabulary, layers=[Layer.TECHNIQUE], limit=3, explore=0.5)
        again = build_queue(store, vocabulary, layers=[Layer.TECHNIQUE], limit=3, explore=0.5)
        assert [i.annotation_id for i in half.items] == [i.annotation_id for i in again.items]
        assert sorted(i.annotation_id for i in half.items) == sorted(
            i.annotation_id for i in ranked.items
        )
        assert half.items[0] == ranked.items[0]  # place 1 is ranked, place 2 blind
        assert BLIND_REASON in half.items[1].reasons
        assert not any(BLIND_REASON in i.reasons for i in ranked.items)
        # A reviewed label leaves the queue; the two others stay in it.
        review.correct("accept", user="ana", annotation_id=half.items[0].annotation_id)
        after = build_queue(store, vocabulary, layers=[Layer.TECHNIQUE], limit=3, explore=0.5)
        assert sorted(i.annotation_id for i in after.items) == sorted(
            i.annotation_id for i in half.items[1:]
        )
