"""Source errors of the quotes analyzer on PolNeAR train, by kind, with a sample to read.

Compares each predicted attribution with the gold attribution whose content it overlaps most
(the matching of `training.polnear`) and sorts what went wrong with the source (speaker span):
- `ok exact` / `ok partial`: the source overlaps gold's (exactly, or only in part);
- `speaker missing`: gold names a source, the prediction has none;
- `speaker where gold has none`: the prediction names one, gold does not;
- `wrong speaker`: both name one and they do not overlap;
- `no gold content`: the predicted content overlaps no gold content (a non-quote, or an
  attribution the annotator did not mark);
- `gold missed`: gold attributions no prediction overlaps (recall), counted by their cue word.
The fine categories (modifier, pronoun, nearest name …) are read by hand from `--sample`.
Reads the train split only. Predictions come from `--predictions DIR` (as written by
`narrascope evaluate quotes --predictions DIR`), else the analyzers are run.

    python benchmarks/quote_errors.py --data ../shared/data/polnear \
        [--predictions /tmp/pred] [--sample 40] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

from narrascope.training.polnear import Article, Attribution, Predictor, read_ann, read_split


def _text(article: Article, spans: tuple[tuple[int, int], ...] | None) -> str:
    if not spans:
        return "-"
    return " … ".join(" ".join(article.text[a:b].split()) for a, b in spans)


def _overlap(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> int:
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def _kind(pred: Attribution, gold: Attribution | None, article: Article) -> str:
    if gold is None:
        return "no gold content"
    if gold.source and not pred.source:
        return "speaker missing"
    if pred.source and not gold.source:
        return "speaker where gold has none"
    if not pred.source and not gold.source:
        return "ok exact"
    assert pred.source and gold.source
    if _overlap(pred.source, gold.source) <= 0:
        return "wrong speaker"
    same = _text(article, pred.source).strip(" ,") == _text(article, gold.source).strip(" ,")
    return "ok exact" if same else "ok partial"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--predictions", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=40, help="errors shown, in random order")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    articles = read_split(args.data, "train")  # train only: dev and test stay blind
    predict = None if args.predictions else Predictor()
    kinds: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    errors: list[tuple[str, Article, Attribution, Attribution | None]] = []
    for article in articles:
        if predict is not None:
            predicted = predict(article.text)
        else:
            path = args.predictions / f"{article.name}_pred.ann"
            predicted = read_ann(path) if path.exists() else []
        for pred in predicted:
            best = max(
                article.attributions, key=lambda g: _overlap(g.content, pred.content), default=None
            )
            gold = best if best is not None and _overlap(best.content, pred.content) else None
            kind = _kind(pred, gold, article)
            kinds[kind] += 1
            if not kind.startswith("ok"):
                errors.append((kind, article, pred, gold))
        for gold in article.attributions:
            if not any(_overlap(gold.content, p.content) for p in predicted):
                cue = _text(article, gold.cue).lower() if gold.cue else "(no cue)"
                missed[cue] += 1
    total = sum(kinds.values())
    print(f"{len(articles)} train articles, {total} predicted attributions")
    for kind, n in kinds.most_common():
        print(f"  {kind:30s} {n:5d}  {n / total:.1%}")
    print(f"gold missed (no predicted content overlaps): {sum(missed.values())}; top cues:")
    print("  " + ", ".join(f"{cue} {n}" for cue, n in missed.most_common(25)))
    random.Random(args.seed).shuffle(errors)
    for k, (kind, article, pred, gold) in enumerate(errors[: args.sample], start=1):
        print(f"\n#{k} [{kind}] {article.name}")
        print(f"  pred source: {_text(article, pred.source)!r}  cue: {_text(article, pred.cue)!r}")
        if gold is not None:
            print(
                f"  gold source: {_text(article, gold.source)!r}  cue: {_text(article, gold.cue)!r}"
            )
        start = min(a for a, _ in pred.content)
        end = max(b for _, b in pred.content)
        context = " ".join(
            article.text[max(0, start - 200) : min(len(article.text), end + 80)].split()
        )
        print(f"  context: {context}")


if __name__ == "__main__":
    main()
