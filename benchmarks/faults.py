"""Fault benchmark (issue 18): a fixed set of hostile inputs, databases and faults, each run as
the real `narrascope` command in its own process; prints input, outcome, exit code, peak RSS.

Each case states what it must do (exit code, a phrase of the outcome, and for the database
cases that the file is unchanged or nothing was created); the last column says whether it did.
The maximal-article cases (one 470,000-character article of real sentences, and one of some
62,000 one-word sentences, every analyzer) must peak under 1.2 GB of RSS (issue 18 item 6);
`--skip-maximal` leaves them out (they take many minutes).

    .venv/bin/python benchmarks/faults.py
    .venv/bin/python benchmarks/faults.py --skip-maximal --markdown
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kazakhstan-2022"
ARTICLE = (EXAMPLES / "000_8f4d98db21bab007.txt").read_text(encoding="utf-8")
# These sources first; what the caller's PYTHONPATH adds stays behind them.
SRC_PATH = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])


@dataclass
class Case:
    """One hostile input or fault: the command to run and what it must do."""

    name: str
    args: list[str]
    exit_ok: bool  # whether exit code 0 is expected
    phrase: str  # must appear in the output
    check: Callable[[], bool] | None = None  # e.g. a file left unchanged
    env: dict[str, str] = field(default_factory=dict)
    before: Callable[[], None] | None = None  # e.g. start and kill a run first
    max_mb: float | None = None  # a ceiling on the process's peak RSS (issue 18: 1.2 GB)


@dataclass
class Outcome:
    case: Case
    code: int
    peak_mb: float
    seconds: float
    line: str
    ok: bool


def run(case: Case) -> Outcome:
    """Run the case's command in a child process; its own peak RSS comes from wait4."""
    if case.before:
        case.before()
    env = {**os.environ, "PYTHONPATH": SRC_PATH, "COLUMNS": "250", **case.env}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "narrascope", *case.args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    seconds = time.perf_counter() - started
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if case.phrase in line]
    line = (wanted or [line for line in lines if "━" not in line][-1:] or [""])[0]
    ok = (
        (proc.returncode == 0) == case.exit_ok
        and case.phrase in " ".join(lines)
        and "Traceback" not in text
        and (case.check is None or case.check())
        and (case.max_mb is None or usage.ru_maxrss / 1024 <= case.max_mb)
    )
    return Outcome(case, proc.returncode, usage.ru_maxrss / 1024, seconds, line[:110], ok)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(path: Path) -> int:
    """Documents in a database being written, read without touching it (0 until it has some)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


def problems(path: Path) -> int:
    """Problems (skipped inputs) a database recorded."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM problems").fetchone()[0]


def maximal_article(chars: int = 470_000) -> str:
    """One legal article just under the 500,000-character cap, of distinct real sentences."""
    paragraphs = [p for p in ARTICLE.split("\n\n") if len(p) > 200]
    out, n = [], 0
    while sum(map(len, out)) < chars:
        p = paragraphs[n % len(paragraphs)]
        out.append(f"{p} (Part {n}: the report's section {n} adds this sentence.)\n\n")
        n += 1
    return "".join(out)[:chars]


