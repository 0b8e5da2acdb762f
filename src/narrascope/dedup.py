"""Corpus-wide copies: near-duplicates (MinHash LSH) and partial reuse (shared long passages).

Sits after segmentation and before encoding. Exact copies of a text never get here (the same
text has the same `Document.id` and becomes another publication of it). For the rest, a
`Fingerprint` of each document goes into the store with it, in the same transaction:

- a MinHash signature of its word shingles (datasketch), cut into LSH bands whose hashes live
  in an indexed store table, so finding candidates costs a few index look-ups and memory does
  not grow with the corpus; candidates are verified by the Jaccard their signatures estimate;
- winnowed hashes of n-word windows (Schleimer et al., 2003), which guarantee that any passage
  of at least `n + w - 1` words shared with a stored document is found; candidates are then
  aligned word by word to get the shared spans' exact character offsets.

The banding is a property of the store, chosen once (datasketch's optimal `(b, r)` for
Jaccard `min(threshold, 0.5)`), so later runs may choose any threshold at or above it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from narrascope.model import (
    CopyKind,
    CopyMatch,
    DedupSettings,
    Document,
    Fingerprint,
    SharedSpan,
)

_WORD = re.compile(r"\w+")
_LSH_FLOOR = 0.5  # the band table serves every threshold at or above this Jaccard
Key = TypeVar("Key", int, tuple[int, int])


def settings_for(threshold: float, *, num_perm: int = 128, shingle_words: int = 5) -> DedupSettings:
    """Settings whose LSH bands suit `min(threshold, 0.5)` (datasketch's optimal b, r)."""
    from datasketch.lsh import _optimal_param

    floor = min(threshold, _LSH_FLOOR)
    bands, rows = _optimal_param(floor, num_perm, 0.5, 0.5)
    return DedupSettings(
        num_perm=num_perm,
        shingle_words=shingle_words,
        bands=bands,
        rows=rows,
        lsh_threshold=floor,
    )


class CopyIndex(Protocol):
    """The look-ups dedup needs from wherever fingerprints are kept (the store's index)."""

    def settings(self, wanted: DedupSettings) -> DedupSettings: ...

    def same_words(self, words_sha: str) -> list[str]: ...

    def band_members(
        self, bands: Sequence[tuple[int, int]], *, per_bucket: int
    ) -> dict[tuple[int, int], list[str]]: ...

    def signatures(self, doc_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def passage_members(self, hashes: Sequence[int], *, per_hash: int) -> dict[int, list[str]]: ...

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]: ...


class HasCopyIndex(Protocol):
    """A store: it holds its fingerprints' index as `fingerprints`."""

    @property
    def fingerprints(self) -> CopyIndex: ...


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def _window_hashes(words: Sequence[str], n: int) -> np.ndarray:
    return np.array(
        [_hash64(" ".join(words[i : i + n]).encode()) for i in range(len(words) - n + 1)],
        dtype=np.int64,
    )


def _winnow(hashes: np.ndarray, w: int) -> list[tuple[int, int]]:
    """The minimum hash of every `w` consecutive ones, with its position (first per hash)."""
    if len(hashes) == 0:
        return []
    if len(hashes) <= w:
        picks = [int(hashes.argmin())]
    else:
        windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
        picks = sorted(set((windows.argmin(axis=1) + np.arange(len(windows))).tolist()))
    seen: dict[int, int] = {}
    for pos in picks:
        seen.setdefault(int(hashes[pos]), pos)
    return list(seen.items())


class Fingerprinter:
    """Makes fingerprints in one store's settings (holds datasketch's permutations once).

    The only maker of fingerprints: the run loop's prepare phase calls it (on a cluster
    worker when there is one), and the store is handed what it made.
    """

    def __init__(self, settings: DedupSettings) -> None:
        from datasketch import MinHash

        self.settings = settings
        self._template = MinHash(
            num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme
        )

    def fingerprint(self, doc: Document) -> Fingerprint:
        """The MinHash signature, LSH bands and winnowed passage hashes of `doc`'s words."""
        from datasketch import MinHash

        settings = self.settings
        words = _words(doc.text)
        k = settings.shingle_words
        shingles = {" ".join(words[i : i + k]).encode() for i in range(max(1, len(words) - k + 1))}
        minhash = MinHash(
            num_perm=settings.num_perm,
            seed=settings.seed,
            permutations=self._template.permutations,
            scheme=settings.scheme,
        )
        if words:
            minhash.update_batch(list(shingles))
        signature = minhash.hashvalues.astype(np.uint32)
        r = settings.rows
        bands = [  # none for an empty text: its signature would put all of them in one bucket
            (b, _hash64(b.to_bytes(2, "little") + signature[b * r : (b + 1) * r].tobytes()))
            for b in range(settings.bands if words else 0)
        ]
        passages = _winnow(_window_hashes(words, settings.passage_words), settings.winnow)
        return Fingerprint(
            doc_id=doc.id,
            signature=signature,
            words=len(words),
            words_sha=hashlib.sha256(" ".join(words).encode()).hexdigest()[:16],
            bands=bands,
            passages=passages,
        )


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity two MinHash signatures estimate."""
    return float(np.count_nonzero(a == b)) / len(a)


def _words(text: str) -> list[str]:
    """Lowercased words; the same tokens as `_tokens` (lowercasing first could split some)."""
    return [word.lower() for word in _WORD.findall(text)]


def _union(intervals: Sequence[tuple[int, int]]) -> int:
    """How many positions half-open intervals cover together."""
    covered, reach = 0, 0
    for start, end in sorted(intervals):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


@dataclass(frozen=True, slots=True)
class Alignment:
    """The long passages one text shares with another, and how much of each they cover."""

    spans: tuple[SharedSpan, ...]
    cover: float  # share of the first text's words inside shared passages
    other_cover: float  # the same for the other text


class Aligner:
    """Finds the passages a text shares with others: indexes it once, then scans each other text.

    A passage is a maximal run of at least `min_words` identical words (case-insensitive); the
    scan goes left to right over the other text and takes the longest run through each probe.
    """

    def __init__(self, text: str, *, window: int = 12, min_words: int = 25) -> None:
        self.text, self.window, self.min_words = text, window, min_words
        self.words = _words(text)
        self._index: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(self.words) - window + 1):
            self._index.setdefault(tuple(self.words[i : i + window]), []).append(i)
        self._offsets: list[re.Match[str]] | None = None

    def align(self, other: str) -> Alignment:
        wa, wb, w = self.words, _words(other), self.window
        runs: list[tuple[int, int, int]] = []  # (position here, position in other, words)
        # Every run of `min_words` holds `min_words - w + 1` window starts, so probing every
        # that many positions hits each one; a hit is then extended both ways. Probing every
        # position cost the driver a third of a lean run (#8).
        stride = max(1, self.min_words - w + 1)
        floor = 0  # runs do not overlap in the other text: none reaches back past the last one
        j = 0
        while j <= len(wb) - w:
            best_i, best_j, best_len = -1, -1, 0
            for i in self._index.get(tuple(wb[j : j + w]), ())[:50]:
                back = 0
                while i - back > 0 and j - back > floor and wa[i - back - 1] == wb[j - back - 1]:
                    back += 1
                n = w
                while i + n < len(wa) and j + n < len(wb) and wa[i + n] == wb[j + n]:
                    n += 1
                if back + n > best_len:
                    best_i, best_j, best_len = i - back, j - back, back + n
            if best_len >= self.min_words:
                runs.append((best_i, best_j, best_len))
                floor = j = best_j + best_len
            else:
                j += stride
        if not runs:
            return Alignment((), 0.0, 0.0)
        if self._offsets is None:
            self._offsets = _tokens(self.text)
        a, b = self._offsets, _tokens(other)
        spans = tuple(
            SharedSpan(a[i].start(), a[i + n - 1].end(), b[j].start(), b[j + n - 1].end(), n)
            for i, j, n in sorted(runs)
        )
        cover = _union([(i, i + n) for i, _, n in runs]) / len(wa)
        other_cover = _union([(j, j + n) for _, j, n in runs]) / len(wb)
        return Alignment(spans, cover, other_cover)


def shared_spans(
    text: str, other: str, *, window: int = 12, min_words: int = 25
) -> list[SharedSpan]:
    """The passages of at least `min_words` identical words that `text` shares with `other`."""
    return list(Aligner(text, window=window, min_words=min_words).align(other).spans)


def _most_shared(
    members: Iterable[list[str]], limit: int, exclude: Collection[str] = ()
) -> list[str]:
    """The documents found under the most keys (buckets, passages), first found first on ties."""
    hits: Counter[str] = Counter()
    for doc_ids in members:
        hits.update(d for d in doc_ids if d not in exclude)
    return [doc_id for doc_id, _ in hits.most_common(limit)]


@dataclass(frozen=True, slots=True)
class _Held:
    fingerprint: Fingerprint
    text: str
    bands: frozenset[tuple[int, int]]
    passages: frozenset[int]


class InFlight:
    """A copy index plus the documents found new but not stored yet (batches being analyzed).

    A cluster run dedups batch k while batches before it are still being encoded; their
    documents must count as stored, or a copy of one of them would go unnoticed. Look-ups
    answer exactly as the store would if they were stored (the first `n` ids of a key, in id
    order), so a cluster run finds the same copies as a local one. Documents stay here until
    the run commits them (`release`); one that then fails is never stored, and the store
    drops copy edges to documents it does not hold.
    """

    def __init__(self, index: CopyIndex) -> None:
        self.index = index
        self._held: dict[str, _Held] = {}

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._held

    def hold(self, doc: Document, fp: Fingerprint) -> None:
        passages = frozenset(h for h, _ in fp.passages)
        self._held[doc.id] = _Held(fp, doc.text, frozenset(fp.bands), passages)

    def release(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self._held.pop(doc_id, None)

    def settings(self, wanted: DedupSettings) -> DedupSettings:
        return self.index.settings(wanted)

    def same_words(self, words_sha: str) -> list[str]:
        held = [i for i, h in self._held.items() if h.fingerprint.words_sha == words_sha]
        return list(dict.fromkeys([*self.index.same_words(words_sha), *held]))

    def band_members(
        self, bands: Sequence[tuple[int, int]], *, per_bucket: int
    ) -> dict[tuple[int, int], list[str]]:
        stored = self.index.band_members(bands, per_bucket=per_bucket)
        return self._merged(bands, stored, lambda h, key: key in h.bands, per_bucket)

    def passage_members(self, hashes: Sequence[int], *, per_hash: int) -> dict[int, list[str]]:
        stored = self.index.passage_members(hashes, per_hash=per_hash)
        return self._merged(hashes, stored, lambda h, key: key in h.passages, per_hash)

    def _merged(
        self,
        keys: Sequence[Key],
        stored: dict[Key, list[str]],
        has: Callable[[_Held, Key], bool],
        n: int,
    ) -> dict[Key, list[str]]:
        """Each key's first `n` ids among the stored and the held documents, in id order."""
        out: dict[Key, list[str]] = {}
        for key in keys:
            doc_ids: list[str] = stored.get(key, [])
            held: list[str] = [i for i, h in self._held.items() if has(h, key)]
            if held:
                doc_ids = sorted({*doc_ids, *held})[:n]
            if doc_ids:
                out[key] = doc_ids
        return out

    def signatures(self, doc_ids: Sequence[str]) -> dict[str, np.ndarray]:
        out = {i: self._held[i].fingerprint.signature for i in doc_ids if i in self._held}
        out.update(self.index.signatures([i for i in doc_ids if i not in out]))
        return out

    def texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out = {i: self._held[i].text for i in doc_ids if i in self._held}
        out.update(self.index.texts([i for i in doc_ids if i not in out]))
        return out


class Deduplicator:
    """Finds the stored documents that a new one copies, wholly (near) or in part (partial).

    Documents `hold`-ed (found new, not stored yet) count as stored until `release`d.
    """

    def __init__(
        self,
        store: HasCopyIndex,
        *,
        threshold: float = 0.8,
        num_perm: int = 128,
        shingle_words: int = 5,
        max_candidates: int = 50,
        max_partial: int = 10,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"dedup threshold must be in (0, 1], not {threshold}")
        self.store, self.threshold = store, threshold
        self.max_candidates, self.max_partial = max_candidates, max_partial
        # Per bucket and per passage, only the first this many documents are candidates, so
        # a story copied thousands of times costs no more to look up than a rare one.
        self.per_bucket, self.per_hash = 100, 20
        wanted = settings_for(threshold, num_perm=num_perm, shingle_words=shingle_words)
        self.index = InFlight(store.fingerprints)
        self.settings = self.index.settings(wanted)
        s = self.settings
        if (s.num_perm, s.shingle_words) != (num_perm, shingle_words):
            raise ValueError(
                f"this database was fingerprinted with num_perm={s.num_perm}, "
                f"shingle_words={s.shingle_words}; use those or a new database"
            )
        if threshold < s.lsh_threshold - 1e-9:
            raise ValueError(
                f"this database's LSH bands suit Jaccard >= {s.lsh_threshold}; "
                f"a threshold of {threshold} needs a new database"
            )
        self.fingerprinter = Fingerprinter(self.settings)
        self._last: Fingerprint | None = None  # the one document between find() and add()

    def hold(self, doc: Document, fp: Fingerprint) -> None:
        """Count `doc` as stored from now on (it is on its way to the store)."""
        self.index.hold(doc, fp)

    def release(self, doc_ids: Iterable[str]) -> None:
        """These documents are stored now (or never will be): ask the store about them."""
        self.index.release(doc_ids)

    def fingerprint(self, doc: Document) -> Fingerprint:
        """`doc`'s fingerprint in this store's settings (computed once per document)."""
        if self._last is None or self._last.doc_id != doc.id:
            self._last = self.fingerprinter.fingerprint(doc)
        return self._last

    def find(self, doc: Document, fingerprint: Fingerprint | None = None) -> list[CopyMatch]:
        """Stored documents that `doc` repeats: exact word copies, near copies, shared passages.

        `fingerprint`, when given, was made in this store's settings elsewhere (a cluster
        worker), so the one process that stores does not have to.
        """
        if fingerprint is not None and fingerprint.doc_id == doc.id:
            self._last = fingerprint
        fp = self.fingerprint(doc)
        if fp.words == 0:
            return []
        matches = [
            CopyMatch(other, CopyKind.EXACT, 1.0)
            for other in self.index.same_words(fp.words_sha)
            if other != doc.id
        ]
        found = {m.doc_id for m in matches} | {doc.id}
        buckets = self.index.band_members(fp.bands, per_bucket=self.per_bucket)
        candidates = _most_shared(buckets.values(), self.max_candidates)
        signatures = self.index.signatures(sorted(set(candidates) - found))
        near = sorted(
            ((jaccard(fp.signature, sig), other) for other, sig in signatures.items()),
            reverse=True,
        )
        for similarity, other in near:
            if similarity >= self.threshold:
                matches.append(CopyMatch(other, CopyKind.NEAR, round(similarity, 4)))
                found.add(other)
        # Band neighbours under the threshold go to the aligner first: an edited copy (a
        # paragraph added, one cut) often shares most passages at a Jaccard of 0.6-0.8, and
        # when many documents carry the same paragraphs the capped passage look-up can miss
        # it (recall of planted near-copy pairs fell to 0.95 at 100,000 generated articles).
        close = [other for similarity, other in near if similarity < self.threshold]
        matches += self._partial(doc, fp, exclude=found, first=close)
        return matches

    def _partial(
        self, doc: Document, fp: Fingerprint, *, exclude: set[str], first: Sequence[str] = ()
    ) -> list[CopyMatch]:
        skip = exclude | set(first)
        hashes = [h for h, _ in fp.passages]
        members = self.index.passage_members(hashes, per_hash=self.per_hash + len(skip))
        shared = _most_shared(members.values(), self.max_partial, skip)
        hits = [*first, *shared]
        if not hits:
            return []
        aligner = Aligner(
            doc.text,
            window=self.settings.passage_words,
            min_words=self.settings.min_passage_words,
        )
        matches = []
        for other, other_text in self.index.texts(hits).items():
            found = aligner.align(other_text)
            if not found.spans:
                continue
            # Shared passages that cover most of both texts make a near copy that shingle
            # Jaccard missed (two edited copies of one original each lose different shingles).
            both = min(found.cover, found.other_cover)
            if both >= self.threshold:
                matches.append(CopyMatch(other, CopyKind.NEAR, round(both, 4), found.spans))
            else:
                share = round(max(found.cover, found.other_cover), 4)
                matches.append(CopyMatch(other, CopyKind.PARTIAL, share, found.spans))
        return matches
