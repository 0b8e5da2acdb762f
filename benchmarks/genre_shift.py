"""Genre under a shifted genre mix (issue 15, item 3): variants of the genre head measured the
way genre-v2 is, on the SemEval-2023 Task 3 subtask-1 train split only (dev is blind).

- `lolo`: fitted on five languages, scored on the sixth (its mix differs: English train is 88%
  opinion); `EN@news`: the leave-English-out confusion reweighted to a news mix (0.35 opinion,
  0.55 reporting, 0.10 satire), since real inputs are mostly reporting.
- `cv`: 5-fold CV grouped by article, temperature cross-fitted; ECE on the natural mix and on
  a class-balanced resample; satire precision / recall as shown.

Variants (`+` combines them): `v2` (genre-v2's recipe), `nofirst` (no first-sentence
vector), `cues2` (ten more style cues), `center` (sentence-vector features centred per language
on that language's own articles: transductive, an upper bound), `hier` (satire-vs-not, then
opinion-vs-reporting, each balanced and temperature-calibrated), `polnear-wire` /
`polnear-news` (PolNeAR train articles added as reporting rows: wire copy only, or wire plus
nyt / politico / usa-today / wash-post, weighted `--polnear-weight` times the total weight of
the reporting rows; never scored). Satire points: fixed, or `cv` (chosen on the out-of-fold
scores; for a held-out language, on the other five). The English gain is against the first
variant at the shipped point (0.5), with a paired bootstrap 90% interval.

Run: `PYTHONPATH=src .venv/bin/python benchmarks/genre_shift.py --data ../shared/data
[--variants v2,hier] [--gates 0.5,0.6,cv]` (encodes once into the training cache).
"""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import (
    _FIRST_PERSON,
    _REPORTED,
    choose_genre,
    document_features,
)
from narrascope.encode import default_encoder
from narrascope.heads import softmax
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import semeval2023
from narrascope.training.calibrate import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
)
from narrascope.training.fit import fit_softmax, grouped_folds, rest_of
from narrascope.training.genre import CACHE, SATIRE_GATE, C, _weights, load_documents
from narrascope.training.semeval2023 import GENRES
from narrascope.training.vectors import VectorCache

LANGUAGES = ("en", "fr", "ge", "it", "po", "ru")
NEWS_MIX = np.array([0.35, 0.55, 0.10])
NESTED_GRID = np.round(np.arange(0.30, 0.71, 0.05), 2)  # satire points CV may choose
WIRE = {"AP", "AFP", "Reuters", "reuters", "UPI"}
NEWSROOMS = {"nyt", "politico", "usa-today", "wash-post"}
_QUOTE = re.compile(r"[\"“”„«»]")
_MONTH = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december|"
    r"janvier|février|avril|juin|juillet|août|septembre|octobre|novembre|décembre|januar|"
    r"februar|märz|juni|juli|oktober|dezember|gennaio|febbraio|marzo|aprile|maggio|giugno|"
    r"luglio|agosto|settembre|ottobre|dicembre|stycz\w+|lut\w+|kwie\w+|czerw\w+|lip\w+|"
    r"sierp\w+|wrze\w+|paździer\w+|listopad\w*|grud\w+|январ\w+|феврал\w+|март\w*|апрел\w+|"
    r"июн\w+|июл\w+|август\w*|сентябр\w+|октябр\w+|ноябр\w+|декабр\w+)\b",
    re.IGNORECASE,
)


def more_cues(texts: Sequence[str]) -> np.ndarray:
    """Ten sentence-level style cues: share of sentences quoting / attributing / asking,
    sentence length (mean, spread), the title's first person, ? and !, month names, length."""
    n = max(len(texts), 1)
    lengths = np.array([len(t.split()) for t in texts] or [0])
    title = texts[0] if texts else ""
    cues = [
        sum(bool(_QUOTE.search(t)) for t in texts) / n,
        sum(bool(_REPORTED.search(t)) for t in texts) / n,
        lengths.mean() / 30,
        lengths.std() / 30,
        sum(t.rstrip().endswith("?") for t in texts) / n,
        float(bool(_FIRST_PERSON.search(title))),
        float("?" in title),
        float("!" in title),
        len(_MONTH.findall(" ".join(texts))) / max(lengths.sum(), 1) * 50,
        np.log1p(n) / 5,
    ]
    return np.asarray(cues, dtype=np.float32) * 3.0


