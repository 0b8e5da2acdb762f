"""Sentence clustering for storylines: join the nearest running centroid, or lead a new cluster.

Pure vector work over `Candidate` sentences (no store): `narrascope.corpus.storylines` reads
the candidates, calls these, and writes what they return. Time windows bound who may meet whom,
and sentences of the same document, or of documents that copy each other, never pair.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from narrascope.store.storylines import StorylineRow


@dataclass(slots=True)
class Candidate:
    """A sentence that may join a storyline: its document, clock, outlet, unit vector, offsets."""

    doc_id: str
    idx: int
    at: datetime
    outlet: str | None
    vector: np.ndarray
    start: int
    end: int


def join_existing(
    new: list[Candidate],
    active: list[StorylineRow],
    window: timedelta,
    threshold: float,
    joins: dict[str, list[tuple[Candidate, float]]],
) -> list[Candidate]:
    """Join new sentences to the nearest storyline in their window; returns the rest."""
    if not active or not new:
        return list(new)
    centroids = np.stack([row.centroid for row in active]).astype(np.float32)
    rest = []
    for start in range(0, len(new), 2048):
        block = new[start : start + 2048]
        sims = np.stack([c.vector for c in block]) @ centroids.T
        for c, row_sims in zip(block, sims, strict=True):
            target = None
            for j in np.argsort(-row_sims, kind="stable")[:5]:
                if row_sims[j] < threshold:
                    break
                row = active[j]
                if row.last_seen >= c.at - window and row.first_seen <= c.at + window:
                    target = (row.id, float(row_sims[j]))
                    break
            if target is None:
                rest.append(c)
            else:
                joins[target[0]].append((c, target[1]))
    return rest


def leader_clusters(
    new: list[Candidate],
    old: list[Candidate],
    window: timedelta,
    threshold: float,
    copies: set[frozenset[str]],
    *,
    floor: float | None = None,
) -> list[list[Candidate]]:
    """Leader clustering over sentences that have a close sentence in another document.

    A sentence joins a cluster whose centroid is at least `threshold` close and all of whose
    members are at least `floor` close (default: `threshold`), so a cluster cannot drift.
    """
    pool = old + new
    if not new or len(pool) < 2:
        return []
    pool_vectors = np.stack([c.vector for c in pool]).astype(np.float32)
    base = min(c.at for c in pool).timestamp()
    pool_days = np.array([(c.at.timestamp() - base) / 86400 for c in pool], dtype=np.float32)
    doc_index: dict[str, int] = {}
    pool_docs = np.array([doc_index.setdefault(c.doc_id, len(doc_index)) for c in pool])
    limit = window.total_seconds() / 86400
    neighbours: dict[int, set[int]] = defaultdict(set)
    offset = len(old)
    for start in range(0, len(new), 256):  # blocks bound memory: 256 × pool floats at a time
        rows = np.arange(offset + start, offset + min(start + 256, len(new)))
        sims = pool_vectors[rows] @ pool_vectors.T
        gap = pool_days[rows][:, None] - pool_days[None, :]
        np.abs(gap, out=gap)
        sims[gap > limit] = -1
        del gap
        sims[pool_docs[rows][:, None] == pool_docs[None, :]] = -1
        for i, j in zip(*np.nonzero(sims >= threshold), strict=True):
            a, b = int(rows[i]), int(j)
            if copies and frozenset((pool[a].doc_id, pool[b].doc_id)) in copies:
                continue
            neighbours[a].add(b)
            neighbours[b].add(a)
    nodes = sorted(neighbours, key=lambda k: (pool[k].at, pool[k].doc_id, pool[k].idx))
    cluster_of: dict[int, int] = {}
    members: list[list[int]] = []
    floor = threshold if floor is None else floor
    sums: list[np.ndarray] = []
    clusters: list[list[Candidate]] = []
    for node in nodes:
        vector = pool_vectors[node]
        best, best_sim = -1, threshold
        for k in sorted({cluster_of[n] for n in neighbours[node] if n in cluster_of}):
            centroid = sums[k] / (float(np.linalg.norm(sums[k])) or 1.0)
            sim = float(vector @ centroid)
            # Ties go to the older cluster; every member must stay close too, or a cluster
            # drifts topic by topic (chaining).
            closer = sim > best_sim or (best < 0 and sim >= threshold)
            if closer and min(pool_vectors[members[k]] @ vector) >= floor:
                best, best_sim = k, sim
        if best < 0:
            best = len(clusters)
            clusters.append([])
            members.append([])
            sums.append(np.zeros_like(vector))
        members[best].append(node)
        cluster_of[node] = best
        clusters[best].append(pool[node])
        sums[best] = sums[best] + vector
    return clusters
