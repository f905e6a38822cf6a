"""``priority_goods``: trades Common High Priority List items with the destination country."""

from __future__ import annotations

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import entity_labels
from diversion.detect.finding import Finding, money
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD
from diversion.reference import load_chpl
from diversion.reference.hs import TIER_ORDER

NAME = "priority_goods"


def _register_chpl(engine: Engine) -> None:
    items = load_chpl()
    engine.execute("CREATE OR REPLACE TEMP TABLE _chpl (hs6 VARCHAR, tier VARCHAR, rank INTEGER)")
    engine.insert_arrow("_chpl", pa.table({
        "hs6": pa.array(list(items), pa.string()),
        "tier": pa.array([i.tier for i in items.values()], pa.string()),
        "rank": pa.array([TIER_ORDER.index(i.tier) if i.tier in TIER_ORDER else 99 for i in items.values()],
                         pa.int32()),
    }))


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Exports CHPL items to, or imports them into, the destination country.

    Each shipment's HS code is matched on its first six digits against the
    Common High Priority List shipped with the package (``reference.chpl``).
    Exporters and importers of such shipments are flagged; the score is that
    of the most severe tier they traded (``detect.priority_tier_scores``:
    tier 1 = 1.0 ... tier 4 = 0.4).
    """
    d = settings.detect
    _register_chpl(engine)
    rows = engine.fetch_dicts(f"""
        WITH hits AS (
            SELECT s.record_id, s.date, s.hs_code, {VALUE_USD} AS value, c.tier, c.rank,
                   se.exporter_entity_id, se.importer_entity_id
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
            JOIN _chpl c ON c.hs6 = substr(s.hs_code, 1, 6)
            WHERE s.importer_country = ?),
        parties AS (
            SELECT exporter_entity_id AS entity_id, 'exporter' AS role, * FROM hits
            UNION ALL SELECT importer_entity_id, 'importer', * FROM hits)
        SELECT entity_id, arg_min(tier, rank) AS tier, count(*) AS shipments, sum(value) AS value_usd,
               list(DISTINCT role ORDER BY role) AS roles, list(DISTINCT hs_code ORDER BY hs_code)[1:10] AS hs_codes,
               min_by(record_id, {{'r': rank, 'v': -value, 'id': record_id}}, 10) AS shipment_ids
        FROM parties WHERE entity_id IS NOT NULL GROUP BY entity_id
    """, [d.destination_country])
    labels = entity_labels(engine, {r["entity_id"] for r in rows})
    findings = []
    for r in rows:
        score = d.priority_tier_scores.get(r["tier"], 0.3)
        name = labels.get(r["entity_id"], (r["entity_id"], None))[0]
        roles = set(r["roles"])
        verb = "exported to" if roles == {"exporter"} else "imported into" if roles == {"importer"} else "traded with"
        findings.append(Finding(
            NAME, r["entity_id"], score,
            f"{name} {verb} {d.destination_country} {r['shipments']} shipment(s) of CHPL tier {r['tier']} goods "
            f"({money(r['value_usd'])}; HS {', '.join(r['hs_codes'][:3])}).",
            {k: r[k] for k in ("tier", "shipments", "value_usd", "roles", "hs_codes", "shipment_ids")},
        ))
    return findings
