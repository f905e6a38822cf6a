"""An entity's network neighbourhood as Cytoscape.js elements, from the read layer's one walk.

``read.neighbourhood`` walks the network (the report draws the same walk):
the entity, what is one hop away and, while there is room under the node cap
(largest flows first), the next hop, never through hub nodes (brands,
websites, countries, lists). Each node carries its full name (shown on
hover), a short label, whether it is sanctioned or a lead; each trade edge its
value in the report currency and the formatted amount drawn on it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from diversion.read.money import money
from diversion.read.neighbourhood import neighbourhood as walk
from diversion.web import queries
from diversion.web.warehouse import WebWarehouse

#: Characters of a node's name drawn under it (the full name shows on hover).
LABEL_CHARS = 28


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def neighbourhood(wh: WebWarehouse, entity_id: str, max_nodes: int = 80, currency: str = "USD") -> dict[str, Any]:
    """Nodes and edges within two hops of ``entity_id``, capped at ``max_nodes`` nodes.

    Returns ``{"nodes": [...], "edges": [...], "truncated": bool, "currency": str}``
    in Cytoscape.js element form (``{"data": {...}}``).
    """
    conv = queries.values(wh, currency)
    with wh.read_engine() as engine:
        hood = walk(engine, entity_id, conv, hops=2, max_nodes=max_nodes)
    listed = queries.sanctioned_ids(wh, list(hood.nodes))
    nodes = []
    for node_id, a in hood.nodes.items():
        kind = a.get("kind") or "entity"
        label = str(a.get("label") or node_id)
        nodes.append({"data": {
            "id": node_id, "label": label, "short": _short(label), "kind": kind, "country": a.get("country") or "",
            "sanctioned": bool(a.get("sanctioned")) or node_id in listed, "lead": bool(a.get("lead")),
            "focus": node_id == entity_id,
            "href": f"/ui/entities/{quote(node_id, safe='')}" if kind == "entity" and not node_id.startswith(
                "registry:") else "",
        }})
    edges = [{"data": {
        "id": e["edge_id"], "source": e["source"], "target": e["target"], "kind": e["kind"],
        "value_usd": e["value_usd"], "value": e.get("value"), "count": e["count"],
        "amount": money(e["value"], hood.currency) if e.get("value") else "",
    }} for e in hood.edges]
    return {"nodes": nodes, "edges": edges, "truncated": hood.truncated, "currency": hood.currency}
