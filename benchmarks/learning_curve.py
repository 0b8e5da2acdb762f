"""The learning curve of analysts' corrections (#19): the review queue against random picks.

Simulates an analyst on a language the narrative head never saw. The base head is trained
in-process by the project's trainer (`training.narratives.train`: CV, calibration, cuts) on the
SemEval-2025 Task 10 train articles of every other language but one more held out (default:
BG), on which the queue's design was chosen, so that the reported curve is not tuned on
itself. The scored language's articles are split, by article and seeded, into a pool (the
analyst's corpus, stored in a real
Narrascope database with the base head's labels and the articles' sentence vectors) and a
scored remainder. Then, for each seed and each way of choosing:

- an *item* is one stored narrative or subnarrative label of one pool article: one label
  decision the review queue shows (`review.queue.build_queue` over those two layers);
- `queue` takes the queue's first N items, `random` N stored labels drawn at random;
- the gold answer is applied as the analyst's correction through `review.Review`: accept when
  the gold has the label; otherwise relabel it to a gold label of the same level that the
  article lacks (a subnarrative of the same narrative first), or reject when there is none
  (`--answers verdicts`: accept or reject only);
- the head is retrained with the corrections weighted in (`training.narrative_corrections`:
  the project's `--corrections` path, CV-chosen calibration and cuts kept) and the remainder
  is scored with the official metric, samples-F1 (fine = subnarratives, coarse = narratives,
  official label lists), paired by article id.

After each refit it also counts how the refitted head would relabel the pool's uncorrected
articles (`narrative_corrections.corpus_shift`, the line `train --corrections` prints) and
how often its warning fires. N grows 50 -> 100 -> 200 in one database per (seed, choice): the first 50 are among the first
100. The domain gate is left out (it was fitted on every language, the held-out one too).
Last, it times retraining the head with 1,000 corrections (the queue's first 1,000 on the whole
scored language): reading them from the database and refitting the labels they touch,
started from the base head, as the curve does.

    nice -n 10 .venv/bin/python benchmarks/learning_curve.py \
        --data ../shared/data/semeval2025_task10 --language PT --held-out BG --seeds 3
    (design runs: `--language BG --held-out PT`; `--ways queue queue:1:1 queue:0.5:1 random`
    compares queue variants, `queue:S:L` spreading S over documents and L over labels, `queue`
    the shipped default, `queue:S:L:E` giving a share E of the places to labels picked blind;
    `--first-seed K` adds seeds; `--work DIR` keeps the base head)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from narrascope.analyzers.domain import article_features
from narrascope.analyzers.narratives import (
    DEFINITIONS_FILE,
    HEAD_FILE,
    NarrativeAnalyzer,
    NarrativeLabel,
    head_labels,
    is_subnarrative,
    parent_of,
    read_taxonomy,
)
from narrascope.encode import default_encoder
from narrascope.heads import LinearHead
from narrascope.model import Annotation, CorrectionRefused, Layer
from narrascope.review import Review, Vocabulary
from narrascope.review.queue import EXPLORE, LABEL_SPREAD, SPREAD, build_queue
from narrascope.store import Store
from narrascope.training import narratives
from narrascope.training.narrative_corrections import (
    ANCHORED,
    CorpusShift,
    corpus_shift,
    fit_head,
    read_corrections,
)
from narrascope.training.semeval2025 import language_dirs

LAYERS = (Layer.NARRATIVE, Layer.SUBNARRATIVE)
USER = "simulated-analyst"


@dataclass
class Base:
    """The base head trained without the held-out language, and its training rows."""

    analyzer: NarrativeAnalyzer
    folder: Path
    x: np.ndarray
    y: np.ndarray
    labels: list[str]


def train_base(
    data: Path, held_out: list[str], work: Path, encoder, seed: int, *, quick: bool
) -> Base:
    """Train (or reuse, from `work`) the base heads on every language but `held_out`.

    `quick`: fit only the head's weights (the trainer's final fit, `fit_head`), and keep the
    shipped head's calibration, blend and cuts instead of choosing them by CV again (CV takes
    tens of minutes of CPU; those ~200 numbers saw the held-out languages, the weights did not).
    """
    others = [lang for lang in language_dirs(data, "train") if lang not in held_out]
    folder = work / f"base-without-{'-'.join(sorted(held_out))}{'-quick' if quick else ''}"
    examples = [
        ex
        for ex in narratives.read_split(data, "train", encoder=encoder, languages=others)
        if ex.gold
    ]
    labels = head_labels(read_taxonomy())
    x = np.vstack([article_features(ex.encoded.vectors) for ex in examples])
    y = narratives.targets(examples, labels).astype(np.float32)
    if not (folder / HEAD_FILE.name).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if quick:
            shipped = LinearHead.from_file(HEAD_FILE, encoder=encoder)
            weights, bias = fit_head(x, y, c=narratives.C, seed=seed)
            info = {**shipped.info, "trained_on": ",".join(others)}
            replace(shipped, weights=weights, bias=bias, info=info).save(folder / HEAD_FILE.name)
            shutil.copyfile(DEFINITIONS_FILE, folder / DEFINITIONS_FILE.name)
        else:
            narratives.train(
                data, out=folder, seed=seed, folds=5, languages=others, encoder=encoder
            )
        print(
            f"base head trained on {','.join(others)} ({len(x)} articles) in "
            f"{time.perf_counter() - started:.0f}s{' (weights only)' if quick else ''}",
            flush=True,
        )
    head = LinearHead.from_file(folder / HEAD_FILE.name, encoder=encoder)
    definitions = LinearHead.from_file(folder / DEFINITIONS_FILE.name, encoder=encoder)
    analyzer = NarrativeAnalyzer(head, definitions, None, blend=float(head.info.get("blend", 0)))
    return Base(analyzer, folder, x, y, list(head.labels))


def score(analyzer: NarrativeAnalyzer, examples, taxonomy) -> tuple[float, float]:
    """Official samples-F1 (fine, coarse) of `analyzer` on `examples`, paired by article id."""
    gold = {ex.encoded.article.id: ex.gold for ex in examples}
    scores = narratives.score_decisions(gold, narratives.predict(analyzer, examples), taxonomy)
    return scores["f1_fine_official"], scores["f1_coarse_official"]


def build_store(path: Path, base: Base, pool, encoder_name: str) -> dict[str, object]:
    """A database of the pool articles with the base head's labels; doc id -> gold."""
    gold = {}
    with Store.open(str(path), create=True) as store:
        for ex in pool:
            doc = ex.encoded.document()
            anns = base.analyzer.analyze(doc, ex.encoded.vectors)
            store.add(
                doc,
                anns,
                vectors=ex.encoded.vectors,
                encoder=encoder_name,
                analyzers=[base.analyzer.version],
            )
            gold[doc.id] = ex.gold
    return gold


