"""Corrections per language (#19): the pooled-only refit against the per-language one, on a
language that has its own narratives head.

`benchmarks/learning_curve.py` holds a whole language out of training; here an analyst works
in a language the base knows and has a head of its own for (narratives-v4: EN, HI, PT, RU). A
share of that language's SemEval-2025 T10 train articles (`--share`, a fixed seeded split) is
held out as the analyst's corpus; the base is narratives-v4's recipe on every other train
article, weights only as learning_curve's `--quick-base`: the pooled head's weights fitted on
all of them, the language's own head's on that language's remaining articles (the trainer's
final fit, `fit_head`), both with the calibration, blend and cuts of the shipped narratives-v4
(pooled and own: chosen by CV on all train articles, the held-out share too, the same for
every arm). Per seed the corpus is split by article into a pool (stored in a Narrascope
database with the base's labels: the analyst's corpus) and a scored remainder; the first N
items of the review queue, or N stored labels at random, are answered from the gold (as
learning_curve does), and two refits are scored on the remainder with the official
samples-F1 (fine and coarse, official lists, paired by article id):

- `pooled`: `train --corrections` before the per-language refit: the pooled head refitted with
  every correction, no head per language (the language's articles get the refitted pooled head);
- `language`: the pooled head as above, and the language's own head refitted on its base
  articles with that language's corrections (`CorrectedSet.in_language`), as `train` now does
  (each verdict `narrative_languages.OWN_WEIGHT` rows in the own head: 5 until 2026-12-08, 1
  since; RESULTS.md "The own head's corrections weight"; `--own-weight 5` is the old refit).

Both refits are anchored in the pool's uncorrected articles (the shipped default) and start
from the base weights, refitting only the labels a verdict touches (`fit_head(base=...)`).

    nice -n 10 .venv/bin/python benchmarks/learning_curve_within.py \
        --data ../shared/data/semeval2025_task10 --language EN --seeds 3 --work /tmp/lcw
    (`--probe`: also the own head refitted with its corrections weighted 1x, and unanchored;
    `--own-weight 1`: the 1x refit alone, and its difference to the per-language refit;
    `--merged HI=/tmp/hi.json RU=/tmp/ru.json`: that difference over runs saved with `--save`)
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
from learning_curve import Base, answer, build_store, choose, score

from narrascope.analyzers.domain import article_features
from narrascope.analyzers.narratives import (
    DEFINITIONS_FILE,
    HEAD_FILE,
    NarrativeAnalyzer,
    head_labels,
    read_taxonomy,
)
from narrascope.encode import default_encoder
from narrascope.heads import LinearHead
from narrascope.review import Review, Vocabulary
from narrascope.store import Store
from narrascope.training import narratives
from narrascope.training.narrative_corrections import fit_head, read_corrections
from narrascope.training.narrative_languages import OWN_WEIGHT

SEED = 13  # the trainer's seed, for every fit


@dataclass
class WithinBase:
    """The base trained without the held-out share, its own head's rows, and the corpus."""

    base: Base  # the analyzer (own head included), the pooled head's training rows
    language: str  # lower case, as the heads per language are keyed
    own_x: np.ndarray
    own_y: np.ndarray
    corpus: list  # the held-out examples: the analyst's corpus


def train_within(data: Path, language: str, share: float, work: Path, encoder) -> WithinBase:
    """Fit (or reuse, from `work`) the base on every train article but `share` of `language`'s."""
    code = language.lower()
    examples = [ex for ex in narratives.read_split(data, "train", encoder=encoder) if ex.gold]
    mine = sorted(
        (ex for ex in examples if ex.language.lower() == code), key=lambda ex: ex.encoded.article.id
    )
    random.Random(SEED).shuffle(mine)
    corpus = mine[: int(len(mine) * share)]
    held = {(ex.language, ex.encoded.article.id) for ex in corpus}
    trained = [ex for ex in examples if (ex.language, ex.encoded.article.id) not in held]
    labels = head_labels(read_taxonomy())
    x = np.vstack([article_features(ex.encoded.vectors) for ex in trained])
    y = narratives.targets(trained, labels).astype(np.float32)
    own = np.array([ex.language.lower() == code for ex in trained])
    folder = work / f"base-within-{code}-{share:g}"
    if not (folder / HEAD_FILE.name).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        shipped = LinearHead.from_file(HEAD_FILE, encoder=encoder)
        weights, bias = fit_head(x, y, c=narratives.C, seed=SEED)
        own_w, own_b = fit_head(x[own], y[own], c=narratives.C, seed=SEED)
        extra = {**shipped.extra, f"weights.{code}": own_w, f"bias.{code}": own_b}
        info = {**shipped.info, "trained_on": f"T10 train without {len(corpus)} {language}"}
        head = replace(shipped, weights=weights, bias=bias, info=info, extra=extra)
        head.save(folder / HEAD_FILE.name)
        shutil.copyfile(DEFINITIONS_FILE, folder / DEFINITIONS_FILE.name)
        print(
            f"base fitted on {len(trained)} articles ({int(own.sum())} {language}) in "
            f"{time.perf_counter() - started:.0f}s (weights only)",
            flush=True,
        )
    head = LinearHead.from_file(folder / HEAD_FILE.name, encoder=encoder)
    definitions = LinearHead.from_file(folder / DEFINITIONS_FILE.name, encoder=encoder)
    assert code in head.info.get("languages", {}), f"{language} has no head of its own"
    analyzer = NarrativeAnalyzer(head, definitions, None, blend=float(head.info.get("blend", 0)))
    base = Base(analyzer, folder, x, y, list(head.labels))
    return WithinBase(base, code, x[own], y[own], corpus)


