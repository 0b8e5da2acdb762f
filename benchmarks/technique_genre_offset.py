"""Issue 15, label-prior shift: does a shared P(reporting) term in the technique calibration
make the shown techniques of reporting articles more honest? (pre-registered in
benchmarks/RESULTS.md, "Technique calibration conditioned on genre").

Candidate: each technique's Platt logit gets one shared term, `a_j * logit(p) + b_j + c * r`,
where `r` is the article's out-of-fold P(reporting) from the genre head (equal priors,
`training.genre.out_of_fold`). Everything else is the card's protocol: 5 folds grouped by
article (seed 13), out-of-fold technique scores from `cross_validate_sigmoid`, the
calibration cross-fitted, the operating rule and cuts chosen by nested CV on the calibrated
out-of-fold probabilities of the other folds, the per-language shown-score Platt cross-fitted
on the other folds' shown cells. Baseline: the card's own `cross_fit_platt`.

    PYTHONPATH=src nice -n 10 python benchmarks/technique_genre_offset.py prepare  # OOF scores
    PYTHONPATH=src nice -n 10 python benchmarks/technique_genre_offset.py score    # measures
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from narrascope.encode import default_encoder
from narrascope.heads import logit
from narrascope.training import semeval2023
from narrascope.training.calibrate import (
    RULES,
    CrossFit,
    choose_rule,
    cross_fit_platt,
    cross_fit_shown_platt_by_group,
    expected_calibration_error,
    fit_platt_all,
)
from narrascope.training.fit import cross_validate_sigmoid, grouped_folds, rest_of
from narrascope.training.genre import genre_documents, out_of_fold
from narrascope.training.semeval2023 import GENRES, TECHNIQUES
from narrascope.training.technique_corpus import line_predictions, load_corpus
from narrascope.training.techniques import CACHE, L2
from narrascope.training.vectors import VectorCache

DATA = Path("/work/shared/data/semeval2023_task3")
OUT = Path("/tmp/tg/oof.npz")
STORED = Path("/tmp/tg/stored.npz")
SEED, FOLDS = 13, 5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def fit_shared_offset(
    scores: np.ndarray, y: np.ndarray, r: np.ndarray, iterations: int = 50
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per technique Platt (a_j, b_j) and one shared coefficient c on `r`, jointly (Newton on
    the log loss with Platt's smoothed targets per technique; a technique with no positive or
    no negative keeps (1, 0) and does not inform c)."""
    z = logit(scores)
    y = np.asarray(y) > 0
    n = len(z)
    pos = y.sum(axis=0).astype(np.float64)
    neg = n - pos
    live = (pos > 0) & (neg > 0)
    target = np.where(y, (pos + 1) / (pos + 2), 1 / (neg + 2))
    a, b = fit_platt_all(scores, y.astype(np.float32))
    a, b = a.astype(np.float64), b.astype(np.float64)
    a[~live], b[~live] = 1.0, 0.0
    c = 0.0
    zl, tl = z[:, live], target[:, live]
    m = int(live.sum())
    rr = r[:, None]
    for _ in range(iterations):
        p = _sigmoid(a[live] * zl + b[live] + c * rr)
        e = p - tl
        w = p * (1 - p) + 1e-12
        grad = np.concatenate([(e * zl).sum(0), e.sum(0), [(e * rr).sum()]])
        hess = np.zeros((2 * m + 1, 2 * m + 1))
        idx = np.arange(m)
        hess[idx, idx] = (w * zl * zl).sum(0)
        hess[idx, m + idx] = hess[m + idx, idx] = (w * zl).sum(0)
        hess[m + idx, m + idx] = w.sum(0)
        hess[idx, 2 * m] = hess[2 * m, idx] = (w * zl * rr).sum(0)
        hess[m + idx, 2 * m] = hess[2 * m, m + idx] = (w * rr).sum(0)
        hess[2 * m, 2 * m] = (w * rr * rr).sum()
        step = np.linalg.solve(hess + np.eye(2 * m + 1) * 1e-9, grad)
        a[live] -= step[:m]
        b[live] -= step[m : 2 * m]
        c -= float(step[2 * m])
        if np.abs(step).max() < 1e-9:
            break
    return a, b, c


