"""``sanctions_proximity``: a few hops from a sanctioned entity through trade or registry links, in time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.context import FX_JOIN, VALUE, DetectContext
from diversion.detect.finding import Finding
from diversion.detect.registry import Detector
from diversion.detect.run import run_one
from diversion.detect.sanctioned import sanctioned_ids
from diversion.engine import Engine
from diversion.graph.keys import VALUE_USD

NAME = "sanctions_proximity"

#: Edge kinds a sanctions link can travel along.
KINDS = ("trade", "ownership", "directorship", "link")

# A registry link outweighs any trade; among trades the larger value wins; the edge id settles ties.
_WEIGHT = "CASE WHEN x.kind = 'trade' THEN coalesce(x.value, 0) ELSE 1e18 END"
# The whole best step from one row: separate arg_max calls could each pick a different tied row (and
# DuckDB's skips NULLs where Spark's does not).
_BEST_STEP = ("arg_max({'prev': j.a, 'edge_id': j.edge_id, 'kind': j.kind, 'value': j.value, 'origin': j.origin, "
              "'listed': j.listed, 'last_date': j.last_date}, {'w': j.w, 'e': j.edge_id})")
# A step is in time when it did not end before the origin was listed: trade that went on after the
# listing, a registry link not ended before it (an unknown date or end counts as in time).
_IN_TIME = "(r.listed IS NULL OR x.last_date IS NULL OR x.last_date >= r.listed)"


def _reach(ctx: DetectContext, sources: list[tuple[str, date | None]], max_hops: int) -> None:
    """Breadth-first search in SQL: ``_reach(node, hop, prev, edge_id, kind, value, origin, listed, last_date)``.

    Each node keeps the one way it was first reached, preferring registry links
    (ownership, contracts) and then the largest trade. A node is never its own
    step: self-loops are not edges, and a source is never reached again.
    """
    engine = ctx.engine
    kinds = ", ".join(f"'{k}'" for k in KINDS)  # the module's constant edge kinds, not a setting
    # A view (on Spark, a table): materialised, both directions of every trade edge were a third of
    # detect's memory at 3M shipments; each hop reads the edges table instead.
    engine.execute(f"""
        CREATE OR REPLACE TEMP VIEW _adj AS
        SELECT source AS a, target AS b, edge_id, kind, value_usd AS value, last_date FROM edges
        WHERE kind IN ({kinds}) AND source <> target
        UNION ALL
        SELECT target, source, edge_id, kind, value_usd, last_date FROM edges
        WHERE kind IN ({kinds}) AND source <> target
    """)
    engine.execute("""CREATE OR REPLACE TEMP TABLE _reach (node VARCHAR, hop INTEGER, prev VARCHAR, edge_id VARCHAR,
                      kind VARCHAR, value DOUBLE, origin VARCHAR, listed DATE, last_date DATE)""")
    engine.execute("CREATE OR REPLACE TEMP TABLE _sources (node VARCHAR, listed DATE)")
    engine.insert_arrow("_sources", pa.table({"node": pa.array([s for s, _ in sources], pa.string()),
                                              "listed": pa.array([d for _, d in sources], pa.date32())}))
    engine.execute("INSERT INTO _reach SELECT node, 0, NULL, NULL, NULL, NULL, node, listed, NULL FROM _sources")
    for hop in range(1, max_hops + 1):
        engine.execute(f"""
            INSERT INTO _reach
            SELECT b, ?, p.prev, p.edge_id, p.kind, p.value, p.origin, p.listed, p.last_date
            FROM (SELECT j.b, {_BEST_STEP} AS p
                  FROM (SELECT x.b, x.a, x.edge_id, x.kind, x.value, r.origin, r.listed, x.last_date,
                               {_WEIGHT} AS w
                        FROM _adj x JOIN _reach r ON r.node = x.a AND r.hop = ?
                        WHERE {_IN_TIME}) j
                  WHERE j.b NOT IN (SELECT node FROM _reach)
                  GROUP BY j.b)
        """, [hop, hop - 1])


def _linked_sources(ctx: DetectContext) -> None:
    """``_linked``: sanctioned entities tied directly (one hop, in time) to another sanctioned one, their best such
    link (``_reach``'s columns)."""
    ctx.engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _linked AS
        SELECT node, 1 AS hop, p.prev, p.edge_id, p.kind, p.value, p.origin, p.listed, p.last_date
        FROM (SELECT j.node, {_BEST_STEP} AS p
              FROM (SELECT x.a AS node, x.b AS a, x.edge_id, x.kind, x.value, x.b AS origin, r.listed,
                           x.last_date, {_WEIGHT} AS w
                    FROM _adj x JOIN _sources r ON r.node = x.b
                    WHERE x.a IN (SELECT node FROM _sources) AND x.a <> x.b AND {_IN_TIME}) j
              GROUP BY j.node)""")


def _chains(ctx: DetectContext, max_hops: int) -> None:
    """``_chain(entity_id, k, a, b, kind, edge_id, since)``: each entity reached, its steps back to the sanctioned one.

    The entities reached (``_reached``) are those ``_reach`` found a hop or more away and the linked sanctioned
    ones (``_linked``), never brands or domains. Step 1 is the entity's own way in (``a`` the entity, ``b`` the node
    it was reached from); each next step is the way ``b`` was reached, until a sanctioned entity (hop 0) or
    ``max_hops`` steps. Every step is dated from the entity's origin's listing (``since``).
    """
    engine = ctx.engine
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _reached AS
        SELECT * FROM (SELECT * FROM _reach WHERE hop > 0 UNION ALL SELECT * FROM _linked)
        WHERE node <> prev AND node <> origin AND NOT starts_with(node, 'brand:') AND NOT starts_with(node, 'domain:')
    """)
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _chain AS
        SELECT node AS entity_id, 1 AS k, node AS a, prev AS b, kind, edge_id, listed AS since FROM _reached""")
    for k in range(2, max_hops + 1):
        engine.execute("""
            INSERT INTO _chain
            SELECT c.entity_id, ?, c.b, r.prev, r.kind, r.edge_id, c.since
            FROM _chain c JOIN _reach r ON r.node = c.b AND r.hop > 0 WHERE c.k = ?""", [k, k - 1])


def _trade_in_time(ctx: DetectContext) -> None:
    """``_trade``: for each trade step of ``_chain`` (``a``, ``b``, ``since``), the value and shipments between a and b
    on or after ``since``."""
    ctx.need("_report_fx")
    # Two equi-joins (one per direction), not one join on an OR: that would be a nested loop over every shipment.
    ctx.engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _trade AS
        WITH steps AS (SELECT DISTINCT a, b, since FROM _chain WHERE kind = 'trade'),
        legs AS (
            SELECT t.a, t.b, t.since, se.record_id FROM steps t
            JOIN shipment_entities se ON se.exporter_entity_id = t.a AND se.importer_entity_id = t.b
            UNION ALL
            SELECT t.a, t.b, t.since, se.record_id FROM steps t
            JOIN shipment_entities se ON se.exporter_entity_id = t.b AND se.importer_entity_id = t.a)
        SELECT t.a, t.b, t.since, sum({VALUE_USD}) AS value_usd, sum({VALUE}) AS value, count(*) AS shipments,
               min(s.date) AS first_date, max(s.date) AS last_date,
               max_by(s.record_id, {{'v': {VALUE_USD}, 'id': s.record_id}}, 10) AS shipment_ids
        FROM legs t JOIN shipments s ON s.record_id = t.record_id {FX_JOIN}
        WHERE t.since IS NULL OR s.date >= t.since
        GROUP BY t.a, t.b, t.since""")


