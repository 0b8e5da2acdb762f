"""Makes a synthetic corpus of any size from real article material, with planted copies.

Articles are shuffled paragraphs of the benchmark pages' ground-truth bodies and the example
articles. A known share are planted copies of an earlier article: exact syndicated copies
(same text, another outlet) and near-duplicates (a few words changed, a paragraph dropped or
added). The truth goes to `truth.jsonl` so dedup precision/recall can be measured at sizes no
fixture holds. Output is JSONL in parts of `--per-file` lines, readable by `narrascope analyze`.

    .venv/bin/python benchmarks/generate_corpus.py OUT_DIR --docs 100000 \
        --material ../shared/data/article-extraction-benchmark/ground-truth.json
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTLETS = [f"outlet{i:02}.example" for i in range(40)]


def load_paragraphs(material: Path | None) -> list[str]:
    """Real paragraphs of at least 20 words from the benchmark's bodies and the examples."""
    texts = [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "examples" / "kazakhstan-2022").glob("*.txt"))
    ]
    if material and material.is_file():
        texts += [entry["articleBody"] for entry in json.loads(material.read_text()).values()]
    paragraphs = [p.strip() for t in texts for p in t.split("\n") if len(p.split()) >= 20]
    return sorted(set(paragraphs))


def perturb(text: str, rng: random.Random, paragraphs: list[str]) -> str:
    """A near-duplicate: a few words dropped or swapped, sometimes a paragraph added or removed."""
    lines = text.split("\n")
    if len(lines) > 3 and rng.random() < 0.3:
        lines.pop(rng.randrange(1, len(lines)))
    if rng.random() < 0.3:
        lines.append(rng.choice(paragraphs))
    words = "\n".join(lines).split(" ")
    for _ in range(max(1, len(words) // 100)):
        i = rng.randrange(len(words))
        words[i] = rng.choice(["reportedly", "allegedly", "", words[i].upper(), "the"])
    return " ".join(w for w in words if w != "" or rng.random() < 0.5)


def generate(
    out: Path,
    *,
    docs: int,
    copy_rate: float,
    near_rate: float,
    per_file: int,
    seed: int,
    material: Path | None,
) -> None:
    rng = random.Random(seed)
    paragraphs = load_paragraphs(material)
    out.mkdir(parents=True, exist_ok=True)
    start = date(2022, 1, 1)
    originals: list[tuple[int, str, date]] = []
    part, handle = -1, None
    with (out / "truth.jsonl").open("w") as truth:
        for i in range(docs):
            if i % per_file == 0:
                if handle:
                    handle.close()
                part += 1
                handle = (out / f"part-{part:05}.jsonl").open("w", encoding="utf-8")
            published = start + timedelta(days=i * 365 // max(docs, 1))
            roll = rng.random()
            if originals and roll < copy_rate:
                source, text, _ = rng.choice(originals[-5000:])
                kind = "exact"
            elif originals and roll < copy_rate + near_rate:
                source, base, _ = rng.choice(originals[-5000:])
                text, kind = perturb(base, rng, paragraphs), "near"
            else:
                text = "\n".join(rng.sample(paragraphs, rng.randint(6, 14)))
                source, kind = i, "original"
                originals.append((i, text, published))
            row = {
                "id": f"synthetic-{i}",
                "url": f"https://{rng.choice(OUTLETS)}/news/{i}",
                "outlet": None,
                "published": published.isoformat(),
                "title": text.split("\n")[0][:80],
                "text": text,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            truth.write(
                json.dumps({"id": row["id"], "kind": kind, "copy_of": f"synthetic-{source}"}) + "\n"
            )
    if handle:
        handle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument(
        "--copy-rate", type=float, default=0.05, help="share of exact syndicated copies"
    )
    parser.add_argument("--near-rate", type=float, default=0.05, help="share of near-duplicates")
    parser.add_argument("--per-file", type=int, default=1000)  # as scale.py reads it
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--material",
        type=Path,
        default=ROOT.parent
        / "shared"
        / "data"
        / "article-extraction-benchmark"
        / "ground-truth.json",
    )
    args = parser.parse_args()
    generate(
        args.out,
        docs=args.docs,
        copy_rate=args.copy_rate,
        near_rate=args.near_rate,
        per_file=args.per_file,
        seed=args.seed,
        material=args.material,
    )
    print(f"{args.docs} documents in {args.out} (truth: {args.out / 'truth.jsonl'})")


if __name__ == "__main__":
    main()
