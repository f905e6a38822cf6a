"""The network stage: nodes and edges from the resolved warehouse, paths, exports."""

from diversion.graph.build import PATH_EDGE_KINDS, GraphSummary, build_graph
from diversion.graph.export import FORMATS, export_network
from diversion.graph.lookup import NodeMatch, find_node
from diversion.graph.paths import Chain, Hop, PathResult, shortest_chains

__all__ = ["FORMATS", "PATH_EDGE_KINDS", "Chain", "GraphSummary", "Hop", "NodeMatch", "PathResult", "build_graph",
           "export_network", "find_node", "shortest_chains"]
