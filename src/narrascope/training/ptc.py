"""Reader for the Propaganda Techniques Corpus (SemEval-2020 Task 11, PTC v2) and its label map.

Layout (`datasets/` inside the bundle, or the folder itself): `<split>-articles/article<ID>.txt`
(title, blank line, one sentence per line), span labels per article in
`<split>-labels-task-si/article<ID>.task-si.labels` (`id TAB start TAB end`) and
`<split>-labels-task-flc-tc/article<ID>.task-flc-tc.labels` (`id TAB technique TAB start TAB
end`), or merged in `<split>-task-si.labels` / `<split>-task-flc-tc.labels`. Offsets are
character offsets, end exclusive.

PTC's 14 classes map onto the 23 SemEval-2023 techniques as below. The map was checked on the
371 PTC train articles, which SemEval-2023 re-annotated with the 23 labels at the same offsets:
every PTC class lands on the T3 techniques listed (two PTC classes were merges of several
techniques, and T3 split them again). Five T3 techniques have no PTC counterpart
(Appeal_to_Values, Consequential_Oversimplification, Appeal_to_Time,
Obfuscation-Vagueness-Confusion, Questioning_the_Reputation); a prediction of one of those has
no PTC class and is dropped when scoring on PTC.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PTC_TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_fear-prejudice",
    "Bandwagon,Reductio_ad_hitlerum",
    "Black-and-White_Fallacy",
    "Causal_Oversimplification",
    "Doubt",
    "Exaggeration,Minimisation",
    "Flag-Waving",
    "Loaded_Language",
    "Name_Calling,Labeling",
    "Repetition",
    "Slogans",
    "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
)
"""The 14 PTC classes (`propaganda-techniques-names-semeval2020task11.txt`)."""

PTC_TO_T3: dict[str, tuple[str, ...]] = {
    "Appeal_to_Authority": ("Appeal_to_Authority",),
    "Appeal_to_fear-prejudice": ("Appeal_to_Fear-Prejudice",),
    "Bandwagon,Reductio_ad_hitlerum": ("Appeal_to_Popularity", "Guilt_by_Association"),
    "Black-and-White_Fallacy": ("False_Dilemma-No_Choice",),
    "Causal_Oversimplification": ("Causal_Oversimplification",),
    "Doubt": ("Doubt",),
    "Exaggeration,Minimisation": ("Exaggeration-Minimisation",),
    "Flag-Waving": ("Flag_Waving",),
    "Loaded_Language": ("Loaded_Language",),
    "Name_Calling,Labeling": ("Name_Calling-Labeling",),
    "Repetition": ("Repetition",),
    "Slogans": ("Slogans",),
    "Thought-terminating_Cliches": ("Conversation_Killer",),
    "Whataboutism,Straw_Men,Red_Herring": (
        "Whataboutism",
        "Straw_Man",
        "Red_Herring",
        "Appeal_to_Hypocrisy",
    ),
}
"""Each PTC class -> the SemEval-2023 techniques it covers."""

T3_TO_PTC: dict[str, str] = {t3: ptc for ptc, t3s in PTC_TO_T3.items() for t3 in t3s}
"""Each SemEval-2023 technique that has a PTC class -> that class."""


@dataclass
class PtcArticle:
    """A PTC article: id, text, SI spans and TC (technique, start, end) spans."""

    id: str
    text: str
    si: list[tuple[int, int]] = field(default_factory=list)
    tc: list[tuple[str, int, int]] = field(default_factory=list)


def data_root(data: Path) -> Path:
    """The folder holding `<split>-articles` (`datasets/` inside the bundle, or `data` itself)."""
    return data / "datasets" if (data / "datasets").is_dir() else data


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.rstrip("\r").split("\t") for line in lines if line.strip()]


def _label_rows(root: Path, split: str, task: str) -> list[list[str]]:
    merged = root / f"{split}-task-{task}.labels"
    if merged.is_file():
        return _rows(merged)
    rows: list[list[str]] = []
    for path in sorted((root / f"{split}-labels-task-{task}").glob("*.labels")):
        rows += _rows(path)
    return rows


def read_ptc(data: Path, split: str) -> dict[str, PtcArticle]:
    """The articles of `split` with their SI and TC spans (empty lists when labels are absent)."""
    root = data_root(data)
    directory = root / f"{split}-articles"
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no PTC articles for split {split!r}")
    articles = {}
    for path in sorted(directory.glob("article*.txt")):
        article_id = path.stem.removeprefix("article")
        articles[article_id] = PtcArticle(article_id, path.read_text(encoding="utf-8"))
    si: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for cols in _label_rows(root, split, "si"):
        si[cols[0]].append((int(cols[1]), int(cols[2])))
    tc: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for cols in _label_rows(root, split, "flc-tc"):
        if len(cols) >= 4:
            tc[cols[0]].append((cols[1], int(cols[2]), int(cols[3])))
    for article_id, article in articles.items():
        article.si, article.tc = si.get(article_id, []), tc.get(article_id, [])
    return articles


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined into one (as the official SI scorer does before scoring)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def si_scores(
    gold: dict[str, list[tuple[int, int]]], predicted: dict[str, list[tuple[int, int]]]
) -> tuple[float, float, float]:
    """Official SI score (precision, recall, F1) with partial credit for partial overlap.

    After merging overlapping spans per article, with S the predicted and T the gold spans:
    P = (1/|S|) sum over s in S, t in T of |s ∩ t| / |s|, R = (1/|T|) sum of |s ∩ t| / |t|.
    Articles are matched by id.
    """
    precision_sum = recall_sum = 0.0
    n_pred = n_gold = 0
    for article_id in set(gold) | set(predicted):
        s_spans = merge_spans(predicted.get(article_id, []))
        t_spans = merge_spans(gold.get(article_id, []))
        n_pred, n_gold = n_pred + len(s_spans), n_gold + len(t_spans)
        for s0, s1 in s_spans:
            for t0, t1 in t_spans:
                overlap = min(s1, t1) - max(s0, t0)
                if overlap > 0:
                    precision_sum += overlap / (s1 - s0)
                    recall_sum += overlap / (t1 - t0)
    precision = precision_sum / n_pred if n_pred else 0.0
    recall = recall_sum / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def labelled_si_scores(
    gold: dict[str, list[tuple[str, int, int]]], predicted: dict[str, list[tuple[str, int, int]]]
) -> tuple[float, float, float]:
    """Technique-aware SI (the PTC FLC score): the official SI partial-overlap formula, a
    predicted span earning credit only from gold spans of its own technique; overlapping spans
    of one technique merged, the sums and span counts added over techniques."""
    techniques = {t for rows in (*gold.values(), *predicted.values()) for t, _, _ in rows}
    precision_sum = recall_sum = 0.0
    n_pred = n_gold = 0
    for technique in techniques:
        g = {a: [(s, e) for t, s, e in rows if t == technique] for a, rows in gold.items()}
        p = {a: [(s, e) for t, s, e in rows if t == technique] for a, rows in predicted.items()}
        n_p = sum(len(merge_spans(x)) for x in p.values())
        n_g = sum(len(merge_spans(x)) for x in g.values())
        precision, recall, _ = si_scores(g, p)
        precision_sum, recall_sum = precision_sum + precision * n_p, recall_sum + recall * n_g
        n_pred, n_gold = n_pred + n_p, n_gold + n_g
    precision = precision_sum / n_pred if n_pred else 0.0
    recall = recall_sum / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def tc_micro_f1(
    gold: dict[str, list[tuple[str, int, int]]], predicted: dict[str, list[tuple[str, int, int]]]
) -> float:
    """Official TC score: micro-F1 of technique labels on the given gold spans, matched by
    (article id, start, end) as multisets (a span with two gold labels needs two right rows)."""
    correct = n_gold = n_pred = 0
    for article_id in set(gold) | set(predicted):
        g = Counter(gold.get(article_id, []))
        p = Counter(predicted.get(article_id, []))
        correct += sum((g & p).values())
        n_gold, n_pred = n_gold + sum(g.values()), n_pred + sum(p.values())
    precision = correct / n_pred if n_pred else 0.0
    recall = correct / n_gold if n_gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def write_si(path: Path, spans: dict[str, list[tuple[int, int]]]) -> None:
    """Write SI predictions in the official format (`id TAB start TAB end`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{a}\t{s}\t{e}" for a, found in spans.items() for s, e in found]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def write_tc(path: Path, spans: dict[str, list[tuple[str, int, int]]]) -> None:
    """Write TC predictions in the official format (`id TAB technique TAB start TAB end`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{a}\t{t}\t{s}\t{e}" for a, found in spans.items() for t, s, e in found]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
