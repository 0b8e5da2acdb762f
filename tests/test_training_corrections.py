"""Corrections as training examples (#19): the corrected documents of a database become
weighted rows of a document-level head, and what went in is said in the card line."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from narrascope.analyzers.frames import document_features
from narrascope.heads import sigmoid
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.review import Review
from narrascope.store import Store
from narrascope.text import segment
from narrascope.training import Report, train
from narrascope.training.corrections import corrected_documents, weighted_in
from narrascope.training.fit import fit_sigmoid

FRAMES = ["Political", "Economic", "Security_and_defense"]


@pytest.fixture
def db(tmp_path, examples_dir):
    path = str(tmp_path / "c.db")
    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        for i, file in enumerate(sorted(examples_dir.glob("*.txt"))[:3]):
            raw = file.read_bytes()
            doc = segment(
                Document(raw.decode(), SourceRef(str(file), None, hashlib.sha256(raw).hexdigest()))
            )
            vectors = rng.normal(size=(len(doc.sentences), 8)).astype(np.float32)
            frame = Annotation(
                doc.id, Layer.FRAME, FRAMES[i], "frames-v1", score=0.4, evidence=[doc.sentences[0]]
            )
            store.add(doc, [frame], vectors=vectors, encoder="enc-a" if i < 2 else "enc-b")
        review = Review(store)
        ids = [row for doc in store.documents() for row, _ in store.corrections.annotated(doc.id)]
        docs = [doc.id for doc in store.documents()]
        review.correct("reject", user="ana", annotation_id=ids[0])
        review.correct("add", user="ana", doc_id=docs[0], layer="frame", label="Economic")
        review.correct("accept", user="ana", annotation_id=ids[1])
        review.correct("accept", user="ana", annotation_id=ids[2])  # vectors of another encoder
    return path


def test_training_corrections_become_weighted_rows(db):
    corrected = corrected_documents(db, Layer.FRAME, FRAMES, document_features, encoder="enc-a")
    assert (corrected.corrections, corrected.documents, corrected.skipped) == (4, 2, 1)
    assert corrected.x.shape == (2, 8)
    # Each document's truth is its labels with the corrections applied: Political rejected and
    # Economic added on the first, Economic accepted on the second.
    assert corrected.y.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    line = corrected.card_line(5)
    assert "4 analyst corrections on 2 documents" in line and "5x" in line and "1 corrected" in line
    assert "`c.db`" in line and "sha256:" in line  # which corpus, by name and hash
    x, y, cells = weighted_in(
        np.zeros((3, 8), np.float32), np.zeros((3, 3), np.float32), corrected, 5
    )
    assert x.shape == (5, 8) and y.shape == (5, 3)
    # A verdict weighs 5 on its own label only: Political and Economic on the first
    # document, Economic on the second; the labels nobody ruled on are left out.
    assert cells[3:].tolist() == [[5.0, 5.0, 0.0], [0.0, 5.0, 0.0]]
    assert (cells[:3] == 1.0).all()


def test_training_corrections_move_the_head(db):
    corrected = corrected_documents(db, Layer.FRAME, FRAMES, document_features, encoder="enc-a")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 8)).astype(np.float32)
    y = np.zeros((40, 3), np.float32)
    y[::4, 0] = 1.0  # the base data never says "Economic"
    w0, b0 = fit_sigmoid(x, y, l2=1e-3)
    x1, y1, cells = weighted_in(x, y, corrected, 5)
    w1, b1 = fit_sigmoid(x1, y1, l2=1e-3, cell_weights=cells)
    economic = corrected.x[corrected.y[:, 1] == 1]
    before = sigmoid(economic @ w0 + b0)[0, 1]
    after = sigmoid(economic @ w1 + b1)[0, 1]
    assert before < 0.02 and after > 0.15 and after > 10 * before


def test_training_corrections_refused_for_tasks_that_cannot_learn_them(tmp_path, db):
    with pytest.raises(KeyError, match="cannot learn from corrections"):
        train("claims", tmp_path, out=tmp_path, corrections=db)


def test_training_corrections_anchor_in_the_uncorrected_documents(tmp_path, example_docs):
    from narrascope.training.corrections import ANCHOR_WEIGHT, anchor_weights, corrected_examples

    path = str(tmp_path / "a.db")
    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        for i, doc in enumerate(example_docs):
            frames = [FRAMES[0]] + ([FRAMES[1]] if i == 2 else [])
            anns = [Annotation(doc.id, Layer.FRAME, f, "frames-v1", score=0.4) for f in frames]
            vectors = rng.normal(size=(len(doc.sentences), 8)).astype(np.float32)
            # the last document was never analyzed by the frames head: it is no anchor
            made = ["frames-v1"] if i < 4 else []
            store.add(doc, anns, vectors=vectors, encoder="enc-a", analyzers=made)
        first = min(doc.id for doc in store.documents())
        row = next(r for r, ann in store.corrections.annotated(first) if ann.label == FRAMES[0])
        Review(store).correct("relabel", user="ana", annotation_id=row, label=FRAMES[1])

    def rows(doc, vectors):
        return document_features(vectors)

    plain = corrected_examples(path, (Layer.FRAME,), FRAMES, rows, encoder="enc-a")
    anchored = corrected_examples(
        path, (Layer.FRAME,), FRAMES, rows, encoder="enc-a", anchors="frames"
    )
    assert plain.anchors == 0 and plain.anchored is None and len(plain.x) == 1
    # The three other analyzed documents join at the stored decisions, on the two labels the
    # relabel ruled on; the third of them carries both labels.
    assert anchored.anchors == 3 and len(anchored.x) == 4
    assert anchored.verdicts == plain.verdicts == 2
    assert anchored.y[1:, :2].sum(axis=0).tolist() == [3.0, 1.0]
    _, _, cells = weighted_in(np.zeros((2, 8), np.float32), np.zeros((2, 3)), anchored, 5)
    assert cells[2].tolist() == [5.0, 5.0, 0.0]
    assert (cells[3:] == [ANCHOR_WEIGHT, ANCHOR_WEIGHT, 0.0]).all()
    assert "3 uncorrected documents of the corpus anchor" in anchored.card_line(5)
    # Anchors never outweigh the analysts: 20 of them weigh on a label what its verdicts weigh.
    verdicts = np.array([[True, False, True], [True, False, False]])
    assert anchor_weights(verdicts, 20).tolist() == [0.5, 0.0, 0.25]


def test_training_corrections_of_techniques_are_sentence_rows(tmp_path, example_docs):
    from narrascope.analyzers.techniques import features
    from narrascope.training.corrections import corrected_examples
    from narrascope.training.semeval2023 import TECHNIQUES

    doc = example_docs[0]
    path = str(tmp_path / "t.db")
    vectors = np.random.default_rng(2).normal(size=(len(doc.sentences), 8)).astype(np.float32)
    s = doc.sentences
    anns = [
        Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v2", *s[1], score=0.6),
        Annotation(doc.id, Layer.TECHNIQUE, "Doubt", "techniques-v2", *s[3], score=0.55),
    ]
    with Store.open(path, create=True) as store:
        store.add(doc, anns, vectors=vectors, encoder="enc-a")
        ids = {ann.label: row for row, ann in store.corrections.annotated(doc.id)}
        review = Review(store)
        review.correct("reject", user="ana", annotation_id=ids["Loaded_Language"])
        review.correct("relabel", user="ana", annotation_id=ids["Doubt"], label="Slogans")
        # an added span across sentences 5 and 6 teaches both
        review.correct(
            "add",
            user="ana",
            doc_id=doc.id,
            layer="technique",
            label="Repetition",
            start=s[5][1] - 3,
            end=s[6][0] + 3,
        )
    corrected = corrected_examples(
        path,
        (Layer.TECHNIQUE,),
        TECHNIQUES,
        lambda d, v: features(d.sentence_texts(), v),
        encoder="enc-a",
        per_sentence=True,
    )
    column = {t: j for j, t in enumerate(TECHNIQUES)}
    assert corrected.x.shape == (4, features([], np.zeros((0, 8))).shape[1])  # sentences 1, 3, 5, 6
    ruled = {(i, TECHNIQUES[j]) for i, j in zip(*np.nonzero(corrected.ruled), strict=True)}
    assert ruled == {
        (0, "Loaded_Language"),
        (1, "Doubt"),
        (1, "Slogans"),
        (2, "Repetition"),
        (3, "Repetition"),
    }
    assert corrected.y[0, column["Loaded_Language"]] == 0 and corrected.y[1, column["Doubt"]] == 0
    assert corrected.y[1, column["Slogans"]] == 1 and corrected.y[2:, column["Repetition"]].all()
    assert corrected.verdicts == 5 and corrected.documents == 1


def test_training_corrections_follow_the_narrative_taxonomy():
    from narrascope.training.narrative_corrections import taxonomy_verdicts

    labels = ["Other", "URW: A", "URW: A: a1", "URW: A: a2", "URW: B"]
    implied = taxonomy_verdicts(labels)
    assert list(implied("URW: A: a1", 1.0)) == [("URW: A", 1.0)]
    assert list(implied("URW: A", 0.0)) == [("URW: A: a1", 0.0), ("URW: A: a2", 0.0)]
    assert list(implied("URW: A: a2", 0.0)) == [] and list(implied("URW: B", 1.0)) == []


def test_training_corrections_refit_only_the_labels_they_touch():
    from narrascope.training.corrections import CorrectedSet
    from narrascope.training.narrative_corrections import fit_head

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 6)).astype(np.float32)
    y = (rng.random((60, 3)) < 0.3).astype(np.float32)
    ruled = np.zeros((2, 3), dtype=bool)
    ruled[:, 1] = True  # two verdicts, both on label 1
    corrected = CorrectedSet(
        rng.normal(size=(2, 6)).astype(np.float32),
        np.array([[0, 1, 0], [0, 0, 0]], np.float32),
        ruled,
        2,
        2,
        0,
        "c.db",
    )
    base = fit_head(x, y, c=1.0, seed=0)
    whole = fit_head(x, y, corrected, c=1.0, seed=0)
    quick = fit_head(x, y, corrected, c=1.0, seed=0, base=base)
    # Started from the base head, the refit ends where a cold fit does (a convex problem).
    gap = sigmoid(x @ quick[0] + quick[1]) - sigmoid(x @ whole[0] + whole[1])
    assert np.abs(gap).max() < 1e-3
    assert np.array_equal(quick[0][:, [0, 2]], base[0][:, [0, 2]])
    assert not np.allclose(quick[0][:, 1], base[0][:, 1])


class WordEncoder:
    """A tiny deterministic encoder (hashed words): a genre head trains on it in a second."""

    name, dim, languages = "words-16", 16, frozenset({"en"})

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


OPINION = "I think we must stop this. We believe it is wrong and you know it.\n\nShame on them!"
REPORTING = (
    "Officials said on Monday that 12 people were hurt.\n\nThe ministry reported the figures."
)


def t3_genre_folder(root):
    """A made-up SemEval-2023 Task 3 subtask-1 train split: six English articles."""
    articles = root / "en" / "train-articles-subtask-1"
    articles.mkdir(parents=True)
    rows = []
    for i in range(6):
        genre, text = ("opinion", OPINION) if i % 2 else ("reporting", REPORTING)
        (articles / f"article{100 + i}.txt").write_text(f"Title {i}\n\n{text}\n", encoding="utf-8")
        rows.append(f"{100 + i}\t{genre}")
    (root / "en" / "train-labels-subtask-1.txt").write_text("\n".join(rows) + "\n")
    return root


def test_training_corrections_of_genre_make_a_model_folder(tmp_path, monkeypatch):
    import narrascope.training.genre as genre_training
    from narrascope.heads import RESOURCES, LinearHead

    encoder = WordEncoder()
    monkeypatch.setattr(genre_training, "default_encoder", lambda: encoder)
    monkeypatch.setattr(genre_training, "CACHE", tmp_path / "cache")
    data = t3_genre_folder(tmp_path / "t3")
    db = str(tmp_path / "c.db")
    with Store.open(db, create=True) as store:
        ids = []
        for n, text in enumerate((REPORTING, OPINION)):
            doc = segment(Document(f"Corpus article {n}\n\n{text}", SourceRef(f"c{n}.txt")))
            label = Annotation(
                doc.id, Layer.GENRE, "reporting", "genre-v4", score=0.6, evidence=[doc.sentences[0]]
            )
            vectors = encoder.encode(doc.sentence_texts())
            store.add(doc, [label], vectors=vectors, encoder=encoder.name)
            ids.append((doc.id, next(iter(store.corrections.annotated(doc.id)))[0]))
        review = Review(store)
        # The reporting-like article is satire to this analyst; the other is not reporting,
        # which alone does not say its genre: it is left out of the one-genre-per-row fit.
        review.correct("relabel", user="ana", annotation_id=ids[0][1], label="satire")
        review.correct("reject", user="ana", annotation_id=ids[1][1])
    plain = train("genre", data, out=tmp_path / "plain", folds=2)
    corpus = train("genre", data, out=tmp_path / "corpus", folds=2, corrections=db)
    assert plain.scores == corpus.scores  # CV is the labelled data's alone
    head = LinearHead.from_file(tmp_path / "corpus" / "genre-v4.safetensors")
    went_in = head.info["corrections"]
    assert {k: went_in[k] for k in ("source", "count", "documents", "articles", "left_out")} == {
        "source": "c.db",
        "count": 2,
        "documents": 2,
        "articles": 1,
        "left_out": 1,
    }
    assert str(went_in["fingerprint"]).startswith("sha256:") and went_in["weight"] == 5
    card = (tmp_path / "corpus" / "genre-v4.md").read_text()
    assert "2 analyst corrections on 2 documents of `c.db`" in card and "left out" in card
    # The folder is a whole model: the shipped heads it does not replace sit beside it.
    assert (tmp_path / "corpus" / "roles-v4-fine.safetensors").is_file()
    assert len(list((tmp_path / "corpus").glob("*.safetensors"))) == len(
        list(RESOURCES.glob("*.safetensors"))
    )
    from narrascope.analyzers.genre import document_features

    before = LinearHead.from_file(tmp_path / "plain" / "genre-v4.safetensors")
    with Store.open(db) as store:
        satire = store.document(ids[0][0])
        x = document_features(store.vectors(satire.id), satire.sentence_texts())
    assert head.score(x)[0, 2] > before.score(x)[0, 2] + 0.2


def test_training_corrections_of_roles_are_entity_rows(tmp_path, example_docs):
    from narrascope.analyzers.roles import NAME_DIM
    from narrascope.training.role_corrections import corrected_entities, role_labels
    from narrascope.training.roles import _with_corrections
    from narrascope.training.semeval2025 import MAIN_ROLES

    doc = example_docs[0]
    s = doc.sentences
    vectors = np.random.default_rng(4).normal(size=(len(s), 8)).astype(np.float32)

    def entity(i: int, name: str) -> Annotation:
        ident = name.lower()
        attrs = {"entity": name, "entity_id": ident}
        return Annotation(doc.id, Layer.ENTITY, "ORG", "entities-v1", *s[i], attrs=attrs)

    def role(label: str, name: str, mentions) -> Annotation:
        attrs = {"entity": name, "entity_id": name.lower(), "mentions": mentions}
        return Annotation(
            doc.id, Layer.ROLE, label, "roles-v3", score=0.7, evidence=[s[1]], attrs=attrs
        )

    path = str(tmp_path / "r.db")
    with Store.open(path, create=True) as store:
        anns = [
            entity(2, "NATO"),
            entity(4, "NATO"),
            role("Antagonist", "CSTO", [list(s[1]), list(s[3])]),
            role("Protagonist", "Tokayev", [list(s[5])]),
        ]
        store.add(doc, anns, vectors=vectors, encoder="enc-a")
        ids = {
            a.attrs["entity"]: row
            for row, a in store.corrections.annotated(
                doc.id,
            )
            if a.layer == Layer.ROLE
        }
        review = Review(store)
        review.correct("relabel", user="ana", annotation_id=ids["CSTO"], label="Instigator")
        review.correct("reject", user="ana", annotation_id=ids["Tokayev"])
        for subject in ("nato", "nobody"):  # NATO's mentions come from the entity layer
            review.correct(
                "add", user="ana", doc_id=doc.id, layer="role", label="Victim", subject=subject
            )
    corrected, unknown = corrected_entities(path, MAIN_ROLES, encoder="enc-a")
    labels, _ = role_labels(MAIN_ROLES)
    assert (corrected.corrections, corrected.documents, unknown) == (4, 1, 1)
    assert corrected.x.shape == (3, 3 * 8 + NAME_DIM + 5)  # CSTO, Tokayev, NATO
    holds = [sorted(labels[j] for j in np.flatnonzero(row)) for row in corrected.y]
    assert holds == [["Antagonist", "Instigator"], [], ["Innocent", "Victim"]]
    ruled = corrected.ruled.sum(axis=1).tolist()
    # CSTO: every Antagonist role ruled (12 children and itself); Tokayev: Protagonist and its
    # 6 children do not hold; NATO: Victim and Innocent hold.
    assert ruled == [13, 7, 2]
    x = np.random.default_rng(5).normal(size=(10, corrected.x.shape[1])).astype(np.float32)
    y_main = np.array([0, 1, 2, 1, 0, 2, 1, 0, 2, 1])
    y_fine = np.zeros((10, len(labels) - 3), np.int8)
    report = Report("roles")
    main, fine, info = _with_corrections(path, x, y_main, y_fine, "enc-a", report)
    assert main[0].shape[0] == 12 and main[1][10:].tolist() == [1, 2]
    assert main[2][10:].tolist() == [5.0, 5.0] and (main[2][:10] == 1).all()
    assert fine[0].shape[0] == 13 and fine[2][10:].max() == 5.0 and (fine[2][:10] == 1).all()
    assert info["corrections"]["entities"] == 3 and info["corrections"]["unknown_entities"] == 1
    assert "4 analyst corrections on 1 documents of `r.db`" in report.lines[0]
    assert "2 teach the main role (1 say only" in report.lines[1]


def test_training_corrections_say_how_a_refit_would_relabel_the_corpus(tmp_path, example_docs):
    from narrascope.training.narrative_corrections import corpus_shift

    class Encoder:
        name = "enc-a"

    class Everything:
        """A refitted head that gives every article a narrative."""

        def analyze(self, doc, vectors):
            return [Annotation(doc.id, Layer.NARRATIVE, "URW: Blaming the war on others", "m")]

    path = str(tmp_path / "s.db")
    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        for i, doc in enumerate(example_docs):
            label = "URW: Discrediting Ukraine" if i == 0 else "Other"
            anns = [Annotation(doc.id, Layer.NARRATIVE, label, "narratives-v3", score=0.6)]
            vectors = rng.normal(size=(len(doc.sentences), 8)).astype(np.float32)
            store.add(doc, anns, vectors=vectors, encoder="enc-a", analyzers=["narratives-v3"])
        last = max(doc.id for doc in store.documents())
        row = next(r for r, _ in store.corrections.annotated(last))
        Review(store).correct("accept", user="ana", annotation_id=row)
    shift = corpus_shift(path, Everything(), Encoder())
    # Four uncorrected articles: one carries a narrative now, all four would under the refit.
    assert (shift.articles, shift.before, shift.after) == (4, 1, 4)
    assert "gives a narrative to 4 (the stored labels: 1)" in shift.line()
    assert not shift.sweeping  # fewer than 10 more articles: no warning
    assert "WARNING" in replace(shift, articles=200, after=40).line()


def test_training_corrections_reach_the_head_of_their_documents_language(tmp_path, example_docs):
    """A correction on an English document refits the English head (and the pooled one); one on
    a document in a language without a head of its own goes to the pooled head only (#19)."""
    from narrascope.analyzers.domain import article_features
    from narrascope.analyzers.narratives import OTHER, head_labels, read_taxonomy
    from narrascope.training import narrative_languages
    from narrascope.training.corrections import WEIGHT, corrections_by_head
    from narrascope.training.narrative_corrections import fit_head, read_corrections
    from narrascope.training.narrative_rules import Decider, NestedResult
    from narrascope.training.narrative_scoring import C, Example, targets
    from narrascope.training.semeval2025 import Article, EncodedArticle, NarrativeLabels

    class Encoder:
        name = "enc-a"

    taxonomy = read_taxonomy()
    labels = head_labels(taxonomy)
    narrative = next(t.label for t in taxonomy if t.level == "narrative" and not t.is_other)
    path = str(tmp_path / "lang.db")
    rng = np.random.default_rng(0)
    docs = [*example_docs[:4], replace(example_docs[4], language="kk")]
    with Store.open(path) as store:
        for doc in docs:
            ann = Annotation(doc.id, Layer.NARRATIVE, narrative, "narratives-v4", score=0.6)
            vectors = rng.normal(size=(len(doc.sentences), 8)).astype(np.float32)
            store.add(doc, [ann], vectors=vectors, encoder="enc-a", analyzers=["narratives-v4"])
        review = Review(store)
        for doc in (docs[0], docs[4]):
            row = next(r for r, _ in store.corrections.annotated(doc.id))
            review.correct("reject", user="ana", annotation_id=row)
    corrected = read_corrections(path, labels, Encoder())
    assert corrected.by_language == {"en": (1, 1), "kk": (1, 1)}
    english = corrected.in_language("en")
    # the English verdict, and the three uncorrected English documents as anchors
    assert english.corrections == 1 and english.anchors == 3 and len(english.x) == 4
    assert set(english.languages) == {"en"} and english.verdicts < corrected.verdicts
    assert len(corrected.in_language("kk").x) == 1

    # Two training languages of 24 made-up articles each, both with a head of its own.
    subnarratives = [t for t in taxonomy if t.level == "subnarrative" and not t.is_other][:4]
    examples = []
    for language in ("EN", "BG"):
        for i in range(24):
            sub = subnarratives[i % 4]
            article = Article(f"{language}_{i}.txt", language, "text")
            encoded = EncodedArticle(
                article, [(0, 4)] * 3, rng.normal(size=(3, 8)).astype(np.float32)
            )
            gold = NarrativeLabels(article.id, (sub.parent,), (sub.label,))
            examples.append(Example(encoded, gold))
    x = np.vstack([article_features(ex.encoded.vectors) for ex in examples])
    y = targets(examples, labels)
    definitions = rng.normal(size=(len(labels), 8)).astype(np.float32)
    definitions[labels.index(OTHER)] = 0.0
    decider = Decider(labels, taxonomy)
    n = len(examples)
    # a pooled head that gets nothing right: both own heads are kept
    cells = np.zeros((n, len(labels)))
    pooled = NestedResult(
        labels.index(OTHER), cells > 0, [], cells, cells > 0, cells, np.zeros(n), np.zeros(n)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(narrative_languages, "MIN_LANGUAGE_ARTICLES", 20)
        refit = narrative_languages.language_heads(
            examples, x, y, definitions, labels, taxonomy, decider, pooled,
            seed=0, folds=2, corrected=corrected,
        )  # fmt: skip
    assert set(refit.info) == {"en", "bg"}
    # Without corrections, each own head is the plain fit on its language's articles.
    en, bg = np.arange(24), np.arange(24, 48)
    plain_en = fit_head(x[en], y[en], c=C, seed=0)[0]
    touched = labels.index(narrative)
    assert not np.allclose(plain_en[:, touched], refit.head_extra["weights.en"][:, touched])
    # no correction on a Bulgarian document: the Bulgarian head is the one fitted without any
    assert np.array_equal(fit_head(x[bg], y[bg], c=C, seed=0)[0], refit.head_extra["weights.bg"])
    assert refit.info["en"]["corrections"]["count"] == 1 and "corrections" not in refit.info["bg"]
    # The own head weighs each verdict OWN_WEIGHT (1) rows, the pooled head WEIGHT (5): the
    # English head is the fit with its language's verdicts at 1x, not at 5x (anchors as read).
    assert (narrative_languages.OWN_WEIGHT, WEIGHT) == (1, 5)
    at = {w: fit_head(x[en], y[en], english, c=C, seed=0, weight=w)[0] for w in (1, WEIGHT)}
    assert np.array_equal(at[1], refit.head_extra["weights.en"])
    assert not np.allclose(at[WEIGHT][:, touched], at[1][:, touched])
    assert refit.info["en"]["corrections"]["weight"] == 1
    lines = corrections_by_head(corrected, refit.info)
    assert "EN: 1 corrections on 1 documents -> the EN head and the pooled head" in lines[1]
    assert "KK: 1 corrections on 1 documents -> the pooled head only" in lines[2]
    lines = corrections_by_head(corrected, refit.info, narrative_languages.OWN_WEIGHT)
    assert lines[1].endswith(
        "-> the EN head (each verdict weighted 1x) and the pooled head (5x)"
    ), lines[1]


def t3_technique_folder(root, t3, per_language):
    """A SemEval-2023 Task 3 subtask-3 train split of the first `per_language` real English and
    German articles: links to the articles and span files, their rows of the line labels."""
    for folder in ("en", "ge"):
        source, target = t3 / "data" / folder, root / folder
        ids = sorted(
            p.stem[len("article") :] for p in (source / "train-articles-subtask-3").glob("*.txt")
        )
        ids = ids[:per_language]
        for sub, name in (
            ("train-articles-subtask-3", "article{}.txt"),
            ("train-labels-subtask-3-spans", "article{}-labels-subtask-3.txt"),
        ):
            (target / sub).mkdir(parents=True)
            for i in ids:
                (target / sub / name.format(i)).symlink_to(source / sub / name.format(i))
        rows = (source / "train-labels-subtask-3.txt").read_text(encoding="utf-8").splitlines()
        picked = [row for row in rows if row.split("\t")[0] in ids]
        (target / "train-labels-subtask-3.txt").write_text("\n".join(picked) + "\n")
    return root


def _technique_corrections(path, docs, encoder):
    """A database of `docs`, each with a stored Loaded_Language label on its first sentence that
    an analyst rejects, and a Doubt span over its next three sentences that the analyst adds."""
    with Store.open(path, create=True) as store:
        review = Review(store)
        for doc in docs:
            first = doc.sentences[0]
            label = Annotation(doc.id, Layer.TECHNIQUE, "Loaded_Language", "techniques-v5", *first)
            store.add(
                doc, [label], vectors=encoder.encode(doc.sentence_texts()), encoder=encoder.name
            )
            row = next(r for r, _ in store.corrections.annotated(doc.id))
            review.correct("reject", user="ana", annotation_id=row)
            start, end = doc.sentences[1][0], doc.sentences[3][1]
            review.correct(
                "add",
                user="ana",
                doc_id=doc.id,
                layer="technique",
                label="Doubt",
                start=start,
                end=end,
            )


def test_training_corrections_of_techniques_reach_the_german_head_issue_19(
    tmp_path, monkeypatch, shared_data, example_docs
):
    """German corrections refit the German head (kept, as without them) and the pooled one;
    English corrections leave the German head exactly as the uncorrected fit makes it (#19)."""
    import narrascope.training.techniques as technique_training
    from narrascope.analyzers.techniques import TechniqueAnalyzer, features
    from narrascope.heads import LinearHead
    from narrascope.training import technique_languages
    from narrascope.training.semeval2023 import TECHNIQUES

    t3 = shared_data / "semeval2023_task3"
    if not t3.is_dir():
        pytest.skip("semeval2023_task3 not in ../shared/data")
    encoder = WordEncoder()
    monkeypatch.setattr(technique_training, "default_encoder", lambda: encoder)
    monkeypatch.setattr(technique_training, "CACHE", tmp_path / "cache")
    # Eight articles a language decide nothing: keep the German head whatever its comparison
    # says (the rule itself is tested in test_technique_languages), and no other.
    monkeypatch.setattr(technique_languages.Comparison, "kept", lambda self: self.folder == "ge")
    data = t3_technique_folder(tmp_path / "t3", t3, 8)
    german = []
    for path in sorted((t3 / "data" / "ge" / "train-articles-subtask-3").glob("*.txt"))[8:10]:
        text = path.read_text(encoding="utf-8")
        german.append(segment(Document(text, SourceRef(str(path)), language="de")))
    _technique_corrections(str(tmp_path / "de.db"), german, encoder)
    _technique_corrections(str(tmp_path / "en.db"), example_docs[:1], encoder)

    runs = {}
    for name, db in (("plain", None), ("de", "de.db"), ("en", "en.db")):
        corrections = str(tmp_path / db) if db else None
        report = train("techniques", data, out=tmp_path / name, folds=3, corrections=corrections)
        head = LinearHead.from_file(tmp_path / name / "techniques-v5.safetensors")
        runs[name] = (report, head, (tmp_path / name / "techniques-v5.md").read_text())
    plain, de, en = (runs[k][1] for k in ("plain", "de", "en"))
    # The heads per language are chosen, calibrated and cut on the labelled data alone.
    assert runs["plain"][0].scores == runs["de"][0].scores == runs["en"][0].scores
    assert set(plain.info["languages"]) == set(de.info["languages"]) == {"de"}
    assert np.array_equal(plain.extra["thresholds.de"], de.extra["thresholds.de"])
    # German corrections move the German head and the pooled one ...
    assert not np.allclose(plain.extra["weights.de"], de.extra["weights.de"])
    assert not np.allclose(plain.weights, de.weights)
    # ... towards the analyst: Doubt rises on the sentences marked, as the analyzer reads German.
    doubt = TECHNIQUES.index("Doubt")
    marked = np.vstack(
        [
            features(doc.sentence_texts(), encoder.encode(doc.sentence_texts()))[1:4]
            for doc in german
        ]
    )
    before = TechniqueAnalyzer(plain).head_for("de").score(marked)[:, doubt]
    after = TechniqueAnalyzer(de).head_for("de").score(marked)[:, doubt]
    assert after.mean() > before.mean()
    # English corrections reach the pooled head only.
    assert np.array_equal(plain.extra["weights.de"], en.extra["weights.de"])
    assert np.array_equal(plain.extra["bias.de"], en.extra["bias.de"])
    assert not np.allclose(plain.weights, en.weights)
    # The card and the head say which corrections went into which head.
    assert de.info["languages"]["de"]["corrections"]["count"] == 4
    assert "corrections" not in en.info["languages"]["de"]
    assert de.info["corrections"]["languages"] == {
        "de": {"corrections": 4, "documents": 2, "heads": ["de", "pooled"]}
    }
    card = runs["de"][2]
    assert "DE: 4 corrections on 2 documents -> the DE head and the pooled head" in card
    assert "final fit with 4 corrections on 2 documents in this language from `de.db`" in card
    assert (
        "EN: 2 corrections on 1 documents -> the pooled head only (EN has no head" in runs["en"][2]
    )
