"""An entity's network neighbourhood as Cytoscape.js elements.

Reads the graph stage's ``nodes`` and ``edges`` tables: the entity, everything
one hop away, and — while there is room under the node cap, largest flows
first — the second hop, which does not pass through hub nodes (countries,
lists, brands).
Sanctioned nodes are those the graph marked or that have a sanctions match.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from diversion.web import queries
from diversion.web.warehouse import WebWarehouse

_EDGE_COLUMNS = "edge_id, source, target, kind, value_usd, count, share, first_date, last_date"


#: Nodes that link to very many entities (every Russian company, every Tsugami buyer): the
#: second hop does not go through them, or the view would be one hub and its spokes.
HUB_PREFIXES = ("country:", "list:", "brand:")


def _edges_touching(wh: WebWarehouse, ids: list[str], limit: int, first_hop: bool) -> list[dict[str, Any]]:
    # Beyond the first hop, "located in" edges only repeat what the node labels say.
    kinds = "" if first_hop else "AND kind <> 'country' "
    return wh.rows(
        f"SELECT {_EDGE_COLUMNS} FROM edges WHERE (list_contains(?, source) OR list_contains(?, target)) {kinds}"
        "ORDER BY value_usd DESC NULLS LAST, edge_id LIMIT ?",
        [ids, ids, limit],
    )


def neighbourhood(wh: WebWarehouse, entity_id: str, max_nodes: int = 80) -> dict[str, Any]:
    """Nodes and edges within two hops of ``entity_id``, capped at ``max_nodes`` nodes.

    Returns ``{"nodes": [...], "edges": [...], "truncated": bool}`` in
    Cytoscape.js element form (``{"data": {...}}``).
    """
    if not wh.has("edges"):
        return {"nodes": [], "edges": [], "truncated": False}
    keep: dict[str, None] = {entity_id: None}
    edges: dict[str, dict[str, Any]] = {}
    truncated = False
    frontier = [entity_id]
    for hop in range(2):
        found = _edges_touching(wh, frontier, max_nodes * 4, first_hop=hop == 0)
        next_frontier: list[str] = []
        for edge in found:
            for end in (edge["source"], edge["target"]):
                if end not in keep:
                    if len(keep) >= max_nodes:
                        truncated = True
                        continue
                    keep[end] = None
                    next_frontier.append(end)
            if edge["source"] in keep and edge["target"] in keep:
                edges[edge["edge_id"]] = edge
        frontier = [n for n in next_frontier if not n.startswith(HUB_PREFIXES)]
        if not frontier:
            break
    ids = list(keep)
    info: dict[str, dict[str, Any]] = {}
    if wh.has("nodes"):
        for row in wh.rows(
            "SELECT node_id, kind, label, country, schema, sanctioned FROM nodes WHERE list_contains(?, node_id)",
            [ids],
        ):
            info[row["node_id"]] = row
    labels = queries.node_labels(wh, ids)
    listed = queries.sanctioned_ids(wh, ids)
    leads = queries.leads_for(wh, ids)
    nodes = []
    for node_id in ids:
        row = info.get(node_id, {})
        kind = row.get("kind") or ("entity" if node_id in labels else node_id.split(":", 1)[0])
        nodes.append(
            {
                "data": {
                    "id": node_id,
                    "label": row.get("label") or labels.get(node_id, node_id),
                    "kind": kind,
                    "country": row.get("country") or "",
                    "sanctioned": bool(row.get("sanctioned")) or node_id in listed,
                    "lead": node_id in leads,
                    "focus": node_id == entity_id,
                    "href": f"/ui/entities/{quote(node_id, safe='')}" if kind == "entity" else "",
                }
            }
        )
    cy_edges = [
        {
            "data": {
                "id": e["edge_id"],
                "source": e["source"],
                "target": e["target"],
                "kind": e["kind"],
                "value_usd": e["value_usd"],
                "count": e["count"],
            }
        }
        for e in edges.values()
    ]
    return {"nodes": nodes, "edges": cy_edges, "truncated": truncated}