Calibrator = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def platt(s_fit, y_fit, r_fit, s_apply, r_apply) -> np.ndarray:
    a, b = fit_platt_all(s_fit, y_fit)
    return _sigmoid(logit(s_apply) * a + b)


FITTED_C: list[float] = []


def shared_offset(s_fit, y_fit, r_fit, s_apply, r_apply) -> np.ndarray:
    a, b, c = fit_shared_offset(s_fit, y_fit, r_fit)
    FITTED_C.append(c)
    return _sigmoid(logit(s_apply) * a + b + c * r_apply[:, None])


def cross_calibrated(scores, y, r, held_out, calibrate: Calibrator) -> np.ndarray:
    out = np.zeros(scores.shape)
    for held in held_out:
        rest = rest_of(held, len(y))
        out[held] = calibrate(scores[rest], y[rest], r[rest], scores[held], r[held])
    return out


def cross_fit(scores, y, r, held_out, calibrate: Calibrator) -> CrossFit:
    """`calibrate.cross_fit_platt(..., rules=RULES)` with the calibrator given."""
    calibrated = cross_calibrated(scores, y, r, held_out, calibrate)
    shown = np.zeros(scores.shape, dtype=bool)
    rules = []
    for k, held in enumerate(held_out):
        rest = rest_of(held, len(y))
        inner = [np.searchsorted(rest, h) for i, h in enumerate(held_out) if i != k]
        inside = cross_calibrated(scores[rest], y[rest], r[rest], inner, calibrate)
        rule = choose_rule(inside, y[rest], inner, RULES)
        rules.append(rule)
        shown[held] = calibrated[held] >= rule.cuts(inside, y[rest])
    return CrossFit(calibrated, shown, [], rules)


def prepare() -> None:
    t0 = time.time()
    store = VectorCache(CACHE, default_encoder())
    corpus = load_corpus(DATA, "train", store=store)
    print(f"corpus {len(corpus.sentences)} sentences, {time.time() - t0:.0f}s", flush=True)
    held_out = grouped_folds(corpus.groups(), FOLDS, SEED)
    t1 = time.time()
    raw, _ = cross_validate_sigmoid(corpus.x, corpus.y, held_out, l2=L2)
    print(f"technique OOF {time.time() - t1:.0f}s", flush=True)
    docs = genre_documents(DATA, store)
    labels = [lab[0] for lab in docs.labels]
    _, calibrated, _ = out_of_fold(docs, labels, SEED, FOLDS)
    reporting = {
        f"{f}/{a}": float(p)
        for f, a, p in zip(
            docs.folders, docs.ids, calibrated[:, GENRES.index("reporting")], strict=True
        )
    }
    genre_of = {f"{f}/{a}": g for f, a, g in zip(docs.folders, docs.ids, labels, strict=True)}
    groups = corpus.groups()
    missing = sorted({g for g in groups if g not in reporting})
    print(f"articles {len(set(groups))}, without a genre OOF {len(missing)}", flush=True)
    r = np.array([reporting.get(g, np.nan) for g in groups])
    gold_genre = np.array([genre_of.get(g, "") for g in groups])
    lines = {
        f: [f"{k[0]}\t{k[1]}\t{','.join(v)}" for k, v in gold.items()]
        for f, gold in corpus.line_labels.items()
    }
    np.savez(
        OUT,
        raw=raw,
        y=corpus.y,
        r=r,
        gold_genre=gold_genre,
        groups=np.array(groups),
        folders=np.array(corpus.folders),
        articles=np.array([s.article for s in corpus.sentences]),
        lines=np.array([s.line for s in corpus.sentences]),
        fold=np.concatenate([np.full(len(h), k) for k, h in enumerate(held_out)])[
            np.argsort(np.concatenate(held_out))
        ],
        gold_lines=np.array([f"{f}\t{row}" for f, rows in lines.items() for row in rows]),
    )
    print(f"saved {OUT}, {time.time() - t0:.0f}s", flush=True)


class _Lines:
    """What `line_predictions` reads of a corpus."""

    def __init__(self, articles, lines, folders) -> None:
        self.sentences = [
            SimpleNamespace(article=str(a), line=int(n))
            for a, n in zip(articles, lines, strict=True)
        ]
        self.folders = [str(f) for f in folders]


