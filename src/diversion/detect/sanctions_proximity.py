"""``sanctions_proximity``: a few hops from a sanctioned entity through trade or ownership."""

from __future__ import annotations

import pyarrow as pa

from diversion.config import Settings
from diversion.detect.common import entity_labels, value_factor
from diversion.detect.finding import Finding, money
from diversion.detect.sanctioned import sanctioned_ids
from diversion.engine import Engine

NAME = "sanctions_proximity"

#: Edge kinds a sanctions link can travel along.
KINDS = ("trade", "ownership", "directorship", "link")


# A registry link outweighs any trade; among trades the larger value wins; the edge id settles ties.
_WEIGHT = "CASE WHEN x.kind = 'trade' THEN coalesce(x.value, 0) ELSE 1e18 END"
# The whole best step from one row: separate arg_max calls could each pick a different tied row (and
# DuckDB's skips NULLs where Spark's does not).
_BEST_STEP = ("arg_max({'prev': j.a, 'edge_id': j.edge_id, 'kind': j.kind, 'value': j.value, 'origin': j.origin, "
              "'last_date': j.last_date}, {'w': j.w, 'e': j.edge_id})")


def _reach(engine: Engine, sources: list[str], max_hops: int) -> None:
    """Breadth-first search in SQL: ``_reach(node, hop, prev, edge_id, kind, value, origin)``.

    Each node keeps the one way it was first reached, preferring registry links
    (ownership, contracts) and then the largest trade.
    """
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE _adj AS
        SELECT source AS a, target AS b, edge_id, kind, value_usd AS value, last_date FROM edges WHERE kind IN ({kinds})
        UNION ALL
        SELECT target, source, edge_id, kind, value_usd, last_date FROM edges WHERE kind IN ({kinds})
    """)
    engine.execute("""CREATE OR REPLACE TEMP TABLE _reach (node VARCHAR, hop INTEGER, prev VARCHAR,
                      edge_id VARCHAR, kind VARCHAR, value DOUBLE, origin VARCHAR, last_date DATE)""")
    engine.execute("CREATE OR REPLACE TEMP TABLE _sources (node VARCHAR)")
    engine.insert_arrow("_sources", pa.table({"node": pa.array(sources, pa.string())}))
    engine.execute("INSERT INTO _reach SELECT node, 0, NULL, NULL, NULL, NULL, node, NULL FROM _sources")
    for hop in range(1, max_hops + 1):
        engine.execute(f"""
            INSERT INTO _reach
            SELECT b, {hop}, p.prev, p.edge_id, p.kind, p.value, p.origin, p.last_date
            FROM (SELECT j.b, {_BEST_STEP} AS p
                  FROM (SELECT x.b, x.a, x.edge_id, x.kind, x.value, r.origin, x.last_date, {_WEIGHT} AS w
                        FROM _adj x JOIN _reach r ON r.node = x.a AND r.hop = {hop - 1}) j
                  WHERE j.b NOT IN (SELECT node FROM _reach)
                  GROUP BY j.b)
        """)


def detect(engine: Engine, settings: Settings) -> list[Finding]:
    """Within ``detect.proximity_max_hops`` (default 2) hops of a sanctioned entity.

    Starting from every sanctioned entity (listed, or blocked by the OFAC 50%
    rule), the network is walked through trade, ownership, directorship and
    other registry links, in both directions. Each entity reached keeps its
    shortest way back to a sanctioned entity. Its score is
    ``proximity_hop_decay ** (hops − 1)`` times a value factor of the link it
    was reached by: 1 for registry links, and for trade a log scale of the
    traded value that reaches 1 at ``proximity_full_value`` dollars (floor 0.2).
    A trade link that ended before the sanctioned party was listed counts half.
    A sanctioned entity is flagged here only when it is itself directly tied
    to another sanctioned entity (one hop): a listed network, not a lone listing.
    """
    d = settings.detect
    sources = sorted(sanctioned_ids(engine, settings))
    if not sources or d.proximity_max_hops < 1:
        return []
    _reach(engine, sources, d.proximity_max_hops)
    rows = engine.fetch_dicts("SELECT * FROM _reach")
    # Sanctioned entities tied directly to another sanctioned entity: their best such link.
    rows += engine.fetch_dicts(f"""
        SELECT node, 1 AS hop, p.prev, p.edge_id, p.kind, p.value, p.prev AS origin, p.last_date
        FROM (SELECT j.a AS node, {_BEST_STEP} AS p
              FROM (SELECT x.*, x.b AS origin, {_WEIGHT} AS w
                    FROM _adj x WHERE x.a IN (SELECT node FROM _sources) AND x.b IN (SELECT node FROM _sources)
                      AND x.a <> x.b) j
              GROUP BY j.a)""")
    by_node = {r["node"]: r for r in rows if r["hop"] == 0}
    by_node.update({r["node"]: r for r in rows if r["hop"] > 0 and r["node"] not in by_node})
    reached = [r for r in rows if r["hop"] > 0 and not str(r["node"]).startswith(("brand:", "domain:"))]
    labels = entity_labels(engine)
    listed_on = dict(engine.fetch_all(
        "SELECT entity_id, min(listing_date) FROM sanctions_matches WHERE listing_date IS NOT NULL GROUP BY 1"))
    sources_set = set(sources)
    findings = []
    for r in reached:
        chain = []
        node, step = r["node"], r
        while step is not None and step["hop"] > 0:
            chain.append({"from": node, "from_name": labels.get(node, (node, None))[0], "to": step["prev"],
                          "to_name": labels.get(step["prev"], (step["prev"], None))[0], "kind": step["kind"],
                          "edge_id": step["edge_id"], "value_usd": step["value"]})
            node = step["prev"]
            step = by_node.get(node)
        factor = value_factor(r["value"], d.proximity_full_value) if r["kind"] == "trade" else 1.0
        listed = listed_on.get(chain[0]["to"]) if chain else None
        before_listing = bool(r["kind"] == "trade" and listed and r["last_date"] and r["last_date"] < listed)
        if before_listing:
            factor *= 0.5
        score = d.proximity_hop_decay ** (r["hop"] - 1) * factor
        name = labels.get(r["node"], (r["node"], None))[0]
        origin = labels.get(r["origin"], (r["origin"], None))[0]
        first = chain[0]
        how = (f"trades ({money(first['value_usd'])}) with" if first["kind"] == "trade"
               else "is linked by contract or another registry link to" if first["kind"] == "link"
               else f"has a {first['kind']} link to")
        itself = ", itself sanctioned," if r["node"] in sources_set else ""
        summary = (f"{name}{itself} {how} {first['to_name']}, which is sanctioned." if r["hop"] == 1 else
                   f"{name} is {r['hop']} hops from the sanctioned {origin}: it {how} {first['to_name']}.")
        findings.append(Finding(NAME, r["node"], score, summary,
                                {"hops": r["hop"], "sanctioned_entity": r["origin"], "sanctioned_name": origin,
                                 "path": chain, "trade_before_listing": before_listing}))
    return findings
