"""Re-running after a new analyzer version re-analyzes only what that analyzer produced."""

from __future__ import annotations

import pytest

from narrascope import pipeline
from narrascope.analyzers.events import EventAnalyzer
from narrascope.analyzers.stats import StatsAnalyzer
from narrascope.reanalyze import reanalyze, stale
from narrascope.store import Store


def landed(base: type, version: str) -> type:
    """`base` as a new version would land: same layer, a new model id."""

    def analyze(self, doc, vectors, prior=()):
        anns = base.analyze(self, doc, vectors, prior)
        for ann in anns:
            ann.model = version
        return anns

    return type(f"{base.__name__}Next", (base,), {"version": version, "analyze": analyze})


StatsV2 = landed(StatsAnalyzer, "stats-v2")
EventsNext = landed(EventAnalyzer, "events-v4")


@pytest.fixture
def analyzed(tmp_path, examples_dir):
    db = tmp_path / "k.db"
    with Store.open(db) as store:
        pipeline.analyze([str(examples_dir)], store, only=["stats", "events"])
    return db


def _by_family(store):
    out = {}
    for doc in store.documents():
        for ann in store.annotations(doc.id):
            out.setdefault(ann.model, []).append((doc.id, ann.label, ann.start, ann.end))
    return out


def test_reanalyze_redoes_only_the_new_version(analyzed):
    with Store.open(analyzed) as store:
        before = _by_family(store)
        assert set(before) == {"stats-v1", "events-v3"}
        analyzers = [StatsV2.load(), EventAnalyzer.load()]
        report = reanalyze(store, analyzers=analyzers)
        assert report.counts["reanalyzed"] == 5 and report.counts["ran stats"] == 5
        assert "ran events" not in report.counts
        after = _by_family(store)
        assert set(after) == {"stats-v2", "events-v3"}
        assert after["events-v3"] == before["events-v3"]  # untouched
        assert len(after["stats-v2"]) == len(before["stats-v1"])
        for doc in store.documents():
            assert store.analyzers_run(doc.id) == {"stats-v2", "events-v3"}
        again = reanalyze(store, analyzers=analyzers)  # nothing left to do: resumes for free
        assert again.counts["up to date"] == 5 and again.counts["reanalyzed"] == 0


def test_reanalyze_also_redoes_analyzers_that_read_a_redone_layer():
    class Entities:
        version, layer, requires = "entities-v2", "entity", ()

    class Roles:
        version, layer, requires = "roles-v1", "role", ("entity",)

    class Claims:
        version, layer, requires = "claims-v1", "claim", ()

    chain = [Entities, Roles, Claims]
    stored = {"entities-v1", "roles-v1", "claims-v1"}
    assert [a.version for a in stale(chain, stored)] == ["entities-v2", "roles-v1"]
    assert stale(chain, {"entities-v2", "roles-v1", "claims-v1"}) == []


def test_reanalyze_records_a_failing_document_and_goes_on(analyzed, monkeypatch):
    """The failure record is the run loop's: one line per document, the rest re-analyzed."""
    real = StatsAnalyzer.analyze
    broken: list[str] = []

    def analyze(self, doc, vectors, prior=()):
        if not broken:
            broken.append(doc.id)
            raise ValueError("a bug on one document")
        return real(self, doc, vectors, prior=prior)

    monkeypatch.setattr(StatsAnalyzer, "analyze", analyze)
    with Store.open(analyzed) as store:
        report = reanalyze(store, analyzers=[StatsV2.load()])
        assert report.counts["failed"] == 1 and report.counts["reanalyzed"] == 4
        (problem,) = report.problems
        assert problem[1] == "internal error: ValueError: a bug on one document"
        assert store.problems()[-1] == problem


def test_reanalyze_honours_min_confidence(analyzed):
    """#15: a re-run stores only labels at or above the bar, like a first analysis."""
    with Store.open(analyzed) as store:
        before = _by_family(store)["events-v3"]
        docs = {doc.id: doc for doc in store.documents()}
        scores = {
            (a.doc_id, a.label, a.start, a.end): a.score
            for doc_id in docs
            for a in store.annotations(doc_id)
            if a.model == "events-v3"
        }
        assert min(scores.values()) < 0.9 <= max(scores.values())  # the bar cuts something
        analyzers = [StatsAnalyzer.load(), EventsNext.load()]
        reanalyze(store, analyzers=analyzers, min_confidence="event=0.9")
        after = _by_family(store)
        assert sorted(after["events-v4"]) == sorted(k for k in before if scores[k] >= 0.9)
        assert after["stats-v1"]  # bookkeeping, untouched


