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

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

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
    """Union-find over mention ids with cannot-link constraints.

    A mention's group record (members, unique identifiers, forbidden partners)
    is only made when a decision or an edge touches it: most mentions stay alone.
    """

    def __init__(self, mention_ids: Iterable[str], identifiers: dict[str, list[str]]) -> None:
        ids = list(mention_ids)
        self.parent: dict[str, str] = dict(zip(ids, ids, strict=True))
        self.identifiers = identifiers
        self._groups: dict[str, _Group] = {}

    def group(self, root: str) -> _Group:
        """The group whose representative is ``root``."""
        found = self._groups.get(root)
        if found is None:
            found = self._groups[root] = _Group({root}, _unique_ids(self.identifiers.get(root, ())))
        return found

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
        self.group(self.find(a)).forbidden.add(b)
        self.group(self.find(b)).forbidden.add(a)

    def conflict(self, a: str, b: str) -> str | None:
        """Why the groups of ``a`` and ``b`` must stay apart, or ``None``."""
        return self.roots_conflict(self.find(a), self.find(b))

    def roots_conflict(self, ra: str, rb: str) -> str | None:
        """``conflict`` of the groups represented by ``ra`` and ``rb``."""
        ga, gb = self.group(ra), self.group(rb)
        if ga.forbidden & gb.members or gb.forbidden & ga.members:
            return "an analyst decided they are different"
        for scheme, values in ga.ids.items():
            if scheme in gb.ids and not values & gb.ids[scheme]:
                return f"different {scheme.upper()}"
        return None

    def union(self, a: str, b: str) -> bool:
        """Join the groups of ``a`` and ``b``; False when already joined."""
        return self.join_roots(self.find(a), self.find(b))

    def join_roots(self, ra: str, rb: str) -> bool:
        """``union`` of the groups represented by ``ra`` and ``rb``."""
        if ra == rb:
            return False
        ga, gb = self.group(ra), self.group(rb)
        if len(ga.members) < len(gb.members):
            ra, rb, ga, gb = rb, ra, gb, ga
        del self._groups[rb]
        ga.members |= gb.members
        ga.forbidden |= gb.forbidden
        for scheme, values in gb.ids.items():
            ga.ids.setdefault(scheme, set()).update(values)
        self.parent[rb] = ra
        return True

    def members(self) -> Iterator[set[str]]:
        """Every group's members, lone mentions included."""
        for mid, parent in self.parent.items():
            if parent == mid:
                found = self._groups.get(mid)
                yield found.members if found is not None else {mid}


class Assignment(NamedTuple):
    """Where one mention ended up."""

    entity_id: str
    match_probability: float


def entity_id_for(members: Iterable[str]) -> str:
    """The stable id of a group: ``e-`` + the hash part of its smallest mention id."""
    return "e-" + min(members).removeprefix("m-")


def strongest_first(pairs: pa.Table, threshold: float) -> list[tuple[str, str, float]]:
    """The ``(mention_id_l, mention_id_r, match_probability)`` edges of scored ``pairs`` at or above
    ``threshold``, in the order ``cluster`` joins them: strongest first, ties by ids."""
    kept = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold)).sort_by([
        ("match_probability", "descending"), ("mention_id_l", "ascending"), ("mention_id_r", "ascending"),
    ])
    return list(zip(kept.column("mention_id_l").to_pylist(), kept.column("mention_id_r").to_pylist(),
                    kept.column("match_probability").to_pylist(), strict=True))


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
    # strongest first, ties by ids: two stable sorts in C (quick when ``strongest_first`` already ordered them)
    ranked = sorted((e for e in edges if e[2] >= threshold), key=itemgetter(0, 1))
    ranked.sort(key=itemgetter(2), reverse=True)
    find = clusters.find
    for a, b, p in ranked:
        if a not in known or b not in known:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            if clusters.roots_conflict(ra, rb) is not None:
                continue
            clusters.join_roots(ra, rb)
        # strongest first: a mention's first edge (or a same decision, 1.0) is its strongest link
        best.setdefault(a, p)
        best.setdefault(b, p)
    out: dict[str, Assignment] = {}
    for members in clusters.members():
        if len(members) == 1:
            (mid,) = members
            out[mid] = Assignment("e-" + mid.removeprefix("m-"), 1.0)
            continue
        eid = entity_id_for(members)
        for mid in members:
            out[mid] = Assignment(eid, round(best.get(mid, 1.0), 6))
    return out
