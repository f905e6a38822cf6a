"""Find a node from what a person types: an id, a brand, or a (partial, misspelt) name."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from diversion.engine import Engine
from diversion.errors import DiversionError


@dataclass(frozen=True)
class NodeMatch:
    """The chosen node and the other candidates a person may have meant."""

    node_id: str
    label: str
    kind: str
    alternatives: list[tuple[str, str]]


def find_node(engine: Engine, text: str, kinds: tuple[str, ...] = ("entity", "brand")) -> NodeMatch:
    """Resolve ``text`` to one node of the network.

    Tried in order: an exact node id (``brand:`` ids too); an exact name
    (any of an entity's names, case-insensitive); then the closest name by
    token-set similarity (≥ 80). Ties go to the best-connected node, so the
    Kometa that trades beats a namesake that only sits in a registry.
    """
    if not engine.table_exists("nodes") or not engine.count("nodes"):
        raise DiversionError("the warehouse has no network yet; run `diversion graph` first")
    kind_list = ", ".join(f"'{k}'" for k in kinds)
    exact = engine.fetch_all(
        f"SELECT node_id, label, kind FROM nodes WHERE node_id IN (?, ?) AND kind IN ({kind_list})",
        [text, "brand:" + text.strip().lower()])
    if exact:
        return NodeMatch(exact[0][0], exact[0][1], exact[0][2], [])
    rows = engine.fetch_all(f"""
        SELECT n.node_id, n.label, n.kind, coalesce(d.degree, 0) AS degree,
               list_distinct(list_concat([n.label], coalesce(e.names, []))) AS names
        FROM nodes n
        LEFT JOIN entities e ON e.entity_id = n.node_id
        LEFT JOIN (SELECT node, count(*) AS degree FROM (
                       SELECT source AS node FROM edges WHERE kind <> 'country'
                       UNION ALL SELECT target FROM edges WHERE kind <> 'country') GROUP BY node) d
          ON d.node = n.node_id
        WHERE n.kind IN ({kind_list})""")
    wanted = text.strip().lower()
    scored: list[tuple[float, int, str, str, str]] = []
    for node_id, label, kind, degree, names in rows:
        names = [n for n in (names or []) if n]
        if any(n.lower() == wanted for n in names):
            best = 101.0 + (1 if kind == "brand" else 0)
        else:
            hit = process.extractOne(text, names, scorer=fuzz.token_set_ratio) if names else None
            best = float(hit[1]) if hit else 0.0
        if best >= 80:
            scored.append((best, int(degree), node_id, label, kind))
    if not scored:
        raise DiversionError(f"no entity or brand matches {text!r}; try an entity id from `diversion leads`")
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    top = scored[0]
    return NodeMatch(top[2], top[3], top[4], [(s[2], s[3]) for s in scored[1:6]])