def measures(
    stored: CrossFit, y, rows: np.ndarray, groups, gold_by_folder, corpus_lines, folders
) -> dict[str, float]:
    shown = stored.shown[rows]
    truth = y[rows] > 0
    tp = float((shown & truth).sum())
    out = {
        "ece_shown": expected_calibration_error(stored.calibrated[rows][shown], y[rows][shown]),
        "shown_precision": tp / max(float(shown.sum()), 1.0),
        "shown_recall": tp / max(float(truth.sum()), 1.0),
        "labels_per_article": float(shown.sum()) / len(set(groups[rows])),
        "shown": float(shown.sum()),
    }
    keep = set(groups[rows])
    f1s = []
    for folder, gold in gold_by_folder.items():
        mine = {key: v for key, v in gold.items() if f"{folder}/{key[0]}" in keep}
        if not mine:
            continue
        predicted = line_predictions(corpus_lines, stored.shown, folder)
        micro, _ = semeval2023.multilabel_f1(mine, predicted, TECHNIQUES)
        out[f"st3_micro_f1_{folder}"] = micro
        f1s.append(micro)
    out["st3_micro_f1_mean"] = float(np.mean(f1s))
    return out


def score() -> None:
    t0 = time.time()
    d = np.load(OUT, allow_pickle=False)
    raw, y, r, groups = d["raw"], d["y"], d["r"], d["groups"]
    folders = d["folders"]
    fold = d["fold"]
    held_out = [np.flatnonzero(fold == k) for k in range(FOLDS)]
    gold_by_folder: dict[str, dict[tuple[str, int], list[str]]] = defaultdict(dict)
    for row in d["gold_lines"]:
        f, article, line, labels = str(row).split("\t")
        gold_by_folder[f][(article, int(line))] = [x for x in labels.split(",") if x]
    corpus_lines = _Lines(d["articles"], d["lines"], folders)
    languages = [semeval2023.LANGUAGE_CODES.get(str(f), str(f)) for f in folders]
    r = np.nan_to_num(r, nan=float(np.nanmean(r)))
    reporting = np.flatnonzero(r >= 0.5)
    everything = np.arange(len(y))
    print(
        f"rows {len(y)}, articles {len(set(groups))}; OOF P(reporting) >= 0.5: "
        f"{len(set(groups[reporting]))} articles, {len(reporting)} sentences",
        flush=True,
    )
    results = {}
    saved: dict[str, np.ndarray] = {}
    for name, crossed in (
        ("baseline", cross_fit_platt(raw, y, held_out, rules=RULES)),
        ("candidate", cross_fit(raw, y, r, held_out, shared_offset)),
    ):
        stored = cross_fit_shown_platt_by_group(crossed, y, languages, held_out)
        results[name] = {
            "all": measures(stored, y, everything, groups, gold_by_folder, corpus_lines, folders),
            "reporting": measures(
                stored, y, reporting, groups, gold_by_folder, corpus_lines, folders
            ),
        }
        print(name, "rules:", "; ".join(rule.describe() for rule in crossed.rules), flush=True)
        saved[f"{name}_stored"], saved[f"{name}_shown"] = stored.calibrated, stored.shown
    print("c per outer-fold fit:", [round(c, 3) for c in FITTED_C[:FOLDS]])
    print(f"c over all fits: min {min(FITTED_C):.3f} max {max(FITTED_C):.3f}")
    for subset in ("all", "reporting"):
        print(f"\n{subset}")
        for key in results["baseline"][subset]:
            before, after = results["baseline"][subset][key], results["candidate"][subset][key]
            print(f"  {key:22s} {before:9.4f} {after:9.4f} {after - before:+.4f}")
    base, cand = results["baseline"], results["candidate"]
    verdict = (
        cand["reporting"]["ece_shown"] < base["reporting"]["ece_shown"]
        and cand["reporting"]["shown_precision"] >= base["reporting"]["shown_precision"]
        and cand["all"]["st3_micro_f1_mean"] >= base["all"]["st3_micro_f1_mean"] - 0.005
    )
    print("\nship rule:", "PASS" if verdict else "FAIL", f"({time.time() - t0:.0f}s)")
    np.savez(STORED, **saved)


