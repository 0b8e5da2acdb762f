"""Cohesion of storylines: precision and recall of "same storyline" sentence pairs.

A storyline must mean one claim travelling, not one topic. This builds labelled pairs from data
the project has and runs the storyline clustering (`narrascope.corpus.clustering`) on them:

- claims: check-worthy sentences of the CLEF CheckThat! 2024 English dev split (US political
  debates: one broad topic, each sentence its own claim — the different-claim negatives);
- travelling copies of a share of them, each in another "document" and outlet: a near copy
  (a word or two dropped or swapped, as `generate_corpus.py` perturbs copies) or a reworded
  report of it (attributed: "X said on Tuesday that ...", "..., according to X"; clause cut);
- the real paraphrase pair of the Kazakhstan examples (the talks claim in two outlets), and a
  sentence of a third outlet on the same topic that makes another claim (officials will meet).

The reworded copies are made by rule, so they are easier than real paraphrase: recall here is
an upper bound, and the real pair (cosine printed) shows where looser rewording falls.

Pairs are every two sentences of different documents; a pair is "same" when both come from one
claim. Predicted "same" when the clustering puts both in one storyline. Reports precision,
recall and F1 for the settings before the tightening and now.

    PYTHONPATH=src .venv/bin/python benchmarks/storylines.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from narrascope.corpus.clustering import Candidate, leader_clusters
from narrascope.corpus.storylines import StorylineSettings
from narrascope.encode import default_encoder

SWEEP = [(0.5, 0.5), (0.55, 0.5), (0.6, 0.5), (0.6, 0.6), (0.65, 0.6), (0.7, 0.7), (0.75, 0.7)]
ROOT = Path(__file__).resolve().parents[1]
SAYERS = ["officials", "the ministry", "a spokesman", "critics", "the senator", "analysts"]
KAZAKHSTAN_OTHER = (
    "Russian officials are due to meet American and NATO counterparts within days to discuss"
    " far-reaching security proposals in unprecedented geopolitical negotiations."
)
KAZAKHSTAN_PAIR = (
    "However, some experts have already linked the protests in Kazakhstan to the upcoming talks"
    " on security guarantees between the United States and Russia.",
    "It seems that events this week in Kazakhstan are aimed at distracting Moscow or, worse,"
    " undermining Russia’s international standing in scheduled talks with the United States and"
    " its NATO allies concerning the bigger picture of security and peace in Europe.",
)


def read_claims(data: Path, limit: int) -> list[str]:
    path = data / "clef2024_checkthat_task1_en/CT24_checkworthy_english"
    out = []
    for name in ("CT24_checkworthy_english_dev.tsv", "CT24_checkworthy_english_dev-test.tsv"):
        with (path / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                text = (row.get("Text") or "").strip()
                if row.get("class_label") == "Yes" and 60 <= len(text) <= 400:
                    out.append(text)
    return sorted(set(out))[:limit]


def near_copy(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 12)):
        i = rng.randrange(len(words))
        if rng.random() < 0.5 and len(words) > 6:
            del words[i]
        else:
            j = min(len(words) - 1, i + 1)
            words[i], words[j] = words[j], words[i]
    return " ".join(words)


def reworded(text: str, rng: random.Random) -> str:
    core = text.rstrip(".!?")
    parts = re.split(r",\s+(?:and|but|because|so)\s+", core, maxsplit=1)
    if len(parts) == 2 and len(parts[0].split()) >= 8 and rng.random() < 0.5:
        core = parts[0]  # the claim travels without its second clause
    sayer = rng.choice(SAYERS)
    first = core[0].lower() + core[1:] if not core[:2].isupper() else core
    if rng.random() < 0.5:
        return f"{sayer.capitalize()} said on {rng.choice(['Tuesday', 'Friday'])} that {first}."
    return f"{core}, according to {sayer}."


def build(data: Path, n_claims: int, share: float, seed: int) -> tuple[list[str], list[int]]:
    """Sentences and, per sentence, its claim id (the same id: the same claim travelling)."""
    rng = random.Random(seed)
    claims = read_claims(data, n_claims)
    texts, truth = [], []
    for k, claim in enumerate(claims):
        texts.append(claim)
        truth.append(k)
        if rng.random() < share:
            for _ in range(rng.randint(1, 3)):
                make = near_copy if rng.random() < 0.4 else reworded
                texts.append(make(claim, rng))
                truth.append(k)
    k = len(claims)
    texts += [*KAZAKHSTAN_PAIR, KAZAKHSTAN_OTHER]
    truth += [k, k, k + 1]
    return texts, truth


def score(clusters: list[list[Candidate]], truth: list[int]) -> tuple[float, float, float]:
    """Pair precision, recall and F1 of "same storyline" (a document is one sentence here)."""
    label = {}
    for n, cluster in enumerate(clusters):
        if len({c.doc_id for c in cluster}) >= 2:
            for c in cluster:
                label[c.idx] = n
    tp = fp = fn = 0
    n = len(truth)
    for i in range(n):
        for j in range(i + 1, n):
            same = truth[i] == truth[j]
            said = i in label and label.get(i) == label.get(j)
            tp += same and said
            fp += said and not same
            fn += same and not said
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def run(vectors: np.ndarray, truth: list[int], s: StorylineSettings) -> tuple[float, ...]:
    at = datetime(2024, 1, 1)
    cands = [
        Candidate(f"d{i}", i, at + timedelta(hours=i % 48), f"o{i}", v, 0, 1)
        for i, v in enumerate(vectors)
    ]
    clusters = leader_clusters(
        cands, [], timedelta(days=s.window_days), s.threshold, set(), floor=s.floor
    )
    return score(clusters, truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--claims", type=int, default=600)
    parser.add_argument("--share", type=float, default=0.4, help="claims that travel")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    texts, truth = build(args.data, args.claims, args.share, args.seed)
    vectors = default_encoder().encode(texts)
    same = sum(truth[i] == truth[j] for i in range(len(truth)) for j in range(i + 1, len(truth)))
    print(f"{len(texts)} sentences, {len(set(truth))} claims, {same} same-claim pairs")
    a, b, c = vectors[-3:]
    print(f"Kazakhstan: same claim cosine {a @ b:.2f}; same topic, other claim {a @ c:.2f}")
    before = StorylineSettings(threshold=0.5, floor=0.35)
    now = StorylineSettings()
    for name, s in (("before (0.50, floor 0.35)", before), (f"now ({s_desc(now)})", now)):
        p, r, f1 = run(vectors, truth, s)
        print(f"{name:32} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    for threshold, floor in SWEEP:
        p, r, f1 = run(vectors, truth, StorylineSettings(threshold=threshold, floor=floor))
        print(f"  sweep {threshold:.2f} floor {floor:.2f}   P {p:.3f}  R {r:.3f}  F1 {f1:.3f}")


def s_desc(s: StorylineSettings) -> str:
    return f"{s.threshold:.2f}, floor {s.floor:.2f}"


if __name__ == "__main__":
    main()
