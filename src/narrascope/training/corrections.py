"""Analysts' corrections as training examples: `narrascope train TASK --corrections DB` (#19).

Every standing correction is a verdict on one label: accepted or added means the label holds,
rejected means it does not, relabelled means the old label does not hold and the new one does.
A verdict teaches the head that label and nothing else: each corrected document (a document
head) or corrected sentence (a sentence head, as techniques) becomes one row of features,
built from its stored vectors (of the encoder the head is trained on), and only the cells of
the labels an analyst ruled on carry a weight; the labels nobody looked at are left out of the
fit for that row instead of being taken as the model said. Heads fit with per-cell weights
(`fit.fit_sigmoid`, `fit.fit_logistic`), so a corrected cell counts `WEIGHT` training rows.

A document head can also be *anchored* in the corpus: the documents nobody corrected join the
fit on the labels the analysts ruled on, with the model's standing decision as truth, each cell
weighing one training row at most and all of them together no more than the analysts' verdicts
on that label (`anchor_weights`). A few verdicts in a language the training data lacks otherwise
have no negatives in that language, and move the whole language across the cuts (#19: 34
Hindi corrections made a head give a narrative to 135 of 183 articles, against 22 before).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from narrascope.model import Annotation, Correction, CorrectionAction, Document, Layer
from narrascope.store import Store

WEIGHT = 5
"""How many training rows one analyst's verdict on a label counts as."""
ANCHOR_WEIGHT = 1
"""How many training rows an uncorrected document's standing decision on a label counts as, at
most (`anchor_weights`)."""
ANCHORS = 2000
"""At most this many uncorrected documents of a corpus anchor a refit."""

Features = Callable[[Document, np.ndarray], np.ndarray]
"""A head's input rows for a document from its sentence vectors: one row (a document head) or
one per sentence (a sentence head)."""
Implied = Callable[[str, float], Iterable[tuple[str, float]]]
"""Further verdicts a verdict implies in a taxonomy (a subnarrative's narrative holds too)."""


@dataclass(slots=True)
class CorrectedSet:
    """The corrections of one database as feature rows, truth and per-cell verdict masks."""

    x: np.ndarray  # (rows, features)
    y: np.ndarray  # (rows, labels): 1 where a verdict says the label holds
    ruled: np.ndarray  # (rows, labels): True where an analyst's verdict covers the cell
    corrections: int  # standing corrections in the layers
    documents: int  # documents they make examples of
    skipped: int  # corrected documents without vectors from this encoder
    source: str  # the database, named without credentials
    fingerprint: str = ""  # hash of the corrections that went in
    layers: tuple[Layer, ...] = field(default_factory=tuple)
    anchored: np.ndarray | None = None  # (rows, labels): the weight of each anchor cell
    anchors: int = 0  # uncorrected documents among the rows, at the model's decisions
    # (rows,): each row's document language, lower case ("" unknown), anchors too
    languages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    # language -> (corrections, documents) of the corrected documents read
    by_language: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def verdicts(self) -> int:
        """How many (row, label) cells the corrections rule on."""
        return int(self.ruled.sum())

    def card_line(self, weight: int) -> str:
        """The model card's line on what went in."""
        return (
            f"- Corrections: {self.corrections} analyst corrections on {self.documents} "
            f"documents of `{self.source}` (corrections {self.fingerprint}), "
            f"{self.verdicts} label verdicts, each weighted {weight}x"
            + (
                f" ({self.skipped} corrected documents had no vectors and were left out)."
                if self.skipped
                else "."
            )
            + (
                f" {self.anchors} uncorrected documents of the corpus anchor the labels ruled"
                f" on at the model's decisions, each weighted at most {ANCHOR_WEIGHT}x and all"
                " together no more than the verdicts on the label."
                if self.anchors
                else ""
            )
        )

    def in_language(self, language: str) -> CorrectedSet:
        """The rows of documents in `language` alone (anchors too, weighed again against the
        verdicts of that language only), for a head fitted on that language's articles."""
        mine = self.languages == language.lower()
        ruled = self.ruled[mine]
        anchored, anchor_rows = None, np.zeros(int(mine.sum()), dtype=bool)
        if self.anchored is not None:
            is_anchor = np.zeros(len(self.x), dtype=bool)
            is_anchor[len(self.x) - self.anchors :] = True
            anchored = np.zeros(ruled.shape, np.float32)
            anchor_rows = is_anchor[mine]
            anchored[anchor_rows] = anchor_weights(ruled[~anchor_rows], int(anchor_rows.sum()))
        corrections, documents = self.by_language.get(language.lower(), (0, 0))
        return replace(
            self,
            x=self.x[mine],
            y=self.y[mine],
            ruled=ruled,
            corrections=corrections,
            documents=documents,
            skipped=0,
            anchored=anchored,
            anchors=int(anchor_rows.sum()) if self.anchored is not None else 0,
            languages=self.languages[mine],
            by_language={language.lower(): (corrections, documents)},
        )

    def info(self, weight: int) -> dict[str, object]:
        """What the head file's metadata records about the corrections."""
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "count": self.corrections,
            "documents": self.documents,
            "verdicts": self.verdicts,
            "weight": weight,
            "anchors": self.anchors,
            "anchor_weight": ANCHOR_WEIGHT,
        }