def pooled_only(analyzer: NarrativeAnalyzer, head: LinearHead) -> NarrativeAnalyzer:
    """`head` with no head per language: every article gets the pooled one."""
    info = {k: v for k, v in head.info.items() if k != "languages"}
    alone = replace(head, info=info, extra={})
    return NarrativeAnalyzer(alone, analyzer.definitions, None, blend=analyzer.blend)


def refits(
    within: WithinBase, db: Path, encoder, probe: bool, own_weights: tuple[int, ...] = ()
) -> dict[str, NarrativeAnalyzer]:
    """The pooled-only refit and the per-language refit of the base on `db`'s corrections (the
    own head's verdicts weighted `OWN_WEIGHT`, as `train` does); for each of `own_weights`, the
    per-language refit with its own head's corrections weighted that many rows instead
    (`language-1x`: 1x; anchors as read, the pooled head as above); with `probe`, also 1x and
    the own head's refit unanchored."""
    base = within.base
    corrected = read_corrections(str(db), base.labels, encoder)
    head = base.analyzer.head
    weights, bias = fit_head(
        base.x, base.y, corrected, c=narratives.C, seed=SEED, base=(head.weights, head.bias)
    )
    pooled = replace(head, weights=weights, bias=bias)
    code = within.language
    own_start = (head.extra[f"weights.{code}"], head.extra[f"bias.{code}"])
    mine = corrected.in_language(code)
    analyzer = base.analyzer

    def with_own(own: tuple[np.ndarray, np.ndarray]) -> NarrativeAnalyzer:
        extra = {**head.extra, f"weights.{code}": own[0], f"bias.{code}": own[1]}
        return NarrativeAnalyzer(
            replace(pooled, extra=extra), analyzer.definitions, None, blend=analyzer.blend
        )

    def own_refit(rows, weight: int = OWN_WEIGHT) -> NarrativeAnalyzer:
        return with_own(
            fit_head(
                within.own_x,
                within.own_y,
                rows,
                c=narratives.C,
                seed=SEED,
                base=own_start,
                weight=weight,
            )
        )

    out = {"pooled": pooled_only(analyzer, pooled), "language": own_refit(mine)}
    for weight in dict.fromkeys((*own_weights, *((1,) if probe else ()))):
        out[f"language-{weight}x"] = own_refit(mine, weight)
    if probe:
        unanchored = read_corrections(str(db), base.labels, encoder, anchored=False)
        out["language-unanchored"] = own_refit(unanchored.in_language(code))
    return out


