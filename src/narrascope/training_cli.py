"""`narrascope train` and `narrascope evaluate`: heads built and scored from the terminal.

Thin like the rest of the CLI: each command makes one `narrascope.training` call and prints.
`cli.py` registers both. A per-corpus model (#19) is trained with `--corrections DB --out DIR`
and scored against the shipped heads with `evaluate TASK --model DIR --compare`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataOption = Annotated[Path, typer.Option(help="The labelled data set's folder (read by path).")]
ProfileOption = Annotated[str, typer.Option(help="fast (shared encoder) or accurate (fine-tuned).")]


def _cli():  # the CLI's consoles and error path, one place (imported late: cli imports us)
    from narrascope import cli

    return cli


def train(
    task: Annotated[
        str, typer.Argument(help="techniques, genre, frames, narratives, roles, claims…")
    ],
    data: DataOption,
    out: Annotated[Path | None, typer.Option(help="Where heads go (default: the package).")] = None,
    seed: int = 13,
    folds: int = 5,
    corrections: Annotated[
        str | None,
        typer.Option(
            help="A database whose analysts' corrections are weighted in (techniques, genre, "
            "frames, narratives, roles); with --out DIR the folder becomes a whole per-corpus "
            "model."
        ),
    ] = None,
    profile: ProfileOption = "fast",
    top: Annotated[
        int | None,
        typer.Option(
            help="Accurate profile: MiniLM layers fine-tuned, from the top (1 by default; "
            "6 fine-tunes the whole encoder)."
        ),
    ] = None,
) -> None:
    """Train TASK's head reproducibly (fixed seed, k-fold CV for thresholds) and print CV scores."""
    from narrascope import training
    from narrascope.heads import RESOURCES

    cli = _cli()
    with cli._failing(KeyError, FileNotFoundError, ValueError):
        report = training.train(
            task,
            data,
            out=out or RESOURCES,
            seed=seed,
            folds=folds,
            corrections=corrections,
            profile=profile,
            top=top,
            on_progress=lambda line: cli.err.print(cli.escape(line)),
        )
    cli.console.print(cli.escape(report.summary()))


def evaluate(
    task: Annotated[str, typer.Argument(help="The task whose head is scored.")],
    data: DataOption,
    split: Annotated[str, typer.Option(help="The split's file prefix: train, dev, test…")] = "dev",
    predictions: Annotated[
        Path | None, typer.Option(help="Also write predictions in the official format here.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="Score the heads of this model folder instead of the shipped ones."),
    ] = None,
    compare: Annotated[
        bool, typer.Option(help="With --model: the shipped heads and the folder's side by side.")
    ] = False,
    profile: ProfileOption = "fast",
) -> None:
    """Score TASK on a split with the task's official metric."""
    from narrascope import training
    from narrascope.heads import ModelFileError

    cli = _cli()
    if compare and model is None:
        cli._fail("--compare needs --model DIR (the heads to set beside the shipped ones)")
    with cli._failing(KeyError, FileNotFoundError, ModelFileError):
        report = training.evaluate(
            task, data, split=split, predictions=predictions, models=model, profile=profile
        )
        if compare:
            shipped = training.evaluate(task, data, split=split, profile=profile)
    if compare:
        names = ("shipped", str(model))
        cli.console.print(cli.escape(training.compare(shipped, report, names=names)))
    else:
        cli.console.print(cli.escape(report.summary()))