def build(work: Path, *, maximal: bool) -> list[Case]:
    """Write every hostile input under `work` and return the cases over them."""

    def folder(name: str, files: dict[str, bytes | str]) -> str:
        path = work / name
        path.mkdir()
        for file, data in files.items():
            (path / file).write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(path)

    def db(name: str) -> str:
        return str(work / f"{name}.db")

    good = {"good.txt": ARTICLE}
    analyze = ["analyze", "--only", "stats"]
    loop = folder("symlink-loop", good)
    os.symlink("loop", Path(loop) / "loop")
    dangling = folder("dangling", good)
    os.symlink("nowhere.txt", Path(dangling) / "gone.txt")
    body = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n"))
    html = f"<html><body><article>{body}</article></body></html>"
    nested = "<html><body>" + "<div>" * 300 + f"<article>{body}</article>" + "</div>" * 300
    fonts = "<html><body>" + "<font size=2>" * 300 + body + "</body></html>"
    too_deep = "<html><body>" + "<div>" * 2100 + body + "</div>" * 2100
    half = len(html) // 2
    rss_text = ARTICLE[:3000].replace("&", "&amp;").replace("<", "&lt;")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title><item>'
        f"<title>One</title><link>https://example.org/1</link><description>{rss_text}"
        "</description></item></channel></rss>"
    )
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as packed:
        for _ in range(300):  # in pieces: a child's peak RSS starts at this process's size
            packed.write(b"A" * 1_000_000)
    foreign = work / "other-app.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    foreign_sum = digest(foreign)
    (work / "notes.db").write_text("my notes\n")
    (work / "folder.db").mkdir()
    whole = work / "whole.db"
    subprocess.run(
        [sys.executable, "-m", "narrascope", "migrate", "--db", str(whole)],
        env={**os.environ, "PYTHONPATH": SRC_PATH},
        capture_output=True,
        check=True,
    )
    (work / "cut.db").write_bytes(whole.read_bytes()[:3000])
    old = work / "old.db"
    shutil.copy(whole, old)
    conn = sqlite3.connect(old)
    conn.execute("UPDATE alembic_version SET version_num = '0003'")
    conn.commit()
    conn.close()
    middle = ARTICLE.index("\n", len(ARTICLE) // 2)
    many = folder(  # distinct texts: each with its own sentence mid-body
        "many",
        {
            f"{i:03}.txt": f"{ARTICLE[:middle]} The editors counted {i} protests.{ARTICLE[middle:]}"
            for i in range(40)
        },
    )

    own = folder("own-db", good)

    def kill_midway() -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "narrascope", *analyze, many, "--db", db("killed")],
            env={**os.environ, "PYTHONPATH": SRC_PATH},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and stored(Path(db("killed"))) < 3:
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # a few documents in, many to go
        proc.wait()

    cases = [
        Case("symlink loop + good file", [*analyze, loop, "--db", db("a")], True, "symlink loop"),
        Case("dangling symlink", [*analyze, dangling, "--db", db("b")], True, "dangling symlink"),
        Case("300 nested <div>", [*analyze, folder("nested", {"p.html": nested}), "--db", db("c")],
             True, "1 new documents"),
        Case("300 unclosed <font>", [*analyze, folder("fonts", {"p.html": fonts}), "--db", db("d")],
             True, "1 new documents"),
        Case("2,100 nested <div>", [*analyze, folder("deep", {"p.html": too_deep}), "--db", db("e")],
             False, "nested deeper than the HTML parser's limit"),
        Case("one NUL byte in a page",
             [*analyze, folder("nul", {"p.html": html[:half] + "\x00" + html[half:]}),
              "--db", db("f")], True, "1 new documents"),
        Case("plain-text RSS description",
             [*analyze, folder("rss", {"feed.rss": feed}), "--db", db("g")], True,
             "1 new documents"),
        Case("PNG named .txt + good file",
             [*analyze, folder("png", {**good, "x.txt": b"\x89PNG\r\n\x1a\n" + bytes(600)}),
              "--db", db("h")], True, "binary file"),
        Case("empty file + good file",
             [*analyze, folder("empty", {**good, "e.txt": b""}), "--db", db("i")], True,
             "empty"),
        Case("truncated gzip + good file",
             [*analyze, folder("gz", {**good, "t.txt.gz": gzip.compress(ARTICLE.encode())[:500]}),
              "--db", db("j")], True, "skipped"),
        Case("malformed JSONL line + good line",
             [*analyze, folder("jsonl", {"r.jsonl": '{"text": "unterminated\n'
                                         + json.dumps({"text": ARTICLE}) + "\n"}),
              "--db", db("k")], True, "malformed JSON"),
        Case("gzip bomb (300 MB of 'A')",
             [*analyze, folder("bomb", {**good, "b.txt.gz": bomb.getvalue()}), "--db", db("l")], True,
             "over cap"),
        Case("missing input path", [*analyze, str(work / "typo"), "--db", db("m")], False,
             "no such input", check=lambda: not Path(db("m")).exists()),
        Case("empty folder", [*analyze, folder("nothing", {}), "--db", db("n")], False,
             "nothing to read"),
        Case("every input fails",
             [*analyze, folder("allbad", {"a.txt": b"", "b.txt": b"\x89PNG\r\n\x1a\n" + bytes(9)}),
              "--db", db("o")], False, "every input failed"),
        Case("one skip under --strict",
             [*analyze, folder("strict", {**good, "e.txt": b""}), "--db", db("p"), "--strict"],
             False, "--strict"),
        Case("stats on a foreign SQLite file", ["stats", "--db", str(foreign)], False,
             "not a Narrascope database", check=lambda: digest(foreign) == foreign_sum),
        Case("list on a mistyped db path", ["list", "--db", str(work / "nope" / "x.db")], False,
             "no such database", check=lambda: not (work / "nope").exists()),
        Case("analyze into a foreign SQLite file", [*analyze, loop, "--db", str(foreign)], False,
             "not a Narrascope database", check=lambda: digest(foreign) == foreign_sum),
        Case("text file as database", ["stats", "--db", str(work / "notes.db")], False,
             "not a SQLite database"),
        Case("truncated SQLite file", ["stats", "--db", str(work / "cut.db")], False,
             "malformed"),
        Case("folder as database", ["search", "x", "--db", str(work / "folder.db")], False,
             "is a folder"),
        Case("PostgreSQL URL, nothing listening",
             ["stats", "--db", "postgresql://u:pw@127.0.0.1:9/none"], False, "Connection refused"),
        Case("older schema", ["stats", "--db", str(old)], False, "narrascope migrate"),
        Case("serve --token ''", ["serve", "--db", str(whole), "--token", ""], False,
             "empty token"),
        Case("run killed, then resumed", [*analyze, many, "--db", db("killed")], True,
             "already stored", before=kill_midway),
        Case("stats after the killed run", ["stats", "--db", db("killed")], True,
             "1 interrupted"),
        Case("the run's own database in the input folder, --strict",
             [*analyze, own, "--db", str(Path(own) / "corpus.db"), "--strict"], True,
             "the run's own database", check=lambda: problems(Path(own) / "corpus.db") == 0),
    ]  # fmt: skip
    if maximal:
        from memory import maximal_article as distinct_article  # benchmarks/memory.py

        path = folder("maximal", {"long.txt": maximal_article()})
        tiny = folder("tiny", {"long.txt": distinct_article(sentence_words=1)})
        cases += [
            Case(
                "maximal article (470k chars), every analyzer",
                ["analyze", path, "--db", db("max")],
                True,
                "1 new documents",
                max_mb=1200,
            ),
            Case(
                "maximal article of ~62,000 one-word sentences, every analyzer",
                ["analyze", tiny, "--db", db("tiny")],
                True,
                "1 new documents",
                max_mb=1200,
            ),
        ]
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-maximal", action="store_true", help="Leave out the long case.")
    parser.add_argument("--markdown", action="store_true", help="Print a Markdown table.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="narrascope-faults-") as tmp:
        outcomes = [run(case) for case in build(Path(tmp), maximal=not args.skip_maximal)]
    if args.markdown:
        print("| input or fault | outcome | exit | peak RSS | s | as required |")
        print("|---|---|---|---|---|---|")
        for o in outcomes:
            line = o.line.replace("|", "\\|").replace(tmp, "…")
            print(
                f"| {o.case.name} | {line} | {o.code} | {o.peak_mb:,.0f} MB | {o.seconds:.1f} "
                f"| {'yes' if o.ok else '**NO**'} |"
            )
    else:
        for o in outcomes:
            print(
                f"{o.case.name:<46} exit {o.code:>3}  {o.peak_mb:7,.0f} MB  {o.seconds:6.1f} s  "
                f"{'ok ' if o.ok else 'BAD'}  {o.line.replace(tmp, '…')}"
            )
    failed = [o.case.name for o in outcomes if not o.ok]
    print(
        f"{len(outcomes) - len(failed)}/{len(outcomes)} as required"
        + (f"; not: {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
