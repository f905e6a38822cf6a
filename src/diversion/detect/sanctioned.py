"""``sanctioned``: the entity is on a sanctions list, or blocked by the OFAC 50% rule."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from diversion.config import Settings
from diversion.detect.context import DetectContext, listing_text
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine

NAME = "sanctioned"


@dataclass(frozen=True)
class Blocked:
    """An entity blocked by ownership: its listed owners and their aggregate share."""

    entity_id: str
    share: float
    owners: tuple[tuple[str, float], ...]


def listed_matches(engine: Engine, settings: Settings) -> dict[str, list[dict[str, object]]]:
    """Sanctions matches at or above the screening threshold, per entity."""
    rows = engine.fetch_dicts(
        """SELECT entity_id, sanction_entity_id, list_name, programs, listing_date, score, matched_name
           FROM sanctions_matches WHERE score >= ? ORDER BY score DESC, sanction_entity_id""",
        [settings.resolve.screen_threshold],
    )
    out: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        out[str(row.pop("entity_id"))].append(row)
    return dict(out)


def blocked_by_ownership(
    ownership: list[tuple[str, str, float | None]], listed: set[str], threshold: float
) -> dict[str, Blocked]:
    """Apply the OFAC 50% rule to ``(owner, asset, share)`` links.

    An entity is blocked when the shares held in it by blocked parties
    (listed ones, or ones themselves blocked this way) add up to ``threshold``
    or more. Repeats until nothing changes, so chains of ownership count
    (indirect ownership). Links with an unknown share count as zero.

    >>> blocked_by_ownership([("a", "x", 0.3), ("b", "x", 0.25), ("x", "y", 0.5)], {"a", "b"}, 0.5)["y"].share
    0.5
    """
    owners_of: dict[str, dict[str, float]] = defaultdict(dict)
    for owner, asset, share in ownership:
        if share and owner != asset:
            owners_of[asset][owner] = max(owners_of[asset].get(owner, 0.0), float(share))
    blocked: dict[str, Blocked] = {}
    changed = True
    while changed:
        changed = False
        for asset, owners in owners_of.items():
            if asset in listed or asset in blocked:
                continue
            held = tuple(sorted(((o, s) for o, s in owners.items() if o in listed or o in blocked),
                                key=lambda x: -x[1]))
            total = round(sum(s for _, s in held), 6)
            if held and total >= threshold:
                blocked[asset] = Blocked(asset, min(total, 1.0), held)
                changed = True
    return blocked


def sanctioned_ids(engine: Engine, settings: Settings) -> set[str]:
    """Every entity treated as sanctioned: listed, or blocked through ownership."""
    listed = set(listed_matches(engine, settings))
    ownership = engine.fetch_all("SELECT source, target, share FROM edges WHERE kind = 'ownership'")
    return listed | set(blocked_by_ownership(ownership, listed, settings.detect.ofac_ownership_share))


def find(ctx: DetectContext) -> list[Finding]:
    """Listed on a sanctions list, or owned 50% or more by listed parties.

    An entity is flagged when resolution matched it to a sanctions-list entry
    with a screening score at or above ``resolve.screen_threshold`` (the score
    is the finding's score); the entry, its list, programs and listing date are
    the evidence. The OFAC 50% rule is applied on top: an entity owned,
    directly or indirectly and in aggregate, ``detect.ofac_ownership_share``
    (default 50%) or more by listed or blocked parties is treated as blocked
    (score 1), with the owners, the registry links and the computed share as evidence.
    """
    engine, settings = ctx.engine, ctx.settings
    matches = listed_matches(engine, settings)
    ownership = engine.fetch_all("SELECT source, target, share FROM edges WHERE kind = 'ownership'")
    blocked = blocked_by_ownership(ownership, set(matches), settings.detect.ofac_ownership_share)
    findings: list[Finding] = []
    for entity_id, rows in matches.items():
        best = rows[0]
        lists = sorted({str(r["list_name"]) for r in rows if r["list_name"]})
        programs = sorted({p for r in rows for p in (r["programs"] or [])})  # type: ignore[attr-defined]
        dates = sorted(d for r in rows if (d := r["listing_date"]) is not None)  # type: ignore[type-var]
        listed = dates[0] if dates else None
        name = ctx.name(entity_id)
        findings.append(Finding(
            NAME, entity_id, float(best["score"]),  # type: ignore[arg-type]
            f"{name} matches the listed entity \"{best['matched_name']}\" on {', '.join(lists) or 'a sanctions list'}"
            f" (score {float(best['score']):.2f}; {listing_text(listed)}).",  # type: ignore[arg-type]
            {"rule": "listed", "matches": rows, "lists": lists, "programs": programs, "listed_on": listed,
             **RecordIds(sanction_ids=sorted({str(r["sanction_entity_id"]) for r in rows})),
             "facts": {"Rule": "listed", "Lists": ", ".join(lists), "Programs": ", ".join(programs),
                       "Listed on": listed or "not given by the list"}},
        ))
    edges = {(s, t): e for s, t, e in engine.fetch_all(
        "SELECT source, target, edge_id FROM edges WHERE kind = 'ownership'")} if blocked else {}
    for entity_id, b in blocked.items():
        name = ctx.name(entity_id)
        owners = [{"entity_id": o, "name": ctx.name(o), "share": s} for o, s in b.owners]
        owner_text = ", ".join(f"{o['name']} ({o['share']:.0%})" for o in owners)
        findings.append(Finding(
            NAME, entity_id, 1.0,
            f"{name} is blocked under the OFAC 50% rule: listed parties own {b.share:.0%} of it ({owner_text}).",
            {"rule": "ofac_50", "share": b.share, "owners": owners,
             **RecordIds(edge_ids=[edges[(o, entity_id)] for o, _ in b.owners if (o, entity_id) in edges],
                         entity_ids=[o for o, _ in b.owners]),
             "facts": {"Rule": "OFAC 50% rule", "Listed ownership": f"{b.share:.0%}", "Owners": owner_text}},
        ))
    return findings


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.9, severity="severe", settings=("ofac_ownership_share",),
                    title="sanctioned")
