"""Are multilingual-e5-small's sentence vectors worth a Russian accurate profile? (issue 16, item 5)

Measures, ships nothing. Stages (run one at a time, each in the background with a log):

  speed       sentences/s of `E5Encoder` on Russian T3 train sentences, 1 and 2 threads (one
              process each: `--threads`), and whether a text's vector depends on its batch.
  encode      e5 vectors of the T3 train sentences, Russian first, cached under
              ~/.cache/narrascope/e5probe/ (npz, no pickle); `--languages` picks which.
  techniques  the fast technique head's recipe and folds (5, grouped by article, seed 13) on
              (a) USE vectors, (b) e5 vectors, (c) USE ⊕ e5 (`--variants`), fitted on the
              languages `--fit-on` (`all`: the six); official T3-ST3 micro-F1 by line per fold
              and on all of a language's train articles, for each language fitted on, then
              each variant's gain over (a) per language (shipped and techniques-v1's rules).

Usage: PYTHONPATH=src python benchmarks/e5_probe.py STAGE [options]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from narrascope.encode import E5Encoder, UniversalSentenceEncoder
from narrascope.training import CACHE as TRAINING_CACHE
from narrascope.training import narratives, semeval2023, techniques
from narrascope.training.calibrate import RULES, cross_fit_platt
from narrascope.training.fit import cross_validate_sigmoid, fit_logistic, grouped_folds, rest_of
from narrascope.training.semeval2023 import TECHNIQUES
from narrascope.training.semeval2025 import EncodedArticle
from narrascope.training.technique_corpus import f1_rule
from narrascope.training.technique_languages import fold_micro_f1
from narrascope.training.vectors import VectorCache

DATA = Path("/work/shared/data")
T3 = DATA / "semeval2023_task3"
T10 = DATA / "semeval2025_task10"
E5_CACHE = TRAINING_CACHE / "e5probe"
ENCODE_ORDER = ("ru", "en", "fr", "ge", "it", "po")


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def speed(threads: int, count: int, encoder_name: str = "e5") -> None:
    """Sentences/s on `count` Russian train sentences (every k-th, so all articles), and the
    largest change of a vector between encoding it alone and in a batch."""
    sentences = semeval2023.read_techniques(T3, "ru", "train").sentences
    step = max(1, len(sentences) // count)
    texts = [s.text for s in sentences[::step][:count]]
    encoder = (E5Encoder if encoder_name == "e5" else UniversalSentenceEncoder)(threads=threads)
    encoder.encode(["warm-up"])
    print(f"{len(texts)} sentences, mean {np.mean([len(t) for t in texts]):.0f} chars; {uptime()}")
    wall, cpu = time.perf_counter(), cpu_seconds()
    batched = encoder.encode(texts)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(
        f"{encoder.name}, threads={threads}: {len(texts) / wall:.1f} sentences/s ({wall:.1f} s wall, "
        f"{cpu:.1f} s CPU, CPU/wall {cpu / wall:.2f}); {uptime()}"
    )
    alone = np.vstack([encoder.encode([t]) for t in texts[:50]])
    again = encoder.encode(texts)
    print(
        f"max |Δ| alone vs batched (50 texts): {np.abs(alone - batched[:50]).max():.3g}; "
        f"repeat run: {np.abs(again - batched).max():.3g}"
    )


def encode(languages: list[str]) -> None:
    """e5 vectors of every T3 train sentence of `languages` into the probe's cache."""
    store = VectorCache(E5_CACHE / "techniques", E5Encoder())
    for folder in languages:
        texts = [s.text for s in semeval2023.read_techniques(T3, folder, "train").sentences]
        print(f"{folder}: {len(texts)} sentences; {uptime()}", flush=True)
        start, cpu = time.perf_counter(), cpu_seconds()
        store.vectors(texts)  # saved every `vectors.CHUNK` sentences: a killed run resumes
        took, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        print(
            f"{folder}: {took:.0f} s, {len(texts) / took:.1f} sentences/s wall, "
            f"{len(texts) / max(cpu, 1e-9):.1f} per CPU-second; {uptime()}",
            flush=True,
        )


class Concatenated:
    """USE ⊕ e5 vectors of the same texts, scaled by 1/√2 so each row stays unit-length (the
    head's nearest-other-sentence feature is then the mean of the two cosines)."""

    def __init__(self, *stores: VectorCache) -> None:
        self.stores = stores

    def vectors(self, texts: list[str]) -> np.ndarray:
        return np.hstack([s.vectors(texts) for s in self.stores]) / np.sqrt(len(self.stores))


