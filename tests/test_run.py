"""The run loop's seams: a near copy reuses its original's stored vectors, and every executor
records a failure in the same words."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from narrascope.analyzers.stats import StatsAnalyzer
from narrascope.model import Annotation, BadInput, Document, Layer, SourceRef
from narrascope.run import DocumentAnalysis, LocalExecutor, RunLoop
from narrascope.run.analysis import MinConfidence, failed
from narrascope.store import Store
from narrascope.text import segment


class CountingEncoder:
    """A deterministic fake encoder that remembers every sentence it was asked to encode."""

    name, dim, languages = "counting-v1", 8, frozenset({"en"})

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        seeds = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little") for t in texts]
        rows = [np.random.default_rng(seed).normal(size=self.dim) for seed in seeds]
        return np.array(rows, dtype=np.float32)


def _run(folder: Path, db: Path, analysis: DocumentAnalysis, batch_size: int = 1):
    from narrascope.ingest import iter_inputs

    with Store.open(db) as store:
        loop = RunLoop(store, LocalExecutor(analysis, batch_size=batch_size))
        run_id = store.begin_run(sources=[str(folder)], settings={})
        return loop.run(iter_inputs([folder]), run_id=run_id)


ADDED = "A sentence only the copy carries, about a march that nobody else reported."


@pytest.fixture
def copies_folder(tmp_path, examples_dir) -> Path:
    """An article, an unrelated one, and a near copy of the first with one sentence added."""
    original = (examples_dir / "002_74977be9488212fe.txt").read_text(encoding="utf-8")
    lines = original.split("\n")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_original.txt").write_text(original)
    (folder / "b_copy.txt").write_text("\n".join([*lines[:3], ADDED, *lines[3:]]))
    return folder


@pytest.mark.parametrize("batch_size", [1, 4])
def test_run_near_copy_encodes_only_its_new_sentences(copies_folder, tmp_path, batch_size):
    """Also when the original is in the copy's own batch: the copy waits for its vectors."""
    encoder = CountingEncoder()
    analysis = DocumentAnalysis([StatsAnalyzer.load()], encoder=encoder)
    db = tmp_path / "reuse.db"
    report = _run(copies_folder, db, analysis, batch_size)
    assert report.counts["stored"] == 2 and report.counts["near copies"] == 1
    with Store.open(db) as store:
        first, copy = sorted(store.documents(), key=lambda d: d.source.location)
        first_texts, copy_texts = first.sentence_texts(), copy.sentence_texts()
        new = [t for t in copy_texts if t not in set(first_texts)]
        assert new and any(ADDED in t for t in new)
        # The original went through the encoder whole; of the copy, only what it adds.
        assert encoder.seen == first_texts + new
        assert report.encoded == len(first_texts) + len(new)
        assert report.reused == len(copy_texts) - len(new)
        stored_first = store.vectors(first.id, encoder="counting-v1")
        stored_copy = store.vectors(copy.id, encoder="counting-v1")
        assert stored_first is not None and stored_copy is not None
        for i, text in enumerate(copy_texts):  # shared sentences carry the original's vectors
            if text in first_texts:
                assert np.array_equal(stored_copy[i], stored_first[first_texts.index(text)])
        assert [e.kind for e in store.copies(copy.id)] == ["near"]


def test_run_reuses_only_the_same_encoders_vectors(tmp_path, examples_dir):
    """Vectors another encoder stored are not comparable: the copy is encoded in full."""
    original = (examples_dir / "002_74977be9488212fe.txt").read_text(encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(original)
    db = tmp_path / "two.db"
    _run(folder, db, DocumentAnalysis([StatsAnalyzer.load()], encoder=CountingEncoder()))
    (folder / "b.txt").write_text(original + "\nOne more line at the end of the copy.")
    other = CountingEncoder()
    other.name = "counting-v2"
    report = _run(folder, db, DocumentAnalysis([StatsAnalyzer.load()], encoder=other))
    assert report.counts["near copies"] == 1 and report.reused == 0
    assert report.encoded == len(other.seen) > 0


def test_run_failure_record_is_one_format():
    assert failed("a.txt", BadInput("a.txt", "empty file")).reason == "empty file"
    record = failed("b.txt", ValueError("no sentences"))
    assert (record.source, record.reason) == ("b.txt", "internal error: ValueError: no sentences")


@pytest.fixture
def failing_inputs(tmp_path, examples_dir, monkeypatch) -> Path:
    """Two good articles, one that breaks cleaning, one that breaks an analyzer, one bad line."""
    import narrascope.clean as clean_module

    folder = tmp_path / "in"
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(examples_dir.glob("*.txt"))]
    (folder / "a.txt").write_text(texts[0])
    (folder / "b.txt").write_text(texts[1])
    (folder / "c.txt").write_text(texts[2])
    (folder / "d.jsonl").write_text("{not json\n")
    (folder / "e.txt").write_text(texts[3])
    real_clean, real_analyze = clean_module.clean, StatsAnalyzer.analyze

    def clean(raw):
        if raw.source.location.endswith("b.txt"):
            raise RuntimeError("cleaning broke")
        return real_clean(raw)

    def analyze(self, doc, vectors, prior=()):
        if doc.source.location.endswith("c.txt"):
            raise KeyError("no such sentence")
        return real_analyze(self, doc, vectors, prior=prior)

    monkeypatch.setattr(clean_module, "clean", clean)
    monkeypatch.setattr(StatsAnalyzer, "analyze", analyze)
    return folder


