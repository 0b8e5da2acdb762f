"""Readers for SemEval-2025 Task 10 (narratives and entity framing) in its official layout.

The labelled data is read by path (``DATA/{split}/{LANG}/…``), never copied into the
repository. Training and evaluation of the narrative and role heads build on these readers.

Layouts understood:

- train: ``{L}/raw-documents/*.txt`` and ``{L}/subtask-{1,2}-annotations.txt``;
- dev/test: ``{L}/subtask-{1,2}-documents/*.txt``, ``{L}/subtask-1-entity-mentions.txt``
  (mentions to classify) and, where the gold is there, ``{L}/subtask-{1,2}-annotations.txt``.

Article texts are returned with ``\\r\\n`` turned into ``\\n`` (what cleaning gives the
pipeline). Subtask-1 offsets are official offsets (end inclusive) into one of three
renderings of the file (as read, CRLF, UTF-16 code units; see ``st1_offset_alignment.tsv``);
`Mention.start`/`end` are mapped onto our normalised text and checked against the mention.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narrascope.encode import Encoder
from narrascope.model import Document, SourceRef
from narrascope.text import segment

MAIN_ROLES = ("Protagonist", "Antagonist", "Innocent")
OTHER = "Other"
DOCUMENT_FOLDERS = ("raw-documents", "subtask-2-documents", "subtask-1-documents")
CONVENTIONS = ("as-is", "CRLF", "as-is+utf16-offsets")


@dataclass(frozen=True, slots=True)
class Article:
    """One article: its official id (the file name, ``.txt`` included), language and text."""

    id: str
    language: str
    text: str


@dataclass(frozen=True, slots=True)
class NarrativeLabels:
    """Subtask-2 gold of one article: narratives and ``narrative: subnarrative`` labels."""

    article_id: str
    narratives: tuple[str, ...]
    subnarratives: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    """A subtask-1 entity mention, with roles when the file carries gold.

    `start`/`end` are half-open offsets into `Article.text`; `official_start`/`official_end`
    are the file's own numbers (end inclusive), kept to write predictions the scorer keys on.
    """

    article_id: str
    text: str
    start: int
    end: int
    official_start: int
    official_end: int
    main_role: str | None = None
    fine_roles: tuple[str, ...] = ()
    aligned: bool = True

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The official scorer's key: article, mention (quotes removed), start, end."""
        return (
            self.article_id,
            self.text.replace('"', ""),
            str(self.official_start),
            str(self.official_end),
        )


def language_dirs(data: Path, split: str) -> dict[str, Path]:
    """The language folders of `split` under the dataset root `data`, by language code."""
    root = data / split
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such split folder")
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()}


def normalise_newlines(text: str) -> str:
    """The article text as the pipeline sees it: ``\\r\\n`` and lone ``\\r`` become ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_articles(
    lang_dir: Path, *, folders: Sequence[str] = DOCUMENT_FOLDERS
) -> dict[str, Article]:
    """Every article text of one language folder, by article id (the given folders merged)."""
    articles: dict[str, Article] = {}
    for folder in folders:
        for path in sorted((lang_dir / folder).glob("*.txt")):
            if path.name not in articles:
                raw = _read_exact(path)
                articles[path.name] = Article(path.name, lang_dir.name, normalise_newlines(raw))
    return articles


def read_raw_text(lang_dir: Path, article_id: str) -> str:
    """The article file exactly as stored (no newline translation)."""
    for folder in DOCUMENT_FOLDERS:
        path = lang_dir / folder / article_id
        if path.is_file():
            return _read_exact(path)
    raise FileNotFoundError(f"{lang_dir}: no text for {article_id}")


def _read_exact(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def _split_labels(field: str) -> tuple[str, ...]:
    labels = [label.strip() for label in field.split(";")]
    return tuple(dict.fromkeys(label for label in labels if label))


def read_narrative_labels(path: Path) -> dict[str, NarrativeLabels]:
    """A subtask-2 file (gold or predictions): ``id <TAB> narratives <TAB> subnarratives`` per line."""
    labels: dict[str, NarrativeLabels] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) < 2:
                raise ValueError(f"{path}:{number}: expected id, narratives, subnarratives")
            narratives = _split_labels(cols[1])
            subnarratives = _split_labels(cols[2]) if len(cols) > 2 else ()
            labels[cols[0]] = NarrativeLabels(cols[0], narratives, subnarratives)
    return labels


def write_narrative_labels(path: Path, rows: list[NarrativeLabels]) -> None:
    """Write subtask-2 predictions in the official format (one line per article)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        for row in rows:
            f.write(
                f"{row.article_id}\t{';'.join(row.narratives)}\t{';'.join(row.subnarratives)}\n"
            )