def verdicts(correction: Correction) -> list[tuple[Annotation, float]]:
    """The labels one correction rules on, each with 1.0 (holds) or 0.0 (does not), in the
    order they apply (a relabel's new label after its old one)."""
    old, new = correction.old, correction.new
    if correction.action is CorrectionAction.REJECT and old is not None:
        return [(old, 0.0)]
    if correction.action is CorrectionAction.RELABEL and old is not None and new is not None:
        return [(old, 0.0), (new, 1.0)]
    ann = new or old
    return [] if ann is None else [(ann, 1.0)]


class CorrectedReads:
    """The documents with standing corrections in `layers` of an open store, each read with its
    sentence vectors of `encoder` and its corrections; a document without such vectors (or
    whose vectors no longer match its sentences) is counted in `skipped` and left out."""

    def __init__(self, store: Store, layers: Iterable[Layer], *, encoder: str) -> None:
        wanted = set(layers)
        self.store, self.encoder = store, encoder
        self.done = [c for c in store.corrections.of() if c.layer in wanted]
        self.skipped = self.documents = 0

    def __iter__(self) -> Iterator[tuple[Document, np.ndarray, list[Correction]]]:
        for doc_id in dict.fromkeys(c.doc_id for c in self.done):
            vectors = self.store.vectors(doc_id, encoder=self.encoder)
            doc = self.store.document(doc_id) if vectors is not None else None
            if vectors is None or doc is None or len(vectors) != len(doc.sentences):
                self.skipped += 1
                continue
            self.documents += 1
            yield doc, vectors, [c for c in self.done if c.doc_id == doc_id]


