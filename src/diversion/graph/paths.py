"""Shortest evidenced chains between two nodes of the network."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import networkx as nx

from diversion.engine import Engine
from diversion.graph.build import PATH_EDGE_KINDS
from diversion.graph.lookup import NodeMatch, find_node


@dataclass(frozen=True)
class Hop:
    """One step of a chain: the edges (one or more kinds) joining two nodes, with their evidence."""

    source: str
    source_label: str
    target: str
    target_label: str
    edges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def value_usd(self) -> float:
        """Largest traded value on this hop (0 for registry links)."""
        return max((float(e.get("value_usd") or 0) for e in self.edges), default=0.0)


@dataclass(frozen=True)
class Chain:
    """One shortest chain: its hops and the value traded along it (for ranking)."""

    hops: list[Hop]

    @property
    def value_usd(self) -> float:
        """The smallest hop value along the chain that carries trade (the chain's bottleneck)."""
        values = [h.value_usd for h in self.hops if h.value_usd > 0]
        return min(values) if values else 0.0


@dataclass(frozen=True)
class PathResult:
    """What ``shortest_chains`` found: the resolved ends and the chains, most valuable first."""

    start: NodeMatch
    end: NodeMatch
    chains: list[Chain]


def load_network(engine: Engine, kinds: tuple[str, ...] = PATH_EDGE_KINDS) -> nx.Graph:
    """The network as an undirected networkx graph (ids only; evidence stays in the warehouse)."""
    kind_list = ", ".join(f"'{k}'" for k in kinds)
    graph = nx.Graph()
    graph.add_edges_from(engine.fetch_all(f"SELECT source, target FROM edges WHERE kind IN ({kind_list})"))
    return graph


def _hop(engine: Engine, a: str, b: str, labels: dict[str, str]) -> Hop:
    kind_list = ", ".join(f"'{k}'" for k in PATH_EDGE_KINDS)
    rows = engine.fetch_dicts(
        f"""SELECT edge_id, source, target, kind, value_usd, count, first_date, last_date, share, evidence
            FROM edges WHERE kind IN ({kind_list}) AND ((source = ? AND target = ?) OR (source = ? AND target = ?))
            ORDER BY kind""", [a, b, b, a])
    for row in rows:
        row["direction"] = "forward" if row["source"] == a else "backward"
        row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else {}
    return Hop(a, labels.get(a, a), b, labels.get(b, b), rows)


def shortest_chains(engine: Engine, start: str, end: str, limit: int = 5) -> PathResult:
    """The shortest chains between two entities, or a brand and an entity (names or ids).

    Follows trade, ownership, directorship, other registry links, websites,
    distributor and brand edges in either direction; lists up to ``limit``
    chains of the shortest length, the one carrying the most trade first.
    Each hop keeps its edges' evidence (shipment ids, registry link ids).

    >>> result = shortest_chains(engine, "Tsugami", "Kometa")  # doctest: +SKIP
    >>> [h.target_label for h in result.chains[0].hops]  # doctest: +SKIP
    ['Amegino FZE', 'AMG LLC', 'Kometa JSC']
    """
    a, b = find_node(engine, start), find_node(engine, end)
    graph = load_network(engine)
    paths: list[list[str]] = []
    # A name may fit several nodes (two companies called Kometa): when the best
    # fit has no chain, the next candidates are tried, best fit first.
    for a_id, a_label in [(a.node_id, a.label), *a.alternatives]:
        for b_id, b_label in [(b.node_id, b.label), *b.alternatives]:
            if a_id not in graph or b_id not in graph or a_id == b_id:
                continue
            try:
                paths = list(islice(nx.all_shortest_paths(graph, a_id, b_id), 200))
            except nx.NetworkXNoPath:
                continue
            a = _chosen(a, a_id, a_label)
            b = _chosen(b, b_id, b_label)
            break
        if paths:
            break
    if not paths:
        return PathResult(a, b, [])
    labels = dict(engine.fetch_all("SELECT node_id, label FROM nodes"))
    chains = [Chain([_hop(engine, x, y, labels) for x, y in zip(p, p[1:], strict=False)]) for p in paths]
    chains.sort(key=lambda c: -c.value_usd)
    return PathResult(a, b, chains[:limit])


def _chosen(match: NodeMatch, node_id: str, label: str) -> NodeMatch:
    """``match`` with ``node_id`` as the chosen node and the others as alternatives."""
    if node_id == match.node_id:
        return match
    others = [(match.node_id, match.label), *[alt for alt in match.alternatives if alt[0] != node_id]]
    return NodeMatch(node_id, label, match.kind, others)
