"""The analyzer seam: the `Analyzer` contract and the one visible list of built-in analyzers.

An analyzer reads a segmented `Document`, the vectors of its sentences (one row per
`doc.sentences` entry, from the shared encoder) and `prior`, the annotations that analyzers
earlier in the run made for the same document (what its `requires` layers come from), and
returns new annotations. `languages` is the set it can read (None: any); the pipeline does not
run it on a document in another language, and says so. Plugins join
`BUILTIN` by name through `register()`; nothing is found by import side effects.

An analyzer is loaded for the encoder whose vectors it will read (`load(encoder)`): a head
takes its dimension, languages and name from that encoder and refuses one it was not trained
on; `load(encoder, models=DIR)` reads the heads from a model folder instead of the package
(a per-corpus model, #19). Analyzers that read no vectors take the encoder too and ignore it, so that
`load_analyzers(classes, encoder)` loads any selection the same way, after checking that
every `requires` layer comes from an analyzer earlier in the order. An analyzer whose heads
(`head_files`) a model folder changes runs under that per-corpus model's own version
(`model_version`), so its labels are never taken for the shipped model's or another folder's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

import numpy as np

from narrascope.encode import Encoder
from narrascope.heads import ModelFileError, changed_heads, model_folder_id
from narrascope.model import Annotation, Document, Layer


@runtime_checkable
class Analyzer(Protocol):
    """Every analysis has this shape: settings in `__init__`, models in `load()`, a pure `analyze`.

    `requires` names every layer `analyze` reads from `prior`. `languages` may come from the
    encoder given to `load` (an analyzer reads what its encoder reads).
    """

    name: ClassVar[str]
    version: ClassVar[str]
    layer: ClassVar[Layer]
    requires: ClassVar[tuple[Layer, ...]]

    @property
    def languages(self) -> frozenset[str] | None:
        """The languages it reads (None: any); the run loop reads it, never sets it."""

    @classmethod
    def load(cls, encoder: Encoder, *, models: Path | None = None) -> Analyzer: ...

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]: ...


class AnalyzerOrderError(ValueError):
    """A chosen analyzer requires a layer that no analyzer before it produces."""


def _builtin() -> dict[str, Callable[[], type[Analyzer]]]:
    # Imports are deferred so that importing narrascope loads no model code.
    from narrascope.analyzers.claims import ClaimAnalyzer
    from narrascope.analyzers.entities import EntityAnalyzer
    from narrascope.analyzers.events import EventAnalyzer
    from narrascope.analyzers.frames import FrameAnalyzer
    from narrascope.analyzers.genre import GenreAnalyzer
    from narrascope.analyzers.narratives import NarrativeAnalyzer
    from narrascope.analyzers.quotes import QuoteAnalyzer
    from narrascope.analyzers.roles import RoleAnalyzer
    from narrascope.analyzers.stats import StatsAnalyzer
    from narrascope.analyzers.techniques import TechniqueAnalyzer

    return {
        "stats": lambda: StatsAnalyzer,
        "entities": lambda: EntityAnalyzer,
        "quotes": lambda: QuoteAnalyzer,
        "claims": lambda: ClaimAnalyzer,
        "events": lambda: EventAnalyzer,
        "narratives": lambda: NarrativeAnalyzer,
        "roles": lambda: RoleAnalyzer,
        "techniques": lambda: TechniqueAnalyzer,
        "genre": lambda: GenreAnalyzer,
        "frames": lambda: FrameAnalyzer,
    }


_plugins: dict[str, Callable[[], type[Analyzer]]] = {}


def register(name: str, factory: Callable[[], type[Analyzer]]) -> None:
    """Add a plugin analyzer class (returned by `factory`) under `name`."""
    _plugins[name] = factory


def available() -> list[str]:
    """Names of every analyzer that can be chosen, built-ins first, in run order."""
    return [*_builtin(), *(n for n in _plugins if n not in _builtin())]


def analyzer_class(name: str) -> type[Analyzer]:
    """The analyzer class registered under `name`."""
    factories = {**_builtin(), **_plugins}
    if name not in factories:
        raise KeyError(f"no analyzer named {name!r}; choose from {', '.join(available())}")
    return factories[name]()


PROFILES = ("fast", "accurate")
"""Analysis profiles, like spaCy's sm/trf: fast = shared encoder + light heads; accurate =
fine-tuned models run with ONNX Runtime where there are any (techniques and entity-centred
roles, English)."""


def _swaps(profile: str) -> dict[str, Callable[[], type[Analyzer]]]:
    """The analyzers `profile` runs in place of the fast ones, by name."""
    if profile != "accurate":
        return {}
    from narrascope.analyzers.roles_accurate import AccurateRoleAnalyzer
    from narrascope.analyzers.techniques_accurate import AccurateTechniqueAnalyzer

    return {
        "techniques": lambda: AccurateTechniqueAnalyzer,
        "roles": lambda: AccurateRoleAnalyzer,
    }


def profile_versions(name: str) -> list[str]:
    """The version of analyzer `name` in every profile: one analysis whichever profile ran it,
    so a re-run in one profile replaces the other profile's labels, never mixes with them (#19).
    Empty for a name that is not registered (an analyzer built by hand)."""
    if name not in {**_builtin(), **_plugins}:
        return []
    versions = set()
    for profile in PROFILES:
        swap = _swaps(profile).get(name)
        versions.add((swap() if swap else analyzer_class(name)).version)
    return sorted(versions)


def select(
    only: Iterable[str] | None = None, skip: Iterable[str] = (), *, profile: str = "fast"
) -> list[type[Analyzer]]:
    """The analyzer classes to run, in order; refuses an order where a requirement is unmet.
    `profile` "accurate" swaps in the accurate analyzers where there are any."""
    if profile not in PROFILES:
        raise ValueError(f"no profile named {profile!r}; choose from {', '.join(PROFILES)}")
    names = list(only) if only else available()
    skipped = set(skip)
    for name in [*names, *skipped]:
        analyzer_class(name)  # unknown names fail before any work
    swaps = _swaps(profile)
    chosen = [swaps[n]() if n in swaps else analyzer_class(n) for n in names if n not in skipped]
    check_order(chosen)
    return chosen


def cannot_read(doc: Document, *, min_words: int, languages: frozenset[str] | None) -> bool:
    """True when `doc` is too short to label, or in a language outside `languages` (None: any)."""
    if not doc.sentences or doc.word_count < min_words:
        return True
    return bool(doc.language and languages and doc.language not in languages)


NOTE_MODEL = "pipeline"
"""The model of a `not-analyzed` note: the run's bookkeeping, not a label of any model."""


