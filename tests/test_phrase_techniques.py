"""The technique of a phrase (#16): span features from the accurate model's run, the phrase
head's labels in the accurate analyzer, and PTC technique classification (TC) from
`evaluate techniques --profile accurate` on a folder of PTC articles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrascope.analyzers.phrase_techniques import (
    PHRASE_TC_VERSION,
    SentenceTokens,
    phrase_features,
)
from narrascope.analyzers.techniques_accurate import (
    SPANS_VERSION,
    AccurateTechniqueAnalyzer,
    FineTunedTechniques,
    model_files,
)
from narrascope.heads import RESOURCES
from narrascope.model import Document, SourceRef
from narrascope.text import segment

SHIPPED = all(p.is_file() for k, p in model_files(RESOURCES).items() if k != "card")
HEADS_SHIPPED = (
    SHIPPED
    and model_files(RESOURCES, SPANS_VERSION)["head"].is_file()
    and model_files(RESOURCES, PHRASE_TC_VERSION)["head"].is_file()
)
needs_heads = pytest.mark.skipif(not HEADS_SHIPPED, reason="no phrase technique head shipped")
SENTENCES = (
    "Tokayev called the protesters foreign-trained terrorist gangs.",
    "He ordered troops to shoot to kill without warning.",
)
# PTC train articles in the held-out fold of techniques-accurate-v1 (no accurate model
# trained on them)
HELD_OUT_PTC = ("111111111", "111111115", "111111117")


@pytest.fixture(scope="module")
def model() -> FineTunedTechniques:
    if not SHIPPED:
        pytest.skip("no accurate technique model shipped")
    return FineTunedTechniques(RESOURCES)


@pytest.fixture(scope="module")
def read(model) -> list[SentenceTokens]:
    """The two sentences as one document, read by the shipped int8 model."""
    from narrascope.analyzers.techniques_accurate import sentence_pairs

    reading = model.model.read(sentence_pairs(list(SENTENCES)))
    out, start = [], 0
    for i, text in enumerate(SENTENCES):
        _, offsets = model.model.vocab.tokenize_with_offsets(text)
        pieces = np.asarray(offsets, dtype=np.int64).reshape(-1, 2) + start
        out.append(
            SentenceTokens(
                reading.states[i],
                reading.lower[i],
                pieces,
                (start, start + len(text)),
                np.zeros(len(model.labels)),
            )
        )
        start += len(text) + 1
    return out


def test_phrase_features_pool_the_pieces_of_the_span(read):
    text = " ".join(SENTENCES)
    start = text.index("foreign-trained")
    end = text.index(" gangs")
    first = read[0]
    inside = (first.offsets[:, 0] < end) & (first.offsets[:, 1] > start)
    pooled = phrase_features([first], start, end, ("pooled",))
    width = first.states.shape[1]
    assert pooled is not None and pooled.shape == (2 * width,)
    np.testing.assert_allclose(pooled[:width], first.states[inside].astype(np.float32).mean(0))
    every = phrase_features([first], start, end, ("pooled", "sentence", "cues", "context", "lower"))
    assert every is not None and every.shape == (2 * width + len(first.scores) + 5 + 4 * width,)
    # a span over both sentences pools the pieces of both; one past the text has none
    both = phrase_features(read, start, len(text), ("pooled",))
    assert both is not None and not np.allclose(both, pooled)
    assert phrase_features(read, len(text) + 5, len(text) + 9, ("pooled",)) is None


def test_phrase_features_context_is_zero_at_the_sentence_edge(read):
    first = read[0]
    width = first.states.shape[1]
    # the sentence's first word: nothing before it
    x = phrase_features([first], 0, len("Tokayev"), ("context",))
    assert x is not None and not x[:width].any() and x[width:].any()


@needs_heads
def test_phrase_head_ranks_techniques_of_given_spans(model, read):
    text = " ".join(SENTENCES)
    spans = [(text.index("foreign"), text.index(" gangs")), (len(text) + 5, len(text) + 9)]
    p = model.phrase_head.probabilities(read, spans)
    assert p.shape == (2, len(model.labels))
    assert p[0].sum() == pytest.approx(1.0, abs=1e-5) and not p[1].any()


@needs_heads
def test_accurate_analyzer_gives_each_phrase_one_shown_technique(examples_dir, encoder):
    analyzer = AccurateTechniqueAnalyzer.load(encoder)
    labelled = 0
    for path in sorted(Path(examples_dir).glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        scores = analyzer.model.scores(doc.sentence_texts())
        shown = scores >= analyzer.thresholds()
        by_span: dict[tuple[int, int], list[str]] = {}
        for ann in analyzer.analyze(doc, encoder.encode(doc.sentence_texts())):
            if ann.attrs.get("technique_model") != PHRASE_TC_VERSION:
                continue
            by_span.setdefault((ann.start, ann.end), []).append(ann.label)
            row = doc.sentences.index(tuple(ann.attrs["sentence"]))
            shown_here = {analyzer.model.labels[j] for j in np.flatnonzero(shown[row])}
            assert 0.0 < ann.attrs["technique_probability"] <= 1.0
            if ann.attrs.get("rule") == "phrase-first":  # tested below
                assert not shown_here
                continue
            assert ann.label in shown_here
            labelled += 1
        assert all(len(labels) == 1 for labels in by_span.values())
    assert labelled, "no phrase labelled by the phrase head in five opinionated articles"


@needs_heads
def test_phrase_first_labels_phrases_of_unlabelled_sentences_where_the_heads_agree(
    examples_dir, encoder
):
    """Phrase-first (#16): a sentence without a shown technique keeps phrases whose phrase ×
    technique × sentence probability of the phrase head's own best technique reaches the
    operating point, scored phrase × technique probability; no other phrase of it is stored."""
    from narrascope.analyzers.techniques_accurate import PHRASE_FIRST_POINT, sentence_pairs

    analyzer = AccurateTechniqueAnalyzer.load(encoder)
    model = analyzer.model
    model.phrase_first = True  # off in analysis (#15): `evaluate` and research turn it on
    first = 0
    for path in sorted(Path(examples_dir).glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        texts = doc.sentence_texts()
        scores, phrases = model.scores_and_phrases(texts, labelled_only=False)
        unlabelled = ~(scores >= analyzer.thresholds()).any(1)
        asked = [
            (start + s, start + e)
            for (start, _), found, free in zip(doc.sentences, phrases, unlabelled, strict=True)
            if free
            for s, e, _ in found
        ]
        starts = [start for start, _ in doc.sentences]
        ranked = model.span_techniques(texts, starts, asked)
        expected = {}
        for (start, end), row in zip(asked, ranked, strict=True):
            sentence = next(i for i, (s, e) in enumerate(doc.sentences) if s <= start < e)
            p = next(q for s, e, q in phrases[sentence] if (starts[sentence] + s) == start)
            j = int(np.argmax(row))
            if p * row[j] * scores[sentence, j] >= PHRASE_FIRST_POINT:
                expected[(start, end)] = (model.labels[j], p * row[j])
        found = {
            (ann.start, ann.end): (ann.label, ann.score)
            for ann in analyzer.analyze(doc, encoder.encode(texts))
            if ann.attrs.get("rule") == "phrase-first"
        }
        assert found.keys() == expected.keys()
        for span, (label, score) in found.items():
            assert label == expected[span][0] and score == pytest.approx(expected[span][1])
            assert doc.text[span[0] : span[1]].strip()
        first += len(found)
        # one tokenization a sentence: the run's own offsets are those of the pieces it read
        reading = model.model.read(sentence_pairs(texts))
        for text, offsets in zip(texts, reading.offsets, strict=True):
            _, again = model.model.vocab.tokenize_with_offsets(text)
            assert offsets.tolist() == [list(o) for o in again[: len(offsets)]]
    assert first, "no phrase-first label in five opinionated articles"


@needs_heads
def test_analysis_stores_no_phrase_first_label(examples_dir, encoder):
    """Phrase-first labels are right ~23% of the time at sentence level, under the layer's
    precision floor (0.4): analysis leaves them out (#15); the option keeps them for research."""
    analyzer = AccurateTechniqueAnalyzer.load(encoder)
    assert analyzer.model.phrase_first is False
    for path in sorted(Path(examples_dir).glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        anns = analyzer.analyze(doc, encoder.encode(doc.sentence_texts()))
        assert anns and not any(a.attrs.get("rule") == "phrase-first" for a in anns)


@needs_heads
def test_evaluate_accurate_scores_tc_on_a_ptc_folder(shared_data, tmp_path):
    from narrascope.training import ptc
    from narrascope.training.finetune.techniques import evaluate

    source = shared_data / "semeval2020_task11_ptc" / "datasets"
    if not source.is_dir():
        pytest.skip("semeval2020_task11_ptc not in ../shared/data")
    folder = tmp_path / "ptc"  # a folder of links to three articles: nothing copied
    for sub, suffix in (
        ("train-articles", ".txt"),
        ("train-labels-task-flc-tc", ".task-flc-tc.labels"),
        ("train-labels-task-si", ".task-si.labels"),
    ):
        (folder / sub).mkdir(parents=True)
        for article in HELD_OUT_PTC:
            name = f"article{article}{suffix}"
            (folder / sub / name).symlink_to(source / sub / name)
    report = evaluate(folder, split="train", predictions=tmp_path / "out.txt")
    assert 0.0 < report.scores["ptc_tc_micro_f1"] <= 1.0
    assert 0.0 <= report.scores["ptc_si_f1"] <= 1.0
    assert PHRASE_TC_VERSION in "\n".join(report.lines)
    gold = ptc.read_ptc(folder, "train")
    rows = (tmp_path / "out-tc.txt").read_text(encoding="utf-8").splitlines()
    # one predicted row per gold row, each a PTC class on a gold span
    assert len(rows) == sum(len(a.tc) for a in gold.values())
    spans = {(a, s, e) for a, art in gold.items() for _, s, e in art.tc}
    for row in rows:
        article, technique, s, e = row.split("\t")
        assert technique in ptc.PTC_TECHNIQUES and (article, int(s), int(e)) in spans


def test_phrase_tc_fit_is_seeded_and_reads_raw_features(read):
    from narrascope.heads import softmax
    from narrascope.training.finetune import phrase_tc
    from narrascope.training.finetune.phrase_tc import SpanTable
    from narrascope.training.semeval2023 import TECHNIQUES

    text = " ".join(SENTENCES)
    words = ["Tokayev", "protesters", "foreign-trained terrorist gangs", "shoot to kill", "troops"]
    labels = ["Name_Calling-Labeling", "Doubt", "Name_Calling-Labeling", "Slogans", "Doubt"]
    spans = [(text.index(w), text.index(w) + len(w)) for w in words]
    sentences = [[s for s in read if s.span[0] < e and s.span[1] > b] for b, e in spans]
    table = SpanTable(["a"] * len(spans), spans, [[label] for label in labels], sentences)
    x, kept = phrase_tc.features(table, ("pooled", "cues"))
    assert list(kept) == list(range(len(spans)))
    first = phrase_tc.fit(x, [table.gold[i] for i in kept], TECHNIQUES, seed=13)
    again = phrase_tc.fit(x, [table.gold[i] for i in kept], TECHNIQUES, seed=13)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    # standardised in the fit, folded back: the head reads raw features and fits its data
    predicted = softmax(x @ first[0] + first[1]).argmax(1)
    assert [TECHNIQUES[j] for j in predicted] == labels