def choose(store: Store, base: Base, how: str, n: int, rng: random.Random) -> list[int]:
    """Row ids of the first `n` items the queue shows, or of `n` stored labels at random."""
    if how.startswith("queue"):  # "queue", "queue:S" (spread S over documents), "queue:S:L"
        _, *given = how.split(":")  # (and L over labels), "queue:S:L:E" (and a blind share E),
        label_weight = given.pop() if len(given) == 4 else None  # "queue:S:L:E:W"
        defaults = [SPREAD, LABEL_SPREAD, EXPLORE]
        spread, label_spread, explore = [float(v) for v in given] + defaults[len(given) :]
        vocabulary = Vocabulary(models=base.folder)
        queue = build_queue(
            store,
            vocabulary,
            layers=LAYERS,
            limit=n,
            spread=spread,
            label_spread=label_spread,
            explore=explore,
            label_weight=label_weight,
        )
        return [item.annotation_id for item in queue.items]
    rows = [row for row, _ in store.corrections.candidates(layers=LAYERS)]
    return rng.sample(rows, min(n, len(rows)))


def answer(review: Review, row: int, gold, verdicts_only: bool, known: set[str]) -> str:
    """Apply the gold answer to stored label `row`; returns the action taken."""
    ann = review.store.corrections.annotation(row)
    if ann is None:  # a relabel earlier in the same document already replaced it
        return "gone"
    truth = set(gold.narratives) | set(gold.subnarratives)
    if ann.label in truth:
        review.correct("accept", user=USER, annotation_id=row)
        return "accept"
    target = None if verdicts_only else _missing_gold(review.store, ann, truth, known)
    if target is None:
        review.correct("reject", user=USER, annotation_id=row)
        return "reject"
    try:
        review.correct("relabel", user=USER, annotation_id=row, label=target)
    except CorrectionRefused:
        review.correct("reject", user=USER, annotation_id=row)
        return "reject"
    return "relabel"