def not_analyzed(doc: Document, analyzer: str, reason: str) -> Annotation:
    """The note an analyzer (or the pipeline for it) leaves on a document it did not label."""
    return Annotation(
        doc_id=doc.id,
        layer=Layer.STATS,
        label="not-analyzed",
        model=NOTE_MODEL,
        evidence=[doc.sentences[0]] if doc.sentences else [],
        attrs={"analyzer": analyzer, "reason": reason},
    )


def not_analyzed_by_reason(anns: Iterable[Annotation]) -> dict[str, list[str]]:
    """The `not-analyzed` notes among `anns` as {reason: [analyzers it held back]}, in order."""
    grouped: dict[str, list[str]] = {}
    for a in anns:
        if a.layer == Layer.STATS and a.label == "not-analyzed":
            grouped.setdefault(str(a.attrs.get("reason", "")), []).append(
                str(a.attrs.get("analyzer", "?"))
            )
    return grouped


def language_reason(doc: Document) -> str:
    """Why an analyzer left `doc` alone: its language is not one the analyzer reads."""
    return f"language {doc.language or 'unknown'!r} is not one it reads"


def load_analyzers(
    classes: Sequence[type[Analyzer]], encoder: Encoder, *, models: Path | None = None
) -> list[Analyzer]:
    """Load `classes`, in order, to read `encoder`'s vectors: the one way analyzers are loaded.

    `models`: a model folder (a per-corpus model) to read every head from instead of the
    shipped ones. A bad order (`AnalyzerOrderError`) is refused before any model is read; a
    head the folder lacks raises `heads.ModelFileError`, one trained on another encoder
    `heads.EncoderMismatch` naming both.
    """
    check_order(classes)
    if models is None:  # plugins written before model folders take the encoder alone
        return [cls.load(encoder) for cls in classes]
    if not models.is_dir():  # before any model is read
        raise ModelFileError(f"{models}: no such model folder")
    return [load_analyzer(cls, encoder, models=models) for cls in classes]


