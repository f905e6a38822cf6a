"""``sanctions_proximity``: a few hops from a sanctioned entity through trade or registry links, in time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import value_factor
from diversion.detect.context import FX_JOIN, VALUE, DetectContext, listing_text
from diversion.detect.finding import Finding, RecordIds
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
    heads: dict[str, dict[str, Any]] = {}
    chains: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    # Only the entities whose steps changed since the last run, in a run that carries (``detect.carry``).
    for s in ctx.stream(_STEPS, carry=NAME):
        heads.setdefault(s["entity_id"], s)
        chains.setdefault(s["entity_id"], []).append((s["k"], {
            "from": s["a"], "from_name": s["a_name"], "to": s["b"], "to_name": s["b_name"], "kind": s["kind"],
            "edge_id": s["edge_id"], "since": s["since"], "value_usd": s["value_usd"], "value": s["value"],
            "shipments": s["shipments"], "first_date": s["first_date"], "last_date": s["last_date"],
            "shipment_ids": list(s["shipment_ids"] or [])}))
    for entity_id in sorted(heads):  # yielded: written as they come (``detect_counts``)
        r = heads[entity_id]
        chain = [c for _, c in sorted(chains.pop(entity_id), key=lambda step: step[0])]
        if any(c["from"] == c["to"] for c in chain):
            continue
        first = chain[0]
        if any(c["kind"] == "trade" and not c["shipments"] for c in chain):
            continue  # no shipment of this trade link falls after the listing
        factor = value_factor(first["value_usd"], d.proximity_full_value) if first["kind"] == "trade" else 1.0
        score = d.proximity_hop_decay ** (r["hop"] - 1) * factor
        name, origin = first["from_name"], r["origin_name"]
        when = listing_text(r["listed"])
        if first["kind"] == "trade":
            window = "since the listing" if r["listed"] else "in the data"
            how = (f"traded {ctx.money(first['value'])} ({first['shipments']} shipment(s), {first['first_date']} to "
                   f"{first['last_date']}) {window} with")
        elif first["kind"] == "link":
            how = "is linked by contract or another registry link to"
        else:
            how = f"is tied by {first['kind']} to"
        itself = ", itself sanctioned," if r["itself"] else ""
        summary = (f"{name}{itself} {how} {first['to_name']}, which is sanctioned ({when})." if r["hop"] == 1 else
                   f"{name} is {r['hop']} hops from the sanctioned {origin} ({when}): it {how} {first['to_name']}.")
        ids = [i for c in chain for i in c["shipment_ids"]]
        yield Finding(NAME, entity_id, score, summary, {
            "hops": r["hop"], "sanctioned_entity": r["origin"], "sanctioned_name": origin,
            "listed_on": r["listed"], "path": chain, "currency": ctx.currency,
            **RecordIds(shipment_ids=ids[:10], edge_ids=[c["edge_id"] for c in chain if c["edge_id"]]),
            "facts": {"Sanctioned party": origin, "Listed on": r["listed"] or "not given by the list",
                      "Hops": r["hop"], "Chain": " → ".join([name] + [c["to_name"] for c in chain])},
        })


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Run this detector alone (tests, benchmarks); ``run_detection`` runs them all with one context."""
    return run_one(DETECTOR, engine, settings)


DETECTOR = Detector(NAME, find, weight=0.6, severity="warning",
                    settings=("proximity_max_hops", "proximity_hop_decay", "proximity_full_value",
                              "ofac_ownership_share"),
                    tables=("_report_fx", "_listings"), title="near a sanctioned party")