def _missing_gold(store: Store, ann: Annotation, truth: set[str], known: set[str]) -> str | None:
    """A gold label of the same level the article lacks (same narrative first), if any."""
    have = {a.label for a in store.annotations(ann.doc_id, layer=ann.layer)}
    level = [
        t
        for t in sorted(truth - have)
        if t in known and is_subnarrative(t) == (ann.layer is Layer.SUBNARRATIVE)
    ]
    if ann.layer is Layer.SUBNARRATIVE:
        level.sort(key=lambda t: parent_of(t) != parent_of(ann.label))
    return level[0] if level else None


def retrained(
    base: Base, db: Path, encoder, anchored: bool = ANCHORED
) -> tuple[NarrativeAnalyzer, int]:
    """The base analyzer with its head refitted on the database's corrections."""
    corrected = read_corrections(str(db), base.labels, encoder, anchored=anchored)
    head = base.analyzer.head
    weights, bias = fit_head(
        base.x, base.y, corrected, c=narratives.C, seed=13, base=(head.weights, head.bias)
    )
    new_head = replace(head, weights=weights, bias=bias)
    return replace_head(base.analyzer, new_head), corrected.corrections


def replace_head(analyzer: NarrativeAnalyzer, head: LinearHead) -> NarrativeAnalyzer:
    return NarrativeAnalyzer(head, analyzer.definitions, None, blend=analyzer.blend)


def curve(args, base: Base, held, taxonomy, encoder, work: Path) -> dict:
    """Scores per (choice, N) over the seeds, and the base's, on the scored remainder."""
    known = {t.label for t in taxonomy if not t.is_other} & set(base.labels)
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    actions: dict[str, dict[str, int]] = {}
    shifts: dict[tuple[str, int], list[CorpusShift]] = {}
    cut = int(len(held) * args.pool)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rng = random.Random(seed)
        order = sorted(held, key=lambda ex: ex.encoded.article.id)
        rng.shuffle(order)
        cut = int(len(order) * args.pool)
        pool, rest = order[:cut], order[cut:]
        results.setdefault(("base", 0), []).append(score(base.analyzer, rest, taxonomy))
        for how in args.ways:
            db = work / f"{args.language}-seed{seed}-{how}-anchors-{args.anchors}.db"
            db.unlink(missing_ok=True)
            gold = build_store(db, base, pool, encoder.name)
            done = 0
            with Store.open(str(db)) as store:
                picks = choose(store, base, how, max(args.n), random.Random(1000 + seed))
                review = Review(store, Vocabulary(models=base.folder))
                tally = actions.setdefault(how, {})
                for n in sorted(args.n):
                    for row in picks[done:n]:
                        ann = store.corrections.annotation(row)
                        did = (
                            answer(review, row, gold[ann.doc_id], args.answers == "verdicts", known)
                            if ann
                            else "gone"
                        )
                        tally[did] = tally.get(did, 0) + 1
                    done = n
                    analyzer, _ = retrained(base, db, encoder, args.anchors == "on")
                    results.setdefault((how, n), []).append(score(analyzer, rest, taxonomy))
                    shifts.setdefault((how, n), []).append(corpus_shift(str(db), analyzer, encoder))
            print(
                f"  seed {seed} {how}: "
                + ", ".join(
                    f"N={n} fine {results[(how, n)][-1][0]:.4f} coarse {results[(how, n)][-1][1]:.4f}"
                    for n in sorted(args.n)
                )
                + f" (base {results[('base', 0)][-1][0]:.4f} / {results[('base', 0)][-1][1]:.4f})",
                flush=True,
            )
    return {
        "results": results,
        "actions": actions,
        "shifts": shifts,
        "pool": cut,
        "rest": len(held) - cut,
    }


