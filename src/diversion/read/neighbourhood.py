"""The network around an entity: one walk for the report's picture and the web app's graph.

Read from the graph stage's ``nodes`` and ``edges``: the entity, everything one
hop away and — while there is room under the node cap, largest flows first —
further hops, which do not pass through hub nodes (brands, websites): they
touch too many companies to be evidence. Country and sanctions-list edges are
left out (a sanctioned node is marked instead). Trade and commissioning edges
carry their value in the report currency, converted month by month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diversion.engine import Engine
from diversion.read.leads import lead_rows
from diversion.read.values import Converter, monthly_sums

#: Edge kinds walked from the entity.
WALK_KINDS = ("trade", "commissioning", "ownership", "directorship", "link", "website", "supplies", "brand")
#: Nodes a walk does not go through beyond the first hop.
HUB_PREFIXES = ("brand:", "domain:", "country:", "list:")
#: How each edge kind reads in a legend.
EDGE_NAMES = {
    "trade": "trade (value shipped)", "commissioning": "shipped on the order of", "ownership": "ownership",
    "directorship": "directorship", "link": "contract or other registry link", "website": "website",
    "supplies": "authorised distributor", "brand": "ships the brand",
}


@dataclass
class Neighbourhood:
    """Nodes (id → attributes) and edges around ``centre``; ``truncated`` when the cap cut the walk short."""

    centre: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    currency: str = "USD"


def neighbourhood(engine: Engine, centre: str, conv: Converter, hops: int = 2,
                  max_nodes: int = 40) -> Neighbourhood:
    """Walk ``hops`` steps out from ``centre`` (largest flows first), keeping at most ``max_nodes`` nodes."""
    hood = Neighbourhood(centre, currency=conv.currency)
    if not engine.table_exists("edges"):
        return hood
    keep: dict[str, None] = {centre: None}
    edges: dict[str, dict[str, Any]] = {}
    frontier = [centre]
    for _ in range(hops):
        if not frontier:
            break
        rows = engine.fetch_dicts(
            "SELECT edge_id, source, target, kind, value_usd, count, share, first_date, last_date FROM edges "
            "WHERE list_contains(?, kind) AND (list_contains(?, source) OR list_contains(?, target)) "
            "ORDER BY value_usd DESC NULLS LAST, edge_id LIMIT ?",
            [list(WALK_KINDS), frontier, frontier, max_nodes * 6])
        nxt: list[str] = []
        for edge in rows:
            for end in (edge["source"], edge["target"]):
                if end in keep:
                    continue
                if len(keep) >= max_nodes:
                    hood.truncated = True
                    continue
                keep[end] = None
                nxt.append(end)
            if edge["source"] in keep and edge["target"] in keep:
                edges[edge["edge_id"]] = edge
        frontier = [n for n in nxt if not n.startswith(HUB_PREFIXES)]
    ids = list(keep)
    attrs = {r["node_id"]: r for r in engine.fetch_dicts(
        "SELECT node_id, kind, label, country, sanctioned FROM nodes WHERE list_contains(?, node_id)", [ids])}
    leads = lead_rows(engine, ids)
    for node_id in ids:
        row = attrs.get(node_id) or {"node_id": node_id, "kind": node_id.split(":", 1)[0] if ":" in node_id
                                     else "entity", "label": node_id, "country": None, "sanctioned": False}
        lead = leads.get(node_id)
        hood.nodes[node_id] = {**row, "sanctioned": bool(row.get("sanctioned")),
                               "lead": bool(lead and (lead.get("section") or "lead") == "lead"),
                               "lead_score": lead["score"] if lead else None}
    trade = [e for e in edges.values() if e["kind"] == "trade"]
    values = monthly_sums(
        engine, "list_contains(?, se.exporter_entity_id || '>' || se.importer_entity_id)",
        [[f"{e['source']}>{e['target']}" for e in trade]],
        "se.exporter_entity_id || '>' || se.importer_entity_id", conv) if trade else {}
    for e in edges.values():
        e["value"] = values.get(f"{e['source']}>{e['target']}") if e["kind"] == "trade" else None
        hood.edges.append(e)
    return hood
