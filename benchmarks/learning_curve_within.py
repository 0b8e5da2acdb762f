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
  articles with that language's corrections (`CorrectedSet.in_language`), as `train` now does.

Both refits are anchored in the pool's uncorrected articles (the shipped default) and start
from the base weights, refitting only the labels a verdict touches (`fit_head(base=...)`).

    nice -n 10 .venv/bin/python benchmarks/learning_curve_within.py \
        --data ../shared/data/semeval2025_task10 --language EN --seeds 3 --work /tmp/lcw
    (`--probe`: also the own head refitted with its corrections weighted 1x, and unanchored)
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


def refits(within: WithinBase, db: Path, encoder, probe: bool) -> dict[str, NarrativeAnalyzer]:
    """The pooled-only refit and the per-language refit of the base on `db`'s corrections (and
    with `probe`, the per-language refit with its own head's corrections weighted 1x instead of
    5x, and unanchored)."""
    base = within.base
    corrected = read_corrections(str(db), base.labels, encoder)
    head = base.analyzer.head
    weights, bias = fit_head(
        base.x, base.y, corrected, c=narratives.C, seed=SEED, base=(head.weights, head.bias)
    )
    pooled = replace(head, weights=weights, bias=bias)
    code = within.language
    own_start = (head.extra[f"weights.{code}"], head.extra[f"bias.{code}"])
    own_w, own_b = fit_head(
        within.own_x,
        within.own_y,
        corrected.in_language(code),
        c=narratives.C,
        seed=SEED,
        base=own_start,
    )
    analyzer = base.analyzer

    def with_own(own: tuple[np.ndarray, np.ndarray]) -> NarrativeAnalyzer:
        extra = {**head.extra, f"weights.{code}": own[0], f"bias.{code}": own[1]}
        return NarrativeAnalyzer(
            replace(pooled, extra=extra), analyzer.definitions, None, blend=analyzer.blend
        )

    out = {"pooled": pooled_only(analyzer, pooled), "language": with_own((own_w, own_b))}
    if probe:
        mine = corrected.in_language(code)
        out["language-1x"] = with_own(
            fit_head(
                within.own_x,
                within.own_y,
                mine,
                c=narratives.C,
                seed=SEED,
                base=own_start,
                weight=1,
            )
        )
        unanchored = read_corrections(str(db), base.labels, encoder, anchored=False)
        out["language-unanchored"] = with_own(
            fit_head(
                within.own_x,
                within.own_y,
                unanchored.in_language(code),
                c=narratives.C,
                seed=SEED,
                base=own_start,
            )
        )
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
                    refitted = refits(within, db, encoder, args.probe)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
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
    args = parser.parse_args()

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
    if args.save:
        args.save.write_text(json.dumps(outcome["results"], indent=1))


if __name__ == "__main__":
    main()
