"""One-line label definitions shown on hover: the analyzers' taxonomy files, else our own wording.

Reads `resources/taxonomy/*.json` (each with a `labels` list of `{label, definition}`) once,
when the app is built; `definitions.json` beside this module fills in the techniques, genres
and frames that no taxonomy file defines yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from narrascope.heads import RESOURCES

_OWN = Path(__file__).with_name("definitions.json")
# Which taxonomy file defines which layers' labels.
_TAXONOMY_LAYERS = {
    "narratives": ("narrative", "subnarrative"),
    "roles": ("role",),
    "techniques": ("technique",),
    "genre": ("genre",),
    "genres": ("genre",),
    "frames": ("frame",),
}


@dataclass
class Definitions:
    """Label → one-line definition, per layer."""

    by_layer: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, taxonomy_dir: Path | None = None) -> Definitions:
        """Definitions from the taxonomy folder, with our own wording where it has none."""
        defs = cls()
        own = json.loads(_OWN.read_text(encoding="utf-8"))
        for layer in ("technique", "genre", "frame"):
            defs.by_layer[layer] = dict(own.get(layer, {}))
        folder = taxonomy_dir or RESOURCES / "taxonomy"
        for stem, layers in _TAXONOMY_LAYERS.items():
            path = folder / f"{stem}.json"
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a half-written taxonomy must not take the web app down
            for entry in data.get("labels", []) if isinstance(data, dict) else []:
                if isinstance(entry, dict) and entry.get("label") and entry.get("definition"):
                    for layer in layers:
                        defs.by_layer.setdefault(layer, {})[str(entry["label"])] = str(
                            entry["definition"]
                        )
        return defs

    def get(self, layer: str, label: str) -> str:
        """The definition of `label` in `layer`, or "" when none is known."""
        return self.by_layer.get(str(layer), {}).get(label, "")

    def labels(self, layer: str) -> list[str]:
        return list(self.by_layer.get(str(layer), {}))
