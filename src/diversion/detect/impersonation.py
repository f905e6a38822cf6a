"""``impersonation``: a website copied from another company's, or claiming ties the registry denies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from rapidfuzz import fuzz, process

from diversion.config import Settings
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.near_copies import (
    TAG,
    WORD,
    Pairs,
    basis,
    estimate_floor,
    jaccard,
    minhash_index,
    near_copies,
    shingles,
)
from diversion.detect.near_copy_cache import near_copies_kept
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine

NAME = "impersonation"

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


def branch_claims(text: str) -> list[str]:
    """Companies a text claims to be a branch, subsidiary or representative of.

    >>> branch_claims("ELE Technology is a branch of Gray Machinery Company, with a warehouse in Illinois.")
    ['Gray Machinery Company']
    """
    return [m.group(1).strip() for m in _CLAIM.finditer(TAG.sub(" ", text or ""))]


def page_words(text: str) -> str:
    """A page's words, lower-cased, one space apart (what ``_mentions`` looks a company's name up in)."""
    return " ".join(WORD.findall(text.lower()))


def _mentions(words_of_page: str, name: str) -> bool:
    """Whether a page (its ``page_words``) names a company: the first two words of its name, in a row, as
    text ("Lakeside Mach" is in "Lakeside Machinery")."""
    words = " ".join(WORD.findall(name.lower())[:2])
    return bool(words) and words in words_of_page


def _copier(a: Site, b: Site, registry_country: dict[str, set[str]], distributors: set[str],
            words: Callable[[str], str] = page_words) -> Site | None:
    """Which of two near-identical sites is the copy, or ``None`` when the data cannot tell.

    ``words``: ``page_words``, or the same remembered (a site is in many pairs: reading its page's words
    for each took half of ``impersonation`` at 10M shipment rows).
    """
    a_names_b, b_names_a = _mentions(words(a.text), b.company), _mentions(words(b.text), a.company)
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

    texts = [s.text for s in sites]
    said = (d.impersonation_jaccard, d.impersonation_shingle, d.impersonation_num_perm)

    def found() -> Pairs:
        return near_copies(texts, *said)

    # The pairs depend on the texts, the three settings and ``near_copies``' code alone (``basis``): an update
    # whose pages did not change takes the last run's (``near_copy_cache``), whatever else of detection changed.
    pairs, _ = near_copies_kept(engine, texts, basis(*said), found, reuse=ctx.carry, keep=ctx.digests)
    words = cache(page_words)  # for this run's pages only: let go with them
    for i, j, sim in pairs:
        a, b = sites[i], sites[j]
        if a.entity_id and a.entity_id == b.entity_id:
            continue  # one company's several domains
        copier = _copier(a, b, registry_country, distributors, words)
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
