"""Which labels a correction may use, and where each head puts its operating point.

Read from what the analyzers already read: the heads' label lists and thresholds
(`resources/*.safetensors`) and the narrative and role taxonomies. Layers without a closed
taxonomy (entities, quotes, events) take the labels the store already holds for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.heads import RESOURCES, LinearHead, ModelFileError, head_path
from narrascope.model import Layer

# The analyzer whose shipped head's labels and thresholds stand for each layer's model; the
# head file is named by the analyzer's version, so a retrained head is read without an edit here.
_ANALYZERS = {
    Layer.TECHNIQUE: "techniques",
    Layer.GENRE: "genre",
    Layer.FRAME: "frames",
    Layer.NARRATIVE: "narratives",
    Layer.SUBNARRATIVE: "narratives",
    Layer.ROLE: "roles",
    Layer.CLAIM: "claims",
}
DEFAULT_CUT = 0.5


@dataclass
class Vocabulary:
    """Label sets and per-label operating points, read once per object on first use.

    `models`: a model folder (a per-corpus model) whose heads' cuts stand instead of the shipped.
    """

    models: Path | None = None
    _labels: dict[Layer, frozenset[str]] = field(default_factory=dict)
    _cuts: dict[Layer, dict[str, float]] = field(default_factory=dict)

    def labels(self, layer: Layer) -> frozenset[str] | None:
        """The closed label set of `layer`, or None when the layer has no taxonomy."""
        if layer not in self._labels:
            self._load(layer)
        return self._labels.get(layer)

    def cut(self, layer: Layer, label: str) -> float:
        """The score at which `layer`'s head starts to give `label` (0.5 when unknown)."""
        if layer not in self._cuts:
            self._load(layer)
        return self._cuts.get(layer, {}).get(label, DEFAULT_CUT)

    def _load(self, layer: Layer) -> None:
        self._cuts[layer] = {}
        if layer in (Layer.NARRATIVE, Layer.SUBNARRATIVE):
            from narrascope.analyzers.narratives import OTHER, read_taxonomy

            level = "narrative" if layer is Layer.NARRATIVE else "subnarrative"
            names = {t.label for t in read_taxonomy() if t.level == level}
            self._labels[layer] = frozenset(names | ({OTHER} if level == "narrative" else set()))
        elif layer is Layer.ROLE:
            from narrascope.analyzers.roles import read_taxonomy as read_roles

            self._labels[layer] = frozenset(r.label for r in read_roles())
        head = self._head(layer)
        if head is None:
            return
        if layer not in self._labels:
            self._labels[layer] = frozenset(head.labels)
        cuts = head.thresholds if head.thresholds is not None else np.full(len(head.labels), 0.5)
        self._cuts[layer] = {label: float(c) for label, c in zip(head.labels, cuts, strict=True)}

    def _head(self, layer: Layer) -> LinearHead | None:
        from narrascope.analyzers import analyzer_class

        analyzer = _ANALYZERS.get(layer)
        if analyzer is None:
            return None
        name = analyzer_class(analyzer).version
        try:
            return LinearHead.from_file(head_path(RESOURCES / f"{name}.safetensors", self.models))
        except ModelFileError:
            return None  # no head shipped: labels are then checked against the store's