def read_label_list(path: Path) -> list[str]:
    """An official label list (one label per line)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_official_labels(data: Path) -> tuple[list[str], list[str]]:
    """The official subtask-2 narrative and subnarrative lists under ``data/taxonomy``."""
    taxonomy = data / "taxonomy"
    return (
        read_label_list(taxonomy / "subtask2_narratives.txt"),
        read_label_list(taxonomy / "subtask2_subnarratives.txt"),
    )


def read_role_taxonomy(path: Path) -> dict[str, list[str]]:
    """The organisers' role taxonomy JSON as ``{main role: [fine roles]}``."""
    tree = json.loads(path.read_text(encoding="utf-8"))
    return {main["name"]: [fine["name"] for fine in main["children"]] for main in tree["children"]}


def read_offset_conventions(data: Path) -> dict[tuple[str, str, str], str]:
    """``(split, language, article id) -> convention`` from ``st1_offset_alignment.tsv``."""
    path = data / "st1_offset_alignment.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {(r["split"], r["lang"], r["article_id"]): r["newline_convention"] for r in rows}


def _rendering_offsets(raw: str, convention: str) -> list[int]:
    """For each position of the official rendering (plus its end), the offset in the normalised text."""
    rendering = raw.replace("\r\n", "\n").replace("\n", "\r\n") if convention == "CRLF" else raw
    positions, pos = [], 0
    for i, char in enumerate(rendering):
        positions.append(pos)
        if not (char == "\r" and rendering[i + 1 : i + 2] == "\n"):
            pos += 1
    positions.append(pos)
    if convention.endswith("utf16-offsets"):
        units = []
        for i, char in enumerate(rendering):
            units += [positions[i]] * (2 if ord(char) > 0xFFFF else 1)
        units.append(positions[-1])
        return units
    return positions


def align_offsets(
    raw: str, mention: str, start: int, end_inclusive: int, *, convention: str = "as-is"
) -> tuple[int, int, bool]:
    """Official ``start``/inclusive ``end`` → half-open offsets into the normalised text.

    Tries `convention` first, then the others; the flag says whether the mention text matched.
    """
    text = normalise_newlines(raw)
    tried = [convention, *(c for c in CONVENTIONS if c != convention)]
    first: tuple[int, int] | None = None
    for name in tried:
        positions = _rendering_offsets(raw, name)
        if not 0 <= start <= end_inclusive < len(positions) - 1:
            continue
        span = positions[start], positions[end_inclusive + 1]
        first = first or span
        if text[span[0] : span[1]] == mention:
            return span[0], span[1], True
    span = first or (0, 0)
    return span[0], span[1], False


def read_mentions(
    path: Path,
    lang_dir: Path,
    *,
    split: str,
    conventions: dict[tuple[str, str, str], str] | None = None,
) -> list[Mention]:
    """A subtask-1 file: gold (``id mention start end main fine…``) or input (first four columns)."""
    conventions = conventions or {}
    raws: dict[str, str] = {}
    mentions = []
    with path.open(encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, 1):
            cols = line.rstrip("\r\n").split("\t")
            if len(cols) < 4 or not line.strip():
                if line.strip():
                    raise ValueError(f"{path}:{number}: expected id, mention, start, end")
                continue
            article_id, text, start, end = cols[0], cols[1], int(cols[2]), int(cols[3])
            if article_id not in raws:
                raws[article_id] = read_raw_text(lang_dir, article_id)
            convention = conventions.get((split, lang_dir.name, article_id), "as-is")
            a, b, ok = align_offsets(raws[article_id], text, start, end, convention=convention)
            main = cols[4] if len(cols) > 4 and cols[4] else None
            fine = tuple(c for c in cols[5:] if c)
            mentions.append(Mention(article_id, text, a, b, start, end, main, fine, ok))
    return mentions


