"""The review queue: the stored labels whose review would teach the models most, first.

A label ranks high when its score sits near its head's operating point (the model was unsure
either way), and when the layers disagree (a subnarrative whose narrative was not given, or the
reverse). How often the label occurs weighs too (`label_weight`, #19): on the narrative layers,
a label many articles carry ranks higher (its correction can move many articles' decisions, and
the narrative score, samples-F1, averages over articles); on the other layers, a rare label
ranks higher (few examples to learn from). Labels a standing correction settled are left out;
progress counts them. The queue spreads over documents: each label a document already has
higher in the queue lowers the priority of its next one (`spread`), so that one long article
does not fill the analyst's first page; and each label of the same name already higher lowers
its next one (`label_spread`), so that one frequent label near its cut does not fill it either
(#19). A share of the queue (`explore`) is taken
blind, in a fixed pseudo-random order of the labels, interleaved with the ranked items: a queue
that only asks where the model is unsure never learns where it is sure and wrong, and samples
the corpus's frequent labels less than their weight in it (sampling bias, #19).
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from narrascope.model import Annotation, LabelKey, Layer
from narrascope.review.vocabulary import Vocabulary
from narrascope.store import Store

REVIEWABLE = (
    Layer.TECHNIQUE,
    Layer.NARRATIVE,
    Layer.SUBNARRATIVE,
    Layer.ROLE,
    Layer.GENRE,
    Layer.FRAME,
    Layer.CLAIM,
    Layer.QUOTE,
    Layer.ENTITY,
)
"""Layers whose labels an analyst reviews (events and text statistics are not verdicts)."""
UNCERTAINTY_WEIGHT, RARITY_WEIGHT, DISAGREEMENT_WEIGHT = 0.6, 0.25, 0.15
SPREAD = 0.5
"""Priority kept by a document's next label, per label of it already queued (1.0: no spread)."""
LABEL_SPREAD = 0.5
"""Priority kept by a label's next item, per item of the same label already queued (1.0: none).
Both 0.5: chosen on the held-out BG learning curve, 6 seeds (benchmarks/RESULTS.md)."""
EXPLORE = 0.25
"""Share of the queue's places given to labels picked blind (0: none, 0.25: one in four).
0.25: ahead of random at every N on both levels on the held-out BG learning curve, 10 seeds,
where 0.5:0.5 alone was behind on fine at N = 100 on PT (benchmarks/RESULTS.md)."""
BLIND_REASON = "picked blind (a share of the queue checks labels the model is sure of)"
LABEL_WEIGHTS = ("rare", "frequent", "impact")
"""How a label's count in the corpus weighs in its items' priority: `rare` (a rare label ranks
higher: few examples to learn from), `frequent` (the same term turned around: a label many
articles carry ranks higher, as it weighs in many articles' samples-F1), `impact` (the chance
the label is wrong, from uncertainty and disagreement, times its count over its layer's most
frequent label's: the articles whose decisions its correction could move)."""
LABEL_WEIGHT = "impact"
"""The narrative and subnarrative layers' default: chosen on the held-out BG learning curve, 10
seeds, over `rare` (the old default) and `frequent` (benchmarks/RESULTS.md). The other layers keep
`rare`: the learning curve measures the narrative layers only."""
WEIGHED_BY_IMPACT = (Layer.NARRATIVE, Layer.SUBNARRATIVE)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One label to review: its row id (what `review accept ID` takes), priority and reasons."""

    annotation_id: int
    ann: Annotation
    priority: float
    reasons: tuple[str, ...]


@dataclass(slots=True)
class ReviewQueue:
    """The first items of the queue, and how far review has come under the same filters."""

    items: list[QueueItem] = field(default_factory=list)
    reviewed: int = 0
    remaining: int = 0

    @property
    def progress(self) -> float:
        """The share of labels reviewed, 0 to 1."""
        total = self.reviewed + self.remaining
        return self.reviewed / total if total else 1.0


def build_queue(
    store: Store,
    vocabulary: Vocabulary,
    *,
    outlet: str | None = None,
    layers: Sequence[Layer] = (),
    label: str | None = None,
    limit: int = 20,
    spread: float = SPREAD,
    label_spread: float = LABEL_SPREAD,
    explore: float = EXPLORE,
    label_weight: str | None = None,
) -> ReviewQueue:
    """Rank every unreviewed label under the filters; keep the `limit` best (streamed).

    `explore`: the share of places, spread evenly, that take the next label of a fixed
    pseudo-random order (a hash of the label's key) instead of the next ranked one.
    `label_weight`: one of `LABEL_WEIGHTS` for every layer; None: `LABEL_WEIGHT` on the
    narrative layers, `rare` on the others."""
    if label_weight is not None and label_weight not in LABEL_WEIGHTS:
        raise ValueError(f"label_weight must be one of {LABEL_WEIGHTS}, not {label_weight!r}")
    spreads = spread < 1.0 or label_spread < 1.0
    keep = 4 * limit if spreads else limit  # room to spread over documents and labels
    counts = store.corrections.label_counts()
    most = max(counts.values(), default=1)
    most_in_layer: dict[str, int] = {}
    for (layer_name, _), n in counts.items():
        most_in_layer[layer_name] = max(most_in_layer.get(layer_name, 1), n)
    settled = store.corrections.reviewed()
    layers = tuple(layers) or REVIEWABLE
    queue = ReviewQueue()
    best: list[tuple[float, int, QueueItem]] = []
    blind: list[tuple[int, int, QueueItem]] = []  # the `limit` lowest hashes, negated
    doc_labels: dict[str, set[tuple[str, str]]] = {}
    for row_id, ann in store.corrections.candidates(outlet=outlet, layers=layers, label=label):
        if LabelKey.of(ann) in settled:
            continue
        queue.remaining += 1
        if ann.layer in (Layer.NARRATIVE, Layer.SUBNARRATIVE) and ann.doc_id not in doc_labels:
            doc_labels = {ann.doc_id: _narratives(store, ann.doc_id)}  # one document at a time
        weight = label_weight or (LABEL_WEIGHT if ann.layer in WEIGHED_BY_IMPACT else "rare")
        item = _item(
            row_id,
            ann,
            vocabulary,
            counts,
            most if weight == "rare" else most_in_layer.get(str(ann.layer), 1),
            doc_labels.get(ann.doc_id, set()),
            weight,
        )
        entry = (item.priority, -row_id, item)
        if len(best) < keep:
            heapq.heappush(best, entry)
        elif entry[:2] > best[0][:2]:
            heapq.heapreplace(best, entry)
        if explore > 0.0:
            drawn = (-_blind_rank(ann), -row_id, item)
            if len(blind) < limit:
                heapq.heappush(blind, drawn)
            elif drawn[:2] > blind[0][:2]:
                heapq.heapreplace(blind, drawn)
    queue.reviewed = _reviewed(store, outlet=outlet, layers=layers, label=label)
    ranked = [item for *_, item in sorted(best, key=lambda e: e[:2], reverse=True)]
    ranked = _spread(ranked, spread, label_spread) if spreads else ranked
    if explore > 0.0:
        blind_items = [item for *_, item in sorted(blind, key=lambda e: e[:2], reverse=True)]
        ranked = _interleave(ranked, blind_items, explore, limit)
    queue.items = ranked[:limit]
    return queue


def _blind_rank(ann: Annotation) -> int:
    """A label's place in the blind order: a hash of its key, the same on every call and
    machine, so a label keeps its place while the rest of the corpus is reviewed."""
    key = LabelKey.of(ann)
    text = "\x1f".join(
        map(str, (key.doc_id, key.layer, key.label, key.start, key.end, key.subject))
    )
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _interleave(
    ranked: list[QueueItem], drawn: list[QueueItem], explore: float, limit: int
) -> list[QueueItem]:
    """The first `limit` items: place i is blind when it crosses the next multiple of
    1/`explore` (0.25: places 4, 8, 12, ...); each stream skips what the other already took."""
    streams = (iter(ranked), iter(drawn))
    taken: set[int] = set()
    out: list[QueueItem] = []
    for place in range(limit):
        blind_place = _whole(place + 1, explore) > _whole(place, explore)
        for stream in (streams[1], streams[0]) if blind_place else streams:
            item = next((i for i in stream if i.annotation_id not in taken), None)
            if item is not None:
                break
        else:
            break
        taken.add(item.annotation_id)
        if stream is streams[1]:
            item = replace(item, reasons=(*item.reasons, BLIND_REASON))
        out.append(item)
    return out


def _whole(places: int, share: float) -> int:
    """How many of the first `places` places are blind (rounded so that 3 * (1/3) counts 1)."""
    return math.floor(round(places * share, 9))


def _spread(ranked: list[QueueItem], spread: float, label_spread: float = 1.0) -> list[QueueItem]:
    """Re-rank: each label its document already has ahead scales an item by `spread`, each item
    of the same label ahead by `label_spread` (priorities only fall, so a lazy heap is exact).
    An item's priority becomes the scaled one it was ranked by: the queue reads in order."""
    heap = [(-item.priority, i, (0, 0)) for i, item in enumerate(ranked)]
    heapq.heapify(heap)
    by_doc: dict[str, int] = {}
    by_label: dict[tuple[str, str], int] = {}
    out: list[QueueItem] = []
    while heap:
        _, i, seen = heapq.heappop(heap)
        item = ranked[i]
        key = (str(item.ann.layer), item.ann.label)
        ahead = (by_doc.get(item.ann.doc_id, 0), by_label.get(key, 0))
        if ahead != seen:  # its document or label gained items ahead of it since: look again
            scale = spread ** ahead[0] * label_spread ** ahead[1]
            heapq.heappush(heap, (-item.priority * scale, i, ahead))
            continue
        by_doc[item.ann.doc_id] = ahead[0] + 1
        by_label[key] = ahead[1] + 1
        scale = spread ** ahead[0] * label_spread ** ahead[1]
        out.append(
            item if scale == 1.0 else replace(item, priority=round(item.priority * scale, 4))
        )
    return out


def _reviewed(
    store: Store, *, outlet: str | None, layers: Sequence[Layer], label: str | None
) -> int:
    """How many standing corrections fall under the queue's filters."""
    outlets: dict[str, str | None] = {}
    count = 0
    for done in store.corrections.of():
        ann = done.old or done.new
        assert ann is not None
        if ann.layer not in layers or (label is not None and label != ann.label):
            continue
        if outlet is not None:
            if ann.doc_id not in outlets:
                doc = store.document(ann.doc_id)
                outlets[ann.doc_id] = doc.outlet if doc else None
            if outlets[ann.doc_id] != outlet:
                continue
        count += 1
    return count


def _item(
    row_id: int,
    ann: Annotation,
    vocabulary: Vocabulary,
    counts: dict[tuple[str, str], int],
    most: int,
    narratives: set[tuple[str, str]],
    label_weight: str = "rare",
) -> QueueItem:
    """`most`: the largest label count (`rare`: of any layer; else of the item's layer)."""
    cut = vocabulary.cut(Layer(ann.layer), ann.label)
    distance = abs(float(ann.score) - cut) / max(cut, 1.0 - cut)
    uncertainty = 1.0 - min(1.0, distance)
    n = counts.get((str(ann.layer), ann.label), 1)
    prevalence = math.log1p(n) / math.log1p(most) if most > 1 else 1.0
    disagreement = _disagrees(ann, narratives)
    reasons = [f"score {ann.score:.2f} near its cut {cut:.2f}"] if uncertainty >= 0.75 else []
    if label_weight == "rare" and 1.0 - prevalence >= 0.5:
        reasons.append(f"rare label ({n} in the corpus)")
    elif label_weight != "rare" and most > 1 and prevalence >= 0.75:
        reasons.append(f"frequent label ({n} in the corpus)")
    if disagreement:
        reasons.append("narrative and subnarrative disagree")
    if label_weight == "impact":
        wrong = UNCERTAINTY_WEIGHT * uncertainty + DISAGREEMENT_WEIGHT * disagreement
        wrong /= UNCERTAINTY_WEIGHT + DISAGREEMENT_WEIGHT
        priority = wrong * min(n, most) / most
    else:
        count_term = prevalence if label_weight == "frequent" else 1.0 - prevalence
        priority = (
            UNCERTAINTY_WEIGHT * uncertainty
            + RARITY_WEIGHT * count_term
            + DISAGREEMENT_WEIGHT * disagreement
        )
    return QueueItem(row_id, ann, round(priority, 4), tuple(reasons))


def _narratives(store: Store, doc_id: str) -> set[tuple[str, str]]:
    return {
        (str(a.layer), a.label)
        for a in store.annotations(doc_id)
        if a.layer in (Layer.NARRATIVE, Layer.SUBNARRATIVE)
    }


def _disagrees(ann: Annotation, narratives: set[tuple[str, str]]) -> float:
    """1.0 when a subnarrative's narrative is missing, or a narrative has no subnarrative."""
    if ann.layer is Layer.SUBNARRATIVE:
        parent = ann.label.rsplit(": ", 1)[0]
        return 0.0 if (str(Layer.NARRATIVE), parent) in narratives else 1.0
    if ann.layer is Layer.NARRATIVE and ann.label != "Other":
        prefix = ann.label + ": "
        has_sub = any(
            lay == Layer.SUBNARRATIVE and lab.startswith(prefix) for lay, lab in narratives
        )
        return 0.0 if has_sub else 1.0
    return 0.0