def context() -> None:
    """Not deciding: how far the reporting subset's differences stand above noise (the ECE
    that calibrated-by-construction scores would show on these cells; an article bootstrap of
    the differences)."""
    from narrascope.training.calibrate import ece_noise_floor

    d, s = np.load(OUT, allow_pickle=False), np.load(STORED, allow_pickle=False)
    y, groups = d["y"], d["groups"]
    reporting = d["r"] >= 0.5
    for name in ("baseline", "candidate"):
        shown = s[f"{name}_shown"] & reporting[:, None]
        floor = ece_noise_floor(s[f"{name}_stored"][shown])
        print(
            f"{name}: reporting-subset shown cells {int(shown.sum())}, ECE noise floor {floor:.4f}"
        )
    articles = sorted(set(groups[reporting]))
    rows_of = {a: np.flatnonzero(groups == a) for a in articles}
    rng = np.random.default_rng(13)
    diffs = []
    for _ in range(1000):
        rows = np.concatenate([rows_of[a] for a in rng.choice(articles, len(articles))])
        out = []
        for name in ("baseline", "candidate"):
            shown, stored = s[f"{name}_shown"][rows], s[f"{name}_stored"][rows]
            truth = y[rows] > 0
            out.append(
                (
                    expected_calibration_error(stored[shown], y[rows][shown]),
                    float((shown & truth).sum()) / max(float(shown.sum()), 1.0),
                )
            )
        diffs.append([out[1][0] - out[0][0], out[1][1] - out[0][1]])
    diffs = np.array(diffs)
    for j, what in enumerate(("ECE shown", "shown precision")):
        lo, hi = np.percentile(diffs[:, j], [2.5, 97.5])
        share = float((diffs[:, j] < 0).mean())
        print(
            f"reporting subset, candidate - baseline {what}: 95% [{lo:+.4f}, {hi:+.4f}], "
            f"share < 0: {share:.2f}"
        )


def fill() -> None:
    """P(reporting) of the subtask-3 train articles that subtask 1 does not label (so have no
    out-of-fold genre probability): from the genre head fitted as `narrascope train genre`
    fits it (all labelled articles, temperature on their out-of-fold scores), which never saw
    them: what analysis would see."""
    from narrascope.analyzers.genre import document_features
    from narrascope.heads import softmax
    from narrascope.training.calibrate import apply_temperature, fit_temperature
    from narrascope.training.genre import _fit, _weights

    d = dict(np.load(OUT, allow_pickle=False))
    store = VectorCache(CACHE, default_encoder())
    docs = genre_documents(DATA, store)
    labels = [lab[0] for lab in docs.labels]
    truth = np.array([GENRES.index(lab) for lab in labels])
    raw, _, _ = out_of_fold(docs, labels, SEED, FOLDS)
    temperature = fit_temperature(raw, truth, weights=_weights(labels, docs.folders))
    weights, bias = _fit(docs.x, labels, docs.folders, SEED)
    groups, r = d["groups"], d["r"].copy()
    missing = sorted({str(g) for g in groups[np.isnan(r)]})
    for key in missing:
        folder, article_id = key.split("/")
        article = semeval2023.read_articles(DATA, folder, "train", 3)[article_id]
        texts = [s.text for s in semeval2023.split_sentences(article)]
        x = document_features(store.vectors(texts), texts)
        p = apply_temperature(softmax(x @ weights + bias), temperature)[0]
        r[groups == key] = p[GENRES.index("reporting")]
    print(f"filled {len(missing)} articles; still missing {int(np.isnan(r).sum())} rows")
    d["r"], d["r_filled"] = r, np.array(missing)
    np.savez(OUT, **d)