def write_mentions(path: Path, mentions: list[Mention]) -> None:
    """Write subtask-1 predictions in the official format (official offsets, end inclusive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        for m in mentions:
            cols = [m.article_id, m.text, str(m.official_start), str(m.official_end)]
            f.write("\t".join([*cols, m.main_role or "", *m.fine_roles]) + "\n")


def mention_files(lang_dir: Path) -> tuple[Path | None, Path | None]:
    """The subtask-1 gold file and input file of a language folder (either may be missing)."""
    gold = lang_dir / "subtask-1-annotations.txt"
    given = lang_dir / "subtask-1-entity-mentions.txt"
    return (gold if gold.is_file() else None, given if given.is_file() else None)


@dataclass(slots=True)
class EncodedArticle:
    """An article segmented by `narrascope.text.segment` and its sentence vectors (one row each)."""

    article: Article
    sentences: list[tuple[int, int]]
    vectors: np.ndarray

    def document(self) -> Document:
        """The article as a segmented `Document` (the spans the vectors were computed on)."""
        doc = Document(text=self.article.text, source=SourceRef(self.article.id))
        doc.language = self.article.language.lower()
        doc.sentences = list(self.sentences)
        return doc


def encode_articles(
    articles: dict[str, Article],
    *,
    encoder: Encoder,
    cache: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, EncodedArticle]:
    """Segment and encode every article, reusing the `.npz` at `cache` when it holds them all."""
    ids = sorted(articles)
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as npz:
            if [str(i) for i in npz["ids"]] == ids:
                return _unpack(articles, ids, npz)
    spans_per_article, texts = [], []
    for article_id in ids:
        article = articles[article_id]
        doc = segment(
            Document(
                text=article.text, source=SourceRef(article_id), language=article.language.lower()
            )
        )
        spans_per_article.append(doc.sentences)
        texts.append(doc.sentence_texts())
    chunks = []
    for sentences in texts:
        chunks.append(encoder.encode(sentences))
        if on_progress:
            on_progress(1)
    counts = np.array([len(s) for s in spans_per_article], dtype=np.int64)
    flat_spans = np.array([s for spans in spans_per_article for s in spans], dtype=np.int64)
    vectors = np.vstack(chunks) if chunks else np.zeros((0, encoder.dim), np.float32)
    packed: dict[str, Any] = {  # the arrays of the npz cache
        "ids": np.array(ids),
        "counts": counts,
        "spans": flat_spans.reshape(-1, 2),
        "vectors": vectors.astype(np.float32),
    }
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(cache, **packed)
        except OSError:
            pass  # a cache we cannot write (read-only or foreign machine) only costs time
    return _unpack(articles, ids, packed)


def _unpack(articles: dict[str, Article], ids: list[str], packed) -> dict[str, EncodedArticle]:
    counts, spans, vectors = packed["counts"], packed["spans"], packed["vectors"]
    ends = np.cumsum(counts)
    out = {}
    for article_id, end, count in zip(ids, ends, counts, strict=True):
        rows = slice(int(end - count), int(end))
        sentence_spans = [(int(a), int(b)) for a, b in spans[rows]]
        out[article_id] = EncodedArticle(articles[article_id], sentence_spans, vectors[rows])
    return out


def cache_path(cache_dir: Path | None, split: str, language: str, encoder: Encoder) -> Path | None:
    """Where the encodings of one split and language are cached (None: no cache)."""
    if cache_dir is None:
        return None
    return cache_dir / f"semeval2025_task10-{split}-{language}-{encoder.name}.npz"