def test_reanalyze_drops_frames_an_older_version_stored_on_a_language_it_no_longer_reads(
    tmp_path,
):
    # frames-v2 labelled any language; frames-v3 reads only its six training languages (#15).
    # A database analyzed before keeps a Portuguese article's frames until `reanalyze` runs.
    import sqlite3

    from narrascope.analyzers.frames import FrameAnalyzer
    from narrascope.encode import default_encoder
    from narrascope.model import Annotation, Layer

    text = (
        "O governo anunciou ontem um novo pacote de medidas económicas para apoiar as famílias "
        "afetadas pela subida dos preços da energia. O ministro das Finanças disse que o apoio "
        "chegará a mais de dois milhões de pessoas até ao fim do ano. "
    ) * 4
    (tmp_path / "noticia.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "pt.db"
    with Store.open(db) as store:
        pipeline.analyze([str(tmp_path / "noticia.txt")], store, only=["stats", "frames"])
        (doc,) = store.documents()
        assert doc.language == "pt"
        old = Annotation(doc.id, Layer.FRAME, "Economic", "frames-v2", score=0.7)
        store.replace_annotations(doc.id, "frames-v2", [old], replaces=["frames-v3"])
    with sqlite3.connect(db) as conn:  # as a frames-v2 run left it
        conn.execute("UPDATE analyzer_runs SET version = 'frames-v2' WHERE analyzer = 'frames'")
    with Store.open(db) as store:
        assert any(a.label == "Economic" for a in store.annotations(doc.id))
        assert "frames-v3" not in store.analyzers_run(doc.id), store.analyzers_run(doc.id)
        report = reanalyze(store, analyzers=[FrameAnalyzer.load(default_encoder())])
        assert report.counts["ran frames"] == 1, report.counts
        anns = list(store.annotations(doc.id))
        assert not any(a.layer == "frame" for a in anns)
        assert any(
            a.attrs.get("analyzer") == "frames" and "'pt'" in a.attrs.get("reason", "")
            for a in anns
        )
        assert "frames-v3" in store.analyzers_run(doc.id)


def test_reanalyze_drops_narratives_an_older_version_stored_on_a_language_it_no_longer_reads(
    tmp_path,
):
    # narratives-v4 labelled any language the encoder reads with its pooled head; narratives-v5
    # reads only its training languages (#15). `reanalyze` replaces a Spanish article's labels
    # with the note a fresh run leaves.
    import sqlite3

    from narrascope.analyzers.narratives import NarrativeAnalyzer
    from narrascope.encode import default_encoder
    from narrascope.model import Annotation, Layer

    text = (
        "Las tropas rusas lanzaron anoche un nuevo ataque con misiles contra Kiev y Járkov. "
        "El presidente ucraniano pidió a Occidente más defensas antiaéreas para sus ciudades. "
        "Moscú acusa a la OTAN de prolongar la guerra con el envío de armas a Ucrania. "
    ) * 2
    (tmp_path / "noticia.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "es.db"
    label = "URW: Discrediting Ukraine"
    with Store.open(db) as store:
        pipeline.analyze([str(tmp_path / "noticia.txt")], store, only=["stats", "narratives"])
        (doc,) = store.documents()
        assert doc.language == "es"
        old = Annotation(doc.id, Layer.NARRATIVE, label, "narratives-v4", score=0.4)
        store.replace_annotations(doc.id, "narratives-v4", [old], replaces=["narratives-v5"])
    with sqlite3.connect(db) as conn:  # as a narratives-v4 run left it
        conn.execute(
            "UPDATE analyzer_runs SET version = 'narratives-v4' WHERE analyzer = 'narratives'"
        )
    with Store.open(db) as store:
        assert any(a.label == label for a in store.annotations(doc.id))
        assert "narratives-v5" not in store.analyzers_run(doc.id), store.analyzers_run(doc.id)
        report = reanalyze(store, analyzers=[NarrativeAnalyzer.load(default_encoder())])
        assert report.counts["ran narratives"] == 1, report.counts
        anns = list(store.annotations(doc.id))
        assert not any(a.layer in ("narrative", "subnarrative") for a in anns)
        assert any(
            a.attrs.get("analyzer") == "narratives" and "'es'" in a.attrs.get("reason", "")
            for a in anns
        )
        assert "narratives-v5" in store.analyzers_run(doc.id)
