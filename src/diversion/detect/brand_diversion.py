"""``brand_diversion``: ships a brand without being one of its authorised distributors."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import OLD_MACHINES
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, clipped
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD

NAME = "brand_diversion"

#: Authorised distributors a finding names (a brand sold worldwide has hundreds, the same in each of its
#: findings: the ``distributors`` table holds them all).
AUTHORISED_SHOWN = 10

_SQL = f"""
    WITH authorised AS (
        SELECT bm.brand_key, list(DISTINCT distributor_name ORDER BY distributor_name) AS names,
               list(DISTINCT country ORDER BY country) FILTER (WHERE country IS NOT NULL) AS countries,
               list(DISTINCT entity_id ORDER BY entity_id) FILTER (WHERE entity_id IS NOT NULL) AS entity_ids
        FROM _distributor_map dm JOIN _brand_map bm ON bm.brand = trim(dm.brand) GROUP BY 1)
    SELECT se.exporter_entity_id AS entity_id, a.brand_key, min(trim(s.brand)) AS brand,
           count(*) AS shipments, sum({VALUE_USD}) AS value_usd, sum({VALUE}) AS value,
           mode(s.exporter_country) AS exporter_country,
           list(DISTINCT s.origin_country
               ORDER BY s.origin_country) FILTER (WHERE s.origin_country IS NOT NULL) AS origins,
           bool_or(s.importer_country = ?) AS to_destination,
           min_by(s.record_id, {{'d': -epoch(s.date), 'id': s.record_id}}, 10) AS shipment_ids,
           any_value(a.names)[1:{AUTHORISED_SHOWN}] AS authorised, any_value(array_length(a.names)) AS authorised_count,
           any_value(a.countries) AS authorised_countries,
           min(s.date) AS first_date, max(s.date) AS last_date, {OLD_MACHINES}
    FROM shipments s
    JOIN shipment_entities se ON se.record_id = s.record_id
    JOIN _brand_map sb ON sb.brand = trim(s.brand)
    JOIN authorised a ON a.brand_key = sb.brand_key
    JOIN entities e ON e.entity_id = se.exporter_entity_id
    CROSS JOIN _detect_settings ds
    {FX_JOIN}
    WHERE NOT list_contains(a.entity_ids, se.exporter_entity_id)
      -- the brand's maker (its name carries the brand) needs no distributor's authorisation
      AND NOT list_bool_or(list_transform(e.names, n -> lower(n) LIKE '%' || a.brand_key || '%'))
    GROUP BY se.exporter_entity_id, a.brand_key