def load_analyzer(cls: type[Analyzer], encoder: Encoder, *, models: Path | None = None) -> Analyzer:
    """Load one analyzer with its heads from model folder `models` (None: the shipped ones),
    under the per-corpus model's version when the folder changes its heads (`model_version`).
    What `load_analyzers` does for each, and what an analyzer that runs another as its
    fallback calls for it."""
    if models is None:
        return cls.load(encoder)
    analyzer = cls.load(encoder, models=models)
    version = model_version(cls, models)
    return (
        analyzer if version == cls.version else cast(Analyzer, PerCorpusAnalyzer(analyzer, version))
    )


def model_version(cls: type[Analyzer], models: Path | None) -> str:
    """The version the labels of `cls` carry with its heads read from model folder `models`:
    its own, unless the folder changes one of its heads (`head_files`, the files its `load`
    reads); then its own and the folder's model id (`heads.model_folder_id`): `genre-v4-m1a2b…`.
    Re-analysis with another folder then sees another version and replaces the labels (#19)."""
    names = getattr(cls, "head_files", ())  # plugins may read no head, or not say which
    if models is None or not models.is_dir() or not changed_heads(models, names):
        return cls.version
    return f"{cls.version}-{model_folder_id(models)}"


class PerCorpusAnalyzer:
    """An analyzer whose heads a per-corpus model folder changed, under that model's version
    (`model_version`): its `version`, and the `model` of every label it gives as its own, are
    the per-corpus model's. Labels it names another model for keep that name: its not-analyzed
    notes stay bookkeeping, and a fallback analyzer's labels (the accurate profile's fast
    technique head, itself loaded by `load_analyzer`) name that one. All else is the
    analyzer's."""

    def __init__(self, analyzer: Analyzer, version: str) -> None:
        self.analyzer, self.version = analyzer, version
        self.name, self.layer, self.requires = analyzer.name, analyzer.layer, analyzer.requires
        self.languages = analyzer.languages

    def analyze(
        self, doc: Document, vectors: np.ndarray, prior: Sequence[Annotation] = ()
    ) -> list[Annotation]:
        anns = self.analyzer.analyze(doc, vectors, prior)
        own = self.analyzer.version
        return [replace(a, model=self.version) if a.model == own else a for a in anns]

    def __getattr__(self, name: str) -> Any:
        if name == "analyzer":  # not set yet (a copy being built): no endless lookup
            raise AttributeError(name)
        return getattr(self.analyzer, name)


def check_order(classes: Sequence[type[Analyzer]]) -> None:
    """Raise `AnalyzerOrderError` unless every `requires` layer comes from an earlier analyzer."""
    produced: set[Layer] = set()
    for cls in classes:
        missing = [layer for layer in cls.requires if layer not in produced]
        if missing:
            raise AnalyzerOrderError(
                f"analyzer {cls.name!r} needs {', '.join(missing)} from an earlier analyzer"
            )
        produced.add(cls.layer)