def _name(node: str, alias: str) -> str:
    """SQL for a node's display name, as ``DetectContext.name`` gives it: its entity label (``alias`` joined from
    ``names``), else its id."""
    return f"CASE WHEN {alias}.node_id IS NULL THEN {node} ELSE {alias}.label END"


# One row per step of every chain, with everything its entity's finding is made from (``DetectContext.stream``
# with ``carry``: a finding is made again only when one of its entity's rows changed, a name on its chain included).
_STEPS = f"""
    WITH names AS (SELECT node_id, label FROM nodes WHERE kind = 'entity')
    SELECT c.entity_id, r.hop, r.origin, {_name('r.origin', 'no')} AS origin_name, r.listed,
           r.node IN (SELECT node FROM _sources) AS itself, c.k, c.a, {_name('c.a', 'na')} AS a_name,
           c.b, {_name('c.b', 'nb')} AS b_name, c.kind, c.edge_id, c.since, t.value_usd, t.value, t.shipments,
           t.first_date, t.last_date, t.shipment_ids
    FROM _chain c JOIN _reached r ON r.node = c.entity_id
    LEFT JOIN (SELECT 'trade' AS kind, * FROM _trade) t  -- only equalities: a hash join, not a nested loop
        ON t.kind = c.kind AND t.a = c.a AND t.b = c.b AND t.since IS NOT DISTINCT FROM c.since
    LEFT JOIN names no ON no.node_id = r.origin
    LEFT JOIN names na ON na.node_id = c.a
    LEFT JOIN names nb ON nb.node_id = c.b
"""