def test_run_every_executor_records_failures_alike(failing_inputs, tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from narrascope import pipeline

    reports, problems = [], []
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        for name, options in (("local", {}), ("dask", {"client": client, "batch_size": 2})):
            with Store.open(tmp_path / f"{name}.db") as store:
                reports.append(
                    pipeline.analyze([str(failing_inputs)], store, only=["stats"], **options)
                )
                problems.append(store.problems())
    local, dask = reports
    assert local.problems == dask.problems == problems[0] == problems[1]
    reasons = {Path(source.split("#")[0]).name: reason for source, reason in local.problems}
    assert reasons["b.txt"] == "internal error: RuntimeError: cleaning broke"
    assert reasons["c.txt"] == "internal error: KeyError: 'no such sentence'"
    assert "d.jsonl" in reasons and not reasons["d.jsonl"].startswith("internal error")
    assert local.counts == dask.counts and local.counts["stored"] == 2


class ScoredAnalyzer:
    """A fake analyzer: one technique label per score, and a stats note scored 0.1."""

    name, version, layer, requires, languages = "scored", "scored-v1", Layer.TECHNIQUE, (), None
    scores = (0.3, 0.65, 0.9)

    def analyze(self, doc, vectors, prior=()):
        span = doc.sentences[0]
        anns = [
            Annotation(doc.id, Layer.TECHNIQUE, f"t{s}", self.version, *span, score=s)
            for s in self.scores
        ]
        return [
            *anns,
            Annotation(doc.id, Layer.STATS, "note", self.version, evidence=[span], score=0.1),
        ]


class PriorReader:
    """A fake later analyzer that records which labels it was handed."""

    name, version, layer, requires, languages = "reader", "reader-v1", Layer.FRAME, (), None

    def __init__(self) -> None:
        self.seen: list[str] = []

    def analyze(self, doc, vectors, prior=()):
        self.seen = [a.label for a in prior]
        span = doc.sentences[0]
        return [Annotation(doc.id, Layer.FRAME, "f", self.version, evidence=[span], score=0.5)]


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        (None, ["t0.3", "t0.65", "t0.9", "note", "f"]),
        (0.6, ["t0.65", "t0.9", "note"]),
        ("technique=0.7", ["t0.9", "note", "f"]),
        (["0.4", "technique=0.7"], ["t0.9", "note", "f"]),
        ({"frame": 0.6}, ["t0.3", "t0.65", "t0.9", "note"]),
    ],
)
def test_run_min_confidence_drops_labels_below_the_bar(spec, kept):
    """#15: one filter, in the per-document analysis; bookkeeping (stats) is exempt, and a later
    analyzer sees only what will be stored."""
    doc = segment(Document(text="One sentence here. And another one.", source=SourceRef("x")))
    reader = PriorReader()
    analysis = DocumentAnalysis(
        [ScoredAnalyzer(), reader], encoder=CountingEncoder(), min_confidence=spec
    )
    anns, ran, made_by = analysis.annotate(doc, np.zeros((2, 8), dtype=np.float32))
    assert [a.label for a in anns] == kept
    assert reader.seen == [label for label in kept if label != "f"]
    assert ran == ["scored-v1", "reader-v1"]
    assert len(made_by) == len(anns) and set(made_by) <= set(ran)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("1.5", "between 0 and 1"),
        ("high", "not a number"),
        ("tone=0.5", "no layer 'tone'"),
        ("stats=0.5", "bookkeeping"),
    ],
)
def test_run_min_confidence_refuses_bad_settings(spec, message):
    with pytest.raises(ValueError, match=message):
        MinConfidence.parse(spec)


def test_run_min_confidence_setting_names_every_bar():
    bar = MinConfidence.parse(["0.5", "technique=0.7"])
    assert bar.setting() == {"*": 0.5, "technique": 0.7}
    assert bar.bar(Layer.TECHNIQUE) == 0.7 and bar.bar(Layer.CLAIM) == 0.5
    assert bar.bar(Layer.STATS) == 0.0 and not MinConfidence.parse(None)
