"""Technique classification of given spans (PTC TC, issue 16) from the accurate model's token
states: a span's word-piece states (int8 ONNX `token_states`) pooled (mean and max), one
multinomial logistic regression over the 14 PTC classes, trained on the T3 English train spans
(T3 techniques mapped to PTC classes) of the articles the accurate model trained on, scored on
the gold spans of the PTC train articles in its held-out fold, beside the sentence-head rule
`spans.train` reports. A measurement for the next step, not a shipped head.

Run (torch venv, after `benchmarks/technique_spans.py` kept the ONNX states):
`PYTHONPATH=src nice -n 10 python benchmarks/technique_spans_tc.py --data ../shared/data
--out /tmp/spans-model`
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from narrascope.analyzers.pair_model import model_files
from narrascope.training import CACHE, semeval2023
from narrascope.training.finetune import spans
from narrascope.training.finetune.minilm import base_model_dir
from narrascope.training.finetune.trainer import Settings, read_material
from narrascope.training.ptc import PTC_TECHNIQUES, T3_TO_PTC, read_ptc, tc_micro_f1
from narrascope.training.techniques import find_data


def pooled(states, offsets, by_article, article: str, start: int, end: int) -> np.ndarray | None:
    """Mean and max of the states of the pieces of `article` overlapping [start, end)."""
    found = []
    for i in by_article.get(article, []):
        inside = (offsets[i][:, 0] < end) & (offsets[i][:, 1] > start)
        if inside.any():
            found.append(states[i][inside].astype(np.float32))
    if not found:
        return None
    x = np.concatenate(found)
    return np.concatenate([x.mean(0), x.max(0)])


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    started = time.monotonic()
    t3, ptc_data = find_data(args.data)
    settings = Settings(seed=13, folds=5, epochs=3, lr_encoder=8e-5, top=1)
    material = read_material(t3, settings)
    tokens = spans.read_token_material(t3, material.sentences, settings.max_tokens)
    _, states = spans.load_or_run_onnx(
        model_files(args.out)["onnx"],
        base_model_dir() / "vocab.txt",
        material.pairs,
        CACHE / "finetune" / "spans",
    )
    by_article: dict[str, list[int]] = {}
    for i, article in enumerate(tokens.articles):
        by_article.setdefault(article, []).append(i)
    held = {s.article for s, h in zip(material.sentences, material.held, strict=True) if h}
    articles = semeval2023.read_articles(t3, "en", "train", 3)
    t3_spans = semeval2023.read_spans(t3, "en", "train", articles)
    x, y = [], []
    for article, found in t3_spans.items():
        if article in held:
            continue
        for technique, start, end in found:
            if technique in T3_TO_PTC:
                v = pooled(states, tokens.offsets, by_article, article, start, end)
                if v is not None:
                    x.append(v)
                    y.append(PTC_TECHNIQUES.index(T3_TO_PTC[technique]))
    model = LogisticRegression(C=args.c, max_iter=2000, random_state=13)
    model.fit(np.array(x), np.array(y))
    ptc = {a: p for a, p in read_ptc(ptc_data, "train").items() if a in held}
    gold = {a: p.tc for a, p in ptc.items()}
    predicted: dict[str, list[tuple[str, int, int]]] = {}
    for article, found in gold.items():
        for start, end in sorted({(s, e) for _, s, e in found}):
            v = pooled(states, tokens.offsets, by_article, article, start, end)
            if v is not None:
                label = PTC_TECHNIQUES[int(model.predict(v[None, :])[0])]
                predicted.setdefault(article, []).append((label, start, end))
    print(
        f"trained on {len(y)} T3 spans of {len(t3_spans) - len(held & set(t3_spans))} articles; "
        f"PTC TC micro-F1 {tc_micro_f1(gold, predicted):.4f} on "
        f"{sum(map(len, gold.values()))} gold spans of {len(gold)} held-out PTC articles "
        f"(C={args.c}); {(time.monotonic() - started) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
