"""``brand_diversion``: ships a brand without being one of its authorised distributors."""

from __future__ import annotations

from collections.abc import Iterator

from diversion.config import Settings
from diversion.detect.common import OLD_MACHINES, old_machines
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding, RecordIds
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
    d = ctx.settings.detect
    for r in ctx.stream(_SQL, [d.destination_country], carry=NAME, rowwise=True):  # written as they come
        country = r["exporter_country"] or ctx.labels.get(r["entity_id"], ("", None))[1]
        third = bool(country) and country not in (r["authorised_countries"] or [])
        score = d.brand_base_score + (d.brand_third_country_bonus if third else 0.0)
        score += d.brand_destination_bonus if r["to_destination"] else 0.0
        where = f" from a third country ({country})" if third else ""
        dest = f" to {d.destination_country}" if r["to_destination"] else ""
        old, old_evidence = old_machines(r, d.old_machine_age)
        summary = (f"{ctx.name(r['entity_id'])} shipped {r['shipments']} {r['brand']} consignment(s) "
                   f"({ctx.money(r['value'])}, {r['first_date']} to {r['last_date']}){dest}{where}{old} without "
                   f"being an authorised {r['brand']} distributor.")
        evidence = {k: r[k] for k in ("brand", "shipments", "value_usd", "value", "authorised", "authorised_count",
                                      "authorised_countries", "origins", "first_date", "last_date")}
        evidence.update(exporter_country=country, third_country=third, to_destination=bool(r["to_destination"]),
                        currency=ctx.currency, **old_evidence, **RecordIds(shipment_ids=r["shipment_ids"]))
        evidence["facts"] = {"Brand": r["brand"],
                             "Authorised distributors": _named(r["authorised"], r["authorised_count"]),
                             "Shipper's country": country or "unknown", "Third country": "yes" if third else "no",
                             "Shipments": r["shipments"], "Value": ctx.money(r["value"]),
                             "First and last": f"{r['first_date']} to {r['last_date']}"}
        yield Finding(NAME, r["entity_id"], score, summary, evidence)


def _named(names: list[str] | None, count: int | None) -> str:
    """The distributors a finding names, and how many more the brand has.

    >>> _named(["A", "B"], 5)
    'A, B and 3 more'
    """
    more = (count or 0) - len(names or [])
    return ", ".join(names or []) + (f" and {more} more" if more > 0 else "")


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.5, severity="warning",
                    settings=("brand_base_score", "brand_third_country_bonus", "brand_destination_bonus",
                              "destination_country", "old_machine_age"),
                    tables=("_distributor_map", "_brand_map", "_report_fx", "_detect_settings"),
                    title="unauthorised brand shipper")
