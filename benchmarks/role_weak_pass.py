"""Roles on articles the gate passes only by a keyword: what the entity rule costs (issue 15).

The rule (`topic_near`, here: measured, failed its pre-registered rule, not in the analyzers;
benchmarks/RESULTS.md): on an article the domain gate passes only because it
names a topic (a *weak pass*: `mentions_topics`, and NAMED_TOPIC_CUT <= P(inside) < the learned
cut), an entity is cast only when a sentence that mentions it, or a neighbour of one
(`CONTEXT`), names a topic too. Here, on SemEval-2025 Task 10 train (all five languages), the
share of gold role mentions that the rule would make ineligible, out of fold: each article's
P(inside) and learned cut are those of the outer fold of `domain_gate_cv.py` that held it out
(`held_out_scores`: same seed, rows, gates, Platt maps and cuts). A mention's sentences are the
ones the role heads are trained on (`training.roles.mention_rows`: every occurrence of the
mention string).

    PYTHONPATH=src .venv/bin/python benchmarks/role_weak_pass.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from domain_gate_cv import held_out_scores

from narrascope.analyzers.domain import NAMED_TOPIC_CUT, mentions_topics
from narrascope.analyzers.roles import CONTEXT
from narrascope.encode import default_encoder
from narrascope.model import Span
from narrascope.training.domain import read_gate_data
from narrascope.training.roles import read_split

LANGUAGES = ("EN", "BG", "HI", "PT", "RU")


def topic_near(
    text: str, sentences: Sequence[Span], rows: Sequence[int], *, context: int = CONTEXT
) -> bool:
    """True when a sentence of `rows`, or one within `context` sentences of one, names the war
    in Ukraine or climate change (`TOPIC_WORDS`, the domain gate's keyword list). An entity
    whose name is a topic word (Putin, Kyiv) names it in its own sentence."""
    window = {j for i in rows for j in range(i - context, i + context + 1)}
    return any(
        mentions_topics(text[start:end]) for j, (start, end) in enumerate(sentences) if j in window
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="holds semeval2025_task10 etc.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--context",
        type=int,
        nargs="+",
        default=[CONTEXT],
        help="neighbouring sentences each side (the pre-registered rule: 1; others explore)",
    )
    args = parser.parse_args()
    started = time.time()
    encoder = default_encoder()
    task10 = args.data / "semeval2025_task10"
    gate = read_gate_data(task10, encoder=encoder, keep_topic_pages=True)
    print(f"gate rows {len(gate.y)} read in {time.time() - started:.0f} s", flush=True)
    p, cuts = held_out_scores(gate, args.seed)
    print(f"out-of-fold gate scores at {time.time() - started:.0f} s", flush=True)
    by_article = {}
    for i, ex in enumerate(gate.inside):
        key = (ex.language.upper(), ex.encoded.article.id)
        named = bool(gate.names_topic[i])
        passed = p[i] >= (NAMED_TOPIC_CUT if named else cuts[i])
        by_article[key] = (passed, passed and named and p[i] < cuts[i])
    examples = read_split(task10, "train", encoder=encoder)
    print(f"{len(examples)} role mentions read at {time.time() - started:.0f} s", flush=True)
    for context in args.context:
        print(f"\ncontext {context}:")
        report(count(examples, by_article, context))
    print(f"total {time.time() - started:.0f} s", flush=True)


def count(examples, by_article, context: int) -> Counter[tuple[str, str]]:
    """Per language: gold mentions, on passed articles, on weak passes, lost by the rule."""
    counts: Counter[tuple[str, str]] = Counter()
    for ex in examples:
        if ex.mention.main_role is None:
            continue
        language = ex.language.upper()
        passed, weak = by_article.get((language, ex.encoded.article.id), (None, None))
        if passed is None:
            counts[language, "no gate row"] += 1
            continue
        counts[language, "all"] += 1
        counts[language, "passed"] += passed
        counts[language, "weak"] += weak
        if weak:
            text, sentences = ex.encoded.article.text, ex.encoded.sentences
            lost = not topic_near(text, sentences, ex.rows, context=context)
            counts[language, "lost"] += lost
            counts[language, f"lost {ex.mention.main_role}"] += lost
            counts[language, f"weak {ex.mention.main_role}"] += 1
    return counts


def report(counts: Counter[tuple[str, str]]) -> None:
    """One row per language and one for all: gold mentions, passed, on weak passes, lost."""
    print(
        "| language | gold mentions | on passed articles | on weak passes | lost by the rule | "
        "lost / all gold (cost) | lost / on weak passes | lost by gold main role "
        "(of those on weak passes) |\n|" + "---|" * 8
    )
    for language in (*LANGUAGES, "all"):
        chosen = LANGUAGES if language == "all" else (language,)

        def n(what: str, chosen: tuple[str, ...] = chosen) -> int:
            return sum(counts[lang, what] for lang in chosen)

        roles = ", ".join(
            f"{role} {n(f'lost {role}')}/{n(f'weak {role}')}"
            for role in ("Protagonist", "Antagonist", "Innocent")
        )
        print(
            f"| {language} | {n('all')} | {n('passed')} | {n('weak')} | {n('lost')} | "
            f"{n('lost') / max(n('all'), 1):.4f} | {n('lost') / max(n('weak'), 1):.3f} | "
            f"{roles} |"
        )
    missing = sum(v for (_, what), v in counts.items() if what == "no gate row")
    if missing:
        print(f"mentions whose article has no gate row (not counted): {missing}")


if __name__ == "__main__":
    main()
