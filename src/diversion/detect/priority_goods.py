"""``priority_goods``: trades Common High Priority List items with the destination country (supporting evidence)."""

from __future__ import annotations

from collections.abc import Iterator

from diversion.config import Settings
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD

NAME = "priority_goods"

_SQL = f"""
    WITH hits AS (
        SELECT s.record_id, s.date, s.hs_code, {VALUE_USD} AS value_usd, {VALUE} AS value, c.tier, c.rank,
               se.exporter_entity_id, se.importer_entity_id
        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
        JOIN _chpl c ON c.hs6 = substr(s.hs_code, 1, 6) {FX_JOIN}
        WHERE s.importer_country = ?),
    parties AS (
        SELECT exporter_entity_id AS entity_id, 'exporter' AS role, * FROM hits
        UNION ALL SELECT importer_entity_id, 'importer', * FROM hits)
    SELECT entity_id, arg_min(tier, rank) AS tier, count(*) AS shipments, sum(value_usd) AS value_usd,
           sum(value) AS value, min(date) AS first_date, max(date) AS last_date,
           list(DISTINCT role ORDER BY role) AS roles, list(DISTINCT hs_code ORDER BY hs_code)[1:10] AS hs_codes,
           min_by(record_id, {{'r': rank, 'v': -value_usd, 'id': record_id}}, 10) AS shipment_ids
    FROM parties WHERE entity_id IS NOT NULL GROUP BY entity_id
"""


def find(ctx: DetectContext) -> Iterator[Finding]:
    """Exports CHPL items to, or imports them into, the destination country (supporting evidence only).

    Each shipment's HS code is matched on its first six digits against the
    Common High Priority List shipped with the package (``reference.chpl``).
    Exporters and importers of such shipments are flagged; the score is that
    of the most severe tier they traded (``detect.priority_tier_scores``:
    tier 1 = 1.0 ... tier 4 = 0.4). Trading listed goods is legal and common,
    so this flag never makes a lead on its own: it adds its weight only to an
    entity that another flag already marks.
    """
    d = ctx.settings.detect
    # One finding per trading entity (a tenth of all entities): yielded, so they are written as they come.
    for r in ctx.stream(_SQL, [d.destination_country], carry=NAME, rowwise=True):
        score = d.priority_tier_scores.get(r["tier"], 0.3)
        roles = set(r["roles"])
        verb = "exported to" if roles == {"exporter"} else "imported into" if roles == {"importer"} else "traded with"
        evidence = {k: r[k] for k in ("tier", "shipments", "value_usd", "value", "roles", "hs_codes",
                                      "first_date", "last_date")}
        evidence.update(RecordIds(shipment_ids=r["shipment_ids"]), currency=ctx.currency)
        evidence["facts"] = {"CHPL tier": r["tier"], "HS codes": ", ".join(r["hs_codes"]),
                             "Role": ", ".join(sorted(roles)), "Shipments": r["shipments"],
                             "Value": ctx.money(r["value"]), "First and last": f"{r['first_date']} to {r['last_date']}"}
        yield Finding(
            NAME, r["entity_id"], score,
            f"{ctx.name(r['entity_id'])} {verb} {d.destination_country} {r['shipments']} shipment(s) of CHPL tier "
            f"{r['tier']} goods ({ctx.money(r['value'])}; HS {', '.join(r['hs_codes'][:3])}).", evidence)


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.25, severity="supporting",
                    settings=("destination_country", "priority_tier_scores"),
                    tables=("_chpl", "_report_fx"), title="priority goods")
