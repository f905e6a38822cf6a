"""A lead's network neighbourhood as a picture: sanctioned nodes marked, amounts on trade edges, a legend.

The neighbourhood comes from the read layer (``read.neighbourhood``, the walk
the web app draws too); it is laid out with networkx's Kamada–Kawai layout
(deterministic, so the picture is the same on every run) and drawn with
Plotly. Labels are cut to fit; the full name and country show on hover.
"""

from __future__ import annotations

import networkx as nx
import plotly.graph_objects as go

from diversion.read.money import money
from diversion.read.neighbourhood import EDGE_NAMES, Neighbourhood
from diversion.report.charts import FONT, short, wrap

EDGE_STYLE = {
    "trade": ("#0072B2", "solid"), "commissioning": ("#D55E00", "dash"), "ownership": ("#CC79A7", "solid"),
    "directorship": ("#CC79A7", "dot"), "link": ("#999999", "dot"), "website": ("#009E73", "dash"),
    "supplies": ("#E69F00", "dash"), "brand": ("#E69F00", "dot"),
}
NODE_STYLE = {
    "this lead": ("#0072B2", "circle", 22), "sanctioned": ("#C62828", "diamond", 16),
    "other lead": ("#E69F00", "circle", 13), "company or person": ("#616161", "circle", 11),
    "brand or website": ("#9E9E9E", "square", 10),
}


def _group(hood: Neighbourhood, node_id: str) -> str:
    a = hood.nodes[node_id]
    if node_id == hood.centre:
        return "this lead"
    if a.get("sanctioned"):
        return "sanctioned"
    if a.get("kind") in ("brand", "domain"):
        return "brand or website"
    return "other lead" if a.get("lead") else "company or person"


def network_figure(hood: Neighbourhood, title: str) -> go.Figure:
    """Layout picture: lead in blue, sanctioned entities as red diamonds, edges by kind, trade amounts on edges."""
    g = nx.Graph()
    g.add_nodes_from(hood.nodes)
    g.add_edges_from((e["source"], e["target"]) for e in hood.edges)
    pos = _layout(g)
    fig = go.Figure()
    for kind in [k for k in EDGE_STYLE if any(e["kind"] == k for e in hood.edges)]:
        xs: list[float | None] = []
        ys: list[float | None] = []
        for e in hood.edges:
            if e["kind"] == kind:
                xs += [pos[e["source"]][0], pos[e["target"]][0], None]
                ys += [pos[e["source"]][1], pos[e["target"]][1], None]
        color, dash = EDGE_STYLE[kind]
        fig.add_scatter(x=xs, y=ys, mode="lines", name=EDGE_NAMES.get(kind, kind), hoverinfo="skip",
                        line={"color": color, "dash": dash, "width": 1.5}, legendgroup="edges")
    # Amounts at the middle of each trade edge (the largest eight, so the picture stays legible).
    valued = sorted((e for e in hood.edges if e.get("value")), key=lambda e: -(e["value"] or 0))[:8]
    if valued:
        fig.add_scatter(
            x=[(pos[e["source"]][0] + pos[e["target"]][0]) / 2 for e in valued],
            y=[(pos[e["source"]][1] + pos[e["target"]][1]) / 2 for e in valued],
            mode="text", text=[money(e["value"], hood.currency) for e in valued], textfont={"size": 10,
                                                                                          "color": "#0b3d6b"},
            hovertext=[f"{hood.nodes[e['source']]['label']} → {hood.nodes[e['target']]['label']}: "
                       f"{money(e['value'], hood.currency)} ({e.get('count') or 0} shipments)" for e in valued],
            hoverinfo="text", showlegend=False)
    for name, (color, symbol, size) in NODE_STYLE.items():
        members = [n for n in hood.nodes if _group(hood, n) == name]
        if not members:
            continue
        labels = [short(str(hood.nodes[n].get("label") or n), 26) + (" ⚠" if hood.nodes[n].get("sanctioned") else "")
                  for n in members]
        fig.add_scatter(
            x=[pos[n][0] for n in members], y=[pos[n][1] for n in members], mode="markers+text", name=name,
            text=labels, textposition=[_text_position(pos[n]) for n in members], textfont={"size": 10},
            marker={"color": color, "symbol": symbol, "size": size,
                    # A sanctioned lead keeps its blue dot but gets a red ring.
                    "line": {"color": "#C62828" if name == "this lead" and hood.nodes[hood.centre].get("sanctioned")
                             else "white", "width": 3 if name == "this lead" else 1}},
            hovertext=[f"{hood.nodes[n].get('label') or n} ({hood.nodes[n].get('country') or '?'})" for n in members],
            hoverinfo="text", legendgroup="nodes",
        )
    # Room either side for the labels of the outermost nodes.
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.15, 1.15])
    fig.update_layout(
        title={"text": wrap(title), "x": 0.01, "font": {"size": 15}}, template="plotly_white", height=600,
        font={"family": FONT, "size": 11}, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0, "font": {"size": 10}},
    )
    return fig


def _layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Kamada–Kawai positions (even spacing for small graphs), stretched to fill [-1, 1] both ways."""
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
