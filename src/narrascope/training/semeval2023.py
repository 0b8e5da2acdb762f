"""Reader for SemEval-2023 Task 3 (genre, frames, persuasion techniques) in its official layout.

The bundle has one folder per language (`en`, `ru`, `fr`, `ge`, `it`, `po`) holding, for a
split prefix such as `train` or `dev`: `<split>-articles-subtask-{1,2,3}/article<ID>.txt`
(title, blank line, body; one paragraph per line), `<split>-labels-subtask-1.txt` (genre),
`<split>-labels-subtask-2.txt` (frames), `<split>-labels-subtask-3.txt` (techniques per line)
and `<split>-labels-subtask-3-spans/` (technique spans as character offsets). Everything is
keyed by article id, never by row order.

Quirk handled here: for many non-English articles the span offsets index a CRLF rendering of
the text while the files are LF-only. `read_spans` picks, per article, the convention under
which the spans agree with the line labels, and returns offsets into the LF text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narrascope.model import Span
from narrascope.text.segment import sentence_spans

TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_Popularity",
    "Appeal_to_Values",
    "Appeal_to_Fear-Prejudice",
    "Flag_Waving",
    "Causal_Oversimplification",
    "False_Dilemma-No_Choice",
    "Consequential_Oversimplification",
    "Straw_Man",
    "Red_Herring",
    "Whataboutism",
    "Slogans",
    "Appeal_to_Time",
    "Conversation_Killer",
    "Loaded_Language",
    "Repetition",
    "Exaggeration-Minimisation",
    "Obfuscation-Vagueness-Confusion",
    "Name_Calling-Labeling",
    "Doubt",
    "Guilt_by_Association",
    "Appeal_to_Hypocrisy",
    "Questioning_the_Reputation",
)
"""The 23 techniques of subtask 3 (`scorers/techniques_subtask3.txt`), in the official order."""

FRAMES: tuple[str, ...] = (
    "Economic",
    "Capacity_and_resources",
    "Morality",
    "Fairness_and_equality",
    "Legality_Constitutionality_and_jurisprudence",
    "Policy_prescription_and_evaluation",
    "Crime_and_punishment",
    "Security_and_defense",
    "Health_and_safety",
    "Quality_of_life",
    "Cultural_identity",
    "Public_opinion",
    "Political",
    "External_regulation_and_reputation",
)
"""The 14 frames of subtask 2 (`scorers/frames_subtask2.txt`), in the official order."""

GENRES: tuple[str, ...] = ("opinion", "reporting", "satire")
"""The three genres of subtask 1."""

LANGUAGE_CODES: dict[str, str] = {
    "en": "en",
    "ru": "ru",
    "fr": "fr",
    "ge": "de",
    "it": "it",
    "po": "pl",
    "es": "es",
    "gr": "el",
    "ka": "ka",
}
"""Folder name in the bundle -> ISO 639-1 code."""


@dataclass
class Article:
    """One article of the bundle: its id, folder language, ISO language and text (LF newlines)."""

    id: str
    folder: str
    text: str

    @property
    def language(self) -> str:
        return LANGUAGE_CODES.get(self.folder, self.folder)

    def lines(self) -> list[tuple[int, Span]]:
        """The non-blank lines as (1-based line number, span without surrounding whitespace)."""
        out, offset = [], 0
        for number, line in enumerate(self.text.split("\n"), start=1):
            start, end = offset, offset + len(line)
            while start < end and self.text[start].isspace():
                start += 1
            while end > start and self.text[end - 1].isspace():
                end -= 1
            if start < end:
                out.append((number, (start, end)))
            offset += len(line) + 1
        return out


@dataclass
class Sentence:
    """A sentence of a subtask-3 article: its line, offsets, text and gold techniques (from spans)."""

    article: str
    line: int
    span: Span
    text: str
    techniques: set[str] = field(default_factory=set)


def _is_language_folder(path: Path) -> bool:
    return path.name in LANGUAGE_CODES and any(path.glob("*-articles-subtask-*"))


def data_root(data: Path) -> Path:
    """The folder holding the language folders: `data/` inside the bundle, the parent of a
    language folder, or `data` itself."""
    if (data / "data").is_dir():
        return data / "data"
    return data.parent if _is_language_folder(data) else data


def languages(data: Path) -> list[str]:
    """Language folders in `data` (bundle codes: `en`, `ru`, `ge`, `po`, …); `data` may be the
    bundle, its `data/` folder or a single language folder."""
    if _is_language_folder(data):
        return [data.name]
    root = data_root(data)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name in LANGUAGE_CODES)


def _article_id(path: Path) -> str:
    return path.stem.removeprefix("article").split("-")[0].split(".")[0]


def read_articles(data: Path, folder: str, split: str, subtask: int) -> dict[str, Article]:
    """Articles of `split` for `subtask` in one language folder, by id; {} if the folder is absent."""
    directory = data_root(data) / folder / f"{split}-articles-subtask-{subtask}"
    if not directory.is_dir():
        return {}
    articles = {}
    for path in sorted(directory.glob("article*.txt")):
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        articles[_article_id(path)] = Article(_article_id(path), folder, text)
    return articles


def _rows(path: Path) -> Iterable[list[str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield line.rstrip("\r").split("\t")


def read_genres(path: Path) -> dict[str, str]:
    """Subtask-1 file: article id -> genre."""
    return {cols[0].strip(): cols[1].strip() for cols in _rows(path) if len(cols) >= 2}


def _label_list(cell: str) -> list[str]:
    return [x.strip() for x in cell.split(",") if x.strip()]


def read_frames(path: Path) -> dict[str, list[str]]:
    """Subtask-2 file: article id -> frames (possibly empty)."""
    return {cols[0].strip(): _label_list(cols[1]) if len(cols) > 1 else [] for cols in _rows(path)}


def read_line_labels(path: Path) -> dict[tuple[str, int], list[str]]:
    """Subtask-3 file: (article id, line number) -> techniques (possibly empty)."""
    return {
        (cols[0].strip(), int(cols[1])): _label_list(cols[2]) if len(cols) > 2 else []
        for cols in _rows(path)
    }


def labels_path(data: Path, folder: str, split: str, subtask: int) -> Path:
    """Where the labels of `subtask` for `split` live in one language folder."""
    return data_root(data) / folder / f"{split}-labels-subtask-{subtask}.txt"


def _crlf_to_lf(text: str, offset: int) -> int:
    """Map an offset into the CRLF rendering of `text` back to an offset into `text`."""
    # In the CRLF text, line k starts k characters later than in the LF text.
    position = 0
    for shift, line in enumerate(text.split("\n")):
        end_crlf = position + shift + len(line) + 2
        if offset < end_crlf:
            return min(offset - shift, position + len(line) + 1)
        position += len(line) + 1
    return len(text)


def _agreement(
    article: Article,
    spans: Sequence[tuple[str, int, int]],
    line_labels: dict[tuple[str, int], list[str]] | None,
) -> int:
    starts = np.cumsum([0] + [len(x) + 1 for x in article.text.split("\n")])
    score = 0
    for technique, start, end in spans:
        if not (0 <= start < end <= len(article.text)):
            continue
        piece = article.text[start:end]
        if piece != piece.strip():
            continue
        line = int(np.searchsorted(starts, start, side="right"))
        if line_labels is None or technique in line_labels.get((article.id, line), []):
            score += 1
    return score


def read_spans(
    data: Path,
    folder: str,
    split: str,
    articles: dict[str, Article],
    line_labels: dict[tuple[str, int], list[str]] | None = None,
) -> dict[str, list[tuple[str, int, int]]]:
    """Technique spans per article id, as (technique, start, end) offsets into the LF text."""
    directory = data_root(data) / folder / f"{split}-labels-subtask-3-spans"
    out: dict[str, list[tuple[str, int, int]]] = {}
    if not directory.is_dir():
        return out
    for path in sorted(directory.glob("article*.txt")):
        raw = [(c[1].strip(), int(c[2]), int(c[3])) for c in _rows(path) if len(c) >= 4]
        article = articles.get(_article_id(path))
        if article is None:
            continue
        mapped = [
            (t, _crlf_to_lf(article.text, s), _crlf_to_lf(article.text, e)) for t, s, e in raw
        ]
        if _agreement(article, mapped, line_labels) > _agreement(article, raw, line_labels):
            raw = mapped
        out[article.id] = [(t, s, e) for t, s, e in raw if 0 <= s < e <= len(article.text)]
    return out


def split_sentences(article: Article) -> list[Sentence]:
    """The sentences of every non-blank line, split the way the analyzer splits them."""
    sentences = []
    for number, (start, end) in article.lines():
        for s, e in sentence_spans(article.text, start, end, language=article.language):
            sentences.append(Sentence(article.id, number, (s, e), article.text[s:e]))
    return sentences


def label_sentences(sentences: list[Sentence], spans: Sequence[tuple[str, int, int]]) -> None:
    """Give each sentence the techniques of the gold spans that overlap it (in place)."""
    for sentence in sentences:
        a, b = sentence.span
        sentence.techniques = {t for t, s, e in spans if s < b and e > a}


@dataclass
class TechniqueSet:
    """Sentence-level training material for subtask 3 in one language folder."""

    folder: str
    articles: dict[str, Article]
    sentences: list[Sentence]
    line_labels: dict[tuple[str, int], list[str]]


def read_techniques(data: Path, folder: str, split: str) -> TechniqueSet:
    """Articles, sentences (labelled from spans when span files exist) and line labels of a split."""
    articles = read_articles(data, folder, split, 3)
    path = labels_path(data, folder, split, 3)
    line_labels = read_line_labels(path) if path.is_file() else {}
    spans = read_spans(data, folder, split, articles, line_labels or None)
    sentences = []
    for article_id, article in articles.items():
        found = split_sentences(article)
        label_sentences(found, spans.get(article_id, []))
        sentences += found
    return TechniqueSet(folder, articles, sentences, line_labels)


def multilabel_f1(
    gold: Mapping[Any, list[str]], predicted: Mapping[Any, list[str]], labels: Sequence[str]
) -> tuple[float, float]:
    """Official subtask-2/3 scores: (micro-F1, macro-F1) over the keys of `gold`.

    As in the official scorers (sklearn with `zero_division=1`), a label absent from both gold
    and prediction scores F1 = 1 in the macro average, and an empty micro average is 1.
    Labels outside `labels` are ignored. Rows are matched by key, never by order.
    """
    index = {label: j for j, label in enumerate(labels)}
    tp = np.zeros(len(labels))
    fp = np.zeros(len(labels))
    fn = np.zeros(len(labels))
    for key, truth in gold.items():
        g = {index[x] for x in truth if x in index}
        p = {index[x] for x in predicted.get(key, []) if x in index}
        for j in g & p:
            tp[j] += 1
        for j in p - g:
            fp[j] += 1
        for j in g - p:
            fn[j] += 1
    denominator = 2 * tp + fp + fn
    per_label = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 1.0)
    total = denominator.sum()
    micro = float(2 * tp.sum() / total) if total else 1.0
    return micro, float(per_label.mean())


def per_label_f1(
    gold: Mapping[Any, list[str]], predicted: Mapping[Any, list[str]], labels: Sequence[str]
) -> dict[str, float]:
    """F1 of each label alone over the keys of `gold` (labels absent everywhere are left out)."""
    out = {}
    for label in labels:
        tp = sum(label in gold[k] and label in predicted.get(k, []) for k in gold)
        n_gold = sum(label in gold[k] for k in gold)
        n_pred = sum(label in predicted.get(k, []) for k in gold)
        if n_gold + n_pred:
            out[label] = 2 * tp / (n_gold + n_pred)
    return out


def genre_macro_f1(gold: dict[str, str], predicted: dict[str, str]) -> float:
    """Official subtask-1 score: macro-F1 over the genres present in gold or prediction.

    Matches the official scorer (sklearn `f1_score(average="macro")` on the gold ids):
    a genre that never occurs in gold but is predicted counts with F1 = 0.
    """
    keys = list(gold)
    present = sorted({gold[k] for k in keys} | {predicted.get(k, "") for k in keys} - {""})
    scores = []
    for label in present:
        tp = sum(gold[k] == label and predicted.get(k) == label for k in keys)
        n_gold = sum(gold[k] == label for k in keys)
        n_pred = sum(predicted.get(k) == label for k in keys)
        scores.append(2 * tp / (n_gold + n_pred) if n_gold + n_pred else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def write_line_labels(path: Path, rows: dict[tuple[str, int], list[str]]) -> None:
    """Write subtask-3 predictions in the official format (`id TAB line TAB t1,t2,…`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{a}\t{n}\t{','.join(labels)}" for (a, n), labels in rows.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
