"""What the accurate role analyzer costs beyond the MiniLM run it shares (issue 16, item 3).

On the English articles among the inputs, the technique analyzer reads each document first
(the one MiniLM run, kept by `PairModel.read`); then the accurate role analyzer is timed reading
that kept run, and the fast role head on the same document beside it. CPU time of this process,
one BLAS thread (as the run loop gives analyzers), per document.

    PYTHONPATH=src .venv/bin/python benchmarks/roles_accurate_cost.py \\
        ../shared/data/article-extraction-benchmark/html --limit 60
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from narrascope.analyzers.roles_accurate import AccurateRoleAnalyzer
from narrascope.ingest import iter_inputs
from narrascope.model import Layer, RawDocument
from narrascope.run.analysis import StageTimes, load_analysis

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kazakhstan-2022"


@contextmanager
def cpu_ms(into: list[float]) -> Iterator[None]:
    """Append to `into` the CPU milliseconds of this process spent inside the block."""
    started = time.process_time()
    yield
    into.append((time.process_time() - started) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    analysis = load_analysis(profile="accurate")
    by_name = {a.name: a for a in analysis.analyzers}
    entities, roles, techniques = by_name["entities"], by_name["roles"], by_name["techniques"]
    assert isinstance(roles, AccurateRoleAnalyzer)
    raws = [*itertools.islice(iter_inputs([args.source]), args.limit), *iter_inputs([EXAMPLES])]
    times: dict[str, list[float]] = {"techniques": [], "accurate roles": [], "fast roles": []}
    cast = 0
    with threadpool_limits(limits=1):
        for raw in raws:
            if not isinstance(raw, RawDocument):  # an input that failed or was passed over
                continue
            doc = analysis.clean(raw, StageTimes())
            if not doc.is_article or doc.language != "en":
                continue
            vectors, _ = analysis.encode(doc)
            prior = tuple(entities.analyze(doc, vectors))
            with cpu_ms(times["techniques"]):
                techniques.analyze(doc, vectors, prior)
            with cpu_ms(times["accurate roles"]):
                found = roles.analyze(doc, vectors, prior)
            cast += sum(a.layer is Layer.ROLE for a in found)
            with cpu_ms(times["fast roles"]):
                roles.fast.analyze(doc, vectors, prior)
    print(f"{len(times['techniques'])} English articles, {cast} accurate role records")
    for name, spent in times.items():
        ms = np.array(spent)
        print(
            f"{name:>15}: mean {ms.mean():6.1f} ms/doc CPU, median {np.median(ms):6.1f}, "
            f"max {ms.max():7.1f}"
        )


if __name__ == "__main__":
    main()
