"""Websites' near copies: pairs of pages whose word shingles overlap by a Jaccard threshold or more.

MinHash LSH finds the candidate pairs (``datasketch``), and each candidate whose MinHash estimate comes near
the threshold is checked exactly. The pairs depend on the texts, the three ``impersonation_*`` settings and
this module alone (``basis``): the near copies a run keeps beside the warehouse (``near_copy_cache``) are
taken again while those are the same, whatever else of detection changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from diversion.code_digest import code_digest

if TYPE_CHECKING:  # imported where used: datasketch loads scipy.integrate (most of a second), and an update
    # whose near copies are kept, or a stage that only reads findings, never builds an index
    from datasketch import MinHash, MinHashLSH

#: Pairs ``(i, j, jaccard)`` of positions ``i < j``, in order.
Pairs = list[tuple[int, int, float]]

#: A word of a page, and a tag of its markup (stripped before its words are read).
WORD = re.compile(r"\w+", re.UNICODE)
TAG = re.compile(r"<[^>]+>")


def basis(threshold: float, size: int, num_perm: int) -> str:
    """What the pairs of given texts depend on: the settings, this module's code and datasketch's version."""
    return f"{_code()}\n{threshold!r} {size} {num_perm}"


@cache
def _code() -> str:
    return f"{code_digest([Path(__file__)])} datasketch {version('datasketch')}"


def shingles(text: str, size: int) -> set[str]:
    """Word ``size``-grams of the lower-cased text, tags stripped.

    >>> sorted(shingles("<p>The quick brown fox</p>", 3))
    ['quick brown fox', 'the quick brown']
    """
    words = WORD.findall(TAG.sub(" ", text or "").lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # the union's size, without building it


#: A candidate pair whose MinHash estimate lies this many standard deviations (of the estimate of a pair
#: exactly at the threshold) below the threshold is not checked exactly.
ESTIMATE_SIGMAS = 4.5


def estimate_floor(threshold: float, num_perm: int) -> float:
    """The lowest MinHash estimate of a pair that is checked exactly.

    The estimate of a pair at Jaccard ``threshold`` is a share of ``num_perm``
    hash agreements: binomial, standard deviation sqrt(t(1-t)/num_perm).
    ``ESTIMATE_SIGMAS`` below it, such a pair is left out with probability
    under 4e-6 (at 0.6 and 128: estimates below 0.405), and a closer copy with
    less; LSH itself lets 13 % of the pairs at 0.6 through unseen.

    >>> round(estimate_floor(0.6, 128), 3)
    0.405
    """
    return threshold - ESTIMATE_SIGMAS * math.sqrt(max(0.0, threshold * (1.0 - threshold)) / num_perm)


def minhash_index(sets: list[set[str]], threshold: float, num_perm: int) -> tuple[MinHashLSH, list[MinHash]]:
    """Each shingle set's MinHash (seeded: the same every run) and an LSH index of the non-empty ones (key:
    the set's position), banded for a little below ``threshold``."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=max(0.05, threshold * 0.8), num_perm=num_perm)
    # In bulk: one set of permutations for all (made per MinHash, they were a tenth of the detector's time).
    hashes = MinHash.bulk(([x.encode() for x in sh] for sh in sets), num_perm=num_perm, seed=1)
    for i, (sh, m) in enumerate(zip(sets, hashes, strict=True)):
        if sh:
            lsh.insert(i, m)
    return lsh, hashes


#: Candidate pairs whose MinHash estimates or exact overlaps are computed at a time (arrays of this many rows).
PAIR_CHUNK = 50_000


def _candidate_pairs(sets: list[set[str]], lsh: MinHashLSH, hashes: list[MinHash]) -> tuple[np.ndarray, np.ndarray]:
    """Every LSH candidate pair ``i < j`` of non-empty sets, as two arrays ordered by ``(i, j)`` (32-bit positions:
    11.9M pairs at 10M shipment rows, 95 MB instead of 190)."""
    firsts: list[np.ndarray] = []
    seconds: list[np.ndarray] = []
    for i, sh in enumerate(sets):
        if not sh:
            continue
        others = [j for j in lsh.query(hashes[i]) if j > i]
        if others:
            seconds.append(np.sort(np.array(others, dtype=np.int32)))
            firsts.append(np.full(len(others), i, dtype=np.int32))
    if not firsts:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    return np.concatenate(firsts), np.concatenate(seconds)


def _shingle_matrix(sets: list[set[str]]) -> sparse.csr_matrix:
    """The sets as rows of a 0/1 sparse matrix, one column per distinct shingle."""
    columns: dict[str, int] = {}
    indices = [np.unique(np.fromiter((columns.setdefault(x, len(columns)) for x in sh), np.int64, len(sh)))
               for sh in sets]
    pointers = np.zeros(len(sets) + 1, dtype=np.int64)
    pointers[1:] = np.cumsum([len(x) for x in indices])
    flat = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(flat), dtype=np.int32), flat, pointers), shape=(len(sets), len(columns)))


def near_copies(texts: Sequence[str], threshold: float, size: int, num_perm: int) -> Pairs:
    """Pairs ``i < j`` of pages whose shingles have Jaccard ≥ ``threshold``, in order (MinHash LSH, exact check).

    LSH's candidates are many where sites share a template (11.9 million at 10M
    shipment rows, 0.3 % of them copies): only those whose MinHash estimate
    reaches ``estimate_floor`` are checked exactly. Estimates and exact overlaps
    are computed on arrays of pairs (the shared shingles of two rows of a sparse
    matrix), not pair by pair: 2.7 million exact checks took 16 s one by one.
    """
    sets = [shingles(text, size) for text in texts]
    lsh, hashes = minhash_index(sets, threshold, num_perm)
    firsts, seconds = _candidate_pairs(sets, lsh, hashes)
    if not firsts.size:
        return []
    # As datasketch keeps them (32-bit in 2.x): half the memory to compare than widened to 64 bits.
    signatures = np.array([m.hashvalues for m in hashes]).reshape(len(hashes), num_perm)
    floor = estimate_floor(threshold, num_perm)
    matrix = _shingle_matrix(sets)
    sizes = np.diff(matrix.indptr)
    out: Pairs = []
    for at in range(0, len(firsts), PAIR_CHUNK):
        i, j = firsts[at:at + PAIR_CHUNK], seconds[at:at + PAIR_CHUNK]
        close = np.count_nonzero(signatures[i] == signatures[j], axis=1) / num_perm >= floor  # the estimates
        i, j = i[close], j[close]
        shared = np.asarray(matrix[i].multiply(matrix[j]).sum(axis=1)).ravel()
        # The same division as ``jaccard``: the same float, so the same pairs pass the threshold.
        scores = shared / (sizes[i] + sizes[j] - shared)
        copies = scores >= threshold
        out.extend((a, b, round(score, 4))
                   for a, b, score in zip(i[copies].tolist(), j[copies].tolist(), scores[copies].tolist(), strict=True))
    return out
