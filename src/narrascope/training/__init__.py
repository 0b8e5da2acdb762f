"""Training and evaluation of the heads: one module per task, all with the same two functions.

A task module exposes `train(data, *, out, seed, folds) -> Report` and
`evaluate(data, *, split, predictions) -> Report`; `narrascope train|evaluate TASK` call them
through `train()` and `evaluate()` below. Labelled data is read from a path given on the command
line and never copied into the repository.

A per-corpus model (#19) is a model folder: `train(..., corrections=DB, out=DIR)` writes the
retrained head there beside copies of the shipped heads it does not replace, so the folder is a
whole model that `analyze --model DIR` and `evaluate(..., models=DIR)` read instead of the
package's; `compare()` sets two evaluations side by side.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from narrascope.encode import one_blas_thread
from narrascope.heads import RESOURCES

# Encodings of the labelled data are cached here between training runs (XDG cache convention).
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "narrascope"

TASKS: dict[str, str] = {
    # task name -> module; analysis issues add their tasks here
    "narratives": "narrascope.training.narratives",
    "domain": "narrascope.training.domain",
    "roles": "narrascope.training.roles",
    "claims": "narrascope.training.claims",
    "quotes": "narrascope.training.polnear",
    "techniques": "narrascope.training.techniques",
    "genre": "narrascope.training.genre",
    "frames": "narrascope.training.frames",
}


def trained_date() -> str:
    """The date a trained file and its card record: `SOURCE_DATE_EPOCH`'s (the reproducible-builds
    convention) when set, so two runs on different days write the same bytes; else today's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


PROFILE_TASKS: dict[tuple[str, str], str] = {
    # (task, profile) -> module, for profiles other than the fast one (issue 16)
    ("techniques", "accurate"): "narrascope.training.finetune.techniques",
    ("roles", "accurate"): "narrascope.training.roles_accurate",
}


@dataclass
class Report:
    """What a training or evaluation run measured: named scores and a readable summary."""

    task: str
    scores: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rows = [f"{self.task}:"] + [f"  {k}: {v:.4f}" for k, v in self.scores.items()]
        return "\n".join(rows + self.lines)


def task_module(task: str, profile: str = "fast") -> ModuleType:
    """The module that trains and evaluates `task` for `profile`."""
    if task not in TASKS:
        raise KeyError(f"no task named {task!r}; choose from {', '.join(sorted(TASKS)) or 'none'}")
    if profile != "fast":
        if (task, profile) not in PROFILE_TASKS:
            raise KeyError(f"{task} has no {profile!r} profile")
        return importlib.import_module(PROFILE_TASKS[(task, profile)])
    return importlib.import_module(TASKS[task])


def train(
    task: str,
    data: Path,
    *,
    out: Path = RESOURCES,
    seed: int = 13,
    folds: int = 5,
    languages: Sequence[str] | None = None,
    corrections: str | None = None,
    profile: str = "fast",
    top: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Report:
    """Train the head of `task` on `data` (fixed seed, k-fold CV for thresholds) into `out`.

    `languages` keeps only those languages' articles (the CV score floors train on English).
    `corrections`: a Narrascope database whose analysts' corrections are weighted in.
    `on_progress` receives progress lines from long (fine-tuning) runs.
    `top`: the accurate profile's fine-tuned layers, from the top (its default when None).
    """
    module = task_module(task, profile)
    options: dict[str, object] = {"languages": list(languages)} if languages else {}
    if top is not None:
        if "top" not in inspect.signature(module.train).parameters:
            raise KeyError(f"{task} ({profile} profile) fine-tunes no layers: drop --top")
        options["top"] = top
    if on_progress is not None and "on_progress" in inspect.signature(module.train).parameters:
        options["on_progress"] = on_progress
    if corrections is not None:
        if "corrections" not in inspect.signature(module.train).parameters:
            learners = sorted(t for t in TASKS if _takes(t, "train", "corrections"))
            raise KeyError(f"{task} cannot learn from corrections yet ({', '.join(learners)} can)")
        options["corrections"] = corrections
    # One BLAS thread for the whole run, its products as well as its fits: the heads' bytes
    # depend on the thread count (`fit.on_one_blas_thread`), so a run must not take it from
    # the environment (OPENBLAS_NUM_THREADS) or from the machine's cores. scipy.linalg loads
    # scipy's OpenBLAS (scipy's and sklearn's optimisers use it) before the limit looks.
    import scipy.linalg  # noqa: F401

    with one_blas_thread(rescan=True):
        report = module.train(data, out=out, seed=seed, folds=folds, **options)
    if corrections is not None and out.resolve() != RESOURCES.resolve():
        copied = seed_model_folder(out)
        report.lines.append(f"  model folder {out}: {copied} shipped heads copied beside it")
    return report


def seed_model_folder(out: Path) -> int:
    """Copy into `out` every shipped head (and its card) it lacks, so the folder is a whole
    model for `--model`; returns how many head files were copied."""
    copied = 0
    for path in sorted(RESOURCES.glob("*.safetensors")) + sorted(RESOURCES.glob("*.md")):
        if not (out / path.name).exists():
            shutil.copyfile(path, out / path.name)
            copied += path.suffix == ".safetensors"
    return copied


def evaluate(
    task: str,
    data: Path,
    *,
    split: str = "dev",
    predictions: Path | None = None,
    models: Path | None = None,
    profile: str = "fast",
) -> Report:
    """Score the head of `task` (of `profile`) on `split` of `data` with the task's official
    metric: the shipped head, or the one in the model folder `models`."""
    module = task_module(task, profile)
    if models is None:
        return module.evaluate(data, split=split, predictions=predictions)
    if not _takes(task, "evaluate", "models"):
        raise KeyError(f"{task} cannot be evaluated from a model folder yet")
    return module.evaluate(data, split=split, predictions=predictions, models=models)


def compare(before: Report, after: Report, *, names: tuple[str, str]) -> str:
    """Two evaluations of one task side by side, score by score, with the change."""
    width = max((len(k) for k in before.scores), default=5)
    rows = [f"{before.task}: {'score':<{width}}  {names[0]:>10}  {names[1]:>10}  {'change':>8}"]
    for key, value in before.scores.items():
        other = after.scores.get(key)
        change = f"{other - value:+8.4f}" if other is not None else " " * 8
        shown = f"{other:10.4f}" if other is not None else " " * 10
        rows.append(f"  {key:<{width}}  {value:10.4f}  {shown}  {change}")
    return "\n".join(rows)


def _takes(task: str, function: str, option: str) -> bool:
    return option in inspect.signature(getattr(task_module(task), function)).parameters
