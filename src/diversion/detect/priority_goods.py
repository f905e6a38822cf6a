"""``priority_goods``: trades Common High Priority List items with the destination country (supporting evidence)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, clipped
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


#: The findings of ``_SQL``'s rows (``detect.bulk``), as ``find`` states them; ``$destination``: the country.
_MADE = """
    WITH r AS (SELECT *, money_text(value, $currency) AS money, coalesce(first_date::VARCHAR, 'None') || ' to '
                         || coalesce(last_date::VARCHAR, 'None') AS dates FROM _rows)
    SELECT r.entity_id, coalesce(t.score, 0.3) AS score,
           shown_name(r.entity_id, l.node_id, l.label) || ' ' || (CASE r.roles WHEN ['exporter'] THEN 'exported to'
               WHEN ['importer'] THEN 'imported into' ELSE 'traded with' END) || ' ' || $destination || ' '
           || r.shipments || ' shipment(s) of CHPL tier ' || coalesce(r.tier, 'None') || ' goods (' || r.money
           || '; HS ' || array_to_string(r.hs_codes[1:3], ', ') || ').' AS summary,
           '{"currency":' || py_json($currency) || ',"facts":[["CHPL tier",' || py_json(r.tier)
           || '],["HS codes",' || py_json(array_to_string(r.hs_codes, ', '))
           || '],["Role",' || py_json(array_to_string(r.roles, ', '))
           || '],["Shipments",' || coalesce(r.shipments::VARCHAR, 'null') || '],["Value",' || py_json(r.money)
           || '],["First and last",' || py_json(r.dates) || ']],"first_date":' || py_json(r.first_date::VARCHAR)
           || ',"hs_codes":' || py_json_list(r.hs_codes) || ',"last_date":' || py_json(r.last_date::VARCHAR)
           || ',"roles":' || py_json_list(r.roles) || ',"shipment_ids":' || py_json_list(r.shipment_ids)
           || ',"shipments":' || coalesce(r.shipments::VARCHAR, 'null') || ',"tier":' || py_json(r.tier)
           || ',"value":' || evidence_number(r.value) || ',"value_usd":' || evidence_number(r.value_usd) || '}'
           AS evidence
    FROM r LEFT JOIN _labels l ON l.node_id = r.entity_id LEFT JOIN _tier_scores t ON t.tier = r.tier
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
    # One finding per trading entity (a tenth of all entities, 856,000 at 10M shipment rows): made in SQL.
    yield from findings_of(ctx, ctx.table(_SQL, [ctx.settings.detect.destination_country], carry=NAME))


def findings_of(ctx: DetectContext, rows: pa.Table) -> Iterator[Finding]:
    """The findings of ``_SQL``'s ``rows`` (``DetectContext.made_in_sql``)."""
    d = ctx.settings.detect
    scores = pa.table({"tier": pa.array(list(d.priority_tier_scores), pa.string()),
                       "score": pa.array([clipped(s) for s in d.priority_tier_scores.values()], pa.float64())})
    yield from ctx.made_in_sql(NAME, rows, _MADE, {"destination": d.destination_country, "currency": ctx.currency},
                                _tier_scores=scores)


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.25, severity="supporting",
                    settings=("destination_country", "priority_tier_scores"),
                    tables=("_chpl", "_report_fx"), title="priority goods")
