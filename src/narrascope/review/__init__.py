"""Reviewing labels: an analyst accepts, rejects, relabels or adds one, and can take it back.

The library twin of `narrascope review` and of the reader's review keys: `Review(store)`
checks a request against the taxonomies (`review/vocabulary.py`) and hands the store a
`Correction`, which `Store.corrections` checks against the data, keeps and applies. The queue
of what to review next is in `review/queue.py`. Sits above the store, beside the corpus views.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from narrascope.model import Annotation, Correction, CorrectionAction, CorrectionRefused, Layer
from narrascope.review.queue import QueueItem, ReviewQueue, build_queue
from narrascope.review.vocabulary import Vocabulary
from narrascope.store import Store
from narrascope.store.corrections import CORRECTION_MODEL
from narrascope.text.names import entity_id

NAME_LENGTH = 200
"""The longest name a speaker or an entity link may have (the web form's limit too)."""
SPAN_LAYERS = frozenset({Layer.TECHNIQUE, Layer.ENTITY, Layer.QUOTE, Layer.CLAIM, Layer.EVENT})
"""Layers whose labels sit on a span of text; the others label the whole document."""

__all__ = ["NAME_LENGTH", "SPAN_LAYERS", "QueueItem", "Review", "ReviewQueue", "Vocabulary"]


class Review:
    """Corrections and the review queue of one store."""

    def __init__(self, store: Store, vocabulary: Vocabulary | None = None) -> None:
        self.store = store
        self.vocabulary = vocabulary or Vocabulary()

    def correct(
        self,
        action: CorrectionAction | str,
        *,
        user: str,
        annotation_id: int | None = None,
        doc_id: str | None = None,
        layer: Layer | str | None = None,
        label: str | None = None,
        start: int | None = None,
        end: int | None = None,
        subject: str | None = None,
        speaker: str | None = None,
        entity: str | None = None,
        note: str = "",
    ) -> Correction:
        """Apply one verdict; `CorrectionRefused` (nothing stored) names what is wrong with it.

        Accept, reject and relabel name the stored annotation by `annotation_id` (`doc_id`,
        when given, must be its document); relabel gives a new `label`, span (character
        offsets into `Document.text`), quote `speaker` and/or the `entity` an entity mention
        links to (its name; the id is made from it). Add gives `doc_id`, `layer`, `label` and,
        on span layers, `start`/`end` (on roles, the entity id as `subject`; on entity
        mentions, the `entity`; on quotes, maybe the `speaker`).
        """
        try:
            action = CorrectionAction(action)
        except ValueError:
            choices = ", ".join(a.value for a in CorrectionAction)
            raise CorrectionRefused(f"unknown action {action!r} (one of {choices})") from None
        if action is CorrectionAction.ADD:
            added = self._added(doc_id, layer, label, start, end, subject)
            if entity is None and added.layer is Layer.ENTITY:
                raise CorrectionRefused("an entity mention needs the entity it names")
            added = replace(added, attrs=linked(added, speaker=speaker, entity=entity))
            return self.store.corrections.add(Correction(action, user, None, added, note=note))
        old = self._stored(annotation_id, doc_id)
        new: Annotation | None = None
        if action is CorrectionAction.RELABEL:
            if all(v is None for v in (label, start, end, speaker, entity)):
                raise CorrectionRefused("relabel needs a new label, span, speaker or entity")
            new_label = old.label if label is None else self._known(old.layer, label)
            new = replace(
                old,
                label=new_label,
                start=old.start if start is None else start,
                end=old.end if end is None else end,
                model=CORRECTION_MODEL,
                score=1.0,
                attrs=linked(old, speaker=speaker, entity=entity),
            )
        elif speaker is not None or entity is not None:
            raise CorrectionRefused("only a relabel or an add changes a speaker or an entity")
        return self.store.corrections.add(Correction(action, user, old, new, note=note))

    def undo(self, correction_id: int, *, user: str) -> Correction:
        """Take a correction back; the model's label returns."""
        return self.store.corrections.undo(correction_id, user=user)

    def queue(
        self,
        *,
        outlet: str | None = None,
        layer: Layer | str | None = None,
        label: str | None = None,
        limit: int = 20,
    ) -> ReviewQueue:
        """The labels whose review would teach the models most, first; with progress."""
        layers = (Layer(layer),) if layer else ()
        return build_queue(
            self.store, self.vocabulary, outlet=outlet, layers=layers, label=label, limit=limit
        )

    # -- checks ----------------------------------------------------------------------------------
    def _stored(self, annotation_id: int | None, doc_id: str | None) -> Annotation:
        if annotation_id is None:
            raise CorrectionRefused("name the label to correct by its id")
        ann = self.store.corrections.annotation(annotation_id)
        if ann is None:
            raise CorrectionRefused(
                f"no label {annotation_id}: it was re-analysed or corrected since; reload"
            )
        if doc_id is not None and ann.doc_id != doc_id:
            raise CorrectionRefused(f"label {annotation_id} is not on document {doc_id}")
        return ann

    def _known(self, layer: Layer | str, label: str) -> str:
        layer = Layer(layer)
        known = self.vocabulary.labels(layer)
        if known is None:
            known = frozenset(
                name for (lay, name) in self.store.corrections.label_counts() if lay == layer
            )
        if label not in known:
            raise CorrectionRefused(f"unknown {layer} label {label!r}")
        return label

    def _added(
        self,
        doc_id: str | None,
        layer: Layer | str | None,
        label: str | None,
        start: int | None,
        end: int | None,
        subject: str | None,
    ) -> Annotation:
        if not doc_id or not layer or not label:
            raise CorrectionRefused("adding a label needs a document, a layer and a label")
        try:
            layer = Layer(layer)
        except ValueError:
            raise CorrectionRefused(f"unknown layer {layer!r}") from None
        label = self._known(layer, label)
        if layer in SPAN_LAYERS and (start is None or end is None):
            raise CorrectionRefused(f"a {layer} label needs its span (start and end)")
        if layer not in SPAN_LAYERS and (start is not None or end is not None):
            raise CorrectionRefused(f"a {layer} label is about the whole document: no span")
        if layer is Layer.ROLE and not subject:
            raise CorrectionRefused("a role needs the entity it is about (subject)")
        attrs = {"entity_id": subject} if subject else {}
        return Annotation(
            doc_id=doc_id,
            layer=layer,
            label=label,
            model=CORRECTION_MODEL,
            start=start,
            end=end,
            score=1.0,
            attrs=attrs,
        )


def linked(ann: Annotation, *, speaker: str | None, entity: str | None) -> dict[str, Any]:
    """`ann`'s attrs with a quote's speaker or an entity mention's entity set by name.

    The id comes from the name as the analyzers make it (`text.names.entity_id`), so the
    corrected speaker or entity meets the same one in other articles.
    """
    attrs = dict(ann.attrs)
    if speaker is not None:
        if ann.layer != Layer.QUOTE:
            raise CorrectionRefused(f"a {ann.layer} label has no speaker: only a quote has one")
        name = _name(speaker, "a speaker needs a name")
        attrs.update(speaker=name, speaker_id=entity_id(name, label="PER"), speaker_span=None)
    if entity is not None:
        if ann.layer != Layer.ENTITY:
            raise CorrectionRefused(f"a {ann.layer} label links to no entity: only a mention does")
        name = _name(entity, "an entity link needs the entity's name")
        attrs.update(entity=name, entity_id=entity_id(name, label=ann.label), aliases=[])
    return attrs


def _name(text: str, empty: str) -> str:
    """A person's or entity's name as given, spaces tidied; refused when empty or too long."""
    name = " ".join(text.split())
    if not name:
        raise CorrectionRefused(empty)
    if len(name) > NAME_LENGTH:
        raise CorrectionRefused(f"a name is at most {NAME_LENGTH} characters ({len(name)} given)")
    return name
