"""A lead's network neighbourhood as a picture: nodes and edges around it, sanctioned nodes marked.

The neighbourhood is read hop by hop from the graph stage's ``edges`` table
(largest edges first, capped), laid out with networkx's Kamada–Kawai layout
(deterministic, so the picture is the same on every run) and drawn as a Plotly scatter.
Country and sanctions-list nodes are left out of the walk: every entity
touches its country, so they would crowd out the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import plotly.graph_objects as go

from diversion.engine import Engine
from diversion.report.charts import FONT

#: Edge kinds walked from the lead.
WALK_KINDS = ("trade", "ownership", "directorship", "link", "website", "supplies", "brand")
EDGE_STYLE = {
    "trade": ("#0072B2", "solid"), "ownership": ("#CC79A7", "solid"), "directorship": ("#CC79A7", "dot"),
    "link": ("#999999", "dot"), "website": ("#009E73", "dash"), "supplies": ("#E69F00", "dash"),
    "brand": ("#E69F00", "dot"),
}


EDGE_NAMES = {
    "trade": "trade", "ownership": "ownership", "directorship": "directorship", "link": "other relation",
    "website": "website", "supplies": "authorised supply", "brand": "ships the brand",
}


@dataclass
class Neighbourhood:
    """Nodes (id → attributes) and edges (source, target, kind, value) around ``centre``."""

    centre: str
    nodes: dict[str, dict[str, Any]]
    edges: list[tuple[str, str, str, float | None]]


def neighbourhood(engine: Engine, centre: str, hops: int = 2, max_nodes: int = 40) -> Neighbourhood:
    """Walk ``hops`` steps out from ``centre`` through the graph, keeping at most ``max_nodes`` nodes."""
    keep: list[str] = [centre]
    edges: dict[tuple[str, str, str], float | None] = {}
    frontier = [centre]
    for _ in range(hops):
        if not frontier or len(keep) >= max_nodes:
            break
        rows = engine.fetch_all(
            "SELECT source, target, kind, value_usd FROM edges "
            "WHERE list_contains(?, kind) AND (list_contains(?, source) OR list_contains(?, target)) "
            "ORDER BY value_usd DESC NULLS LAST, source, target LIMIT ?",
            [list(WALK_KINDS), frontier, frontier, max_nodes * 6],
        )
        nxt: list[str] = []
        for source, target, kind, value in rows:
            for n in (source, target):
                if n not in keep and len(keep) < max_nodes:
                    keep.append(n)
                    nxt.append(n)
            if source in keep and target in keep:
                edges[(source, target, kind)] = value
        frontier = nxt
    attrs = {r["node_id"]: r for r in engine.fetch_dicts(
        "SELECT node_id, kind, label, country, sanctioned FROM nodes WHERE list_contains(?, node_id)", [keep])}
    nodes = {n: attrs.get(n, {"node_id": n, "kind": "entity", "label": n, "country": None, "sanctioned": False})
             for n in keep}
    return Neighbourhood(centre, nodes, [(s, t, k, v) for (s, t, k), v in edges.items()])


def network_figure(hood: Neighbourhood, title: str) -> go.Figure:
    """Spring-layout picture: lead in blue, sanctioned entities as red diamonds, edges coloured by kind."""
    g = nx.Graph()
    g.add_nodes_from(hood.nodes)
    g.add_edges_from((s, t) for s, t, _k, _v in hood.edges)
    pos = _layout(g)
    fig = go.Figure()
    for kind in sorted({k for _s, _t, k, _v in hood.edges}):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t, k, _v in hood.edges:
            if k == kind:
                xs += [pos[s][0], pos[t][0], None]
                ys += [pos[s][1], pos[t][1], None]
        color, dash = EDGE_STYLE.get(kind, ("#999999", "solid"))
        fig.add_scatter(x=xs, y=ys, mode="lines", name=EDGE_NAMES.get(kind, kind), hoverinfo="skip",
                        line={"color": color, "dash": dash, "width": 1.5})
    groups = {"lead": [], "sanctioned": [], "entity": [], "brand / website": []}
    for node_id, a in hood.nodes.items():
        if node_id == hood.centre:
            groups["lead"].append(node_id)
        elif a.get("sanctioned"):
            groups["sanctioned"].append(node_id)
        elif a.get("kind") in ("brand", "domain"):
            groups["brand / website"].append(node_id)
        else:
            groups["entity"].append(node_id)
    style = {
        "lead": ("#0072B2", "circle", 22), "sanctioned": ("#C62828", "diamond", 16),
        "entity": ("#616161", "circle", 11), "brand / website": ("#E69F00", "square", 11),
    }
    for name, members in groups.items():
        if not members:
            continue
        color, symbol, size = style[name]
        labels = [_label(hood.nodes[n]) for n in members]
        fig.add_scatter(
            x=[pos[n][0] for n in members], y=[pos[n][1] for n in members], mode="markers+text", name=name,
            text=labels, textposition=[_text_position(pos[n]) for n in members], textfont={"size": 11},
            marker={"color": color, "symbol": symbol, "size": size,
                    # A sanctioned lead keeps its blue dot but gets a red ring.
                    "line": {"color": "#C62828" if name == "lead" and hood.nodes[hood.centre].get("sanctioned")
                             else "white", "width": 3 if name == "lead" else 1}},
            hovertext=[f"{lbl} ({hood.nodes[n].get('country') or '?'})" for n, lbl in zip(members, labels,
                                                                                         strict=True)],
            hoverinfo="text",
        )
    # Room either side for the labels of the outermost nodes.
    fig.update_xaxes(visible=False, range=[-1.75, 1.75])
    fig.update_yaxes(visible=False, range=[-1.2, 1.2])
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 16}}, template="plotly_white", height=520,
        font={"family": FONT, "size": 12}, margin={"l": 20, "r": 20, "t": 60, "b": 20},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
    )
    return fig


def _layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Kamada–Kawai positions (even spacing for small graphs), stretched to a wide box in [-1, 1]."""
    if len(g) == 1:
        return {n: (0.0, 0.0) for n in g}
    pos = nx.kamada_kawai_layout(g) if nx.is_connected(g) else nx.spring_layout(g, seed=7, iterations=200)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]

    def scale(v: float, lo: float, hi: float) -> float:
        return 0.0 if hi == lo else 2 * (v - lo) / (hi - lo) - 1

    return {n: (scale(x, min(xs), max(xs)), scale(y, min(ys), max(ys))) for n, (x, y) in pos.items()}


def _text_position(p: tuple[float, float]) -> str:
    """Labels point away from the middle, so neighbours' labels overlap less."""
    x, y = p
    if abs(x) > 0.55:
        return "middle right" if x > 0 else "middle left"
    return "top center" if y >= 0 else "bottom center"


def _label(attrs: dict[str, Any]) -> str:
    text = str(attrs.get("label") or attrs.get("node_id"))
    marker = " ⚠" if attrs.get("sanctioned") else ""
    return (text if len(text) <= 30 else text[:29] + "…") + marker
