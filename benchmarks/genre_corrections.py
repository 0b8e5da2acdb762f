"""Genre before and after an analyst's corrections (#19, item 4): a simulated analyst.

The genre head is trained by the project's trainer (`training.genre.train`: CV, temperature;
`narrascope train genre`) on the SemEval-2023 Task 3 subtask-1 train articles of every language
but one held out (default `ge`). Per seed, the held-out language's articles are split by
article into a pool (the analyst's corpus) and a scored remainder. The pool goes into a real
Narrascope database: each article segmented as the trainer segments it, with its sentence
vectors and the base head's genre label (`GenreAnalyzer.analyze`). The analyst takes N pool
articles in a seeded random order and gives the gold genre through `review.Review`: accept
when the shown genre is the gold, else relabel it. The head is refitted with
`training.genre.train(..., corrections=DB)` (the `narrascope train genre --corrections DB`
path: CV and temperature stay those of the labelled data) and both heads are scored on the
remainder with the official subtask-1 macro-F1 (and accuracy).

    nice -n 10 .venv/bin/python benchmarks/genre_corrections.py \
        --data ../shared/data/semeval2023_task3 --language ge --seeds 3 --work /tmp/genre-work
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.genre import GenreAnalyzer
from narrascope.encode import default_encoder
from narrascope.model import Document, Layer, SourceRef
from narrascope.review import Review, Vocabulary
from narrascope.store import Store
from narrascope.training import genre, seed_model_folder, semeval2023
from narrascope.training.vectors import VectorCache

USER = "simulated-analyst"


def train_head(data: Path, languages: list[str], out: Path, db: Path | None) -> float:
    """Fit the genre head into `out` (weighting in `db`'s corrections); seconds it took."""
    started = time.perf_counter()
    genre.train(data, out=out, languages=languages, corrections=None if db is None else str(db))
    took = time.perf_counter() - started
    seed_model_folder(out)
    return took


def articles(data: Path, folder: str, cache: VectorCache):
    """The folder's gold-labelled train articles as (document, vectors, gold genre)."""
    t3 = data / "data" if (data / "data").is_dir() else data
    gold = semeval2023.read_genres(semeval2023.labels_path(t3, folder, "train", 1))
    code = semeval2023.LANGUAGE_CODES[folder]
    found = []
    for article_id, article in semeval2023.read_articles(t3, folder, "train", 1).items():
        if gold.get(article_id) not in semeval2023.GENRES:
            continue
        sentences = semeval2023.split_sentences(article)
        if not sentences:
            continue
        doc = Document(text=article.text, source=SourceRef(f"{folder}/{article_id}"))
        doc.language = code
        doc.sentences = [s.span for s in sentences]
        vectors = cache.vectors([s.text for s in sentences]).astype(np.float32)
        found.append((doc, vectors, gold[article_id]))
    return found


def scores(analyzer: GenreAnalyzer, rest) -> tuple[float, float]:
    """Official macro-F1 and accuracy of the analyzer's genre on `rest`."""
    gold, guess = {}, {}
    for doc, vectors, truth in rest:
        (ann,) = [a for a in analyzer.analyze(doc, vectors) if a.layer is Layer.GENRE]
        gold[doc.id], guess[doc.id] = truth, ann.label
    accuracy = float(np.mean([gold[k] == guess[k] for k in gold]))
    return semeval2023.genre_macro_f1(gold, guess), accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2023 T3 folder")
    parser.add_argument("--language", default="ge", help="held out of training, and scored")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, nargs="+", default=[20, 60])
    parser.add_argument("--pool", type=float, default=0.5, help="share of articles in the pool")
    parser.add_argument("--work", type=Path, default=None, help="keeps the base head")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="genre-corrections-"))
    work.mkdir(parents=True, exist_ok=True)
    encoder = default_encoder()
    t3 = args.data / "data" if (args.data / "data").is_dir() else args.data
    others = [f for f in semeval2023.languages(t3) if f != args.language]
    base_dir = work / f"base-without-{args.language}"
    if not (base_dir / f"{GenreAnalyzer.version}.safetensors").is_file():
        took = train_head(args.data, others, base_dir, None)
        print(f"base head trained on {','.join(others)} in {took:.0f}s", flush=True)
    base = GenreAnalyzer.load(encoder, models=base_dir)
    held = articles(args.data, args.language, VectorCache(genre.CACHE, encoder))
    results: dict[int, list[tuple[float, float]]] = {}
    tally: dict[str, int] = {}
    for seed in range(args.seeds):
        order = sorted(held, key=lambda item: item[0].id)
        random.Random(seed).shuffle(order)
        cut = int(len(order) * args.pool)
        pool, rest = order[:cut], order[cut:]
        results.setdefault(0, []).append(scores(base, rest))
        db = work / f"{args.language}-seed{seed}.db"
        db.unlink(missing_ok=True)
        with Store.open(str(db), create=True) as store:
            for doc, vectors, _ in pool:
                store.add(doc, base.analyze(doc, vectors), vectors=vectors, encoder=encoder.name)
            review = Review(store, Vocabulary(models=base_dir))
            done = 0
            for n in sorted(args.n):
                for doc, _, truth in pool[done:n]:
                    (row, shown) = next(
                        (row, ann)
                        for row, ann in store.corrections.annotated(doc.id)
                        if ann.layer is Layer.GENRE
                    )
                    if shown.label == truth:
                        review.correct("accept", user=USER, annotation_id=row)
                        tally["accept"] = tally.get("accept", 0) + 1
                    else:
                        review.correct("relabel", user=USER, annotation_id=row, label=truth)
                        tally["relabel"] = tally.get("relabel", 0) + 1
                done = n
                after = work / f"after-{args.language}-seed{seed}-n{n}"
                took = train_head(args.data, others, after, db)
                results.setdefault(n, []).append(
                    scores(GenreAnalyzer.load(encoder, models=after), rest)
                )
                print(
                    f"  seed {seed} N={n}: macro-F1 {results[n][-1][0]:.4f} accuracy "
                    f"{results[n][-1][1]:.4f} (base {results[0][-1][0]:.4f} / "
                    f"{results[0][-1][1]:.4f}; trained in {took:.0f}s)",
                    flush=True,
                )
    print(
        f"\n{args.language}: {len(held)} articles, pool {cut}, scored {len(held) - cut}, "
        f"{args.seeds} seeds; answers: {tally}\n"
    )
    print("| N | macro-F1 mean (sd) | change | seeds up | accuracy mean (sd) |")
    print("|---|---|---|---|---|")
    for n, values in sorted(results.items()):
        f1 = [v[0] for v in values]
        acc = [v[1] for v in values]
        change = statistics.mean(f1) - statistics.mean(v[0] for v in results[0])
        up = sum(a > b[0] for a, b in zip(f1, results[0], strict=True))
        sd = statistics.stdev(f1) if len(f1) > 1 else 0.0
        sd_acc = statistics.stdev(acc) if len(acc) > 1 else 0.0
        print(
            f"| {n} | {statistics.mean(f1):.4f} ({sd:.4f}) | "
            f"{'' if n == 0 else f'{change:+.4f}'} | {'' if n == 0 else f'{up}/{len(f1)}'} | "
            f"{statistics.mean(acc):.4f} ({sd_acc:.4f}) |"
        )


if __name__ == "__main__":
    main()
