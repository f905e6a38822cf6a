"""``transshipment``: goods routed through, or sold from, a third country on the way to the destination."""

from __future__ import annotations

from diversion.config import Settings
from diversion.detect import mirror_gap
from diversion.detect.common import OLD_MACHINES, old_machines
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, RecordIds
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD

NAME = "transshipment"

# Per shipment: the third country it passed through (dispatch) or was sold from (trading country, or the
# exporter's own country when that is not the origin). Parameters: destination ×3, non-hub weight ×2.
_SQL = f"""
    WITH legs AS NOT MATERIALIZED (
        SELECT se.exporter_entity_id AS entity_id, s.record_id, s.date, s.manufacture_year,
               {VALUE_USD} AS value_usd, {VALUE} AS value,
               s.origin_country AS origin, s.dispatch_country AS dispatch,
               coalesce(s.trading_country, s.exporter_country) AS seller,
               CASE WHEN s.origin_country IS NOT NULL AND s.dispatch_country IS NOT NULL
                     AND s.dispatch_country NOT IN (s.origin_country, ?)
                    THEN s.dispatch_country END AS via,
               CASE WHEN s.origin_country IS NOT NULL
                     AND coalesce(s.trading_country, s.exporter_country) NOT IN (s.origin_country, ?)
                    THEN coalesce(s.trading_country, s.exporter_country) END AS sold_from
        FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id {FX_JOIN}
        WHERE s.importer_country = ? AND se.exporter_entity_id IS NOT NULL),
    scored AS NOT MATERIALIZED (
        SELECT *, greatest(CASE WHEN via IS NULL THEN 0 WHEN via IN (SELECT iso2 FROM _hubs) THEN 1 ELSE ? END,
                           CASE WHEN sold_from IS NULL THEN 0 WHEN sold_from IN (SELECT iso2 FROM _hubs) THEN 1
                                ELSE ? END) AS weight
        FROM legs),
    -- Only the exporters with a third-country leg are aggregated: the lists and filtered sums of every exporter to
    -- the destination, all but a few then dropped, took 8.4 s at 10M shipment rows (5.6 s so). The rows are read
    -- twice, not held (NOT MATERIALIZED): held, the detector's peak grew 2.71 -> 3.64 GB (read twice, 2.22).
    flagged AS (SELECT * FROM scored WHERE entity_id IN (SELECT entity_id FROM scored WHERE weight > 0))
    SELECT entity_id, max(weight) AS weight,
           sum(value_usd) FILTER (WHERE weight > 0) / nullif(sum(value_usd), 0) AS value_share,
           count(*) FILTER (WHERE weight > 0) AS shipments, sum(value_usd) FILTER (WHERE weight > 0) AS value_usd,
           sum(value) FILTER (WHERE weight > 0) AS value,
           min(date) FILTER (WHERE weight > 0) AS first_date, max(date) FILTER (WHERE weight > 0) AS last_date,
           list(DISTINCT origin || '>' || coalesce(via, dispatch, '?') || '>' || coalesce(sold_from, seller, '?')
               ORDER BY origin || '>' || coalesce(via, dispatch, '?') || '>' || coalesce(sold_from, seller, '?'))
               FILTER (WHERE weight > 0)[1:10] AS routes,
           list(record_id ORDER BY value_usd DESC, record_id) FILTER (WHERE weight > 0)[1:10] AS shipment_ids,
           {OLD_MACHINES}
    FROM flagged s CROSS JOIN _detect_settings ds GROUP BY entity_id HAVING max(weight) > 0
"""


def find(ctx: DetectContext) -> list[Finding]:
    """Goods of origin A dispatched from a third country B, or sold from a third country C, to the destination.

    For each shipment into ``detect.destination_country``, a third country is a
    dispatch country other than the origin, or a trading/exporter country
    other than the origin (neither being the destination). Each such country
    weighs 1 when it is on the shipped transshipment-hub list (FinCEN/BIS
    alerts; ``reference.load_hubs``) and ``transshipment_non_hub_weight``
    otherwise. The exporter's score is its heaviest such route times
    (0.5 + 0.5 × the share of its value to the destination that took one).
    Old machines among its shipments are listed as evidence.
    """
    d = ctx.settings.detect
    dest, weight = d.destination_country, float(d.transshipment_non_hub_weight)
    rows = ctx.rows(_SQL, [dest, dest, dest, weight, weight])
    hubs = {r[0] for r in ctx.engine.fetch_all("SELECT iso2 FROM _hubs")}
    findings = []
    for r in rows:
        share = float(r["value_share"] or 0.0)
        score = float(r["weight"]) * (0.5 + 0.5 * share)
        routes = ", ".join(r["routes"][:3])
        old, old_evidence = old_machines(r, d.old_machine_age)
        summary = (f"{ctx.name(r['entity_id'])} sent {r['shipments']} shipment(s) ({ctx.money(r['value'])}, "
                   f"{r['first_date']} to {r['last_date']}) to {dest} through or from a third country "
                   f"(origin>dispatch>seller: {routes}){old}.")
        findings.append(Finding(NAME, r["entity_id"], score, summary, {
            "routes": r["routes"], "shipments": r["shipments"], "value_usd": r["value_usd"], "value": r["value"],
            "currency": ctx.currency, "share_of_value": round(share, 4), "hub_weight": r["weight"],
            **RecordIds(shipment_ids=r["shipment_ids"]), "first_date": r["first_date"], "last_date": r["last_date"],
            "hubs": sorted(h for h in hubs if any(h in route for route in r["routes"])), **old_evidence,
            "facts": {"Routes (origin>dispatch>seller)": routes, "Shipments": r["shipments"],
                      "Value": ctx.money(r["value"]), "Share of its value to the destination": f"{share:.0%}",
                      "First and last": f"{r['first_date']} to {r['last_date']}"},
        }))
    return findings + mirror_gap.detect(ctx.engine, ctx.settings)  # the same flag, from trade statistics


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.4, severity="warning",
                    settings=("destination_country", "transshipment_non_hub_weight", "old_machine_age", "cutoff_date",
                              "mirror_min_growth_factor", "mirror_min_value"),
                    tables=("_hubs", "_report_fx", "_detect_settings"), title="third-country routing")