def run(args, within: WithinBase, taxonomy, encoder, work: Path) -> dict:
    """Per (refit, way, N), the scores (fine, coarse) over the seeds; and the bases'."""
    base = within.base
    known = {t.label for t in taxonomy if not t.is_other} & set(base.labels)
    results: dict[str, list[tuple[float, float]]] = {}
    seconds: list[float] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        order = sorted(within.corpus, key=lambda ex: ex.encoded.article.id)
        random.Random(seed).shuffle(order)
        cut = int(len(order) * args.pool)
        pool, rest = order[:cut], order[cut:]
        results.setdefault("base@0", []).append(score(base.analyzer, rest, taxonomy))
        alone = pooled_only(base.analyzer, base.analyzer.head)
        results.setdefault("base-pooled@0", []).append(score(alone, rest, taxonomy))
        for how in args.ways:
            db = work / f"within-{within.language}-seed{seed}-{how}.db"
            db.unlink(missing_ok=True)
            gold = build_store(db, base, pool, encoder.name)
            done = 0
            with Store.open(str(db)) as store:
                picks = choose(store, base, how, max(args.n), random.Random(1000 + seed))
                review = Review(store, Vocabulary(models=base.folder))
                for n in sorted(args.n):
                    for row in picks[done:n]:
                        ann = store.corrections.annotation(row)
                        if ann is not None:
                            answer(review, row, gold[ann.doc_id], False, known)
                    done = n
                    started = time.perf_counter()
                    refitted = refits(within, db, encoder, args.probe, tuple(args.own_weight))
                    seconds.append(time.perf_counter() - started)
                    for arm, refit in refitted.items():
                        results.setdefault(f"{arm}:{how}@{n}", []).append(
                            score(refit, rest, taxonomy)
                        )
                    print(
                        f"  seed {seed} {how} N={n}: pooled fine "
                        f"{results[f'pooled:{how}@{n}'][-1][0]:.4f} coarse "
                        f"{results[f'pooled:{how}@{n}'][-1][1]:.4f}; language fine "
                        f"{results[f'language:{how}@{n}'][-1][0]:.4f} coarse "
                        f"{results[f'language:{how}@{n}'][-1][1]:.4f} (base "
                        f"{results['base@0'][-1][0]:.4f} / {results['base@0'][-1][1]:.4f}; "
                        f"refits {seconds[-1]:.0f}s)",
                        flush=True,
                    )
        if args.save:  # after every seed, so a run stopped at a deadline keeps what it did
            args.save.write_text(json.dumps(results, indent=1))
    return {"results": results, "pool": cut, "rest": len(within.corpus) - cut, "seconds": seconds}


def table(results: dict[str, list[tuple[float, float]]], ns: list[int], ways: list[str]) -> str:
    """Per N and way: both refits' mean (sd) fine and coarse samples-F1, and the per-language
    refit's difference to the pooled-only one, paired by seed, with the seeds ahead."""

    def cell(key: str, k: int) -> str:
        values = [v[k] for v in results[key]]
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.4f} ({sd:.4f})"

    rows = [
        "| N | way | pooled-only fine | per-language fine | difference (seeds ahead) "
        "| pooled-only coarse | per-language coarse | difference (seeds ahead) |",
        "|---|---|---|---|---|---|---|---|",
        f"| 0 | base (own head) | | {cell('base@0', 0)} | | | {cell('base@0', 1)} | |",
        f"| 0 | base (pooled head) | {cell('base-pooled@0', 0)} | | | "
        f"{cell('base-pooled@0', 1)} | | |",
    ]
    for n in sorted(ns):
        for way in ways:
            pooled, language = results[f"pooled:{way}@{n}"], results[f"language:{way}@{n}"]
            diffs = []
            for k in (0, 1):
                paired = [b[k] - a[k] for a, b in zip(pooled, language, strict=True)]
                ahead = sum(d >= 0 for d in paired)
                diffs.append(f"{statistics.mean(paired):+.4f} ({ahead}/{len(paired)})")
            rows.append(
                f"| {n} | {way} | {cell(f'pooled:{way}@{n}', 0)} | "
                f"{cell(f'language:{way}@{n}', 0)} | {diffs[0]} | {cell(f'pooled:{way}@{n}', 1)} "
                f"| {cell(f'language:{way}@{n}', 1)} | {diffs[1]} |"
            )
    return "\n".join(rows)


def against_base(results: dict[str, list[tuple[float, float]]], ns, ways) -> str:
    """Each refit's fine samples-F1 against the base's own head, paired by seed: mean
    difference (sd) and the seeds above the base."""
    base = [v[0] for v in results["base@0"]]
    rows = ["| N | way | refit | fine - base (own head) | seeds above |", "|---|---|---|---|---|"]
    arms = dict.fromkeys(key.split(":")[0] for key in results if "@0" not in key)
    for n in sorted(ns):
        for way in ways:
            for arm in arms:
                diffs = [v[0] - b for v, b in zip(results[f"{arm}:{way}@{n}"], base, strict=True)]
                sd = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
                above = sum(d > 0 for d in diffs)
                rows.append(
                    f"| {n} | {way} | {arm} | {statistics.mean(diffs):+.4f} ({sd:.4f}) "
                    f"| {above}/{len(diffs)} |"
                )
    return "\n".join(rows)


