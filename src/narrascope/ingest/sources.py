"""From what the user named to the files to read: paths, directories (walked) and glob patterns.

Directories are walked recursively in sorted order, so a run is the same every time; hidden
files and folders and a corpus's own README/LICENSE/PROVENANCE notes are skipped. Names that
lead nowhere come out as `BadInput`, in their place in the stream.
"""

from __future__ import annotations

import errno
import glob
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from narrascope.model import BadInput

# README.md, LICENSE, LICENSE.upstream-MIT, PROVENANCE.md — but not "licensed-trade.txt".
_NOTE = re.compile(r"(readme|licen[cs]e|copying|provenance)([^a-z]|$)", re.I)
_GLOB_CHARS = frozenset("*?[")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(source: str) -> bool:
    """Whether a source names an `http(s)://` URL rather than a path."""
    return source.lower().startswith(("http://", "https://"))


def url_scheme(source: str) -> str | None:
    """The scheme of a source written as a URL (`ftp://…` → `ftp`), or None for a path."""
    match = _SCHEME.match(source)
    return match.group(1).lower() if match else None


def is_note(name: str) -> bool:
    """A corpus folder's own README/LICENSE/PROVENANCE file, not an article."""
    return _NOTE.match(name) is not None


def expand(source: str | Path) -> Iterator[Path | BadInput]:
    """Every file a path, directory or glob pattern names, in a stable order."""
    path = Path(source)
    if path.is_dir():
        yield from walk(path)
    elif path.is_file():
        yield path
    elif isinstance(source, str) and _GLOB_CHARS & set(source):
        yield from _glob(source)
    elif (broken := broken_link(path)) is not None:
        yield BadInput(str(source), broken)
    elif path.exists():
        yield BadInput(str(source), "not a regular file")
    else:
        yield BadInput(str(source), "no such file or directory")


def _glob(pattern: str) -> Iterator[Path | BadInput]:
    matches = sorted(glob.glob(pattern, recursive=True))  # names only: cheap even for big dirs
    found = False
    for match in matches:
        path = Path(match)
        if path.is_dir():
            found = True
            yield from walk(path)
        elif path.is_file() and not is_note(path.name):
            found = True
            yield path
        elif (broken := broken_link(path)) is not None:
            found = True
            yield BadInput(match, broken)
    if not found:
        yield BadInput(pattern, "no file matches this pattern")


def broken_link(path: Path) -> str | None:
    """Why a symlink leads to no file ("symlink loop", "dangling symlink"), or None."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "dangling symlink"
    return None


def walk(root: Path) -> Iterator[Path | BadInput]:
    """Files under `root`, depth-first in sorted name order, without hidden files or notes."""
    seen: set[tuple[int, int]] = set()  # symlinked folders must not loop

    def visit(folder: Path) -> Iterator[Path | BadInput]:
        stat = folder.stat()
        if (stat.st_dev, stat.st_ino) in seen:
            return
        seen.add((stat.st_dev, stat.st_ino))
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            yield BadInput(str(folder), f"cannot list folder ({exc.strerror})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file()
            except OSError:  # a symlink loop raises here (ELOOP); say so and read the rest (#18)
                is_dir = is_file = False
            if is_dir:
                yield from visit(path)
            elif is_file:
                if not is_note(entry.name):
                    yield path
            elif (broken := broken_link(path)) is not None:
                yield BadInput(str(path), broken)

    yield from visit(root)


def missing_paths(sources: Sequence[str]) -> list[str]:
    """The named input paths that do not exist (URLs and glob patterns are checked as read)."""
    return [
        source
        for source in sources
        if url_scheme(source) is None
        and not _GLOB_CHARS & set(source)
        and not Path(source).exists()
        and not Path(source).is_symlink()  # a broken link gets its own skipped line
    ]
