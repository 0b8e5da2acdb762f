"""The technique, genre and frame analyzers on the example articles and on bad input."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from narrascope.analyzers import document_head as document_head_module
from narrascope.analyzers import techniques as techniques_module
from narrascope.analyzers.frames import FrameAnalyzer
from narrascope.analyzers.genre import (
    GenreAnalyzer,
    choose_genre,
    document_features,
    shown_confidence,
)
from narrascope.analyzers.techniques import TechniqueAnalyzer, features, paragraph_techniques
from narrascope.encode import UniversalSentenceEncoder
from narrascope.heads import LinearHead, ModelFileError, sigmoid
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.training.calibrate import apply_platt
from narrascope.training.semeval2023 import FRAMES, GENRES, TECHNIQUES

ANALYZERS = (TechniqueAnalyzer, GenreAnalyzer, FrameAnalyzer)


@pytest.fixture(scope="module")
def encoder():
    return UniversalSentenceEncoder(threads=1)


@pytest.fixture(scope="module")
def examples(examples_dir, encoder):
    out = []
    for path in sorted(examples_dir.glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        out.append((doc, encoder.encode(doc.sentence_texts())))
    return out


def _doc(text: str, language: str | None = "en") -> Document:
    return segment(Document(text=text, source=SourceRef("test"), language=language))


def test_techniques_label_example_sentences(examples, encoder):
    analyzer = TechniqueAnalyzer.load(encoder)
    assert analyzer.head.labels == list(TECHNIQUES)
    total = 0
    for doc, vectors in examples:
        anns = analyzer.analyze(doc, vectors)
        total += len(anns)
        for ann in anns:
            assert ann.layer is Layer.TECHNIQUE and ann.model == TechniqueAnalyzer.version
            assert (ann.start, ann.end) in doc.sentences
            assert doc.text[ann.start : ann.end].strip() and 0.0 <= ann.score <= 1.0
        view = paragraph_techniques(doc, anns)
        assert len(view) == len(doc.paragraphs)
        assert sum(map(len, view)) <= len(anns)
    assert total > 0  # opinionated coverage of a riot uses Loaded_Language somewhere


def test_genre_and_frames_label_examples_with_evidence(examples, encoder):
    genre, frames = GenreAnalyzer.load(encoder), FrameAnalyzer.load(encoder)
    for doc, vectors in examples:
        (label,) = genre.analyze(doc, vectors)
        assert label.label in GENRES and 0.0 <= label.score <= 1.0
        assert label.evidence and all(span in doc.sentences for span in label.evidence)
        for ann in frames.analyze(doc, vectors):
            assert ann.label in FRAMES and ann.evidence and 0.0 <= ann.score <= 1.0
            assert all(doc.text[a:b].strip() for a, b in ann.evidence)


@pytest.mark.parametrize("cls", ANALYZERS)
@pytest.mark.parametrize("text", ["", "Hello", "   \n\n  "])
def test_analyzers_give_nothing_for_empty_or_one_word_articles(cls, text, encoder):
    doc = _doc(text)
    assert cls.load(encoder).analyze(doc, encoder.encode(doc.sentence_texts())) == []


@pytest.mark.parametrize("cls", ANALYZERS)
def test_analyzers_skip_languages_the_encoder_does_not_cover(cls, encoder):
    doc = _doc("Это длинное предложение о политике. И ещё одно предложение.", language="kk")
    assert cls.load(encoder).analyze(doc, encoder.encode(doc.sentence_texts())) == []


def test_techniques_handle_a_300_paragraph_article(encoder):
    rng = np.random.default_rng(0)
    paragraphs = [f"Paragraph {i} says the corrupt elite betrayed us again!" for i in range(300)]
    doc = _doc("\n".join(paragraphs))
    vectors = rng.normal(size=(len(doc.sentences), encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    anns = TechniqueAnalyzer.load(encoder).analyze(doc, vectors)
    assert all(0.0 <= a.score <= 1.0 for a in anns)
    assert features(doc.sentence_texts(), vectors).shape[0] == 300


@pytest.mark.parametrize(
    ("module", "cls", "task"),
    [
        (techniques_module, TechniqueAnalyzer, "techniques"),
        (document_head_module, GenreAnalyzer, "genre"),
        (document_head_module, FrameAnalyzer, "frames"),
    ],
)
def test_missing_or_corrupt_head_names_the_train_command(
    module, cls, task, tmp_path, monkeypatch, encoder
):
    monkeypatch.setattr(module, "RESOURCES", tmp_path)
    with pytest.raises(ModelFileError, match=f"narrascope train {task}"):
        cls.load(encoder)
    (tmp_path / f"{cls.version}.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelFileError, match=f"narrascope train {task}"):
        cls.load(encoder)


def test_head_of_wrong_shape_is_refused(tmp_path, monkeypatch, encoder):
    shutil.copy(
        document_head_module.RESOURCES / f"{GenreAnalyzer.version}.safetensors",
        tmp_path / f"{TechniqueAnalyzer.version}.safetensors",
    )
    monkeypatch.setattr(techniques_module, "RESOURCES", tmp_path)
    with pytest.raises(ModelFileError, match="narrascope train techniques"):
        TechniqueAnalyzer.load(encoder)


def test_genre_reads_an_unambiguous_opinion_piece(examples, encoder):
    # 004 argues that the unrest was "foreign-sponsored destabilization": opinion, not reporting.
    doc, vectors = next((d, v) for d, v in examples if "004_09b1c19c16810eb5" in d.source.location)
    (label,) = GenreAnalyzer.load(encoder).analyze(doc, vectors)
    assert label.label == "opinion" and label.score > 0.5


@pytest.mark.parametrize("n", [2, 1024, 3000])
def test_techniques_repeat_feature_needs_no_square_matrix(n):
    # Issue 18: each sentence's nearest other sentence is found a block of rows at a time, not from
    # one n × n matrix; the same values (bit for bit up to 1,024 sentences, to float rounding past).
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    expected = similarity.max(axis=1)
    repeats = features(["A sentence."] * n, vectors)[:, 3 * 512]
    if n <= 1024:
        assert np.array_equal(repeats, expected)
    np.testing.assert_allclose(repeats, expected, atol=1e-6)


def test_techniques_store_language_calibrated_scores_only_at_their_operating_point(
    examples, encoder
):
    analyzer = TechniqueAnalyzer.load(encoder)
    head, cuts = analyzer.head, analyzer.thresholds()
    # The file's weights carry Platt scaling: unfolding it gives the raw head, whose sigmoid
    # through the stored (a, b) is exactly what the analyzer stores.
    a, b = np.array(head.info["platt_a"]), np.array(head.info["platt_b"])
    # Precision first, chosen by nested CV (#15): no cut under the floor of the recorded rule,
    # which is never under 0.2 and keeps techniques right at least 40% of the time in CV.
    rule = head.info["operating_rule"]
    assert rule["floor"] >= 0.2 and rule["min_precision"] >= 0.4
    assert (cuts >= rule["floor"]).all() and (cuts <= 1.0).any()
    shown = 0
    for doc, vectors in examples:
        language_pair = head.info["shown_platt_by_language"][doc.language]
        x = features(doc.sentence_texts(), vectors)
        raw = sigmoid(x @ (head.weights / a) + (head.bias - b) / a)
        calibrated = apply_platt(raw, a, b)
        np.testing.assert_allclose(analyzer.scores(doc, vectors), calibrated, atol=2e-4)
        stored = {(ann.start, ann.label): ann.score for ann in analyzer.analyze(doc, vectors)}
        for i, (start, _) in enumerate(doc.sentences):
            for j, label in enumerate(head.labels):
                if calibrated[i, j] >= cuts[j] + 1e-4:
                    # Shown: stored through the Platt pair of the document's language (#15).
                    expected = apply_platt(calibrated[i, j], *language_pair)
                    assert stored[start, label] == pytest.approx(expected, abs=2e-4)
                elif calibrated[i, j] < cuts[j] - 1e-4:
                    assert (start, label) not in stored
        shown += len(stored)
    assert shown > 0


def test_a_technique_below_its_operating_point_is_not_stored(encoder):
    doc = _doc("They are traitors and liars! Everyone knows it. Wake up, people.")
    width = features([], np.zeros((0, encoder.dim), dtype=np.float32)).shape[1]
    # Every technique scores sigmoid(0) = 0.5 on every sentence; the cuts decide alone.
    cuts = np.full(len(TECHNIQUES), 0.6, dtype=np.float32)
    cuts[TECHNIQUES.index("Slogans")] = 0.5
    cuts[TECHNIQUES.index("Loaded_Language")] = 1.01  # silenced: never shown
    head = LinearHead(
        np.zeros((width, len(TECHNIQUES)), dtype=np.float32),
        np.zeros(len(TECHNIQUES), dtype=np.float32),
        list(TECHNIQUES),
        TechniqueAnalyzer.version,
        encoder.name,
        thresholds=cuts,
    )
    anns = TechniqueAnalyzer(head).analyze(doc, encoder.encode(doc.sentence_texts()))
    assert {ann.label for ann in anns} == {"Slogans"}
    assert len(anns) == len(doc.sentences) and all(ann.score == 0.5 for ann in anns)


def test_a_shown_technique_is_scored_by_its_documents_language(encoder):
    width = features([], np.zeros((0, encoder.dim), dtype=np.float32)).shape[1]
    pairs = {"fr": [1.0, -1.0], "*": [1.0, 1.0]}
    head = LinearHead(
        np.zeros((width, len(TECHNIQUES)), dtype=np.float32),
        np.zeros(len(TECHNIQUES), dtype=np.float32),  # 0.5 everywhere: every cut of 0.5 passes
        list(TECHNIQUES),
        TechniqueAnalyzer.version,
        encoder.name,
        thresholds=np.full(len(TECHNIQUES), 0.5, dtype=np.float32),
        info={"shown_platt_by_language": pairs},
    )
    analyzer = TechniqueAnalyzer(head)
    text = "They are traitors and liars! Everyone knows it."
    for language, offset in (("fr", -1.0), ("en", 1.0), (None, 1.0)):
        doc = _doc(text, language=language)
        anns = analyzer.analyze(doc, encoder.encode(doc.sentence_texts()))
        assert len(anns) == len(doc.sentences) * len(TECHNIQUES)  # the cuts decide, not the pair
        assert all(ann.score == pytest.approx(1 / (1 + np.exp(-offset))) for ann in anns)


def test_techniques_a_language_with_its_own_head_is_read_by_it(encoder):
    """techniques-v5: a language whose own head training kept (`info["languages"]`) is read by
    it, with its own cuts and its own pair for the shown scores; any other language, or none,
    by the pooled head."""
    width = features([], np.zeros((0, encoder.dim), dtype=np.float32)).shape[1]
    zeros = np.zeros((width, len(TECHNIQUES)), dtype=np.float32)
    head = LinearHead(
        zeros,
        np.full(len(TECHNIQUES), -5.0, dtype=np.float32),  # pooled: 0.007, under every cut
        list(TECHNIQUES),
        TechniqueAnalyzer.version,
        encoder.name,
        thresholds=np.full(len(TECHNIQUES), 0.5, dtype=np.float32),
        info={
            "shown_platt_by_language": {"*": [1.0, 0.0]},
            "languages": {"de": {"shown_platt": [1.0, -1.0]}},
        },
        extra={
            "weights.de": zeros,
            "bias.de": np.zeros(len(TECHNIQUES), dtype=np.float32),  # 0.5 everywhere
            "thresholds.de": np.full(len(TECHNIQUES), 1.01, dtype=np.float32),
        },
    )
    cut = 1.01 * np.ones(len(TECHNIQUES), dtype=np.float32)
    cut[TECHNIQUES.index("Slogans")] = 0.5
    head.extra["thresholds.de"] = cut
    analyzer = TechniqueAnalyzer(head)
    assert analyzer.head_for("en") is head and analyzer.head_for(None) is head
    assert analyzer.thresholds("de")[TECHNIQUES.index("Slogans")] == pytest.approx(0.5)
    text = "Sie sind Verräter und Lügner! Jeder weiß es."
    german = _doc(text, language="de")
    anns = analyzer.analyze(german, encoder.encode(german.sentence_texts()))
    assert {a.label for a in anns} == {"Slogans"} and len(anns) == len(german.sentences)
    assert all(a.score == pytest.approx(1 / (1 + np.exp(1.0))) for a in anns)  # the own pair
    english = _doc(text, language="en")
    assert analyzer.analyze(english, encoder.encode(english.sentence_texts())) == []
    del head.extra["bias.de"]
    with pytest.raises(ModelFileError, match="rebuild"):
        analyzer.analyze(german, encoder.encode(german.sentence_texts()))


def test_techniques_shipped_heads_per_language_are_german_and_italian(encoder):
    """The pre-registered rule kept own heads for German and Italian only (RESULTS.md,
    "Techniques: a head per language vs the pooled head"); each keeps the precision floor."""
    analyzer = TechniqueAnalyzer.load(encoder)
    assert set(analyzer.head.info["languages"]) == {"de", "it"}
    for code in ("de", "it"):
        own = analyzer.head_for(code)
        assert own is not analyzer.head and own.weights.shape == analyzer.head.weights.shape
        facts = analyzer.head.info["languages"][code]
        assert facts["cv_fold_mean_micro_f1"] >= facts["cv_fold_mean_micro_f1_pooled"] + 0.01
        assert (own.thresholds >= 0.2).all() and (own.thresholds <= 1.0).any()
    for code in ("en", "fr", "pl", "ru", None):
        assert analyzer.head_for(code) is analyzer.head


def test_frames_are_stored_only_at_their_operating_point(examples, encoder):
    frames = FrameAnalyzer.load(encoder)
    cuts = dict(zip(frames.head.labels, frames.head.thresholds, strict=True))
    assert min(cuts.values()) >= 0.5
    for doc, vectors in examples:
        scores = frames.head.score(frames.features(vectors, doc.sentence_texts()))[0]
        expected = {k for k, p in zip(frames.head.labels, scores, strict=True) if p >= cuts[k]}
        anns = frames.analyze(doc, vectors)
        assert {a.label for a in anns} == expected
        assert all(a.score >= cuts[a.label] for a in anns)


def test_satire_needs_strong_evidence():
    gate = np.array([0.0, 0.0, 0.5], dtype=np.float32)
    scores = np.array([[0.30, 0.25, 0.45], [0.10, 0.30, 0.60], [0.50, 0.20, 0.30]])
    assert [GENRES[k] for k in choose_genre(scores, gate)] == ["opinion", "satire", "opinion"]


def test_genre_stores_the_calibrated_probability_that_the_genre_shown_is_right(examples, encoder):
    genre = GenreAnalyzer.load(encoder)
    assert genre.head.thresholds[GENRES.index("satire")] >= 0.5
    platt = genre.head.info["shown_platt"]
    a, b = np.array(platt["a"]), np.array(platt["b"])
    for doc, vectors in examples:
        scores = genre.head.score(document_features(vectors, doc.sentence_texts()))[0]
        (label,) = genre.analyze(doc, vectors)
        column = int(choose_genre(scores[None, :], genre.head.thresholds)[0])
        assert label.label == GENRES[column]
        expected_score = shown_confidence(scores[None, :], np.array([column]), a, b)[0]
        assert label.score == pytest.approx(expected_score) and 0.0 < label.score < 1.0
        expected = dict(zip(GENRES, scores, strict=True))
        assert label.attrs["scores"] == pytest.approx(expected, abs=1e-4)


def test_shown_confidence_maps_each_genre_by_its_own_platt_pair():
    scores = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])
    a, b = np.array([1.0, 1.0, 2.0]), np.array([-0.5, 0.0, 0.0])
    mapped = shown_confidence(scores, np.array([0, 2]), a, b)
    assert mapped[0] == pytest.approx(1 / (1 + np.exp(-(np.log(0.6 / 0.4) - 0.5))))
    assert mapped[1] == pytest.approx(0.5)  # logit 0, whatever the slope


@pytest.fixture(scope="module")
def long_article(examples, encoder):
    """The five examples as one article of some 560 sentences, and its vectors (float16-rounded
    as a run hands them to the analyzers)."""
    text = "\n\n".join(doc.text for doc, _ in examples)
    doc = _doc(text)
    vectors = encoder.encode(doc.sentence_texts()).astype(np.float16).astype(np.float32)
    return doc, vectors


@pytest.mark.parametrize("rows", [64, 150, 256])
def test_techniques_scored_in_blocks_equal_one_pass_bit_for_bit(long_article, encoder, rows):
    # Issue 18: a document of 60,000 tiny sentences is scored a block of rows at a time; every
    # score, and so every label, is the one the whole feature matrix gives in one product.
    doc, vectors = long_article
    analyzer = TechniqueAnalyzer.load(encoder)
    whole = analyzer.head.score(features(doc.sentence_texts(), vectors))
    assert len(doc.sentences) > 2 * rows
    assert np.array_equal(analyzer.scores(doc, vectors), whole)  # one block
    labels = analyzer.analyze(doc, vectors)
    analyzer.block_rows = rows
    assert np.array_equal(analyzer.scores(doc, vectors), whole)
    assert analyzer.analyze(doc, vectors) == labels and labels


def test_genre_and_frames_read_only_their_training_languages(encoder):
    """#15: in a language outside its training data the genre cues read zero and a Portuguese
    shop page was called satire at 0.87; the frame head, held out of a language in training,
    stored its shown frames at scores off by 0.11 (Russian 0.28). Both say "not analyzed"
    there instead, in a language the encoder reads."""
    six = frozenset({"en", "fr", "de", "it", "pl", "ru"})
    genre, frames = GenreAnalyzer.load(encoder), FrameAnalyzer.load(encoder)
    assert genre.languages == frames.languages == six
    assert "pt" in encoder.languages
    doc = _doc("O governo mentiu outra vez ao povo. Ninguém acredita nos traidores.", "pt")
    vectors = encoder.encode(doc.sentence_texts())
    assert frames.analyze(doc, vectors) == []
    # the language limit is what keeps it silent
    unlimited = FrameAnalyzer(frames.head, dim=frames.dim, languages=None)
    assert unlimited.analyze(doc, vectors)


def test_genre_says_not_analyzed_on_a_wire_brief_shorter_than_its_training_articles(encoder):
    """#15: a real 82-word Reuters brief (Macron on border controls) was stored as satire 0.85."""
    text = (
        "PARIS — French President Emmanuel Macron on Monday condemned unilateral border control "
        "measures taken by some European Union countries in a bid to control the coronavirus "
        "outbreak, following a phone briefing with Germany’s Angela Merkel and other EU "
        "officials.\nThe discussion between Macron and Merkel came after Germany decided to "
        "temporarily introduce border controls on frontiers with Austria, Switzerland, France, "
        "Luxembourg and Denmark from Monday in an attempt to curb the spread of coronavirus."
    )
    doc = segment(Document(text=text, source=SourceRef("brief"), language="en"))
    (note,) = GenreAnalyzer.load(encoder).analyze(doc, encoder.encode(doc.sentence_texts()))
    assert (note.layer, note.label) == (Layer.STATS, "not-analyzed")
    assert note.attrs["analyzer"] == "genre" and "shorter than the articles" in note.attrs["reason"]
