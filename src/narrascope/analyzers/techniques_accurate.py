"""Persuasion techniques, accurate profile: a fine-tuned MiniLM run with ONNX Runtime (English).

all-MiniLM-L6-v2 fine-tuned on the SemEval-2023 Task 3 English train sentences
(`narrascope train techniques --profile accurate`) reads each sentence with its previous
sentence as context (`sentence_pairs`, the one definition, used by training too) and gives a
logit per technique; Platt scaling per technique turns it into a calibrated probability, and a
label is stored only at or above that technique's precision-first operating point, as in the
fast profile. No torch at analysis: ONNX Runtime runs the int8 model, and `text.wordpiece` reads
the vocabulary shipped beside it.

The model reads English only. Any other language the fast head reads falls back to the fast
technique head (`techniques-v2`), and the document gets a `not-analyzed` note saying so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from narrascope.analyzers import Analyzer, cannot_read, load_analyzer, not_analyzed
from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.encode import Encoder
from narrascope.heads import RESOURCES, ModelFileError, apply_platt, sigmoid
from narrascope.model import Annotation, Document, Layer
from narrascope.text.wordpiece import WordPiece, pad

MAX_TOKENS = 128  # word pieces of [CLS] sentence [SEP] context [SEP]
ACCURATE_VERSION = "techniques-accurate-v1"
BATCH = 32


def sentence_pairs(texts: Sequence[str]) -> list[tuple[str, str]]:
    """(sentence, context) for the sentences of one document in order: the context is the
    previous sentence ("" for the first)."""
    return [(text, texts[i - 1] if i else "") for i, text in enumerate(texts)]


def model_files(directory: Path, version: str = ACCURATE_VERSION) -> dict[str, Path]:
    """Where the accurate technique model's files live in `directory`."""
    return {
        "onnx": directory / f"{version}.onnx",
        "vocab": directory / f"{version}-vocab.txt",
        "head": directory / f"{version}.safetensors",
        "card": directory / f"{version}.md",
    }


class PairModel:
    """An ONNX sentence-pair model and its WordPiece vocabulary: logits per (sentence, context)."""

    def __init__(self, onnx: Path, vocab: Path, *, threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = onnxruntime.InferenceSession(
            str(onnx), options, providers=["CPUExecutionProvider"]
        )
        self.vocab = WordPiece.from_file(vocab)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits (len(pairs), labels), in batches of similar length."""
        encoded = [self.vocab.pair_ids(a, b, MAX_TOKENS) for a, b in pairs]
        order = np.argsort([len(ids) for ids, _ in encoded], kind="stable")
        out = None
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            batch = pad([encoded[i] for i in rows], self.vocab.pad)
            feed = {
                "input_ids": batch.input_ids,
                "attention_mask": batch.attention_mask,
                "token_type_ids": batch.token_type_ids,
            }
            found = self.session.run(["logits"], feed)[0]
            if out is None:
                out = np.zeros((len(pairs), found.shape[1]), dtype=np.float32)
            out[rows] = found
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)


class FineTunedTechniques:
    """The ONNX model, its vocabulary and its calibration: calibrated probabilities per sentence."""

    def __init__(self, directory: Path, *, threads: int = 1) -> None:
        from safetensors import safe_open

        files = model_files(directory)
        missing = [str(p) for key, p in files.items() if key != "card" and not p.is_file()]
        if missing:
            raise ModelFileError(f"accurate technique model missing: {', '.join(missing)}")
        self.model = PairModel(files["onnx"], files["vocab"], threads=threads)
        with safe_open(str(files["head"]), "numpy") as head:
            meta = head.metadata() or {}
            self.a, self.b = head.get_tensor("platt_a"), head.get_tensor("platt_b")
            self.thresholds = head.get_tensor("thresholds")
        self.labels: list[str] = json.loads(meta["labels"])
        self.info: dict = json.loads(meta.get("info", "{}"))

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits (len(pairs), labels)."""
        if not pairs:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.model.logits(pairs)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of every technique for the sentences of one document, in order."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return apply_platt(sigmoid(self.logits(sentence_pairs(texts))), self.a, self.b)


class AccurateTechniqueAnalyzer:
    """Techniques per sentence from the fine-tuned model (English); the fast head elsewhere."""

    name: ClassVar[str] = "techniques"
    version: ClassVar[str] = ACCURATE_VERSION
    # what `load` reads from a model folder: the fast fallback's head
    head_files: ClassVar[tuple[str, ...]] = TechniqueAnalyzer.head_files
    layer: ClassVar[Layer] = Layer.TECHNIQUE
    requires: ClassVar[tuple[Layer, ...]] = ()
    min_words: ClassVar[int] = 2
    reads: ClassVar[frozenset[str]] = frozenset({"en"})

    def __init__(self, model: FineTunedTechniques, fallback: Analyzer) -> None:
        self.model, self.fallback = model, fallback
        # What the run loop lets through: the fast head's languages, so that they fall back.
        self.languages = (fallback.languages or frozenset()) | self.reads

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> AccurateTechniqueAnalyzer:
        # A model folder (#19) holds fast heads only: it replaces the fallback's head, whose
        # labels then name the per-corpus model; the fine-tuned model is always the shipped
        # one until corrections can fine-tune it.
        fallback = load_analyzer(TechniqueAnalyzer, encoder, models=models)
        return cls(FineTunedTechniques(RESOURCES), fallback)

    def thresholds(self) -> np.ndarray:
        """Per-technique operating points on the calibrated probability (1.01: never shown)."""
        return self.model.thresholds

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        if cannot_read(doc, min_words=self.min_words, languages=None):
            return []
        if doc.language not in self.reads:
            reason = (
                f"accurate profile reads {', '.join(sorted(self.reads))} only; "
                f"language {doc.language or 'unknown'!r} got the fast head "
                f"({self.fallback.version})"
            )
            return [
                *self.fallback.analyze(doc, vectors, prior),
                not_analyzed(doc, self.name, reason),
            ]
        scores = self.model.scores(doc.sentence_texts())
        passed = scores >= self.thresholds()
        anns = []
        for (start, end), row, keep in zip(doc.sentences, scores, passed, strict=True):
            for j in np.flatnonzero(keep):
                anns.append(
                    Annotation(
                        doc_id=doc.id,
                        layer=self.layer,
                        label=self.model.labels[j],
                        model=self.version,
                        start=start,
                        end=end,
                        score=float(min(max(row[j], 0.0), 1.0)),
                    )
                )
        return anns