"""


#: The findings of ``_SQL``'s rows (``detect.bulk``), as ``find`` states them: the shipper's country is the one its
#: shipments name most, else its own; ``_scores`` holds the score of each (third country, to destination) pair.
_MADE = """
    WITH c AS (
        SELECT r.*, shown_name(r.entity_id, l.node_id, l.label) AS name,
               CASE WHEN coalesce(r.exporter_country, '') = '' THEN l.country ELSE r.exporter_country END AS country
        FROM _rows r LEFT JOIN _labels l ON l.node_id = r.entity_id),
    r AS (
        SELECT c.*, coalesce(country, '') <> '' AND NOT list_contains(coalesce(authorised_countries, []), country)
                        AS third,
               coalesce(to_destination, false) AS to_dest, coalesce(old_machines, 0) AS old,
               money_text(value, $currency) AS money,
               coalesce(first_date::VARCHAR, 'None') || ' to ' || coalesce(last_date::VARCHAR, 'None') AS dates,
               coalesce(authorised_count, 0) - coalesce(len(authorised), 0) AS more
        FROM c)
    SELECT r.entity_id, s.score,
           r.name || ' shipped ' || r.shipments || ' ' || coalesce(r.brand, 'None') || ' consignment(s) (' || r.money
           || ', ' || r.dates || ')' || CASE WHEN r.to_dest THEN ' to ' || $destination ELSE '' END
           || CASE WHEN r.third THEN ' from a third country (' || r.country || ')' ELSE '' END
           || CASE WHEN r.old > 0 THEN ', including ' || r.old || ' machine(s) at least ' || $old_age
                   || ' years old (the oldest made in ' || coalesce(r.oldest_year::VARCHAR, 'None') || ')' ELSE '' END
           || ' without being an authorised ' || coalesce(r.brand, 'None') || ' distributor.' AS summary,
           '{"authorised":' || py_json_list(r.authorised)
           || ',"authorised_count":' || coalesce(r.authorised_count::VARCHAR, 'null')
           || ',"authorised_countries":' || py_json_list(r.authorised_countries) || ',"brand":' || py_json(r.brand)
           || ',"currency":' || py_json($currency) || ',"exporter_country":' || py_json(r.country)
           || ',"facts":[["Brand",' || py_json(r.brand) || '],["Authorised distributors",'
           || py_json(array_to_string(coalesce(r.authorised, []), ', ')
                      || CASE WHEN r.more > 0 THEN ' and ' || r.more || ' more' ELSE '' END)
           || '],["Shipper''s country",' || py_json(CASE WHEN coalesce(r.country, '') = '' THEN 'unknown'
                                                     ELSE r.country END)
           || '],["Third country",' || CASE WHEN r.third THEN '"yes"' ELSE '"no"' END
           || '],["Shipments",' || coalesce(r.shipments::VARCHAR, 'null') || '],["Value",' || py_json(r.money)
           || '],["First and last",' || py_json(r.dates) || ']],"first_date":' || py_json(r.first_date::VARCHAR)
           || ',"last_date":' || py_json(r.last_date::VARCHAR)
           || CASE WHEN r.old > 0 THEN ',"old_machine_ids":' || py_json_list(coalesce(r.old_machine_ids, []))
                   || ',"old_machines":' || r.old || ',"oldest_year":' || coalesce(r.oldest_year::VARCHAR, 'null')
              ELSE '' END
           || ',"origins":' || py_json_list(r.origins) || ',"shipment_ids":' || py_json_list(r.shipment_ids)
           || ',"shipments":' || coalesce(r.shipments::VARCHAR, 'null')
           || ',"third_country":' || r.third::VARCHAR || ',"to_destination":' || r.to_dest::VARCHAR
           || ',"value":' || evidence_number(r.value) || ',"value_usd":' || evidence_number(r.value_usd) || '}'
           AS evidence
    FROM r JOIN _scores s ON s.third = r.third AND s.to_destination = r.to_dest
"""


def find(ctx: DetectContext) -> Iterator[Finding]:
    """Ships a brand while not on that brand's authorised-distributor list.

    Only brands with a distributor list are judged, and the brand's maker (an
    exporter whose name carries the brand) is never flagged. Distributors are matched to
    entities through resolution (their ``distributors`` mentions), so name
    variants of an authorised distributor are not flagged. Score:
    ``brand_base_score`` (0.4), plus ``brand_third_country_bonus`` (0.3) when the
    shipper is in a country where the brand has no authorised distributor
    (a third country), plus ``brand_destination_bonus`` (0.2) when the goods go
    to the destination country. Machines at least ``old_machine_age`` years old
    when shipped (``manufacture_year``) are listed as evidence: used machines
    are what a diverter buys on the second-hand market. The evidence names
    ``AUTHORISED_SHOWN`` of the brand's distributors and counts them all.
    """
    yield from findings_of(ctx, ctx.table(_SQL, [ctx.settings.detect.destination_country], carry=NAME))


def findings_of(ctx: DetectContext, rows: pa.Table) -> Iterator[Finding]:
    """The findings of ``_SQL``'s ``rows`` (``DetectContext.made_in_sql``)."""
    d = ctx.settings.detect
    pairs = [(third, dest) for third in (False, True) for dest in (False, True)]
    scores = pa.table({
        "third": [third for third, _ in pairs], "to_destination": [dest for _, dest in pairs],
        # Added in this order, as floats: the score a finding made one at a time had.
        "score": [clipped(d.brand_base_score + (d.brand_third_country_bonus if third else 0.0)
                          + (d.brand_destination_bonus if dest else 0.0)) for third, dest in pairs]})
    yield from ctx.made_in_sql(NAME, rows, _MADE, {"destination": d.destination_country, "currency": ctx.currency,
                                                   "old_age": str(d.old_machine_age)}, _scores=scores)


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.5, severity="warning",
                    settings=("brand_base_score", "brand_third_country_bonus", "brand_destination_bonus",
                              "destination_country", "old_machine_age"),
                    tables=("_distributor_map", "_brand_map", "_report_fx", "_detect_settings"),
                    title="unauthorised brand shipper")
