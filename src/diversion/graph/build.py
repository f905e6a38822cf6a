"""Build the network: ``nodes`` and ``edges`` tables from the warehouse.

Nodes are resolved entities, brands, websites (domains), sanctions lists and
countries. Edges carry their evidence (shipment ids, registry link ids,
sanctions entries) so every hop of a path can be checked:

- ``trade``: exporter → importer, shipments aggregated (total USD value,
  count, first and last date, HS codes and brands);
- ``ownership`` / ``directorship`` / ``link``: registry links (``link`` is any
  other relation, e.g. a purchase contract);
- ``sanction``: entity → ``list:<list>`` for each sanctions match at or above
  the screening threshold;
- ``website``: entity → ``domain:<domain>``;
- ``supplies``: ``brand:<brand>`` → authorised distributor;
- ``brand``: ``brand:<brand>`` → exporter, for shipments of that brand;
- ``country``: entity → ``country:<cc>``;
- ``commissioning``: a third-country party → the front that shipped on its order (``graph.commissioning``).

The stage rebuilds both tables on each run (idempotent); after an update it may keep the trade and brand
edges whose shipments did not change (``graph.carry``).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import pyarrow as pa

from diversion.config import Settings
from diversion.engine import Engine
from diversion.flows.currency import build_fx
from diversion.graph.carry import BRAND_SCOPE, TRADE_SCOPE, delete_touched, drop_touched, record_basis, touched
from diversion.graph.carry import token as carry_token
from diversion.graph.commissioning import commissioning_edges
from diversion.graph.keys import VALUE_USD, brand_key_sql, prepare_keys, rewrite_table
from diversion.read.stages import record_stage
from diversion.reference import country_name

#: Edge kinds that a path may follow (lists and countries would be shortcuts, not evidence).
PATH_EDGE_KINDS = ("trade", "ownership", "directorship", "link", "website", "supplies", "brand", "commissioning")


@dataclass(frozen=True)
class GraphSummary:
    """What ``build_graph`` wrote."""

    nodes: int
    edges: int
    edges_by_kind: dict[str, int]
    carried: int = 0  # trade and brand edges kept from the last build (``graph.carry``)


def brand_key(column: str) -> str:
    """SQL for the node id of a brand column: ``brand:`` + the normalised brand (see ``brand_key_sql``)."""
    return f"'brand:' || {brand_key_sql(column)}"


def _sanctioned_sql(threshold: float) -> str:
    return f"""
        SELECT DISTINCT entity_id FROM sanctions_matches WHERE score >= {float(threshold)}
        UNION SELECT DISTINCT entity_id FROM _entity_keys WHERE source_table = 'sanctions'
    """


def nodes_sql(threshold: float) -> str:
    """SELECT producing every node row (entities, fallbacks, brands, domains, lists, countries)."""
    return f"""
        WITH sanctioned AS ({_sanctioned_sql(threshold)})
        SELECT e.entity_id, 'entity', e.canonical_name, e.countries[1], e.schema,
               e.entity_id IN (SELECT entity_id FROM sanctioned),
               to_json({{'names': e.names, 'countries': e.countries, 'identifiers': e.identifiers,
                         'mention_count': e.mention_count}})
        FROM entities e
        UNION ALL
        SELECT r.entity_id, 'entity', any_value(r.name), any_value(r.country), any_value(r.schema), false,
               to_json({{'registry_id': any_value(r.registry_id)}})
        FROM _registry_map r WHERE r.entity_id LIKE 'registry:%' GROUP BY r.entity_id
        UNION ALL
        -- the brand map holds each trimmed spelling of the shipments' and distributors' brands once: reading
        -- it, not every shipment's brand, took 0.02 s instead of 0.7 at 10M shipment rows
        SELECT 'brand:' || bm.brand_key, 'brand', min(bm.brand), NULL, NULL, NULL, NULL FROM _brand_map bm
        GROUP BY bm.brand_key
        UNION ALL
        SELECT 'domain:' || domain, 'domain', domain, any_value(claimed_country), NULL, NULL,
               to_json({{'hosting_country': any_value(hosting_country),
                         'registrant_country': any_value(registrant_country),
                         'claimed_address': any_value(claimed_address)}})
        FROM web_evidence GROUP BY domain
        UNION ALL
        SELECT DISTINCT 'list:' || list_name, 'list', list_name, NULL, NULL, true, NULL
        FROM sanctions_matches WHERE score >= {float(threshold)} AND list_name IS NOT NULL
        UNION ALL
        SELECT 'country:' || c.cc, 'country', c.label, c.cc, NULL, NULL, NULL FROM _countries c
    """


def trade_edges_sql(scope: str = "") -> str:
    """SELECT producing the ``trade`` edges: shipments aggregated per exporter → importer entity.

    ``scope``: a JOIN on ``shipment_entities se`` keeping only some pairs' shipments (``graph.carry``).
    """
    value = VALUE_USD
    return f"""
        SELECT 'trade:' || md5(src || '>' || tgt), src, tgt, 'trade', v, n, d1, d2, NULL,
               to_json({{'shipment_ids': ids, 'shipments': n, 'hs_codes': hs, 'brands': brands}})
        FROM (
            SELECT se.exporter_entity_id AS src, se.importer_entity_id AS tgt, sum({value}) AS v,
                   count(*) AS n, min(s.date) AS d1, max(s.date) AS d2,
                   min_by(s.record_id, {{'d': s.date, 'id': s.record_id}}, 25) AS ids,
                   -- sorted after the aggregate, not in it (an ordered aggregate sorts per group: 4.6 of
                   -- 17 s at 10M rows, most groups a single shipment); the same lists
                   list_sort(list_distinct(list(s.hs_code)))[1:20] AS hs,
                   list_sort(list_distinct(list(s.brand) FILTER (WHERE s.brand IS NOT NULL)))[1:20] AS brands
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id {scope}
            WHERE se.exporter_entity_id IS NOT NULL AND se.importer_entity_id IS NOT NULL
              AND se.exporter_entity_id <> se.importer_entity_id
            GROUP BY 1, 2)
    """


def brand_edges_sql(scope: str = "") -> str:
    """SELECT producing the ``brand`` edges: shipments aggregated per brand → exporter entity.

    ``scope``: a JOIN on ``shipment_entities se`` keeping only some exporters' shipments (``graph.carry``).
    """
    value = VALUE_USD
    return f"""
        SELECT 'brand:' || md5(src || '>' || tgt), src, tgt, 'brand', v, n, d1, d2, NULL,
               to_json({{'shipment_ids': ids, 'shipments': n}})
        FROM (
            SELECT {brand_key('s.brand')} AS src, se.exporter_entity_id AS tgt, sum({value}) AS v,
                   count(*) AS n, min(s.date) AS d1, max(s.date) AS d2,
                   min_by(s.record_id, {{'d': s.date, 'id': s.record_id}}, 25) AS ids
            FROM shipments s JOIN shipment_entities se ON se.record_id = s.record_id {scope}
            WHERE s.brand IS NOT NULL AND trim(s.brand) <> '' AND se.exporter_entity_id IS NOT NULL
            GROUP BY 1, 2)
    """


def other_edges_sql(threshold: float) -> str:
    """SELECT producing every edge row but the ``trade`` and ``brand`` ones (registry links, sanctions,
    websites, distributors, countries): small, rebuilt in full on every run."""
    return f"""
        SELECT kind || ':' || md5(src || '>' || tgt), src, tgt, kind, NULL, count(*), min(start_date),
               -- a link still open (no end date) keeps the edge open
               CASE WHEN bool_or(end_date IS NULL) THEN NULL ELSE max(end_date) END, max(share),
               to_json({{'link_ids': list(link_id ORDER BY link_id),
                         'roles': list(DISTINCT role ORDER BY role) FILTER (WHERE role IS NOT NULL),
                         'registry_kinds': list(DISTINCT rkind ORDER BY rkind),
                         'source_ids': list(DISTINCT source_id ORDER BY source_id)}})
        FROM (
            SELECT a.entity_id AS src, b.entity_id AS tgt, l.link_id, l.role, l.kind AS rkind, l.share,
                   l.start_date, l.end_date, l.source_id,
                   CASE WHEN l.kind IN ('ownership', 'directorship') THEN l.kind ELSE 'link' END AS kind
            FROM registry_links l
            JOIN _registry_map a ON a.registry_id = l.source_entity_id
            JOIN _registry_map b ON b.registry_id = l.target_entity_id
            WHERE a.entity_id <> b.entity_id)
        GROUP BY src, tgt, kind
        UNION ALL
        SELECT 'sanction:' || md5(entity_id || '>' || list_name), entity_id, 'list:' || list_name, 'sanction',
               NULL, count(*), min(listing_date), NULL, NULL,
               to_json({{'sanction_entity_ids': list(DISTINCT sanction_entity_id ORDER BY sanction_entity_id),
                         'matched_names': list(DISTINCT matched_name ORDER BY matched_name), 'score': max(score),
                         'programs': flatten(list(programs))}})
        FROM sanctions_matches WHERE score >= {float(threshold)} AND list_name IS NOT NULL
        GROUP BY entity_id, list_name
        UNION ALL
        SELECT 'website:' || md5(entity_id || '>' || domain), entity_id, 'domain:' || domain, 'website',
               NULL, 1, NULL, NULL, NULL, to_json({{'domain': domain}})
        FROM _web_map WHERE entity_id IS NOT NULL
        UNION ALL
        SELECT 'supplies:' || md5(src || '>' || entity_id), src, entity_id, 'supplies', NULL, count(*),
               NULL, NULL, NULL,
               to_json({{'distributor_names': list(DISTINCT distributor_name
                   ORDER BY distributor_name), 'countries': list(DISTINCT country
                   ORDER BY country)}})
        FROM (SELECT {brand_key('dm.brand')} AS src, dm.* FROM _distributor_map dm WHERE dm.entity_id IS NOT NULL)
        GROUP BY src, entity_id
        UNION ALL
        SELECT 'country:' || md5(e.entity_id || '>' || c.cc), e.entity_id, 'country:' || c.cc, 'country',
               NULL, NULL, NULL, NULL, NULL, NULL
        FROM (SELECT DISTINCT entity_id, cc FROM (SELECT entity_id, unnest(countries) AS cc FROM entities)) e
        JOIN _countries c ON c.cc = e.cc
    """


def edges_sql(threshold: float) -> str:
    """SELECT producing every edge row, each with its evidence as JSON (``commissioning`` edges apart)."""
    return f"{trade_edges_sql()} UNION ALL {brand_edges_sql()} UNION ALL {other_edges_sql(threshold)}"


def _register_countries(engine: Engine) -> None:
    """A small table of the entities' countries with readable names (computed in Python)."""
    codes = [r[0] for r in engine.fetch_all(
        "SELECT DISTINCT cc FROM (SELECT unnest(countries) AS cc FROM entities) WHERE cc IS NOT NULL"
    )]
    data = pa.table({"cc": pa.array(codes, pa.string()),
                     "label": pa.array([country_name(c) or c for c in codes], pa.string())})
    engine.execute("CREATE OR REPLACE TEMP TABLE _countries (cc VARCHAR, label VARCHAR)")
    engine.insert_arrow("_countries", data)


