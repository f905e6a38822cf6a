"""``near_copies.near_copies`` against the plain method: every LSH candidate checked exactly."""

import random

import pytest

from diversion.detect import near_copies as module
from diversion.detect.impersonation import Site
from diversion.detect.near_copies import estimate_floor, jaccard, minhash_index, near_copies, shingles


def _plain(sites, threshold, size, num_perm):
    """What near_copies gave before the estimate filter: every LSH candidate (the same index) checked exactly."""
    sets = [shingles(s.text, size) for s in sites]
    lsh, hashes = minhash_index(sets, threshold, num_perm)
    pairs = {(min(i, j), max(i, j)) for i, m in enumerate(hashes) if sets[i] for j in lsh.query(m) if j != i}
    return [(i, j, round(jaccard(sets[i], sets[j]), 4)) for i, j in sorted(pairs)
            if jaccard(sets[i], sets[j]) >= threshold]


def _templated_sites(seed: int, count: int = 160) -> list[Site]:
    """Sites written from a few templates: each copies a share of its template's words, the rest its own."""
    rng = random.Random(seed)
    templates = [[f"t{k}w{n}" for n in range(60)] for k in range(4)]
    sites = []
    for i in range(count):
        template = templates[rng.randrange(len(templates))]
        keep = rng.uniform(0.55, 1.0)  # a kept word leaves its shingles intact; a swapped one breaks three
        words = [w if rng.random() < keep else f"s{i}x{n}" for n, w in enumerate(template)]
        sites.append(Site(f"site{i}.example", None, f"Company {i}", " ".join(words), None))
    sites.append(Site("empty.example", None, "Empty", "", None))
    return sites


@pytest.mark.parametrize(("seed", "chunk"), [(1, 50_000), (2, 50_000), (3, 50_000), (1, 7), (2, 1)])
def test_near_copies_are_the_plain_methods(seed, chunk, monkeypatch):
    """The same pairs and scores as every candidate checked one by one, however the pairs are cut in arrays."""
    monkeypatch.setattr(module, "PAIR_CHUNK", chunk)
    sites = _templated_sites(seed)
    found = near_copies([s.text for s in sites], 0.6, 3, 128)
    assert found == _plain(sites, 0.6, 3, 128)
    sets = [shingles(s.text, 3) for s in sites]
    # The data tests the estimate filter: many pairs just above the threshold, whose estimates scatter below it.
    close = [(i, j) for i, j, score in found if score < 0.66]
    assert len(close) >= 20
    assert all(jaccard(sets[i], sets[j]) >= 0.6 for i, j, _ in found)


def test_estimate_floor_is_below_the_threshold():
    assert estimate_floor(0.6, 128) == pytest.approx(0.6 - 4.5 * (0.24 / 128) ** 0.5)
    assert estimate_floor(0.9, 512) < 0.9
    assert estimate_floor(1.0, 128) == 1.0
