"""Entity roles before and after an analyst's corrections (#19, item 4): a simulated analyst.

The role heads are trained by the project's trainer (`training.roles.train`: CV, calibration,
cuts; `narrascope train roles`) on the SemEval-2025 Task 10 subtask-1 train mentions of every
language but one held out (default PT). The held-out language's articles are split by
article, seeded, into a pool (the analyst's corpus) and a scored remainder. The pool goes into
a real Narrascope database: each article with its sentence vectors, its gold mention strings
as entity mentions (every occurrence of the string, as the trainer's features see an
entity), and the base heads' role labels on every one of those entities
(`RoleAnalyzer.analyze`, no domain gate, all entities cast; a role below the main role's
operating point is not shown, as in the reader).

The analyst then takes N of the pool's entities in a seeded random order and gives the gold
answer through `review.Review`: accept when the shown label's main role and first fine role
are the gold's; otherwise relabel it to the gold's first fine role (which names its main
role too), or add that role when the heads showed none. The heads are refitted with
`training.roles.train(..., corrections=DB)` (the `narrascope train roles --corrections DB`
path: the CV, calibration and cuts stay those of the labelled data), and both the base and the
corrected heads score the remainder's mentions with the official measures (exact match ratio
on main and ordered fine roles, main-role accuracy, fine-role micro-F1), paired by mention key.

    nice -n 10 .venv/bin/python benchmarks/role_corrections.py \
        --data ../shared/data/semeval2025_task10 --language PT --n 100 300 --work /tmp/roles-work
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from pathlib import Path

from narrascope.analyzers.roles import RoleAnalyzer
from narrascope.encode import default_encoder
from narrascope.model import Annotation, CorrectionRefused, Layer, subject_of
from narrascope.review import Review, Vocabulary
from narrascope.store import Store
from narrascope.training import roles, seed_model_folder
from narrascope.training.semeval2025 import MAIN_ROLES, language_dirs

USER = "simulated-analyst"


def train_heads(data: Path, languages: list[str], out: Path, db: Path | None) -> float:
    """Fit the role heads into `out` (weighting in `db`'s corrections); seconds it took."""
    started = time.perf_counter()
    roles.train(
        data,
        out=out,
        seed=13,
        folds=5,
        languages=languages,
        corrections=None if db is None else str(db),
    )
    took = time.perf_counter() - started
    seed_model_folder(out)  # the other shipped heads beside them, as `train --out` does
    return took


def score(analyzer: RoleAnalyzer, examples: list[roles.RoleExample]) -> dict[str, float]:
    """The official measures of the analyzer's answer on every gold mention of `examples`."""
    gold, predicted = {}, {}
    for ex in examples:
        d = analyzer.decide(ex.encoded.vectors, ex.rows, ex.mention.text, ex.language)
        gold[ex.mention.key] = (ex.mention.main_role, ex.mention.fine_roles)
        predicted[ex.mention.key] = (d.main, tuple(r for r, _ in d.fine))
    return roles.role_scores(gold, predicted)


def build_store(path: Path, analyzer: RoleAnalyzer, pool: list[roles.RoleExample], encoder: str):
    """The pool's articles stored with vectors, entity mentions and the base role labels;
    the gold answers as {(doc id, entity id): (main role, fine roles)}."""
    by_article: dict[str, list[roles.RoleExample]] = {}
    for ex in pool:
        by_article.setdefault(ex.mention.article_id, []).append(ex)
    cast = RoleAnalyzer(analyzer.main, analyzer.fine, None, max_entities=10_000, min_mentions=1)
    answers: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    with Store.open(str(path), create=True) as store:
        for mentions in by_article.values():
            encoded = mentions[0].encoded
            doc = encoded.document()
            entities: list[Annotation] = []
            for name in dict.fromkeys(ex.mention.text for ex in mentions):
                entity = f"gold-{len(answers)}"
                first = next(ex.mention for ex in mentions if ex.mention.text == name)
                answers[(doc.id, entity)] = (str(first.main_role), tuple(first.fine_roles))
                for found in re.finditer(re.escape(name), doc.text):
                    entities.append(
                        Annotation(
                            doc_id=doc.id,
                            layer=Layer.ENTITY,
                            label="PER",
                            model="gold",
                            start=found.start(),
                            end=found.end(),
                            attrs={"entity": name, "entity_id": entity},
                        )
                    )
            labels = cast.analyze(doc, encoded.vectors, entities)
            store.add(doc, entities + labels, vectors=encoded.vectors, encoder=encoder)
    return answers


def correct(db: Path, folder: Path, answers: dict, order: list, n: int) -> dict[str, int]:
    """Apply the gold answer to the first `n` entities of `order`; the actions taken."""
    tally: dict[str, int] = {}
    with Store.open(str(db)) as store:
        review = Review(store, Vocabulary(models=folder))
        for doc_id, entity in order[:n]:
            main, fine = answers[(doc_id, entity)]
            target = fine[0] if fine else main
            shown = [
                (row, ann)
                for row, ann in store.corrections.annotated(doc_id)
                if ann.layer is Layer.ROLE and subject_of(ann) == entity
            ]
            try:
                if not shown:
                    review.correct(
                        "add",
                        user=USER,
                        doc_id=doc_id,
                        layer=Layer.ROLE,
                        label=target,
                        subject=entity,
                    )
                    did = "add"
                else:
                    row, ann = shown[0]
                    shown_fine = list(ann.attrs.get("fine_roles") or [])
                    if ann.label == main and (shown_fine[:1] == list(fine[:1])):
                        review.correct("accept", user=USER, annotation_id=row)
                        did = "accept"
                    else:
                        review.correct("relabel", user=USER, annotation_id=row, label=target)
                        did = "relabel"
            except CorrectionRefused as exc:
                did = f"refused ({exc})"
            tally[did] = tally.get(did, 0) + 1
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the SemEval-2025 T10 folder")
    parser.add_argument("--language", default="PT", help="held out of training, and scored")
    parser.add_argument("--n", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool", type=float, default=0.5, help="share of articles in the pool")
    parser.add_argument("--work", type=Path, default=None, help="keeps the base heads")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="role-corrections-"))
    work.mkdir(parents=True, exist_ok=True)
    encoder = default_encoder()
    others = [lang for lang in language_dirs(args.data, "train") if lang != args.language]
    base_dir = work / f"base-without-{args.language}"
    if not (base_dir / roles.MAIN_FILE.name).is_file():
        base_dir.mkdir(parents=True, exist_ok=True)
        took = train_heads(args.data, others, base_dir, None)
        print(f"base heads trained on {','.join(others)} in {took:.0f}s", flush=True)
    base = RoleAnalyzer.load(encoder, models=base_dir)

    held = [
        ex
        for ex in roles.read_split(args.data, "train", encoder=encoder, languages=[args.language])
        if ex.mention.main_role in MAIN_ROLES
    ]
    articles = sorted({ex.mention.article_id for ex in held})
    rng = random.Random(args.seed)
    rng.shuffle(articles)
    in_pool = set(articles[: int(len(articles) * args.pool)])
    pool = [ex for ex in held if ex.mention.article_id in in_pool]
    rest = [ex for ex in held if ex.mention.article_id not in in_pool]
    db = work / f"{args.language}-seed{args.seed}.db"
    db.unlink(missing_ok=True)
    answers = build_store(db, base, pool, encoder.name)
    order = sorted(answers)
    random.Random(1000 + args.seed).shuffle(order)
    print(
        f"{args.language}: pool {len(in_pool)} articles ({len(pool)} mentions, {len(answers)} "
        f"entities), scored {len(articles) - len(in_pool)} articles ({len(rest)} mentions); "
        f"base trained on {','.join(others)}",
        flush=True,
    )
    rows = [("base", 0, score(base, rest), {}, 0.0)]
    done = 0
    tally: dict[str, int] = {}
    for n in sorted(args.n):
        for did, count in correct(db, base_dir, answers, order[done:], n - done).items():
            tally[did] = tally.get(did, 0) + count
        done = n
        after = work / f"after-{args.language}-seed{args.seed}-n{n}"
        after.mkdir(parents=True, exist_ok=True)
        took = train_heads(args.data, others, after, db)
        rows.append(
            (
                f"{n} corrections",
                n,
                score(RoleAnalyzer.load(encoder, models=after), rest),
                dict(tally),
                took,
            )
        )
        print(
            f"  N={n}: {rows[-1][2]} (trained in {took:.0f}s; answers so far {tally})", flush=True
        )

    keys = ("emr", "main_accuracy", "fine_micro_f1")
    print(f"\n| heads | {' | '.join(keys)} | answers | train s |")
    print(f"|---|{'---|' * len(keys)}---|---|")
    for name, _, scores, answered, took in rows:
        cells = " | ".join(
            f"{scores[k]:.4f}" + (f" ({scores[k] - rows[0][2][k]:+.4f})" if name != "base" else "")
            for k in keys
        )
        shown = ", ".join(f"{k} {v}" for k, v in sorted(answered.items()))
        print(f"| {name} | {cells} | {shown} | {took:.0f} |")


if __name__ == "__main__":
    main()