def corrected_examples(
    db: str,
    layers: Sequence[Layer],
    labels: Sequence[str],
    features: Features,
    *,
    encoder: str,
    per_sentence: bool = False,
    implied: Implied | None = None,
    anchors: str | None = None,
) -> CorrectedSet:
    """Every document with a standing correction in `layers`, as rows of the head's features
    with the corrected labels as truth, only on the cells a verdict covers.

    `per_sentence`: `features` gives one row per sentence, and a verdict on a span covers the
    sentences it overlaps; otherwise one row per document. `anchors` (a document head): the
    analyzer family whose uncorrected documents anchor the labels ruled on (see the module).
    """
    index = {label: j for j, label in enumerate(labels)}
    rows_x: list[np.ndarray] = []
    rows_y: list[np.ndarray] = []
    rows_ruled: list[np.ndarray] = []
    rows_language: list[str] = []
    by_language: dict[str, tuple[int, int]] = {}
    with Store.open(db) as store:
        reads = CorrectedReads(store, layers, encoder=encoder)
        for doc, vectors, corrections in reads:
            x = features(doc, vectors)
            y = np.zeros((len(x), len(labels)), dtype=np.float32)
            ruled = np.zeros(y.shape, dtype=bool)
            for correction in corrections:
                for ann, truth in verdicts(correction):
                    more = implied(ann.label, truth) if implied is not None else ()
                    for label, value in [(ann.label, truth), *more]:
                        if label not in index:
                            continue
                        rows = _rows(doc, ann) if per_sentence else [0]
                        y[rows, index[label]] = value
                        ruled[rows, index[label]] = True
            keep = ruled.any(axis=1)
            language = language_of(doc)
            rows_language += [language] * int(keep.sum())
            done, documents = by_language.get(language, (0, 0))
            by_language[language] = (done + len(corrections), documents + 1)
            rows_x.append(x[keep])
            rows_y.append(y[keep])
            rows_ruled.append(ruled[keep])
        touched = np.vstack(rows_ruled).any(axis=0) if rows_ruled else None
        anchor_x: list[np.ndarray] = []
        anchor_y: list[np.ndarray] = []
        if anchors is not None and touched is not None and touched.any():
            corrected = {c.doc_id for c in reads.done}
            for doc_id in store.analyzed_ids(anchors, encoder=encoder, limit=ANCHORS):
                row = _anchor_row(store, doc_id, corrected, layers, index, features, encoder)
                if row is not None:
                    anchor_x.append(row[0])
                    anchor_y.append(row[1])
                    rows_language += [row[2]] * len(row[0])
    dim = rows_x[0].shape[1] if rows_x else 0
    anchored = None
    if anchor_x:
        verdict_rows = np.vstack(rows_ruled)
        rows_x.append(np.vstack(anchor_x))
        rows_y.append(np.vstack(anchor_y))
        rows_ruled.append(np.zeros((len(anchor_x), len(labels)), bool))
        anchored = np.zeros((len(verdict_rows) + len(anchor_x), len(labels)), np.float32)
        anchored[len(verdict_rows) :] = anchor_weights(verdict_rows, len(anchor_x))
    return CorrectedSet(
        np.vstack(rows_x).astype(np.float32) if rows_x else np.zeros((0, dim), np.float32),
        np.vstack(rows_y) if rows_y else np.zeros((0, len(labels)), np.float32),
        np.vstack(rows_ruled) if rows_ruled else np.zeros((0, len(labels)), bool),
        len(reads.done),
        reads.documents,
        reads.skipped,
        database_name(db),
        fingerprint(reads.done),
        tuple(layers),
        anchored,
        len(anchor_x),
        np.array(rows_language, dtype=object),
        by_language,
    )


def anchor_weights(ruled: np.ndarray, anchors: int, weight: int = WEIGHT) -> np.ndarray:
    """Each label's weight on one anchor row: `ANCHOR_WEIGHT` at most, and `anchors` rows
    together no more than the label's verdicts (`weight` each); 0 on labels nobody ruled on."""
    verdicts = ruled.sum(axis=0).astype(np.float32)
    return np.minimum(np.float32(ANCHOR_WEIGHT), weight * verdicts / max(anchors, 1))