_SECOND = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)
# A wire dateline opening the body: "WASHINGTON (Reuters) -", "Geneva - ", "MOSCOW, Jan. 5 —".
_DATELINE = re.compile(
    r"^[A-ZÀ-Ý][\w.']*( [A-ZÀ-Ý][\w.']*){0,2}(, [\w. ]{1,20})?( \([\w ]{2,20}\))?\s?[-—–]\s"
)


def news_cues(texts: Sequence[str]) -> np.ndarray:
    """Eight document cues of news form (issue 15, item 1): quote density (share of sentences
    quoting, quote marks per sentence), shares of sentences in the first and second person and
    attributing, a wire dateline in the first three body sentences, and the headline's
    first/second person or question mark."""
    n = max(len(texts), 1)
    title, body = (texts[0], texts[1:]) if texts else ("", [])
    cues = [
        sum(bool(_QUOTE.search(t)) for t in texts) / n,
        sum(len(_QUOTE.findall(t)) for t in texts) / n / 2,
        sum(bool(_FIRST_PERSON.search(t)) for t in texts) / n,
        sum(bool(_SECOND.search(t)) for t in texts) / n,
        sum(bool(_REPORTED.search(t)) for t in texts) / n,
        float(any(_DATELINE.match(t) for t in body[:3])),
        float(bool(_FIRST_PERSON.search(title) or _SECOND.search(title))),
        float("?" in title),
    ]
    return np.asarray(cues, dtype=np.float32) * 3.0


def features_for(parts: set[str]) -> Callable[[np.ndarray, Sequence[str]], np.ndarray]:
    """The per-document row of a variant (genre-v2's unless the variant changes it)."""

    def features(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        row = document_features(vectors, texts)
        if "nofirst" in parts:
            row = np.delete(row, np.s_[vectors.shape[1] : 2 * vectors.shape[1]], axis=1)
        if "cues2" in parts:
            row = np.hstack([row, more_cues(texts)[None, :]])
        if "cues3" in parts:
            row = np.hstack([row, news_cues(texts)[None, :]])
        return row

    return features


def polnear_rows(data: Path, which: str, features, store: VectorCache) -> np.ndarray:
    """PolNeAR train articles as feature rows (all of them reporting by assumption)."""
    root = data / "polnear" / "data"
    with (root / "metadata.tsv").open(encoding="utf-8") as handle:
        meta = {r["filename"]: r for r in csv.DictReader(handle, delimiter="\t")}
    texts = []
    for path in sorted((root / "train" / "text").glob("*.txt")):
        row = meta.get(path.stem, {})
        if row.get("wire") in WIRE or (which == "news" and row.get("publisher") in NEWSROOMS):
            article = semeval2023.Article(path.stem, "en", path.read_text(encoding="utf-8"))
            texts.append([s.text for s in semeval2023.split_sentences(article)])
    vectors = store.vectors([t for doc in texts for t in doc])
    bounds = np.cumsum([0] + [len(doc) for doc in texts])
    return np.vstack(
        [features(vectors[bounds[i] : bounds[i + 1]], texts[i]) for i in range(len(texts))]
    )


def macro_f1(truth: np.ndarray, shown: np.ndarray) -> float:
    return semeval2023.genre_macro_f1(
        {str(i): GENRES[k] for i, k in enumerate(truth)},
        {str(i): GENRES[k] for i, k in enumerate(shown)},
    )


def news_mix_f1(truth: np.ndarray, shown: np.ndarray) -> float:
    """Macro-F1 of a confusion matrix with its rows reweighted to `NEWS_MIX`."""
    confusion = np.array(
        [[np.sum((truth == i) & (shown == j)) for j in range(3)] for i in range(3)]
    )
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1) * NEWS_MIX[:, None]
    denominators = rates.sum(axis=1) + rates.sum(axis=0)
    return float(
        np.mean(np.where(denominators > 0, 2 * np.diag(rates) / np.maximum(denominators, 1e-12), 0))
    )


