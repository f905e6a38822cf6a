"""``impersonation``: a website copied from another company's, or claiming ties the registry denies."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from diversion.config import Settings
from diversion.detect.carry import token
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.near_copy_cache import Pairs, near_copies_kept
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine

if TYPE_CHECKING:  # imported where used: datasketch loads scipy.integrate (most of a second), and an update
    # whose near copies are kept, or a stage that only reads findings, never builds an index
    from datasketch import MinHash, MinHashLSH

NAME = "impersonation"

_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]+>")
#: "a branch of X", "official representative of X", "subsidiary of X" ...
_CLAIM = re.compile(
    r"\b(?:branch|subsidiary|division|affiliate|representative office|representative|office|partner|part)"
    r"\s+of\s+(?:the\s+)?([A-Z][\w&.\-' ]{2,60}?)(?=[,.;:!)\n]|\s+(?:in|and|since|for|with)\b|$)",
)


@dataclass(frozen=True)
class Site:
    """One website and what it says about itself."""

    domain: str
    entity_id: str | None
    company: str
    text: str
    claimed_country: str | None


def shingles(text: str, size: int) -> set[str]:
    """Word ``size``-grams of the lower-cased text, tags stripped.

    >>> sorted(shingles("<p>The quick brown fox</p>", 3))
    ['quick brown fox', 'the quick brown']
    """
    words = _WORD.findall(_TAG.sub(" ", text or "").lower())
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


def near_copies(sites: list[Site], threshold: float, size: int, num_perm: int) -> list[tuple[int, int, float]]:
    """Pairs ``i < j`` of sites whose texts have Jaccard ≥ ``threshold``, in order (MinHash LSH, exact check).

    LSH's candidates are many where sites share a template (11.9 million at 10M
    shipment rows, 0.3 % of them copies): only those whose MinHash estimate
    reaches ``estimate_floor`` are checked exactly. Estimates and exact overlaps
    are computed on arrays of pairs (the shared shingles of two rows of a sparse
    matrix), not pair by pair: 2.7 million exact checks took 16 s one by one.
    """
    sets = [shingles(s.text, size) for s in sites]
    lsh, hashes = minhash_index(sets, threshold, num_perm)
    firsts, seconds = _candidate_pairs(sets, lsh, hashes)
    if not firsts.size:
        return []
    # As datasketch keeps them (32-bit in 2.x): half the memory to compare than widened to 64 bits.
    signatures = np.array([m.hashvalues for m in hashes]).reshape(len(hashes), num_perm)
    floor = estimate_floor(threshold, num_perm)
    matrix = _shingle_matrix(sets)
    sizes = np.diff(matrix.indptr)
    out: list[tuple[int, int, float]] = []
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


def branch_claims(text: str) -> list[str]:
    """Companies a text claims to be a branch, subsidiary or representative of.

    >>> branch_claims("ELE Technology is a branch of Gray Machinery Company, with a warehouse in Illinois.")
    ['Gray Machinery Company']
    """
    return [m.group(1).strip() for m in _CLAIM.finditer(_TAG.sub(" ", text or ""))]


def _mentions(text: str, name: str) -> bool:
    words = " ".join(_WORD.findall(name.lower())[:2])
    return bool(words) and words in " ".join(_WORD.findall(text.lower()))


def _copier(a: Site, b: Site, registry_country: dict[str, set[str]], distributors: set[str]) -> Site | None:
    """Which of two near-identical sites is the copy, or ``None`` when the data cannot tell."""
    a_names_b, b_names_a = _mentions(a.text, b.company), _mentions(b.text, a.company)
    if a_names_b != b_names_a:
        return a if a_names_b else b
    a_auth, b_auth = a.entity_id in distributors, b.entity_id in distributors
    if a_auth != b_auth:
        return b if a_auth else a
    a_bad = _contradicted(a, registry_country) is not None
    b_bad = _contradicted(b, registry_country) is not None
    if a_bad != b_bad:
        return a if a_bad else b
    return None


def _contradicted(site: Site, registry_country: dict[str, set[str]]) -> set[str] | None:
    """The registry countries, when they contradict the site's claimed country."""
    known = registry_country.get(site.entity_id or "", set())
    if site.claimed_country and known and site.claimed_country not in known:
        return known
    return None


