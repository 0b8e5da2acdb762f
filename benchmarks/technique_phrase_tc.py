"""The phrase technique head's candidates (#16, pre-registered in RESULTS.md): 5-fold CV on the
T3 English train spans outside the accurate model's held-out fold, then (`--held-out`) each
candidate once on the gold PTC spans of that fold, beside the sentence head.

Run (torch venv; the int8 ONNX outputs come from the training cache):
`PYTHONPATH=src nice -n 10 /work/venv-acc/bin/python benchmarks/technique_phrase_tc.py
--data ../shared/data --candidates A14 A23 B C [--held-out]`
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.pair_model import model_files
from narrascope.analyzers.techniques_accurate import FineTunedTechniques
from narrascope.heads import RESOURCES, softmax
from narrascope.training import semeval2023
from narrascope.training.finetune import phrase_tc as tc
from narrascope.training.finetune.trainer import Settings
from narrascope.training.ptc import PTC_TECHNIQUES, read_ptc
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.techniques import find_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--candidates", nargs="*", default=["A14", "A23", "B", "C"])
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--c", type=float, default=tc.C_REGULARISATION, help="inverse penalty")
    parser.add_argument("--combine", help="the chosen candidate: measure rules R and O with it")
    parser.add_argument(
        "--ship", type=Path, help="write the shipped head here (what `narrascope train` does)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    t3, ptc_data = find_data(args.data)
    settings = Settings(seed=13, folds=5, epochs=3, lr_encoder=8e-5, top=1)
    if args.ship is not None:
        onnx = model_files(RESOURCES)["onnx"]
        print(tc.train(t3, onnx, settings, out=args.ship, ptc_data=ptc_data).summary())
        print(f"total {(time.monotonic() - started) / 60:.1f} min")
        return
    lower = "D" in [*args.candidates, args.combine]
    onnx = model_files(RESOURCES)["onnx"]
    readings = tc.read_all(t3, onnx, settings, lower=lower, on_progress=print)
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    t3_spans = semeval2023.read_spans(t3, "en", "train", articles)
    train = tc.span_table(readings, {a: s for a, s in t3_spans.items() if a not in readings.held})
    ptc = {a: p.tc for a, p in read_ptc(ptc_data, "train").items() if a in readings.held}
    judge = tc.span_table(readings, ptc)
    print(
        f"train: {len(train.spans)} unique spans ({sum(map(len, train.gold))} rows) of "
        f"{len(set(train.articles))} articles; judge: {len(judge.spans)} unique PTC spans "
        f"({sum(map(len, judge.gold))} rows) of {len(ptc)} articles",
        flush=True,
    )
    for name in args.candidates:
        t0 = time.monotonic()
        classes = list(PTC_TECHNIQUES) if name == "A14" else list(TECHNIQUES)
        parts = tc.CANDIDATES[name]
        found, _, kept = tc.cross_validate(train, parts, classes, seed=settings.seed, c=args.c)
        print(
            f"CV {name} (C {args.c:g}): PTC TC micro-F1 {found.ptc_micro_f1:.4f}, T3 micro-F1 "
            f"{found.t3_micro_f1:.4f}, top-class ECE {found.ece:.4f} ({found.spans} spans; "
            f"{(time.monotonic() - t0) / 60:.1f} min)",
            flush=True,
        )
        if args.held_out:
            gold = train.gold if len(classes) == len(TECHNIQUES) else tc.ptc_gold(train)
            x, kept = tc.features(train, parts)
            useful = np.array([bool(gold[i]) for i in kept])
            rows = [gold[i] for i in kept[useful]]
            weights, bias = tc.fit(x[useful], rows, classes, seed=13, c=args.c)
            xj, kj = tc.features(judge, parts)
            held = tc.score_on_ptc(judge, kj, softmax(xj @ weights + bias), classes)
            print(
                f"HELD-OUT {name}: PTC TC micro-F1 {held.ptc_micro_f1:.4f}, top-class ECE "
                f"{held.ece:.4f} ({held.spans} of {len(judge.spans)} spans)",
                flush=True,
            )
    if args.held_out:
        model = FineTunedTechniques(RESOURCES)
        rows = [
            np.max([s.scores for s in over], 0) if over else np.zeros(23)
            for over in judge.sentences
        ]
        kept = np.flatnonzero([bool(over) for over in judge.sentences])
        sentence = tc.score_on_ptc(judge, kept, np.asarray(rows)[kept], TECHNIQUES)
        print(f"HELD-OUT sentence head (k rows): PTC TC micro-F1 {sentence.ptc_micro_f1:.4f}")
        del model
    if args.combine:
        combine(args.combine, readings, train, judge, articles, t3)
    print(f"total {(time.monotonic() - started) / 60:.1f} min")


def combine(name, readings, train, judge, articles, t3: Path) -> None:
    """Rules R and O with candidate `name` on the held-out fold: TC on the gold PTC spans, and
    what the analyzer would store against the T3 gold spans (technique-aware SI)."""
    from narrascope.analyzers.technique_spans import SPANS_VERSION, SpanHead
    from narrascope.training.ptc import labelled_si_scores

    parts = tc.CANDIDATES[name]
    x, kept = tc.features(train, parts)
    head = tc.fit(x, [train.gold[i] for i in kept], TECHNIQUES, seed=13)
    thresholds = FineTunedTechniques(RESOURCES).thresholds
    print(
        f"R on gold PTC spans: TC micro-F1 {tc.restricted_on_ptc(judge, head, parts, thresholds):.4f}"
    )
    span_head = SpanHead.from_file(model_files(RESOURCES, SPANS_VERSION)["head"])
    texts = {a: article.text for a, article in articles.items()}
    stored = tc.stored_spans(readings, texts, thresholds, span_head, head, parts)
    t3_spans = semeval2023.read_spans(t3, "en", "train", articles)
    gold = {a: t3_spans.get(a, []) for a in readings.held}
    for rule, found in stored.items():
        p, r, f1 = labelled_si_scores(gold, found)
        rows = sum(map(len, found.values()))
        print(f"stored {rule}: technique-aware SI P {p:.4f} R {r:.4f} F1 {f1:.4f} ({rows} rows)")


if __name__ == "__main__":
    main()