def pages(db: str) -> None:
    """Not deciding: technique labels per page of a database analyzed with `--only genre
    --only techniques` (techniques-v5), and what the candidate's final fit would show there:
    the pooled head's raw logit (v5's folded Platt undone) through the candidate's (a_j, b_j)
    and c * P(reporting) of the page's genre annotation (no genre: r at its training mean), at
    the cuts the candidate's nested-CV rule gives on all out-of-fold scores. Pages read by a
    language's own head (de, it) keep v5's labels (the candidate was measured on the pooled
    head only)."""
    from narrascope.analyzers import cannot_read
    from narrascope.analyzers.techniques import TechniqueAnalyzer
    from narrascope.model import Layer
    from narrascope.store import Store

    d = np.load(OUT, allow_pickle=False)
    raw, y, r, fold = d["raw"], d["y"], d["r"], d["fold"]
    held_out = [np.flatnonzero(fold == k) for k in range(FOLDS)]
    crossed = cross_calibrated(raw, y, r, held_out, shared_offset)
    rule = choose_rule(crossed, y, held_out, RULES)
    a2, b2, c = fit_shared_offset(raw, y, r)
    calibrated = _sigmoid(logit(raw) * a2 + b2 + c * r[:, None])
    cuts2 = rule.cuts(calibrated, y)
    m = float(r.mean())
    print(f"candidate final: c {c:.3f}, mean r {m:.3f}, rule {rule.describe()}")
    print("cuts:", {t: round(float(x), 2) for t, x in zip(TECHNIQUES, cuts2, strict=True) if x < 1})
    analyzer = TechniqueAnalyzer.load(default_encoder())
    info = analyzer.head.info
    a1, b1 = np.array(info["platt_a"]), np.array(info["platt_b"])
    own = set(info.get("languages", {}))
    before, after, rows = [], [], []
    with Store.open(db, readonly=True) as store:
        for doc in store.documents():
            vectors = store.vectors(doc.id)
            if vectors is None or len(vectors) != len(doc.sentences):
                continue  # not analyzed (a page that is not an article)
            if cannot_read(doc, min_words=analyzer.min_words, languages=analyzer.languages):
                continue
            anns = list(store.annotations(doc.id))
            shown = [a for a in anns if a.layer is Layer.TECHNIQUE and a.start is not None]
            genre = [a for a in anns if a.layer is Layer.GENRE and a.attrs.get("scores")]
            rep = float(genre[0].attrs["scores"]["reporting"]) if genre else m
            if doc.language in own:
                n_after = len(shown)
            else:
                p = analyzer.scores(doc, vectors)
                z = (logit(p) - b1) / a1
                p2 = _sigmoid(z * a2 + b2 + c * (rep - m) + c * m)
                n_after = int((p2 >= cuts2).sum())
                n_v5 = int((p >= analyzer.thresholds(doc.language)).sum())
                assert n_v5 == len(shown), (doc.id, n_v5, len(shown))
            before.append(len(shown))
            after.append(n_after)
            rows.append((rep, genre[0].label if genre else "-", doc.language))
            if len(shown) >= 10:
                print(
                    f"  {len(shown):2d} -> {n_after:2d}  P(reporting) {rep:.2f}  {doc.outlet}: "
                    f"{(doc.title or '')[:60]}"
                )
    before_a, after_a = np.array(before), np.array(after)
    reps = np.array([x[0] for x in rows])
    labels = np.array([x[1] for x in rows])
    print(f"pages with techniques analyzed: {len(before)}")
    for name, keep in (
        ("all", np.ones(len(before), bool)),
        ("genre shown: reporting", labels == "reporting"),
        ("genre shown: opinion", labels == "opinion"),
        ("no genre (short or other language)", labels == "-"),
        ("P(reporting) >= 0.5", reps >= 0.5),
    ):
        if keep.any():
            print(
                f"  {name:36s} pages {int(keep.sum()):3d}: labels/page "
                f"{before_a[keep].mean():.2f} -> {after_a[keep].mean():.2f}; "
                f"pages with >= 10 labels {int((before_a[keep] >= 10).sum())} -> "
                f"{int((after_a[keep] >= 10).sum())}"
            )


def check_reproduces(_: Sequence[str] = ()) -> None:
    """The generic cross-fit with plain Platt gives the card's decisions, bit for bit."""
    d = np.load(OUT, allow_pickle=False)
    raw, y, fold = d["raw"], d["y"], d["fold"]
    held_out = [np.flatnonzero(fold == k) for k in range(FOLDS)]
    ours = cross_fit(raw, y, np.zeros(len(y)), held_out, platt)
    card = cross_fit_platt(raw, y, held_out, rules=RULES)
    print("same shown:", bool((ours.shown == card.shown).all()))
    print("max |calibrated diff|:", float(np.abs(ours.calibrated - card.calibrated).max()))


if __name__ == "__main__":
    {
        "prepare": prepare,
        "fill": fill,
        "score": score,
        "check": check_reproduces,
        "context": context,
        "pages": lambda: pages(sys.argv[2]),
    }[sys.argv[1]]()
