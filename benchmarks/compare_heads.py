"""Are two head files the same head? Every tensor's bytes and every metadata field compared
(JSON fields key by key), and the file bytes: `narrascope train` should rebuild a head bit for bit.

    PYTHONPATH=src .venv/bin/python benchmarks/compare_heads.py /tmp/run-a/roles-v4.safetensors \
        src/narrascope/resources/roles-v4.safetensors

Prints each difference (largest absolute change and how many cells for a tensor) and a last line
`IDENTICAL` or `DIFFERENT`; exits 1 when the heads differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def read_head(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The file's tensors and metadata."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        names = f.keys()  # a safe_open handle is not iterable
        return {k: f.get_tensor(k) for k in names}, f.metadata() or {}


def differences(a: Path, b: Path) -> list[str]:
    """One line per tensor or metadata field that differs between heads `a` and `b`."""
    (ta, ma), (tb, mb) = read_head(a), read_head(b)
    lines = []
    for name in sorted(set(ta) | set(tb)):
        if name not in ta or name not in tb:
            lines.append(f"tensor {name}: only in one file")
        elif ta[name].shape != tb[name].shape or ta[name].dtype != tb[name].dtype:
            lines.append(f"tensor {name}: {ta[name].shape} vs {tb[name].shape}")
        elif ta[name].tobytes() != tb[name].tobytes():
            delta = np.abs(ta[name].astype(np.float64) - tb[name].astype(np.float64))
            lines.append(
                f"tensor {name}: max |d| {delta.max():.6g}, {int((delta > 0).sum())} of "
                f"{delta.size} cells"
            )
    for key in sorted(set(ma) | set(mb)):
        va, vb = ma.get(key), mb.get(key)
        if va == vb:
            continue
        try:
            ja, jb = json.loads(va or "null"), json.loads(vb or "null")
        except json.JSONDecodeError:
            ja, jb = va, vb
        if isinstance(ja, dict) and isinstance(jb, dict):
            lines += [
                f"metadata {key}.{k}: {ja.get(k)} | {jb.get(k)}"
                for k in sorted(set(ja) | set(jb))
                if ja.get(k) != jb.get(k)
            ]
        else:
            lines.append(f"metadata {key}: {ja} | {jb}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    lines = differences(args.a, args.b)
    same_bytes = args.a.read_bytes() == args.b.read_bytes()
    print("\n".join(lines))
    print(f"file bytes {'identical' if same_bytes else 'differ'}")
    print("IDENTICAL" if not lines else "DIFFERENT")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
