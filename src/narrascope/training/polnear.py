"""PolNeAR (political news attribution relations): reader, and the evaluation of the quotes task.

PolNeAR v1.0.0 (Newell, Margolin & Ruths, LREC 2018) annotates, in US election news, every
attribution as Source / Cue / Content spans (brat standoff: `data/<split>/text/<article>.txt`
and `data/<split>/attributions/<article>_<annotator>.ann`). Some articles were annotated by
several annotators; we read one file per article, the first by file name, so every article
counts once.

Matching rule (our own code; PolNeAR ships no official scorer). For each role — source, cue,
content — the gold spans of every attribution are compared with the predicted spans of that
role (a quote's `speaker_span`, `cue_span` and content span):
- **exact**: the same character extent once whitespace, quotation marks, edge punctuation and
  a leading "that" are trimmed from both;
- **partial**: the two spans share at least one character.
Matching is one-to-one (each gold span can be credited once, largest overlap first);
precision = matched predictions / predictions, recall = matched gold / gold, F1 their harmonic
mean. A **relation** matches when content and source both partially match (or the gold has no
source and the prediction has none). Attributions of feelings and thoughts are in the gold too,
so recall is bounded by what a quote finder looks for.

The quotes analyzer is rule-based: `train` fits nothing and reports the scores on train.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from narrascope.model import Span
from narrascope.training import Report

ROLES = ("source", "cue", "content")
_TRIM = " \t\n\r\"'“”‘’«»„.,;:!?—–-()[]"


@dataclass(frozen=True)
class Attribution:
    """One attribution relation: each role as one or more fragments (None: no source)."""

    content: tuple[Span, ...]
    cue: tuple[Span, ...] | None
    source: tuple[Span, ...] | None

    def role(self, name: str) -> tuple[Span, ...] | None:
        return getattr(self, name)


@dataclass
class Article:
    """A PolNeAR article: its text, and the attributions one annotator marked in it."""

    name: str
    text: str
    attributions: list[Attribution]
    annotator: str = ""


def _root(data: Path) -> Path:
    return data / "data" if (data / "data").is_dir() else data


def read_split(data: Path, split: str, *, limit: int | None = None) -> list[Article]:
    """The articles of `split` ("train", "dev", …) under the PolNeAR folder `data`."""
    folder = _root(data) / split
    if not (folder / "text").is_dir():
        raise FileNotFoundError(f"{folder}: no PolNeAR split {split!r} here (text/ missing)")
    articles = []
    for path in sorted((folder / "text").glob("*.txt"))[:limit]:
        anns = sorted((folder / "attributions").glob(f"{path.stem}_*.ann"))
        if not anns:
            continue
        text = path.read_text(encoding="utf-8")
        annotator = anns[0].stem[len(path.stem) + 1 :]
        articles.append(Article(path.stem, text, read_ann(anns[0]), annotator))
    return articles


def _fragments(field: str) -> tuple[Span, ...] | None:
    try:
        return tuple((int(a), int(b)) for a, b in (part.split()[-2:] for part in field.split(";")))
    except ValueError:
        return None


def read_ann(path: Path) -> list[Attribution]:
    """The attribution relations of one brat `.ann` file (malformed lines are skipped)."""
    spans: dict[str, tuple[str, tuple[Span, ...]]] = {}
    relations: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 2:
            continue
        if cols[0].startswith("T"):
            kind = cols[1].split(" ", 1)[0]
            frags = _fragments(cols[1][len(kind) :].strip())
            if frags:
                spans[cols[0]] = (kind, frags)
        elif cols[0].startswith("E"):
            roles = dict(part.split(":", 1) for part in cols[1].split() if ":" in part)
            relations.append(roles)
    out = []
    for roles in relations:

        def get(role: str, roles: dict[str, str] = roles) -> tuple[Span, ...] | None:
            ref = roles.get(role)
            return spans[ref][1] if ref in spans else None

        content = get("Content")
        if content:
            out.append(Attribution(content, get("Cue"), get("Source")))
    return out


# --- scoring -----------------------------------------------------------------------------------


def _trim(text: str, span: Span) -> Span:
    start, end = span
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    that = re.match(r"(?:that|That)\s+", text[start:end])  # gold content often opens with it
    return (start + that.end(), end) if that else (start, end)


def _extent(frags: Sequence[Span]) -> Span:
    return min(a for a, _ in frags), max(b for _, b in frags)


def _overlap(a: Sequence[Span], b: Sequence[Span]) -> int:
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


@dataclass
class Counts:
    """Matched and total predictions and gold spans, for one role and one matching rule."""

    matched_pred: int = 0
    matched_gold: int = 0
    pred: int = 0
    gold: int = 0

    def add(self, other: Counts) -> None:
        self.matched_pred += other.matched_pred
        self.matched_gold += other.matched_gold
        self.pred += other.pred
        self.gold += other.gold

    def scores(self) -> tuple[float, float, float]:
        p = self.matched_pred / self.pred if self.pred else 0.0
        r = self.matched_gold / self.gold if self.gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _match_greedily(pairs: list[tuple[int, int, int]], *, pred: int, gold: int) -> Counts:
    """One-to-one matching from `(strength, gold index, predicted index)` pairs, strongest first."""
    used_g: set[int] = set()
    used_p: set[int] = set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
    return Counts(len(used_p), len(used_g), pred, gold)


def match_spans(
    text: str, gold: list[tuple[Span, ...]], pred: list[tuple[Span, ...]], *, exact: bool
) -> Counts:
    """One-to-one matching of predicted with gold spans (exact extent, or any overlap)."""
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if exact:
                if _trim(text, _extent(g)) == _trim(text, _extent(p)):
                    pairs.append((1, i, j))
            elif (size := _overlap(g, p)) > 0:
                pairs.append((size, i, j))
    return _match_greedily(pairs, pred=len(pred), gold=len(gold))


def match_relations(gold: list[Attribution], pred: list[Attribution]) -> Counts:
    """Relations whose content and source both overlap (or both have no source)."""
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            content = _overlap(g.content, p.content)
            if content <= 0:
                continue
            no_source = g.source is None and p.source is None
            if no_source or (g.source and p.source and _overlap(g.source, p.source) > 0):
                pairs.append((content, i, j))
    return _match_greedily(pairs, pred=len(pred), gold=len(gold))


def score(articles: Iterable[tuple[Article, list[Attribution]]]) -> dict[str, float]:
    """Precision, recall and F1 per role (exact and partial) and per relation, micro-averaged."""
    totals = {(role, rule): Counts() for role in ROLES for rule in ("exact", "partial")}
    relations = Counts()
    for article, predicted in articles:
        for role in ROLES:
            gold = [spans for a in article.attributions if (spans := a.role(role))]
            pred = [spans for a in predicted if (spans := a.role(role))]
            for rule in ("exact", "partial"):
                totals[role, rule].add(match_spans(article.text, gold, pred, exact=rule == "exact"))
        relations.add(match_relations(article.attributions, predicted))
    out: dict[str, float] = {}
    for (role, rule), counts in totals.items():
        p, r, f = counts.scores()
        out |= {f"{role}_{rule}_p": p, f"{role}_{rule}_r": r, f"{role}_{rule}_f1": f}
    p, r, f = relations.scores()
    out |= {"relation_partial_p": p, "relation_partial_r": r, "relation_partial_f1": f}
    return out


# --- predicting with the analyzers -------------------------------------------------------------


class Predictor:
    """Runs the entity and quote analyzers over PolNeAR texts (models loaded once)."""

    def __init__(self) -> None:
        from narrascope.analyzers.entities import EntityAnalyzer
        from narrascope.analyzers.quotes import QuoteAnalyzer

        self.entities, self.quotes = EntityAnalyzer.load(), QuoteAnalyzer.load()

    def __call__(self, text: str) -> list[Attribution]:
        import numpy as np

        from narrascope.model import Document, SourceRef
        from narrascope.text import segment

        doc = segment(Document(text=text, source=SourceRef("polnear"), language="en"))
        none = np.zeros((len(doc.sentences), 512), dtype=np.float32)
        prior = self.entities.analyze(doc, none)
        out: list[Attribution] = []
        by_cue: dict[tuple[int, int], int] = {}
        for ann in self.quotes.analyze(doc, none, prior=tuple(prior)):
            assert ann.start is not None and ann.end is not None
            cue, source = ann.attrs.get("cue_span"), ann.attrs.get("speaker_span")
            if cue and tuple(cue) in by_cue:
                # The halves of a quote split around its cue are one discontinuous content in
                # PolNeAR ("“…,” Jones said. “…”"): join them as fragments.
                k = by_cue[tuple(cue)]
                out[k] = Attribution(
                    (*out[k].content, (ann.start, ann.end)), out[k].cue, out[k].source
                )
                continue
            if cue:
                by_cue[tuple(cue)] = len(out)
            out.append(
                Attribution(
                    ((ann.start, ann.end),),
                    (tuple(cue),) if cue else None,
                    (tuple(source),) if source else None,
                )
            )
        return out


def write_ann(path: Path, text: str, attributions: Sequence[Attribution]) -> None:
    """Predictions as a brat `.ann` file in PolNeAR's own layout."""
    lines, t = [], 0
    for e, attribution in enumerate(attributions, start=1):
        refs = []
        for role, kind in (("content", "Content"), ("cue", "Cue"), ("source", "Source")):
            frags = attribution.role(role)
            if not frags:
                continue
            t += 1
            where = ";".join(f"{a} {b}" for a, b in frags)
            surface = " ".join(text[a:b] for a, b in frags).replace("\n", " ")
            lines.append(f"T{t}\t{kind} {where}\t{surface}")
            refs.append(f"{kind}:T{t}")
        kind = "Attribution" if attribution.source else "Attribution-no-source"
        lines.append(f"E{e}\t{kind} " + " ".join(refs))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def evaluate(
    data: Path, *, split: str = "dev", predictions: Path | None = None, limit: int | None = None
) -> Report:
    """Score the quotes analyzer on `split` of PolNeAR; optionally write its `.ann` predictions."""
    articles = read_split(data, split, limit=limit)
    predict = Predictor()
    pairs = [(article, predict(article.text)) for article in articles]
    if predictions is not None:
        predictions.mkdir(parents=True, exist_ok=True)
        for article, predicted in pairs:
            write_ann(predictions / f"{article.name}_pred.ann", article.text, predicted)
    scores = score(pairs)
    gold = sum(len(a.attributions) for a, _ in pairs)
    found = sum(len(p) for _, p in pairs)
    lines = [
        f"  {len(pairs)} articles of {split}: {gold} gold attributions, {found} predicted",
        "  matching: exact = same extent after trimming quotes/punctuation; partial = any "
        "shared character; one-to-one; relation = content and source both overlap",
    ]
    headline = {k: v for k, v in scores.items() if k.endswith("_f1") or k.startswith("relation")}
    return Report(task="quotes", scores=headline | scores, lines=lines)


def train(data: Path, *, out: Path, seed: int = 13, folds: int = 5) -> Report:
    """Nothing to fit (the quote finder is rule-based): report its scores on the train split."""
    report = evaluate(data, split="train")
    report.lines.append("  rule-based: nothing was fitted or written")
    return report
