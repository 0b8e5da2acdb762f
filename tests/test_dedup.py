"""Dedup over the store: near copies, partial reuse with its spans, direction and canonical copy."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import pytest

from narrascope.dedup import Deduplicator, shared_spans
from narrascope.model import CopyKind, Document, SourceRef
from narrascope.store import Store
from narrascope.text import segment

KZ = timezone(timedelta(hours=6))


def _doc(text: str, name: str, day: int, **meta) -> Document:
    sha = hashlib.sha256(text.encode()).hexdigest()
    doc = Document(text, SourceRef(name, None, sha), published=datetime(2022, 1, day, tzinfo=KZ))
    for key, value in meta.items():
        setattr(doc, key, value)
    return segment(doc)


@pytest.fixture(scope="module")
def articles(examples_dir) -> dict[str, str]:
    return {p.stem[:3]: p.read_text(encoding="utf-8") for p in sorted(examples_dir.glob("*.txt"))}


@pytest.fixture
def store(database_url) -> Store:
    with Store.open(database_url) as store:
        yield store


def _add(store: Store, dedup: Deduplicator, doc: Document) -> list:
    copies = dedup.find(doc)
    assert store.add(doc, [], copies=copies, fingerprint=dedup.fingerprint(doc))
    return copies


def _edit_lightly(text: str, seed: int = 7) -> str:
    """A syndicated rewrite: a word in ~100 replaced, one paragraph dropped, a line added."""
    rng = random.Random(seed)
    paragraphs = [p for p in text.split("\n") if p.strip()]
    paragraphs.pop(len(paragraphs) // 2)
    words = "\n".join(paragraphs).split(" ")
    for i in rng.sample(range(len(words)), len(words) // 100):
        words[i] = rng.choice(["reportedly", "allegedly", "the"])
    return "Republished with permission.\n" + " ".join(words)


def test_dedup_finds_a_lightly_edited_copy(store, articles):
    dedup = Deduplicator(store)
    for day, (key, text) in enumerate(articles.items(), start=5):
        assert _add(store, dedup, _doc(text, f"{key}.txt", day)) == []
    original = _doc(articles["004"], "004.txt", 9)
    copy = _doc(_edit_lightly(articles["004"]), "copy.txt", 12, outlet="mirror.example")
    matches = dedup.find(copy)
    assert [(m.doc_id, m.kind) for m in matches] == [(original.id, CopyKind.NEAR)]
    assert 0.8 <= matches[0].similarity < 1.0
    store.add(copy, [], copies=matches, fingerprint=dedup.fingerprint(copy))
    edges = list(store.copies(copy.id))
    assert [(e.copy_id, e.original_id, e.kind) for e in edges] == [(copy.id, original.id, "near")]
    (cluster,) = store.clusters()
    assert cluster.canonical_id == original.id and cluster.members == (original.id, copy.id)
    assert store.cluster(copy.id) == cluster
    # The reader's one-query size (#17): the cluster's, and 1 for a document in none.
    assert store.cluster_size(copy.id) == store.cluster_size(original.id) == cluster.size == 2
    other = _doc(articles["001"], "001.txt", 5)
    assert store.cluster(other.id) is None and store.cluster_size(other.id) == 1


def test_dedup_finds_an_edited_copy_under_the_jaccard_threshold_through_its_bands(
    store, articles, monkeypatch
):
    """A copy with a word changed every ~30: shingle Jaccard under 0.8, passages still cover it.

    The passage look-up is capped per hash (a paragraph hundreds of documents carry brings only
    some of them); here it returns nothing at all, and the LSH band neighbours must do.
    """
    dedup = Deduplicator(store)
    original = _doc(articles["004"], "004.txt", 9)
    _add(store, dedup, original)
    words = articles["004"].split(" ")
    for i in range(15, len(words), 30):
        words[i] = "reportedly"
    copy = _doc(" ".join(words), "copy.txt", 12, outlet="mirror.example")
    fp, stored = dedup.fingerprint(copy), store.fingerprints.signatures([original.id])
    jaccard = float((fp.signature == stored[original.id]).mean())
    assert 0.5 <= jaccard < 0.8  # the premise: MinHash alone would not call it a near copy
    monkeypatch.setattr(store.fingerprints, "passage_members", lambda *a, **k: {})
    (match,) = dedup.find(copy)
    assert (match.doc_id, match.kind) == (original.id, CopyKind.NEAR)
    assert match.similarity >= 0.8 and match.spans  # by passage cover, with the shared spans


def test_dedup_does_not_match_a_different_article(store, articles):
    dedup = Deduplicator(store)
    _add(store, dedup, _doc(articles["000"], "000.txt", 5))
    _add(store, dedup, _doc(articles["001"], "001.txt", 6))
    other = _doc(articles["004"], "004.txt", 9)
    assert dedup.find(other) == []
    assert dedup.find(_doc(_edit_lightly(articles["004"]), "c.txt", 10)) == []


def test_dedup_finds_three_embedded_paragraphs_with_their_spans(store, articles):
    dedup = Deduplicator(store)
    source = _doc(articles["001"], "001.txt", 5)
    _add(store, dedup, source)
    _add(store, dedup, _doc(articles["000"], "000.txt", 6))
    borrowed = [
        source.text[s:e] for s, e in source.paragraphs if len(source.text[s:e].split()) >= 35
    ][2:5]
    host = articles["003"].split("\n")
    text = "\n".join(host[:6] + borrowed + host[6:])
    doc = _doc(text, "003-with-borrowed.txt", 8)
    matches = dedup.find(doc)
    assert [(m.doc_id, m.kind) for m in matches] == [(source.id, CopyKind.PARTIAL)]
    spans = matches[0].spans
    assert sum(s.words for s in spans) >= sum(len(p.split()) for p in borrowed) - 3
    for span in spans:  # the offsets point at the same words in both texts
        ours, theirs = (
            doc.text[span.start : span.end],
            source.text[span.other_start : span.other_end],
        )
        assert ours.split() == theirs.split() and span.words >= 25
    assert borrowed[0][:40] in doc.text[spans[0].start : spans[-1].end]
    store.add(doc, [], copies=matches, fingerprint=dedup.fingerprint(doc))
    (edge,) = store.copies(doc.id)
    assert (edge.copy_id, edge.original_id, edge.kind) == (doc.id, source.id, "partial")
    assert edge.spans[0][:2] == (spans[0].start, spans[0].end)
    assert list(store.clusters()) == []  # partial reuse links documents, it does not merge them


def test_dedup_canonical_is_the_earliest_even_when_stored_last(store, articles):
    dedup = Deduplicator(store)
    late = _doc(_edit_lightly(articles["002"], seed=1), "late.txt", 20)
    later = _doc(_edit_lightly(articles["002"], seed=2), "later.txt", 25)
    first = _doc(articles["002"], "first.txt", 7)
    _add(store, dedup, late)
    assert _add(store, dedup, later)[0].doc_id == late.id
    matches = _add(store, dedup, first)
    assert {m.doc_id for m in matches} == {late.id, later.id}
    edges = {(e.copy_id, e.original_id) for e in store.copies()}
    assert edges == {(later.id, late.id), (late.id, first.id), (later.id, first.id)}
    (cluster,) = store.clusters()
    assert cluster.canonical_id == first.id and cluster.size == 3
    assert cluster.members == (first.id, late.id, later.id)


def test_dedup_same_date_prefers_the_longer_copy(store, articles):
    dedup = Deduplicator(store)
    short = _doc(articles["003"].rsplit("\n", 3)[0], "short.txt", 6)
    full = _doc(articles["003"], "full.txt", 6)
    _add(store, dedup, short)
    _add(store, dedup, full)
    (cluster,) = store.clusters()
    assert cluster.canonical_id == full.id


def test_dedup_merges_clusters_that_a_new_copy_bridges(store, articles):
    dedup = Deduplicator(store, threshold=0.9)
    text = articles["000"]
    half = len(text) // 2
    a = _doc(text[: half + 2000], "a.txt", 5)  # a and b overlap too little to match each other
    b = _doc(text[half - 2000 :], "b.txt", 6)
    _add(store, dedup, a)
    _add(store, dedup, b)
    assert list(store.clusters()) == []
    whole = _doc(text, "whole.txt", 7)
    low = Deduplicator(store, threshold=0.5)
    matches = low.find(whole)
    assert {m.doc_id for m in matches} == {a.id, b.id}
    store.add(whole, [], copies=matches, fingerprint=low.fingerprint(whole))
    (cluster,) = store.clusters()
    assert cluster.size == 3 and cluster.canonical_id == a.id


def test_dedup_exact_words_with_other_punctuation(store, articles):
    dedup = Deduplicator(store)
    doc = _doc(articles["004"], "004.txt", 5)
    _add(store, dedup, doc)
    retyped = _doc(
        articles["004"].replace(", ", " - ").replace("\n\n", "\n").upper(), "caps.txt", 6
    )
    assert retyped.id != doc.id
    assert [(m.doc_id, m.kind, m.similarity) for m in dedup.find(retyped)] == [
        (doc.id, CopyKind.EXACT, 1.0)
    ]


def test_dedup_settings_are_the_stores(tmp_path, articles):
    with Store.open(tmp_path / "s.db") as store:
        Deduplicator(store, threshold=0.9)
        assert Deduplicator(store, threshold=0.6).settings.lsh_threshold == 0.5
        with pytest.raises(ValueError, match="num_perm=128"):
            Deduplicator(store, num_perm=64)
        with pytest.raises(ValueError, match="new database"):
            Deduplicator(store, threshold=0.3)
        doc = _doc(articles["000"], "000.txt", 5)
        copy = _doc(_edit_lightly(articles["000"]), "c", 6)
        store.add(doc, [])  # no fingerprint given: the store makes none, dedup cannot find it
        assert Deduplicator(store).find(copy) == []
        other = _doc(articles["000"] + "\nA line added.", "000b.txt", 5)
        store.add(other, [], fingerprint=Deduplicator(store, threshold=0.9).fingerprint(other))
        assert [m.doc_id for m in Deduplicator(store).find(copy)] == [other.id]


def test_dedup_shared_spans_finds_25_words_and_no_fewer():
    words = [f"w{i}" for i in range(200)]
    other = [f"x{i}" for i in range(200)]
    passage = words[50:75]  # exactly 25 words
    text = " ".join(words)
    host = " ".join(other[:100] + passage + other[100:])
    (span,) = shared_spans(host, text)
    assert span.words == 25 and host[span.start : span.end] == " ".join(passage)
    assert text[span.other_start : span.other_end] == " ".join(passage)
    host = " ".join(other[:100] + passage[:24] + other[100:])
    assert shared_spans(host, text) == []


def test_dedup_finds_a_25_word_quote_through_the_index(store, articles):
    dedup = Deduplicator(store)
    source = _doc(articles["002"], "002.txt", 5)
    _add(store, dedup, source)
    words = source.text.split()
    quote = " ".join(words[400:425])
    host = _doc(articles["004"].replace("\n", f"\n{quote}\n", 1), "host.txt", 9)
    (match,) = dedup.find(host)
    assert match.kind == CopyKind.PARTIAL and match.spans[0].words >= 25


def test_dedup_rejects_a_bad_threshold(store):
    with pytest.raises(ValueError, match="threshold"):
        Deduplicator(store, threshold=1.5)


def test_dedup_concurrent_writers_keep_one_cluster(database_url, articles):
    import threading

    with Store.open(database_url) as store:
        _add(store, Deduplicator(store), _doc(articles["001"], "001.txt", 5))
    copies = [_doc(_edit_lightly(articles["001"], seed=s), f"c{s}.txt", 6 + s) for s in range(8)]
    errors = []

    def write(part: list[Document]) -> None:
        try:
            with Store.open(database_url) as store:
                dedup = Deduplicator(store)
                for doc in part:
                    _add(store, dedup, doc)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(copies[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(database_url) as store:
        (cluster,) = store.clusters()
        assert cluster.size == len(cluster.members) == 9