def score_variant(
    name: str, corpus: techniques.Corpus, folds: list[np.ndarray]
) -> dict[str, dict[str, object]]:
    """The fast head's recipe on `corpus` over `folds`; each language's scores per fold and
    pooled, under the shipped rule and (beside it) techniques-v1's."""
    start = time.perf_counter()
    raw, _ = cross_validate_sigmoid(corpus.x, corpus.y, folds, l2=techniques.L2)
    shown = cross_fit_platt(raw, corpus.y, folds, rules=RULES).shown
    # Beside the rule, not in it: techniques-v1's decisions (cuts tuned for micro-F1 per
    # language on the other folds), which show far more than the shipped precision rule.
    f1_cut = f1_rule(corpus, raw, folds)
    seconds = round(time.perf_counter() - start)
    results = {}
    for folder in sorted(corpus.line_labels, key=lambda f: (f != "ru", f)):
        per_fold = [fold_micro_f1(corpus, shown, held, folder) for held in folds]
        predicted = techniques.line_predictions(corpus, shown, folder)
        gold = corpus.line_labels[folder]
        micro, macro = semeval2023.multilabel_f1(gold, predicted, TECHNIQUES)
        v1_folds = [fold_micro_f1(corpus, f1_cut, held, folder) for held in folds]
        v1_predicted = techniques.line_predictions(corpus, f1_cut, folder)
        v1_micro = semeval2023.multilabel_f1(gold, v1_predicted, TECHNIQUES)[0]
        results[folder] = result = {
            "variant": name,
            "language": folder,
            "width": int(corpus.x.shape[1]),
            "per_fold_micro": [round(f, 4) for f in per_fold],
            "mean_fold_micro": round(float(np.mean(per_fold)), 4),
            "pooled_micro": round(micro, 4),
            "pooled_macro": round(macro, 4),
            "v1rule_per_fold_micro": [round(f, 4) for f in v1_folds],
            "v1rule_mean_fold_micro": round(float(np.mean(v1_folds)), 4),
            "v1rule_pooled_micro": round(v1_micro, 4),
            "seconds": seconds,
        }
        print(json.dumps(result), "|", uptime(), flush=True)
    return results


def print_gains(baseline: dict[str, dict], variant: dict[str, dict]) -> None:
    """Per language: the variant's gain over the baseline in mean-over-folds micro-F1 and the
    folds where it is strictly ahead, shipped rule and techniques-v1's."""
    for folder, mine in variant.items():
        base = baseline[folder]
        gains = {}
        for rule in ("", "v1rule_"):
            ours, theirs = mine[f"{rule}per_fold_micro"], base[f"{rule}per_fold_micro"]
            gains[f"{rule}gain"] = round(float(np.mean(ours) - np.mean(theirs)), 4)
            gains[f"{rule}folds_ahead"] = sum(o > t for o, t in zip(ours, theirs, strict=True))
        print(json.dumps({"gain of": mine["variant"], "language": folder, **gains}), flush=True)


VARIANTS = {"a": "(a) USE", "b": "(b) e5", "c": "(c) USE+e5"}


def score_techniques(reference: bool, fit_on: list[str], variants: list[str]) -> None:
    """`variants` of (a) USE, (b) e5, (c) USE ⊕ e5 fitted on the languages `fit_on` (folders)
    over the fast head's folds, scored on each of them; with `reference`, today's fast head (USE,
    all six languages) on the same folds."""
    use = VectorCache(techniques.CACHE, UniversalSentenceEncoder())
    e5 = VectorCache(E5_CACHE / "techniques", E5Encoder())
    everything = techniques.load_corpus(T3, "train", store=use)
    folds = grouped_folds(everything.groups(), 5, 13)
    folders = np.array(everything.folders)
    russian = np.flatnonzero(folders == "ru")
    print(f"{len(everything.y)} train sentences, {len(russian)} Russian; {uptime()}", flush=True)
    if reference:
        score_variant("fast head today: USE, all languages", everything, folds)
        return
    fitted = np.flatnonzero(np.isin(folders, fit_on))
    local = [np.searchsorted(fitted, np.intersect1d(held, fitted)) for held in folds]
    stores = {"a": use, "b": e5, "c": Concatenated(use, e5)}
    scored = {}
    for key in variants:
        corpus = techniques.load_corpus(T3, "train", store=stores[key], languages=fit_on)  # type: ignore[arg-type]
        same = [s.text for s in corpus.sentences] == [everything.sentences[i].text for i in fitted]
        assert same, "the rows must be the fast head's, in its order"
        label = f"{VARIANTS[key]}, fitted on {'+'.join(fit_on)}"
        scored[key] = score_variant(label, corpus, local)
        if key != "a" and "a" in scored:
            print_gains(scored["a"], scored[key])


def narrative_examples(encoder, cache: Path, language: str | None) -> list[narratives.Example]:
    """The annotated T10 train articles (of `language`, or all), encoded by `encoder`."""
    found = narratives.read_split(
        T10, "train", encoder=encoder, cache_dir=cache, languages=[language] if language else None
    )
    return [ex for ex in found if ex.gold]


def concatenated_articles(
    use: list[narratives.Example], e5: list[narratives.Example]
) -> list[narratives.Example]:
    """Each article with USE ⊕ e5 sentence vectors (1/√2, as `Concatenated`)."""
    out = []
    for a, b in zip(use, e5, strict=True):
        same = a.encoded.article.id == b.encoded.article.id
        assert same and a.encoded.sentences == b.encoded.sentences, "same sentences"
        vectors = np.hstack([a.encoded.vectors, b.encoded.vectors]) / np.sqrt(2)
        encoded = EncodedArticle(a.encoded.article, a.encoded.sentences, vectors)
        out.append(narratives.Example(encoded, a.gold))
    return out