def time_retrain(base: Base, held, taxonomy, encoder, work: Path, count: int) -> str:
    """Seconds to retrain the head with `count` corrections: from scratch, and label by label."""
    db = work / "timing.db"
    db.unlink(missing_ok=True)
    gold = build_store(db, base, held, encoder.name)
    known = {t.label for t in taxonomy if not t.is_other} & set(base.labels)
    with Store.open(str(db)) as store:
        queue = build_queue(store, Vocabulary(models=base.folder), layers=LAYERS, limit=count)
        review = Review(store, Vocabulary(models=base.folder))
        for item in queue.items:
            if store.corrections.annotation(item.annotation_id) is not None:
                answer(review, item.annotation_id, gold[item.ann.doc_id], False, known)
        applied = store.corrections.count()
    started = time.perf_counter()
    corrected = read_corrections(str(db), base.labels, encoder)
    read = time.perf_counter() - started
    started = time.perf_counter()
    head = base.analyzer.head
    fit_head(base.x, base.y, corrected, c=narratives.C, seed=13, base=(head.weights, head.bias))
    refit = time.perf_counter() - started
    return (
        f"retrain with {applied} corrections ({corrected.verdicts} label verdicts on "
        f"{corrected.documents} articles, {int(corrected.ruled.any(axis=0).sum())} labels touched; "
        f"{len(base.x)} training articles): reading them {read:.1f}s, refitting the labels "
        f"they touch from the base head {refit:.1f}s"
    )


def table(outcome: dict, ns: list[int], ways: list[str]) -> str:
    """The learning curve: per N and way of choosing, mean (sd) over seeds of fine and coarse
    samples-F1, and each queue's gain over random and over the base."""
    res = outcome["results"]

    def cell(key, k):
        values = [v[k] for v in res[key]]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.4f} ({sd:.4f})"

    def mean(key, k=0):
        return statistics.mean(v[k] for v in res[key])

    rows = [
        "| N | way | fine samples-F1 | coarse samples-F1 | fine - base | fine - random "
        "| ahead of random (seeds) |",
        "|---|---|---|---|---|---|---|",
        f"| 0 | base | {cell(('base', 0), 0)} | {cell(('base', 0), 1)} | | | |",
    ]
    for n in sorted(ns):
        for way in ways:
            versus = ahead = ""
            if way != "random" and ("random", n) in res:
                versus = f"{mean((way, n)) - mean(('random', n)):+.4f}"
                pairs = zip(res[(way, n)], res[("random", n)], strict=True)
                ahead = f"{sum(a[0] > b[0] for a, b in pairs)}/{len(res[(way, n)])}"
            rows.append(
                f"| {n} | {way} | {cell((way, n), 0)} | {cell((way, n), 1)} | "
                f"{mean((way, n)) - mean(('base', 0)):+.4f} | {versus} | {ahead} |"
            )
    return "\n".join(rows)