def versus(runs: dict[str, dict[str, list[tuple[float, float]]]], arm: str, ns, ways) -> str:
    """`arm` against the per-language refit (`language`), paired by seed: per language, N and
    way the mean difference (fine, coarse) and the seeds where it is >= 0; per N, the mean over
    seeds and ways of each language, then over the languages (each language counts the same);
    and each of them against the base's own head (fine)."""
    rows = [
        f"| language (seeds) | N | way | {arm} - language, fine (seeds >= 0) | coarse "
        f"| language - base own head, fine | {arm} - base own head, fine |",
        "|---|---|---|---|---|---|---|",
    ]
    overall: dict[int, list[tuple[float, float]]] = {}
    for language, results in runs.items():
        base = [v[0] for v in results["base@0"]]
        seeds = len(base)
        for n in sorted(ns):
            per_language = []
            for way in ways:
                shipped = results[f"language:{way}@{n}"][:seeds]
                other = results[f"{arm}:{way}@{n}"][:seeds]
                fine = [b[0] - a[0] for a, b in zip(shipped, other, strict=True)]
                coarse = [b[1] - a[1] for a, b in zip(shipped, other, strict=True)]
                per_language.append((statistics.mean(fine), statistics.mean(coarse)))
                lift = [a[0] - z for a, z in zip(shipped, base, strict=True)]
                lift_arm = [b[0] - z for b, z in zip(other, base, strict=True)]
                rows.append(
                    f"| {language} ({seeds}) | {n} | {way} | {statistics.mean(fine):+.4f} "
                    f"({sum(d >= 0 for d in fine)}/{seeds}) | {statistics.mean(coarse):+.4f} "
                    f"| {statistics.mean(lift):+.4f} ({sum(d > 0 for d in lift)}/{seeds} above) "
                    f"| {statistics.mean(lift_arm):+.4f} ({sum(d > 0 for d in lift_arm)}/{seeds}"
                    " above) |"
                )
            overall.setdefault(n, []).append(
                (
                    statistics.mean(f for f, _ in per_language),
                    statistics.mean(c for _, c in per_language),
                )
            )
    for n in sorted(ns):
        fine = statistics.mean(f for f, _ in overall[n])
        coarse = statistics.mean(c for _, c in overall[n])
        rows.append(
            f"| all ({', '.join(runs)}), seeds and ways | {n} | both | {fine:+.4f} | "
            f"{coarse:+.4f} | | |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the SemEval-2025 T10 folder")
    parser.add_argument("--language", default="EN", help="a language with a head of its own")
    parser.add_argument("--share", type=float, default=0.5, help="of its articles: the corpus")
    parser.add_argument("--pool", type=float, default=0.5, help="of the corpus: corrected")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--n", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--ways", nargs="+", default=["queue", "random"])
    parser.add_argument("--work", type=Path, default=None, help="keeps the base between runs")
    parser.add_argument("--save", type=Path, default=None, help="per-seed scores, as JSON")
    parser.add_argument(
        "--probe", action="store_true", help="also the own head refitted 1x, and unanchored"
    )
    parser.add_argument(
        "--own-weight",
        type=int,
        nargs="*",
        default=[],
        help="also the own head refitted with its corrections weighted this many rows each",
    )
    parser.add_argument(
        "--merged",
        type=Path,
        nargs="+",
        default=None,
        metavar="LANG=JSON",
        help="no run: print --arm against the per-language refit from runs saved with --save",
    )
    parser.add_argument("--arm", default="language-1x", help="with --merged: the arm to compare")
    args = parser.parse_args()
    if args.merged:
        runs = {}
        for given in args.merged:
            language, _, path = str(given).partition("=")
            runs[language] = json.loads(Path(path).read_text())
        print(versus(runs, args.arm, args.n, args.ways))
        return
    if args.data is None:
        parser.error("--data is required for a run")

    work = args.work or Path(tempfile.mkdtemp(prefix="learning-curve-within-"))
    work.mkdir(parents=True, exist_ok=True)
    encoder = default_encoder()
    taxonomy = read_taxonomy()
    within = train_within(args.data, args.language, args.share, work, encoder)
    print(
        f"{args.language}: corpus {len(within.corpus)} held-out articles, base {len(within.base.x)} "
        f"articles ({len(within.own_x)} {args.language})",
        flush=True,
    )
    outcome = run(args, within, taxonomy, encoder, work)
    print(
        f"\n{args.language}: pool {outcome['pool']}, scored remainder {outcome['rest']}, "
        f"{args.seeds} seeds from {args.first_seed}; samples-F1, official lists, mean (sd); "
        f"both refits of a (seed, way, N) took {statistics.mean(outcome['seconds']):.0f}s on "
        "average\n"
    )
    print(table(outcome["results"], args.n, args.ways))
    print(against_base(outcome["results"], args.n, args.ways))
    for weight in args.own_weight:
        print(versus({args.language: outcome["results"]}, f"language-{weight}x", args.n, args.ways))


if __name__ == "__main__":
    main()
