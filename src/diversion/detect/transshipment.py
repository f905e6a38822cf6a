"""``transshipment``: goods routed through, or sold from, a third country on the way to the destination."""

from __future__ import annotations

import pyarrow as pa

from diversion.config import Settings
from diversion.detect import mirror_gap
from diversion.detect.common import entity_labels
from diversion.detect.finding import Finding, money
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD
from diversion.reference import load_hubs

NAME = "transshipment"


def _sql(destination: str) -> str:
    # Per shipment: the third country it passed through (dispatch) or was sold from (trading
    # country, or the exporter's own country when that is not the origin).
    return f"""
        WITH legs AS (
            SELECT se.exporter_entity_id AS entity_id, s.record_id, s.date, {VALUE_USD} AS value,
                   s.origin_country AS origin, s.dispatch_country AS dispatch,
                   coalesce(s.trading_country, s.exporter_country) AS seller,
                   CASE WHEN s.origin_country IS NOT NULL AND s.dispatch_country IS NOT NULL
                         AND s.dispatch_country NOT IN (s.origin_country, '{destination}')
                        THEN s.dispatch_country END AS via,
                   CASE WHEN s.origin_country IS NOT NULL
                         AND coalesce(s.trading_country, s.exporter_country) NOT IN (s.origin_country, '{destination}')
                        THEN coalesce(s.trading_country, s.exporter_country) END AS sold_from
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id
            WHERE s.importer_country = '{destination}' AND se.exporter_entity_id IS NOT NULL),
        scored AS (
            SELECT *, greatest(CASE WHEN via IS NULL THEN 0 WHEN via IN (SELECT iso2 FROM _hubs) THEN 1
                                    ELSE {{non_hub}} END,
                               CASE WHEN sold_from IS NULL THEN 0 WHEN sold_from IN (SELECT iso2 FROM _hubs) THEN 1
                                    ELSE {{non_hub}} END) AS weight
            FROM legs)
        SELECT entity_id, max(weight) AS weight,
               sum(value) FILTER (WHERE weight > 0) / nullif(sum(value), 0) AS value_share,
               count(*) FILTER (WHERE weight > 0) AS shipments, sum(value) FILTER (WHERE weight > 0) AS value_usd,
               list(DISTINCT origin || '>' || coalesce(via, dispatch, '?') || '>' || coalesce(sold_from, seller, '?')
                   ORDER BY origin || '>' || coalesce(via, dispatch, '?') || '>' || coalesce(sold_from, seller, '?'))
                   FILTER (WHERE weight > 0)[1:10] AS routes,
               list(record_id ORDER BY value DESC, record_id) FILTER (WHERE weight > 0)[1:10] AS shipment_ids
        FROM scored GROUP BY entity_id HAVING max(weight) > 0
    """


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Goods of origin A dispatched from a third country B, or sold from a third country C, to the destination.

    For each shipment into ``detect.destination_country``, a third country is a
    dispatch country other than the origin, or a trading/exporter country
    other than the origin (neither being the destination). Each such country
    weighs 1 when it is on the shipped transshipment-hub list (FinCEN/BIS
    alerts; ``reference.load_hubs``) and ``transshipment_non_hub_weight``
    otherwise. The exporter's score is its heaviest such route times
    (0.5 + 0.5 × the share of its value to the destination that took one).
    """
    d = settings.detect
    hubs = sorted(load_hubs())
    engine.execute("CREATE OR REPLACE TEMP TABLE _hubs (iso2 VARCHAR)")
    engine.insert_arrow("_hubs", pa.table({"iso2": pa.array(hubs, pa.string())}))
    sql = _sql(d.destination_country).replace("{non_hub}", str(float(d.transshipment_non_hub_weight)))
    rows = engine.fetch_dicts(sql)
    labels = entity_labels(engine, {r["entity_id"] for r in rows})
    findings = []
    for r in rows:
        share = float(r["value_share"] or 0.0)
        score = float(r["weight"]) * (0.5 + 0.5 * share)
        name = labels.get(r["entity_id"], (r["entity_id"], None))[0]
        routes = ", ".join(r["routes"][:3])
        summary = (f"{name} sent {r['shipments']} shipment(s) ({money(r['value_usd'])}) to {d.destination_country} "
                   f"through or from a third country (origin>dispatch>seller: {routes}).")
        findings.append(Finding(NAME, r["entity_id"], score, summary, {
            "routes": r["routes"], "shipments": r["shipments"], "value_usd": r["value_usd"],
            "share_of_value": round(share, 4), "hub_weight": r["weight"], "shipment_ids": r["shipment_ids"],
            "hubs": [h for h in hubs if any(h in route for route in r["routes"])],
        }))
    return findings + mirror_gap.detect(engine, settings)  # the same flag, from trade statistics