def score_narrative_variant(
    name: str,
    examples: list[narratives.Example],
    folds: list[np.ndarray],
    language: str,
) -> dict[str, object]:
    """The fast narrative head's recipe (article mean ⊕ max, `fit_logistic` C=10, no definition
    blend, rule chosen by nested CV) over `folds`; `language`'s samples-F1 per fold and pooled."""
    start = time.perf_counter()
    taxonomy = narratives.read_taxonomy()
    labels = narratives.head_labels(taxonomy)
    x = np.vstack([narratives.article_features(ex.encoded.vectors) for ex in examples])
    y = narratives.targets(examples, labels)
    probabilities = np.zeros(y.shape, dtype=np.float32)
    for held in folds:
        rest = rest_of(held, len(y))
        weights, bias = fit_logistic(x[rest], y[rest], c=narratives.C, seed=13)
        probabilities[held] = 1.0 / (1.0 + np.exp(-(x[held] @ weights + bias)))
    decider = narratives.Decider(labels, taxonomy)
    chosen = {narratives.CHOSEN: narratives.candidate_rules()[narratives.CHOSEN]}
    result = narratives.nested_cut_rules(decider, examples, y, probabilities, folds, chosen)
    nested = result[narratives.CHOSEN]
    mine = np.array([ex.language.upper() == language for ex in examples])
    fine = [float(nested.fine[np.intersect1d(h, np.flatnonzero(mine))].mean()) for h in folds]
    coarse = [float(nested.coarse[np.intersect1d(h, np.flatnonzero(mine))].mean()) for h in folds]
    out = {
        "variant": name,
        "language": language,
        "width": int(x.shape[1]),
        "per_fold_fine": [round(f, 4) for f in fine],
        "mean_fold_fine": round(float(np.mean(fine)), 4),
        "per_fold_coarse": [round(c, 4) for c in coarse],
        "mean_fold_coarse": round(float(np.mean(coarse)), 4),
        "pooled_fine": round(float(nested.fine[mine].mean()), 4),
        "pooled_coarse": round(float(nested.coarse[mine].mean()), 4),
        "seconds": round(time.perf_counter() - start),
    }
    print(json.dumps(out), "|", uptime(), flush=True)
    return out


def score_narratives(language: str, reference: bool) -> None:
    """(a) USE, (b) e5, (c) USE ⊕ e5 fitted on `language` alone over the fast head's folds
    (all five languages' articles, 5 folds, seed 13); with `reference`, the USE head fitted on
    all languages, scored on `language`."""
    use = UniversalSentenceEncoder()
    everything = narrative_examples(use, narratives.CACHE, None)
    folds = grouped_folds([ex.encoded.article.id for ex in everything], 5, 13)
    mine = np.flatnonzero([ex.language.upper() == language for ex in everything])
    print(f"{len(everything)} annotated articles, {len(mine)} {language}; {uptime()}", flush=True)
    if reference:
        score_narrative_variant("USE, all languages", everything, folds, language)
        return
    local = [np.searchsorted(mine, np.intersect1d(held, mine)) for held in folds]
    by_use = [everything[i] for i in mine]
    start = time.perf_counter()
    by_e5 = narrative_examples(E5Encoder(), E5_CACHE / "semeval2025", language)
    took = time.perf_counter() - start
    print(f"e5 vectors of {language}: {took:.0f} s (0 when cached); {uptime()}", flush=True)
    assert [ex.encoded.article.id for ex in by_e5] == [ex.encoded.article.id for ex in by_use]
    score_narrative_variant("(a) USE", by_use, local, language)
    score_narrative_variant("(b) e5", by_e5, local, language)
    score_narrative_variant("(c) USE+e5", concatenated_articles(by_use, by_e5), local, language)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["speed", "encode", "techniques", "narratives"])
    parser.add_argument(
        "--fit-on", nargs="+", default=["ru"], help="techniques: folders, or `all` (the six)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=sorted(VARIANTS),
        default=["a", "c", "b"],
        help="techniques: which, in order; (a) first for the gains",
    )
    parser.add_argument("--language", default="RU", help="narratives: T10 language folder")
    parser.add_argument("--reference", action="store_true", help="techniques: today's head")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--encoder", choices=["e5", "use"], default="e5", help="speed: which")
    parser.add_argument("--languages", nargs="+", default=list(ENCODE_ORDER))
    args = parser.parse_args(argv)
    if args.stage == "speed":
        speed(args.threads, args.count, args.encoder)
    elif args.stage == "encode":
        encode(args.languages)
    elif args.stage == "techniques":
        fit_on = list(ENCODE_ORDER) if args.fit_on == ["all"] else args.fit_on
        score_techniques(args.reference, fit_on, args.variants)
    else:
        score_narratives(args.language.upper(), args.reference)


if __name__ == "__main__":
    main()