def _anchor_row(
    store: Store,
    doc_id: str,
    corrected: set[str],
    layers: Sequence[Layer],
    index: dict[str, int],
    features: Features,
    encoder: str,
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """An uncorrected document's feature row, the labels stored on it now and its language,
    or None."""
    if doc_id in corrected:
        return None
    vectors = store.vectors(doc_id, encoder=encoder)
    doc = store.document(doc_id) if vectors is not None else None
    if vectors is None or doc is None or len(vectors) != len(doc.sentences):
        return None
    x = features(doc, vectors)
    y = np.zeros((len(x), len(index)), dtype=np.float32)
    for layer in layers:
        for ann in store.annotations(doc_id, layer=layer):
            if ann.label in index:
                y[:, index[ann.label]] = 1.0
    return x, y, language_of(doc)


def language_of(doc: Document) -> str:
    """A document's language as the heads per language are keyed (lower case; "" unknown)."""
    return (doc.language or "").lower()


def corrected_documents(
    db: str,
    layer: Layer,
    labels: Sequence[str],
    features: Callable[[np.ndarray], np.ndarray],
    *,
    encoder: str,
) -> CorrectedSet:
    """`corrected_examples` for a document head whose features read only the vectors."""
    return corrected_examples(db, (layer,), labels, lambda doc, v: features(v), encoder=encoder)


def weighted_in(
    x: np.ndarray, y: np.ndarray, corrected: CorrectedSet, weight: int = WEIGHT
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training rows with the corrected rows appended, and the weight of every cell:
    1 for the labelled data, `weight` for a corrected cell, 0 for a cell no verdict covers."""
    w = np.ones(y.shape, dtype=np.float32)
    if not len(corrected.x):
        return x, y, w
    cells = corrected.ruled * np.float32(weight)
    if corrected.anchored is not None:
        cells = cells + corrected.anchored
    return (
        np.vstack([x, corrected.x]).astype(np.float32),
        np.vstack([y, corrected.y]).astype(y.dtype),
        np.vstack([w, cells]),
    )


def one_label_rows(
    corrected: CorrectedSet, labels: Sequence[str]
) -> tuple[np.ndarray, list[str], int]:
    """The corrected rows of a one-of-k head (genre): each row whose verdicts say which one
    label holds, with that label, and how many rows were left out because they do not (a
    rejection alone says only which label is wrong, and a softmax row needs the right one)."""
    holds = (corrected.y == 1) & corrected.ruled
    keep = holds.sum(axis=1) == 1
    chosen = [labels[int(j)] for j in holds[keep].argmax(axis=1)]
    return corrected.x[keep], chosen, int((~keep).sum())


def _rows(doc: Document, ann: Annotation) -> list[int]:
    """The sentences a span label overlaps (all of them for a document label)."""
    if ann.start is None or ann.end is None:
        return list(range(len(doc.sentences)))
    return [i for i, (s, e) in enumerate(doc.sentences) if s < ann.end and ann.start < e]


def database_name(db: str) -> str:
    """The database as a card may name it: a file's name, or a URL without its credentials."""
    if "://" in db:
        return re.sub(r"//[^@/]*@", "//", db)
    return db.rsplit("/", 1)[-1]


def fingerprint(done: Sequence[Correction]) -> str:
    """A short hash of what the corrections say, to tell two correction sets apart."""
    digest = hashlib.sha256()
    for c in done:
        for ann in (c.old, c.new):
            key = (
                "-"
                if ann is None
                else f"{ann.doc_id}|{ann.layer}|{ann.label}|{ann.start}|{ann.end}"
            )
            digest.update(f"{c.id}|{c.action}|{key}\n".encode())
    return f"sha256:{digest.hexdigest()[:12]}"


def heads_of_corrections(
    corrected: CorrectedSet, own: Mapping[str, object]
) -> dict[str, dict[str, object]]:
    """Per language of the corrected documents ("unknown" without one): how many corrections on
    how many documents, and the heads they went into (the language's own, if any, and pooled)."""
    return {
        language or "unknown": {
            "corrections": count,
            "documents": documents,
            "heads": [language, "pooled"] if language in own else ["pooled"],
        }
        for language, (count, documents) in sorted(corrected.by_language.items())
    }


def corrections_by_head(
    corrected: CorrectedSet, own: Mapping[str, object], own_weight: int | None = None
) -> list[str]:
    """The card's lines on which head each language's corrections went into; with `own_weight`
    (a head per language weighs each verdict so many rows, the pooled head `WEIGHT`), both
    weights are named."""
    lines = ["- Corrections per language and the heads they went into:"]
    for language, (count, documents) in sorted(corrected.by_language.items()):
        name = language.upper() or "language unknown"
        if language in own and own_weight is not None:
            heads = (
                f"the {name} head (each verdict weighted {own_weight}x) and the pooled head"
                f" ({WEIGHT}x)"
            )
        elif language in own:
            heads = f"the {name} head and the pooled head"
        elif language:
            heads = f"the pooled head only ({name} has no head of its own in this model)"
        else:
            heads = "the pooled head only"
        lines.append(f"  - {name}: {count} corrections on {documents} documents -> {heads}")
    return lines