def paired(outcome: dict, ns: list[int], ways: list[str]) -> str:
    """Each queue against random, paired by seed: the mean difference with its 95% t-interval
    and the seeds ahead, fine and coarse (the seeds share the split, so the pairs are fair)."""
    from scipy import stats

    res = outcome["results"]
    rows = [
        "| N | way | level | mean difference to random | 95% CI | seeds ahead |",
        "|---|---|---|---|---|---|",
    ]
    for n in sorted(ns):
        for way in ways:
            if way == "random" or ("random", n) not in res:
                continue
            for k, level in enumerate(("fine", "coarse")):
                diffs = [
                    a[k] - b[k] for a, b in zip(res[(way, n)], res[("random", n)], strict=True)
                ]
                mean = statistics.mean(diffs)
                if len(diffs) > 1:
                    half = stats.t.ppf(0.975, len(diffs) - 1) * statistics.stdev(diffs)
                    half /= len(diffs) ** 0.5
                    interval = f"[{mean - half:+.4f}, {mean + half:+.4f}]"
                else:
                    interval = ""
                ahead = sum(d > 0 for d in diffs)
                rows.append(
                    f"| {n} | {way} | {level} | {mean:+.4f} | {interval} | {ahead}/{len(diffs)} |"
                )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--language", default="PT", help="held out of training, and scored")
    parser.add_argument(
        "--held-out", nargs="*", default=["BG"], help="also kept out of the base's training"
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here on")
    parser.add_argument("--n", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--pool", type=float, default=0.5, help="share of articles in the pool")
    parser.add_argument("--answers", choices=("relabel", "verdicts"), default="relabel")
    parser.add_argument(
        "--ways",
        nargs="+",
        default=["queue", "random"],
        help="queue, queue:SPREAD, queue:SPREAD:LABEL_SPREAD, queue:SPREAD:LABEL_SPREAD:EXPLORE, "
        "queue:SPREAD:LABEL_SPREAD:EXPLORE:LABEL_WEIGHT, random",
    )
    parser.add_argument("--work", type=Path, default=None, help="keeps the base head between runs")
    parser.add_argument("--timing", type=int, default=1000, help="corrections to time (0: skip)")
    parser.add_argument(
        "--quick-base", action="store_true", help="base: weights only, shipped calibration"
    )
    parser.add_argument("--save", type=Path, default=None, help="per-seed scores, as JSON")
    parser.add_argument(
        "--anchors",
        choices=("on", "off"),
        default="on" if ANCHORED else "off",
        help="refit with the pool's uncorrected articles at the stored decisions (default: as shipped)",
    )
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="learning-curve-"))
    work.mkdir(parents=True, exist_ok=True)
    encoder = default_encoder()
    taxonomy: list[NarrativeLabel] = read_taxonomy()
    held_out = sorted({args.language, *args.held_out})
    base = train_base(args.data, held_out, work, encoder, seed=13, quick=args.quick_base)
    assert base.labels == head_labels(taxonomy)
    held = [
        ex
        for ex in narratives.read_split(
            args.data, "train", encoder=encoder, languages=[args.language]
        )
        if ex.gold
    ]
    print(
        f"base trained without {', '.join(held_out)}; scored: {args.language}, {len(held)} "
        f"articles; answers: {args.answers}"
    )
    outcome = curve(args, base, held, taxonomy, encoder, work)
    if not outcome["results"]:  # `--seeds 0`: only the retraining time below
        print(time_retrain(base, held, taxonomy, encoder, work, args.timing))
        return
    print(
        f"\n{args.language}: pool {outcome['pool']} articles, scored remainder {outcome['rest']}, "
        f"{args.seeds} seeds; samples-F1, official label lists, mean (sd)\n"
    )
    print(table(outcome, args.n, args.ways))
    print()
    print(paired(outcome, args.n, args.ways))
    if args.save:
        rows = {f"{way}@{n}": values for (way, n), values in outcome["results"].items()}
        args.save.write_text(json.dumps(rows, indent=1))
    for (how, n), seen in sorted(outcome["shifts"].items()):
        print(
            f"  {how} N={n}: uncorrected pool articles with a narrative, stored -> refit "
            + ", ".join(f"{s.before}->{s.after}/{s.articles}" for s in seen)
            + f"; the refit warning fires on {sum(s.sweeping for s in seen)}/{len(seen)} seeds"
        )
    for how, tally in outcome["actions"].items():
        print(f"  {how} answers: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    if args.timing:
        print(time_retrain(base, held, taxonomy, encoder, work, args.timing))


if __name__ == "__main__":
    main()