#: The findings of ``_STEPS``' rows (``detect.bulk``), as ``find`` states them: one per entity, its steps in order,
#: unless a step goes nowhere or a trade step has no shipment after the listing.
_MADE = """
    WITH steps AS (
        SELECT *, '{"edge_id":' || py_json(edge_id) || ',"first_date":' || py_json(first_date::VARCHAR)
                  || ',"from":' || py_json(a) || ',"from_name":' || py_json(a_name) || ',"kind":' || py_json(kind)
                  || ',"last_date":' || py_json(last_date::VARCHAR)
                  || ',"shipment_ids":' || py_json_list(coalesce(shipment_ids, []))
                  || ',"shipments":' || coalesce(shipments::VARCHAR, 'null') || ',"since":' || py_json(since::VARCHAR)
                  || ',"to":' || py_json(b) || ',"to_name":' || py_json(b_name)
                  || ',"value":' || evidence_number(value) || ',"value_usd":' || evidence_number(value_usd) || '}'
                  AS step
        FROM _rows),
    chains AS (
        SELECT entity_id, any_value(hop) AS hop, any_value(origin) AS origin, any_value(origin_name) AS origin_name,
               any_value(listed) AS listed, any_value(itself) AS itself,
               '[' || string_agg(step, ',' ORDER BY k) || ']' AS path,
               bool_or(a IS NOT DISTINCT FROM b) AS loops,
               bool_or(kind = 'trade' AND coalesce(shipments, 0) = 0) AS empty_trade,
               flatten(list(coalesce(shipment_ids, []) ORDER BY k))[1:10] AS ids,
               coalesce(list(edge_id ORDER BY k) FILTER (WHERE edge_id <> ''), []) AS edge_ids,
               list(b_name ORDER BY k) AS names_on,
               arg_min({'kind': kind, 'name': a_name, 'to_name': b_name, 'value_usd': value_usd, 'value': value,
                        'shipments': shipments, 'first_date': first_date, 'last_date': last_date}, k) AS first
        FROM steps GROUP BY entity_id),
    c AS (
        SELECT *, CASE WHEN listed IS NULL THEN 'listing date not given by the list'
                       ELSE 'listed ' || listed::VARCHAR END AS "when",
               CASE first.kind WHEN 'trade' THEN 'traded ' || money_text(first.value, $currency) || ' ('
                        || coalesce(first.shipments::VARCHAR, 'None') || ' shipment(s), '
                        || coalesce(first.first_date::VARCHAR, 'None') || ' to '
                        || coalesce(first.last_date::VARCHAR, 'None') || ') '
                        || CASE WHEN listed IS NULL THEN 'in the data' ELSE 'since the listing' END || ' with'
                   WHEN 'link' THEN 'is linked by contract or another registry link to'
                   ELSE 'is tied by ' || coalesce(first.kind, 'None') || ' to' END AS how,
               CASE WHEN first.kind = 'trade' THEN (CASE WHEN coalesce(first.value_usd, 0.0) <= 1 OR $full <= 1 THEN 0.2
                   ELSE greatest(0.2, least(1.0, log10(first.value_usd) / log10($full))) END) ELSE 1.0 END AS factor
        FROM chains WHERE NOT loops AND NOT empty_trade)
    SELECT entity_id, pow($decay, hop - 1) * factor AS score,
           CASE WHEN hop = 1 THEN coalesce(first.name, 'None')
                    || CASE WHEN itself THEN ', itself sanctioned,' ELSE '' END || ' ' || how || ' '
                    || coalesce(first.to_name, 'None') || ', which is sanctioned (' || "when" || ').'
                ELSE coalesce(first.name, 'None') || ' is ' || hop || ' hops from the sanctioned '
                    || coalesce(origin_name, 'None') || ' (' || "when" || '): it ' || how || ' '
                    || coalesce(first.to_name, 'None') || '.' END AS summary,
           '{"currency":' || py_json($currency) || ',"edge_ids":' || py_json_list(edge_ids)
           || ',"facts":[["Sanctioned party",' || py_json(origin_name)
           || '],["Listed on",' || py_json(coalesce(listed::VARCHAR, 'not given by the list'))
           || '],["Hops",' || coalesce(hop::VARCHAR, 'null')
           || '],["Chain",' || py_json(array_to_string(list_prepend(first.name, names_on), ' → '))
           || ']],"hops":' || coalesce(hop::VARCHAR, 'null') || ',"listed_on":' || py_json(listed::VARCHAR)
           || ',"path":' || path || ',"sanctioned_entity":' || py_json(origin)
           || ',"sanctioned_name":' || py_json(origin_name) || ',"shipment_ids":' || py_json_list(ids) || '}'
           AS evidence
    FROM c
"""


