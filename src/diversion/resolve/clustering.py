"""Group linked mentions into entities, honouring analyst decisions.

Edges at or above ``link_threshold`` join mentions, strongest first (ties by
id, so the result never depends on row order). Like nomenklatura's resolver:

- a **same** decision joins two mentions whatever the model says;
- a **different** decision forbids the two mentions from ever sharing an
  entity: an edge that would join their groups is skipped;
- two groups that carry different values of a one-per-company identifier
  (INN, OGRN, LEI, IMO) are not joined by the model either.

An entity's id is ``e-`` plus the hash part of its smallest mention id, so the
same data gives the same ids on every run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: Identifier schemes a company has exactly one of: different values mean different companies.
UNIQUE_SCHEMES = frozenset({"inn", "ogrn", "lei", "imo"})


@dataclass
class _Group:
    members: set[str]
    ids: dict[str, set[str]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)


def _unique_ids(identifiers: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ident in identifiers:
        scheme, _, value = ident.partition(":")
        if scheme in UNIQUE_SCHEMES:
            out.setdefault(scheme, set()).add(value)
    return out


class Clusters:
    """Union-find over mention ids with cannot-link constraints."""

    def __init__(self, mention_ids: Iterable[str], identifiers: dict[str, list[str]]) -> None:
        self.parent: dict[str, str] = {}
        self.groups: dict[str, _Group] = {}
        for mid in mention_ids:
            self.parent[mid] = mid
            self.groups[mid] = _Group({mid}, _unique_ids(identifiers.get(mid, [])))

    def find(self, mid: str) -> str:
        """The representative of ``mid``'s group."""
        root = mid
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[mid] != root:
            self.parent[mid], mid = root, self.parent[mid]
        return root

    def forbid(self, a: str, b: str) -> None:
        """``a`` and ``b`` must never share a group."""
        self.groups[self.find(a)].forbidden.add(b)
        self.groups[self.find(b)].forbidden.add(a)

    def conflict(self, a: str, b: str) -> str | None:
        """Why the groups of ``a`` and ``b`` must stay apart, or ``None``."""
        ga, gb = self.groups[self.find(a)], self.groups[self.find(b)]
        if ga.forbidden & gb.members or gb.forbidden & ga.members:
            return "an analyst decided they are different"
        for scheme, values in ga.ids.items():
            if scheme in gb.ids and not values & gb.ids[scheme]:
                return f"different {scheme.upper()}"
        return None

    def union(self, a: str, b: str) -> bool:
        """Join the groups of ``a`` and ``b``; False when already joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if len(self.groups[ra].members) < len(self.groups[rb].members):
            ra, rb = rb, ra
        ga, gb = self.groups[ra], self.groups.pop(rb)
        ga.members |= gb.members
        ga.forbidden |= gb.forbidden
        for scheme, values in gb.ids.items():
            ga.ids.setdefault(scheme, set()).update(values)
        self.parent[rb] = ra
        return True


@dataclass(frozen=True)
class Assignment:
    """Where one mention ended up."""

    entity_id: str
    match_probability: float


def entity_id_for(members: Iterable[str]) -> str:
    """The stable id of a group: ``e-`` + the hash part of its smallest mention id."""
    return "e-" + min(members).removeprefix("m-")


def cluster(
    mention_ids: list[str],
    edges: Iterable[tuple[str, str, float]],
    threshold: float,
    same: Iterable[tuple[str, str]] = (),
    different: Iterable[tuple[str, str]] = (),
    identifiers: dict[str, list[str]] | None = None,
) -> dict[str, Assignment]:
    """Assign every mention to an entity; see the module docstring for the rules."""
    clusters = Clusters(mention_ids, identifiers or {})
    best: dict[str, float] = {}
    known = clusters.parent
    for a, b in different:
        if a in known and b in known:
            clusters.forbid(a, b)
    for a, b in same:
        if a in known and b in known:
            clusters.union(a, b)
            best[a] = best[b] = 1.0
    ranked = sorted((e for e in edges if e[2] >= threshold), key=lambda e: (-e[2], e[0], e[1]))
    for a, b, p in ranked:
        if a not in known or b not in known or clusters.find(a) == clusters.find(b):
            if a in known and b in known:
                best[a], best[b] = max(best.get(a, 0.0), p), max(best.get(b, 0.0), p)
            continue
        if clusters.conflict(a, b) is None:
            clusters.union(a, b)
            best[a], best[b] = max(best.get(a, 0.0), p), max(best.get(b, 0.0), p)
    out: dict[str, Assignment] = {}
    for group in clusters.groups.values():
        eid = entity_id_for(group.members)
        for mid in group.members:
            out[mid] = Assignment(eid, 1.0 if len(group.members) == 1 else round(best.get(mid, 1.0), 6))
    return out
