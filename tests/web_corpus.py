"""A small store for the web tests: the five example articles with one annotation of every
layer placed by hand on their real sentences, plus a hostile page (script, onerror and
javascript: payloads in title, body, outlet, url and annotation attributes)."""

from __future__ import annotations

from pathlib import Path

from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.run.analysis import DocumentAnalysis, StageTimes
from narrascope.store import Store
from narrascope.text import segment

HOSTILE_TITLE = '<script>alert("title")</script><img src=x onerror=alert(1)>'
HOSTILE_BODY = (
    "Breaking <script>alert('body')</script> news from the capital today.\n"
    'A reader wrote <img src=x onerror="alert(2)"> and <a href="javascript:alert(3)">this</a>.\n'
    "Officials said the situation was <b>under control</b> by evening."
)
HOSTILE_URL = "javascript:alert(document.cookie)"
HOSTILE_OUTLET = '"><svg onload=alert(4)>'


class NoEncoder:
    """An encoder that reads no language: documents get no vectors (the tests need none)."""

    name, dim, languages = "none", 512, frozenset[str]()

    def encode(self, texts):  # pragma: no cover - never called
        raise AssertionError("no encoding in web tests")


def stats_analysis() -> DocumentAnalysis:
    """The pipeline with only the stats analyzer and no encoder: fast, for the Analyze tests."""
    from narrascope.analyzers.stats import StatsAnalyzer

    return DocumentAnalysis([StatsAnalyzer.load()], encoder=NoEncoder())


def annotate(doc: Document) -> list[Annotation]:
    """One annotation of every layer on real sentences, technique spans overlapping."""
    s = doc.sentences
    a, b = s[1], s[2]
    mid = (a[0] + a[1]) // 2
    anns = [
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v1", a[0], a[1], 0.81),
        Annotation(doc.id, Layer.TECHNIQUE, "Doubt", "techniques-v1", mid, b[1], 0.64),
        Annotation(doc.id, Layer.TECHNIQUE, "Flag_Waving", "techniques-v1", s[4][0], s[4][1], 0.55),
        Annotation(doc.id, Layer.GENRE, "reporting", "genre-v1", score=0.9, evidence=[s[0]]),
        Annotation(
            doc.id, Layer.FRAME, "Security_and_defense", "frames-v1", score=0.7, evidence=[s[3]]
        ),
        Annotation(
            doc.id,
            Layer.NARRATIVE,
            "URW: Blaming the war on others rather than the invader",
            "narratives-v1",
            score=0.66,
            evidence=[s[3], s[5]],
        ),
        Annotation(
            doc.id,
            Layer.ROLE,
            "Antagonist",
            "roles-v1",
            score=0.7,
            evidence=[s[2]],
            attrs={
                "entity": "CSTO",
                "entity_id": "csto",
                "level": "main",
                "fine_roles": ["Instigator"],
            },
        ),
        Annotation(
            doc.id,
            Layer.ENTITY,
            "ORG",
            "entities-v1",
            s[2][0],
            s[2][0] + 4,
            attrs={"entity": "CSTO", "entity_id": "csto", "aliases": []},
        ),
        Annotation(
            doc.id,
            Layer.QUOTE,
            "direct",
            "quotes-v1",
            s[6][0],
            s[6][1],
            attrs={"speaker": "Kassym-Jomart Tokayev", "cue": "said"},
        ),
        Annotation(doc.id, Layer.CLAIM, "check-worthy", "claims-v1", s[7][0], s[7][1], 0.77),
        Annotation(
            doc.id,
            Layer.EVENT,
            "event",
            "events-v2",
            evidence=[s[0]],
            attrs={"date": "2022-01-05", "expression": "on Wednesday"},
        ),
    ]
    return anns


def hostile_document() -> Document:
    doc = Document(
        text=HOSTILE_BODY,
        source=SourceRef("hostile.html", None, "0" * 64),
        url=HOSTILE_URL,
        outlet=HOSTILE_OUTLET,
        title=HOSTILE_TITLE,
        authors=("<i>Mallory</i>",),
        language="en",
    )
    return segment(doc)


def hostile_annotations(doc: Document) -> list[Annotation]:
    s = doc.sentences
    return [
        Annotation(
            doc.id,
            Layer.TECHNIQUE,
            "<script>alert(5)</script>",
            "techniques-v1",
            s[0][0],
            s[0][1],
            0.9,
        ),
        Annotation(
            doc.id,
            Layer.QUOTE,
            "direct",
            "quotes-v1",
            s[2][0],
            s[2][1],
            attrs={"speaker": "<img src=x onerror=alert(6)>", "cue": "said"},
        ),
        Annotation(
            doc.id,
            Layer.NARRATIVE,
            "<svg onload=alert(7)>",
            "narratives-v1",
            score=0.5,
            evidence=[s[1]],
        ),
    ]


def build(db: str | Path, examples: Path) -> dict[str, Document]:
    """Fill `db` with the examples (annotated by hand) and the hostile page; returns them by name."""
    from narrascope.dedup import Deduplicator
    from narrascope.ingest import iter_inputs

    analysis = stats_analysis()
    docs: dict[str, Document] = {}
    with Store.open(db) as store:
        dedup = Deduplicator(store)
        for raw in iter_inputs([examples]):
            doc = analysis.clean(raw, StageTimes())
            store.add(doc, annotate(doc), fingerprint=dedup.fingerprint(doc))
            docs[Path(raw.source.location).stem] = doc
        # A near copy of the first article (a new outlet, one sentence dropped), found by dedup.

        first = docs["000_8f4d98db21bab007"]
        last_start, _ = first.sentences[-1]
        copy = segment(
            Document(
                text=first.text[:last_start].rstrip(),
                source=SourceRef("copy.txt", None, "1" * 64),
                outlet="copier.example",
                title="Copied: " + (first.title or ""),
                language="en",
            )
        )
        store.add(copy, [], copies=dedup.find(copy), fingerprint=dedup.fingerprint(copy))
        docs["copy"] = copy
        hostile = hostile_document()
        store.add(hostile, hostile_annotations(hostile))
        docs["hostile"] = hostile
    return docs