def build_graph(engine: Engine, settings: Settings, carry: bool = False) -> GraphSummary:
    """Rebuild ``nodes`` and ``edges`` from the resolved warehouse.

    ``carry``: keep the trade and brand edges whose shipments did not change since the last build, and
    make only the others again (``graph.carry``; what ``diversion run`` does after an update). The
    tables are the same either way.

    >>> summary = build_graph(engine, load_settings())  # doctest: +SKIP
    >>> summary.edges_by_kind["trade"]  # doctest: +SKIP
    1234
    """
    prepare_keys(engine)
    _register_countries(engine)
    build_fx(engine, settings.report_currency)
    threshold = settings.resolve.screen_threshold
    commissioning = commissioning_edges(engine, settings.report_currency)
    tag = carry_token()
    try:
        # An update's edges and nodes stored as plain text: it makes a third of the edges again, and DuckDB
        # compressing them, and the row groups it compacts after, took 5-7 s of the 10M update's 35
        # (``Engine.plain_text``). A full build writes compressed (with a full run's edges and findings plain,
        # a 10M warehouse's file grew by 42 %).
        with engine.plain_text() if carry else nullcontext(), engine.transaction():
            nodes = rewrite_table(engine, "nodes", nodes_sql(threshold))
            found = carry and touched(engine, tag)
            if not found:
                rewrite_table(engine, "edges", edges_sql(threshold))
                kept = 0
            else:
                delete_touched(engine)
                kept = engine.count("edges")
                engine.execute(f"INSERT INTO edges {trade_edges_sql(TRADE_SCOPE)}")
                engine.execute(f"INSERT INTO edges {brand_edges_sql(BRAND_SCOPE)}")
                engine.execute(f"INSERT INTO edges {other_edges_sql(threshold)}")
            if commissioning.num_rows:
                engine.insert_arrow("edges", commissioning)
            record_basis(engine, tag, found)
    finally:
        drop_touched(engine)
    by_kind = dict(engine.fetch_all("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY kind"))
    edges = sum(int(v) for v in by_kind.values())
    summary = GraphSummary(nodes=nodes, edges=edges, edges_by_kind={str(k): int(v) for k, v in by_kind.items()},
                           carried=kept)
    kept_note = f" ({kept} carried over)" if kept else ""
    record_stage(engine, "graph", f"{nodes} nodes, {edges} edges{kept_note}")
    return summary
