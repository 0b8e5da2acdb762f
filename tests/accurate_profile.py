"""The accurate profile as it runs on a machine without the fine-tuned model (an install
without its files): a stand-in for the model, an article only the fast fallback reads, and a
model folder whose fast technique head is sure of every technique. Shared by the model-folder
and Dask tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from narrascope.heads import RESOURCES, LinearHead

RUSSIAN = (
    "Это позор и предательство! Лживые западные СМИ снова распространяют пропаганду. "
    "Народ никогда не простит этих провокаторов и их хозяев."
)


class NotShipped:
    """Stands in for `FineTunedTechniques`: loads, but cannot read English."""

    def __init__(self, directory: Path, **settings: object) -> None:
        self.directory = directory


def sure_techniques_folder(folder: Path) -> Path:
    """A model folder whose fast technique head is sure of every technique."""
    from narrascope.analyzers.techniques import TechniqueAnalyzer

    folder.mkdir()
    name = TechniqueAnalyzer.head_files[0]
    shipped = LinearHead.from_file(RESOURCES / name)
    sure = replace(
        shipped,
        bias=np.full_like(shipped.bias, 30.0),
        thresholds=np.zeros_like(shipped.thresholds),
    )
    sure.save(folder / name)
    return folder