class Flat:
    """genre-v2's head: one softmax, genres balanced within each language, one temperature."""

    def __init__(
        self, extra: np.ndarray | None = None, weight: float = 0.0, english: float = 1.0
    ) -> None:
        self.extra, self.weight, self.english = extra, weight, english

    def fit_score(self, x, y, folders, x_new, seed):
        weights = _weights([GENRES[k] for k in y], list(folders))
        weights = np.where(np.asarray(folders) == "en", weights * self.english, weights)
        if self.extra is not None and self.weight > 0:
            reporting = weights[y == 1].sum()
            x = np.vstack([x, self.extra])
            y = np.concatenate([y, np.ones(len(self.extra), dtype=int)])
            weights = np.concatenate(
                [weights, np.full(len(self.extra), self.weight * reporting / len(self.extra))]
            )
        w, b = fit_softmax(
            x, [GENRES[k] for k in y], GENRES, c=C, seed=seed, max_iter=3000, sample_weight=weights
        )
        return [softmax(x_new @ w + b)]

    def calibrate(self, raws, y, folders, rows, held):
        balance = _weights([GENRES[k] for k in y], list(folders))
        t = fit_temperature(raws[0][rows], y[rows], weights=balance[rows])
        return apply_temperature(raws[0][held], t)


class Hierarchical:
    """Satire or not; then, among the rest, opinion or reporting. Each balanced within each
    language and temperature-calibrated; P = [(1-s)(1-r), (1-s) r, s]."""

    def fit_score(self, x, y, folders, x_new, seed):
        out = []
        for rows, positive in ((np.ones(len(y), bool), y == 2), (y != 2, y == 1)):
            labels = [int(v) for v in positive[rows]]
            weights = _weights([str(v) for v in labels], list(folders[rows]))
            w, b = fit_softmax(
                x[rows], labels, [0, 1], c=C, seed=seed, max_iter=3000, sample_weight=weights
            )
            out.append(softmax(x_new @ w + b))
        return out

    def calibrate(self, raws, y, folders, rows, held):
        parts = []
        for raw, keep, positive in (
            (raws[0], np.ones(len(y), bool), y == 2),
            (raws[1], y != 2, y == 1),
        ):
            fit_rows = rows[keep[rows]]
            balance = _weights([str(v) for v in positive[fit_rows]], list(folders[fit_rows]))
            t = fit_temperature(raw[fit_rows], positive[fit_rows].astype(int), weights=balance)
            parts.append(apply_temperature(raw[held], t)[:, 1])
        satire, reporting = parts
        return np.stack([(1 - satire) * (1 - reporting), (1 - satire) * reporting, satire], axis=1)