def find(ctx: DetectContext) -> list[Finding]:
    """A website that copies another company's, or claims a tie or an address the registry contradicts.

    Three signals, combined as a noisy-OR: (1) near-copy: the site's text has a
    Jaccard similarity of at least ``impersonation_jaccard`` with another
    company's site, over word shingles of ``impersonation_shingle`` words
    (candidates from MinHash LSH, then checked exactly); the copier is the site
    that names the other company, or the one that is not an authorised
    distributor, or the one whose address is contradicted (score = similarity;
    half when the copier cannot be told); (2) a claimed "branch / subsidiary /
    representative of X" where X is a known company with no registry link to
    it (0.7; 0.4 when X is unknown); (3) a claimed address in a country where
    the registry does not place the company (0.6).
    """
    engine, d = ctx.engine, ctx.settings.detect
    raw = engine.fetch_dicts("""
        SELECT w.domain, any_value(m.entity_id) AS entity_id, any_value(w.company_name) AS company,
               max(w.text) AS text, any_value(w.claimed_country) AS claimed_country
        FROM web_evidence w LEFT JOIN _web_map m ON m.domain = w.domain GROUP BY w.domain ORDER BY w.domain""")
    sites = [Site(r["domain"], r["entity_id"], r["company"] or r["domain"], r["text"] or "", r["claimed_country"])
             for r in raw]
    if not sites:
        return []
    registry_country: dict[str, set[str]] = {}
    for entity_id, country in engine.fetch_all(
            "SELECT entity_id, country FROM _registry_map WHERE country IS NOT NULL"):
        registry_country.setdefault(entity_id, set()).add(country)
    distributors = {r[0] for r in engine.fetch_all(
        "SELECT entity_id FROM _distributor_map WHERE entity_id IS NOT NULL")}
    linked = {frozenset(r) for r in engine.fetch_all(
        "SELECT source, target FROM edges WHERE kind IN ('ownership', 'directorship', 'link')")}
    labels = ctx.labels
    signals: dict[str, list[tuple[float, str, dict[str, Any]]]] = {}

    def add(site: Site, score: float, text: str, evidence: dict[str, Any]) -> None:
        if site.entity_id:
            signals.setdefault(site.entity_id, []).append((score, text, {"domain": site.domain, **evidence}))

    def found() -> Pairs:
        return near_copies(sites, d.impersonation_jaccard, d.impersonation_shingle, d.impersonation_num_perm)

    # The pairs depend on the texts, the settings and the code alone (``carry.token`` holds the last two): an
    # update whose pages did not change takes the last run's (``near_copy_cache``).
    pairs, _ = near_copies_kept(engine, [s.text for s in sites], token(ctx.settings), found, reuse=ctx.carry,
                                keep=ctx.digests)
    for i, j, sim in pairs:
        a, b = sites[i], sites[j]
        if a.entity_id and a.entity_id == b.entity_id:
            continue  # one company's several domains
        copier = _copier(a, b, registry_country, distributors)
        for site, other in ((a, b), (b, a)):
            if copier is None or copier is site:
                add(site, sim if copier else sim / 2,
                    f"its website {site.domain} is a {sim:.0%} copy of {other.company}'s {other.domain}",
                    {"signal": "near_copy", "jaccard": sim, "copied_domain": other.domain,
                     "copied_entity": other.entity_id, "copier_known": copier is not None})
    names = {eid: label[0] for eid, label in labels.items()}
    choices = list(names.values())
    ids = list(names.keys())
    for site in sites:
        for claim in branch_claims(site.text):
            hit = process.extractOne(claim, choices, scorer=fuzz.token_set_ratio, score_cutoff=85) if choices else None
            parent = ids[hit[2]] if hit else None
            if parent == site.entity_id:
                continue
            if parent and frozenset((parent, site.entity_id)) in linked:
                continue
            add(site, 0.7 if parent else 0.4,
                f"it claims to be a branch of {claim}" + (" but the registry shows no link" if parent else ""),
                {"signal": "branch_claim", "claim": claim, "claimed_parent": parent})
        known = _contradicted(site, registry_country)
        if known:
            add(site, 0.6, f"its site claims an address in {site.claimed_country} but the registry places it in "
                f"{', '.join(sorted(known))}", {"signal": "address", "claimed_country": site.claimed_country,
                                                 "registry_countries": sorted(known)})
    findings = []
    for entity_id, sigs in signals.items():
        sigs.sort(key=lambda s: -s[0])
        miss = 1.0
        for score, _, _ in sigs:
            miss *= 1.0 - score
        name = names.get(entity_id, entity_id)
        summary = f"{name}: " + "; ".join(s[1] for s in sigs[:3]) + "."
        signal_rows = [s[2] for s in sigs]
        findings.append(Finding(NAME, entity_id, 1.0 - miss, summary, {
            "signals": signal_rows,
            **RecordIds(domains=sorted({str(x["domain"]) for x in signal_rows}
                                       | {str(x["copied_domain"]) for x in signal_rows if x.get("copied_domain")})),
            "facts": {s[2]["signal"].replace("_", " "): s[1] for s in sigs},
        }))
    return findings


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.8, severity="severe",
                    settings=("impersonation_jaccard", "impersonation_shingle", "impersonation_num_perm"),
                    tables=("_web_map", "_registry_map", "_distributor_map"), title="impersonation")


__all__ = ["DETECTOR", "NAME", "branch_claims", "detect", "estimate_floor", "find", "jaccard", "minhash_index",
           "near_copies", "shingles"]
