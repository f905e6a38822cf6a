"""``hosting_mismatch``: a website hosted or registered in the destination country, claiming to be elsewhere."""

from __future__ import annotations

from diversion.config import Settings
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine

NAME = "hosting_mismatch"


def find(ctx: DetectContext) -> list[Finding]:
    """The website is hosted, or its domain registered, in the destination country; the company claims elsewhere.

    The claimed country is the one derived from the site's claimed address,
    or else the country the registry gives the company. Score:
    ``hosting_score`` (0.8) when hosted in the destination country,
    ``registrant_score`` (0.7) when the registrant is there, 1 when both.
    """
    d = ctx.settings.detect
    dest = d.destination_country
    rows = ctx.rows(
        """SELECT w.domain, m.entity_id, w.hosting_country, w.registrant_country, w.claimed_address,
                  w.fetched_at, coalesce(w.claimed_country, r.country) AS claimed_country
           FROM web_evidence w JOIN _web_map m ON m.domain = w.domain
           LEFT JOIN (SELECT entity_id, min(country) AS country FROM _registry_map GROUP BY entity_id) r
             ON r.entity_id = m.entity_id
           WHERE m.entity_id IS NOT NULL AND (w.hosting_country = ? OR w.registrant_country = ?)
             AND coalesce(w.claimed_country, r.country) IS NOT NULL
             AND coalesce(w.claimed_country, r.country) <> ?""",
        [dest, dest, dest],
    )
    best: dict[str, Finding] = {}
    for r in rows:
        hosted, registered = r["hosting_country"] == dest, r["registrant_country"] == dest
        score = 1.0 if hosted and registered else (d.hosting_score if hosted else d.registrant_score)
        what = " and ".join(w for w, on in (("hosted", hosted), ("registered", registered)) if on)
        evidence = {k: r[k] for k in ("domain", "hosting_country", "registrant_country", "claimed_country",
                                      "claimed_address", "fetched_at")}
        evidence.update(RecordIds(domains=[r["domain"]]))
        evidence["facts"] = {"Website": r["domain"], "Hosted in": r["hosting_country"] or "unknown",
                             "Registrant in": r["registrant_country"] or "unknown",
                             "Claims to be in": r["claimed_country"], "Claimed address": r["claimed_address"] or "",
                             "Fetched": r["fetched_at"] or ""}
        finding = Finding(
            NAME, r["entity_id"], score,
            f"{ctx.name(r['entity_id'])}'s website {r['domain']} is {what} in {dest} although the company claims "
            f"to be in {r['claimed_country']}.", evidence)
        if r["entity_id"] not in best or best[r["entity_id"]].score < score:
            best[r["entity_id"]] = finding
    return list(best.values())


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.5, severity="warning",
                    settings=("destination_country", "hosting_score", "registrant_score"),
                    tables=("_web_map", "_registry_map"), title="website hosted in the destination")