def find(ctx: DetectContext) -> Iterator[Finding]:
    """Within ``detect.proximity_max_hops`` (default 2) hops of a sanctioned entity, at a time that counts.

    Starting from every sanctioned entity (listed, or blocked by the OFAC 50%
    rule), the network is walked through trade, ownership, directorship and
    other registry links, in both directions; an entity is never linked to
    itself. Each step is used with its dates: a trade link counts only for the
    shipments dated on or after the sanctioned party's listing date (trade that
    ended before the listing is no link at all), and a registry link only when
    it had not ended before the listing. When no list gives a listing date, all
    trade counts and the sentence says so. Each entity reached keeps its
    shortest way back to a sanctioned entity. Its score is
    ``proximity_hop_decay ** (hops − 1)`` times a value factor of the link it
    was reached by: 1 for registry links, and for trade a log scale of the
    value traded after the listing that reaches 1 at ``proximity_full_value``
    dollars (floor 0.2). A sanctioned entity is flagged here only when it is
    itself directly tied to another sanctioned entity (one hop): a listed
    network, not a lone listing.
    """
    d = ctx.settings.detect
    listed = sanctioned_ids(ctx.engine, ctx.settings)
    if not listed or d.proximity_max_hops < 1:
        return
    dates = ctx.listed_on
    _reach(ctx, sorted((s, dates.get(s)) for s in listed), d.proximity_max_hops)
    _linked_sources(ctx)
    _chains(ctx, d.proximity_max_hops)
    _trade_in_time(ctx)
    # Only the entities whose steps changed since the last run, in a run that carries (``detect.carry``).
    yield from findings_of(ctx, ctx.table(_STEPS, carry=NAME))


def findings_of(ctx: DetectContext, rows: pa.Table) -> Iterator[Finding]:
    """The findings of ``_STEPS``' ``rows`` (``DetectContext.made_in_sql``)."""
    d = ctx.settings.detect
    yield from ctx.made_in_sql(NAME, rows, _MADE, {"currency": ctx.currency, "decay": d.proximity_hop_decay,
                                                   "full": d.proximity_full_value})


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.6, severity="warning",
                    settings=("proximity_max_hops", "proximity_hop_decay", "proximity_full_value",
                              "ofac_ownership_share"),
                    tables=("_report_fx", "_listings"), title="near a sanctioned party")
