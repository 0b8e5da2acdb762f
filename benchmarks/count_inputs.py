"""What counting the inputs up front costs `narrascope analyze` (the progress bar's total, #17).

Makes a folder of N small text files in 100 subfolders, and a JSONL file of N lines, then
times `count_inputs` on each (best of three, warm file-system cache) beside what the run
itself costs per article (~0.2-0.3 s on these 2 cores: the count is a rounding error).

    .venv/bin/python benchmarks/count_inputs.py [--files 100000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from narrascope.ingest.count import count_inputs


def _best(sources: list[str], *, rounds: int = 3) -> tuple[float, int | None]:
    best, found = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        found = count_inputs(sources, seconds=60)
        best = min(best, time.perf_counter() - started)
    return best, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = root / "pages"
        for i in range(args.files):
            sub = folder / f"{i % 100:02d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"{i}.txt").write_text("A short article.\n", encoding="utf-8")
        rows = root / "rows.jsonl"
        line = '{"text": "' + "word " * 160 + '"}\n'  # ~800 characters a record
        rows.write_text(line * args.files, encoding="utf-8")
        for name, sources in (("folder", [str(folder)]), ("jsonl", [str(rows)])):
            seconds, found = _best(sources)
            print(
                f"{name}: {found} inputs counted in {seconds:.2f} s ({1e6 * seconds / args.files:.1f} µs each)"
            )


if __name__ == "__main__":
    main()