def measure(model, x, y, folders, ids, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated out-of-fold (CV) and leave-one-language-out probabilities, genre-v2's protocol:
    a held-out language's temperature comes from the other languages' out-of-fold scores."""
    n = len(y)
    folds = grouped_folds([f"{f}/{a}" for f, a in zip(folders, ids, strict=True)], 5, seed)
    raws = None
    for held in folds:
        rest = rest_of(held, n)
        scored = model.fit_score(x[rest], y[rest], folders[rest], x[held], seed)
        raws = raws or [np.zeros((n, s.shape[1])) for s in scored]
        for raw, s in zip(raws, scored, strict=True):
            raw[held] = s
    cv = np.zeros((n, 3))
    for held in folds:
        cv[held] = model.calibrate(raws, y, folders, rest_of(held, n), held)
    lolo = np.full((n, 3), np.nan)
    for language in LANGUAGES if len(set(folders)) > 1 else ():
        rest, held = np.flatnonzero(folders != language), np.flatnonzero(folders == language)
        scored = model.fit_score(x[rest], y[rest], folders[rest], x[held], seed)
        lolo[held] = _calibrate_held(model, raws, scored, y, folders, rest, held)
    return cv, lolo


def _calibrate_held(model, raws, scored, y, folders, rest, held):
    """Temperatures fitted on `rest`'s out-of-fold scores, applied to the held-out scores."""
    merged = [raw.copy() for raw in raws]
    for m, s in zip(merged, scored, strict=True):
        m[held] = s
    return model.calibrate(merged, y, folders, rest, held)


def with_gate(gate: float) -> np.ndarray:
    thresholds = SATIRE_GATE.copy()
    thresholds[2] = gate
    return thresholds


def mean_f1(shown: np.ndarray, y: np.ndarray, folders: np.ndarray, languages) -> float:
    return float(np.mean([macro_f1(y[folders == g], shown[folders == g]) for g in languages]))


def chosen_by_cv(cv, lolo, y, folders) -> tuple[np.ndarray, np.ndarray, str]:
    """Satire points chosen on out-of-fold scores (`NESTED_GRID`, best mean macro-F1): for CV
    over all six languages; for a held-out language over the other five only."""
    gate = max(
        NESTED_GRID, key=lambda g: mean_f1(choose_genre(cv, with_gate(g)), y, folders, LANGUAGES)
    )
    shown_cv, shown_lolo, chosen = choose_genre(cv, with_gate(gate)), np.zeros(len(y), int), []
    for language in LANGUAGES:
        others = [g for g in LANGUAGES if g != language]
        best = max(
            NESTED_GRID,
            key=lambda g: mean_f1(choose_genre(cv, with_gate(g)), y, folders, others),
        )
        rows = folders == language
        shown_lolo[rows] = choose_genre(lolo[rows], with_gate(best))
        chosen.append(f"{language} {best:g}")
    return shown_cv, shown_lolo, f"chosen by CV: {gate:g}; leaving out " + ", ".join(chosen)


def english_gain(ours: np.ndarray, theirs: np.ndarray, y: np.ndarray, folders: np.ndarray) -> str:
    """Leave-English-out macro-F1 minus the baseline's, with a paired bootstrap 90% interval."""
    rows = np.flatnonzero(folders == "en")
    ours, theirs, truth = ours[rows], theirs[rows], y[rows]
    rng = np.random.default_rng(0)
    gains = []
    for _ in range(1000):
        pick = rng.integers(0, len(rows), len(rows))
        gains.append(macro_f1(truth[pick], ours[pick]) - macro_f1(truth[pick], theirs[pick]))
    low, high = np.percentile(gains, [5, 95])
    return f"{macro_f1(truth, ours) - macro_f1(truth, theirs):+.3f} [{low:+.3f}, {high:+.3f}]"


def report(name, cv, lolo, baseline, y, folders, gate: str) -> str:
    """One table row: a variant's scores at satire point `gate` ("cv": chosen by CV, nested
    for the held-out language); the gain is against the baseline at the shipped point."""
    if gate == "cv":
        shown_cv, shown_lolo, chosen = chosen_by_cv(cv, lolo, y, folders)
        name = f"{name} (satire point {chosen})"
    else:
        shown_cv, shown_lolo = (
            choose_genre(cv, with_gate(float(gate))),
            choose_genre(lolo, with_gate(float(gate))),
        )
        name = f"{name} (satire at {gate})"
    per = {}
    for prefix, shown in (("lolo", shown_lolo), ("cv", shown_cv)):
        for language in LANGUAGES:
            rows = folders == language
            per[f"{prefix}_{language}"] = macro_f1(y[rows], shown[rows])
    onehot = np.eye(3)[y]
    balance = _weights([GENRES[k] for k in y], list(folders))
    resample = np.random.default_rng(0).choice(len(y), 20 * len(y), p=balance / balance.sum())
    english = folders == "en"
    satire = y == 2
    cells = [
        name,
        *(f"{per['lolo_' + lang]:.3f}" for lang in LANGUAGES),
        f"**{np.mean([per['lolo_' + lang] for lang in LANGUAGES]):.3f}**",
        f"{news_mix_f1(y[english], shown_lolo[english]):.3f}",
        english_gain(shown_lolo, choose_genre(baseline, SATIRE_GATE), y, folders),
        *(f"{per['cv_' + lang]:.3f}" for lang in LANGUAGES),
        f"**{np.mean([per['cv_' + lang] for lang in LANGUAGES]):.3f}**",
        f"{expected_calibration_error(cv, onehot):.3f} / "
        f"{expected_calibration_error(cv[resample], onehot[resample]):.3f}",
    ]
    for shown in (shown_cv, shown_lolo):
        hits = int((shown == 2)[satire].sum())
        cells.append(f"{hits / max((shown == 2).sum(), 1):.2f} / {hits / satire.sum():.2f}")
    return "| " + " | ".join(cells) + " |"


def per_class(truth: np.ndarray, shown: np.ndarray) -> str:
    """Precision / recall of each genre, `opinion P/R, reporting P/R, satire P/R`."""
    cells = []
    for k in range(len(GENRES)):
        hits = int(((shown == k) & (truth == k)).sum())
        cells.append(
            f"{hits / max((shown == k).sum(), 1):.2f}/{hits / max((truth == k).sum(), 1):.2f}"
        )
    return ", ".join(cells)


ENGLISH_HEAD = [
    "variant",
    "CV en macro-F1",
    "CV en P/R op, rep, sat",
    "CV en ECE equal priors / train mix",
    "LOLO en macro-F1",
    "LOLO en P/R op, rep, sat",
    "CV other 5 mean",
    "LOLO other 5 mean",
]


def english_report(name, cv, lolo, y, folders) -> str:
    """One row of the English table at the shipped satire point: macro-F1, per-genre P/R and
    ECE of the three probabilities on English (equal priors: rows weighted to balance)."""
    en = folders == "en"
    onehot = np.eye(3)[y[en]]
    balance = _weights([GENRES[k] for k in y[en]], list(folders[en]))
    shown_cv, cells = choose_genre(cv, SATIRE_GATE), [name]
    cells += [
        f"{macro_f1(y[en], shown_cv[en]):.3f}",
        per_class(y[en], shown_cv[en]),
        f"{expected_calibration_error(cv[en], onehot, weights=balance):.3f} / "
        f"{expected_calibration_error(cv[en], onehot):.3f}",
    ]
    if np.isnan(lolo).any():
        cells += ["—", "—", "—", "—"]
        return "| " + " | ".join(cells) + " |"
    shown_lolo = choose_genre(lolo, SATIRE_GATE)
    others = [g for g in LANGUAGES if g != "en"]
    cells += [
        f"{macro_f1(y[en], shown_lolo[en]):.3f}",
        per_class(y[en], shown_lolo[en]),
        f"{mean_f1(shown_cv, y, folders, others):.3f}",
        f"{mean_f1(shown_lolo, y, folders, others):.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, required=True, help="the folder holding semeval2023_task3 and polnear"
    )
    parser.add_argument(
        "--variants",
        default="v2,nofirst,cues2,center,hier,hier+cues2,hier+center,polnear-wire,polnear-news",
    )
    parser.add_argument("--gates", default="0.5", help='satire points, or "cv" (chosen by CV)')
    parser.add_argument("--seed", type=int, default=13, help="of the CV folds and the fits")
    parser.add_argument("--polnear-weight", type=float, default=0.5)
    parser.add_argument(
        "--english", action="store_true", help="the English table (per-genre P/R, ECE) instead"
    )
    args = parser.parse_args()
    encoder = default_encoder()
    store = VectorCache(CACHE, encoder)
    head = [
        "variant",
        *(f"LOLO {lang}" for lang in LANGUAGES),
        "LOLO mean",
        "EN@news",
        "LOLO en gain (90% CI)",
    ]
    head += [
        *(f"CV {lang}" for lang in LANGUAGES),
        "CV mean",
        "ECE (train mix / balanced)",
        "satire P / R (CV)",
        "satire P / R (LOLO)",
    ]
    if args.english:
        head = ENGLISH_HEAD
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head), flush=True)
    baseline = None
    for variant in args.variants.split(","):
        parts = set(variant.split("+"))
        features = features_for(parts)
        docs = load_documents(args.data / "semeval2023_task3", "train", 1, features, store=store)
        keep = [i for i, lab in enumerate(docs.labels) if lab and lab[0] in GENRES]
        x = docs.x[keep]
        y = np.array([GENRES.index(docs.labels[i][0]) for i in keep])
        folders = np.array([docs.folders[i] for i in keep])
        ids = [docs.ids[i] for i in keep]
        if "center" in parts:  # the vector part only; the cues stay as they are
            width = 2 * encoder.dim if "nofirst" not in parts else encoder.dim
            for language in set(folders):
                x[folders == language, :width] -= x[folders == language, :width].mean(axis=0)
        if "en-only" in parts:  # a per-language head: English rows only (no LOLO for it)
            en = folders == "en"
            x, y, folders, ids = (
                x[en],
                y[en],
                folders[en],
                [i for i, e in zip(ids, en, strict=True) if e],
            )
        english = 3.0 if "en-up" in parts else 1.0  # English rows weighted 3x in the pooled fit
        model = Hierarchical() if "hier" in parts else Flat(english=english)
        for which in ("wire", "news"):
            if f"polnear-{which}" in parts:
                polnear_store = VectorCache(TRAINING_CACHE / "genre", encoder, prefix="polnear-")
                extra = polnear_rows(args.data, which, features, polnear_store)
                model = Flat(extra, args.polnear_weight, english)
                variant = f"{variant} ({len(extra)} articles, w {args.polnear_weight})"
        cv, lolo = measure(model, x, y, folders, ids, args.seed)
        baseline = lolo if baseline is None else baseline  # the first variant listed
        if args.english:
            print(english_report(variant, cv, lolo, y, folders), flush=True)
            continue
        for gate in args.gates.split(","):
            print(report(variant, cv, lolo, baseline, y, folders, gate), flush=True)


if __name__ == "__main__":
    main()
