"""Group linked mentions into entities, honouring analyst decisions.

Edges at or above ``link_threshold`` join mentions, strongest first (ties by
id, so the result never depends on row order). Like nomenklatura's resolver:

- a **same** decision joins two mentions whatever the model says;
- a **different** decision forbids the two mentions from ever sharing an
  entity: an edge that would join their groups is skipped;
- two groups that carry different values of a one-per-company identifier
  (INN, OGRN, LEI, IMO) are not joined by the model either;
- nor are two different entries of one list (``listing_keys``): a list names
  a party once, so two of its entries are two parties, however alike their
  names. One listing published twice (OFAC's CSV and OpenSanctions' copy)
  shares an entry id (``referents``) and is not kept apart;
- nor are groups whose names carry other numbers, or Chinese names registered
  in other places (``NAME_NUMBERS``, ``NAME_PLACE``): a spelling without
  them joins one such firm, not all.

An entity's id is ``e-`` plus the hash part of its smallest mention id, so the
same data gives the same ids on every run.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from diversion.arrays import split_words
from diversion.names.normalise import han_place

#: Identifier schemes a company has exactly one of: different values mean different companies.
UNIQUE_SCHEMES = frozenset({"inn", "ogrn", "lei", "imo"})
#: Prefix of the pseudo-scheme of a list's entries (``listing@us_ofac_sdn``): one entry per party and list.
LISTING_SCHEME = "listing@"
#: Pseudo-schemes of what in a name tells firms apart though normalisation keeps it out of the compared form
#: or the model weighs it lightly: the numbers in it (``Zavod No. 9``, ``Machine Tool 45``) and the place a
#: Chinese name is registered under (``佛山市`` / ``宁波市``). Groups with other values are other parties, so a
#: mention without one (a short or other-script spelling) joins one of them, not all.
NAME_NUMBERS, NAME_PLACE = "name-numbers", "name-place"
_NAME_SCHEMES = {NAME_NUMBERS: "other numbers in their names", NAME_PLACE: "Chinese names of other places"}


def name_numbers(name_norm: str | None) -> str | None:
    """The numbers of a normalised name as one value (``None``: it has none).

    >>> name_numbers("suzhou jiali machine tool 45"), name_numbers("zavod 9 2"), name_numbers("amg")
    ('45', '2 9', None)
    """
    numbers = sorted({t for t in (name_norm or "").split() if t.isdigit()})
    return " ".join(numbers) if numbers else None


def listing_keys(lists: list[str] | None, identifiers: list[str] | None, own_id: str | None = None) -> list[str]:
    """A listed mention's entry keys: per list, its own id and the ids it merges (``referent:``).

    Two groups with entries of one list and no entry id in common are two parties.

    >>> listing_keys(["us_ofac_sdn"], ["referent:OFAC1", "inn:7701"], "ofac-1")
    ['listing@us_ofac_sdn:OFAC1']
    """
    refs = {i.partition(":")[2] for i in identifiers or [] if i.startswith("referent:")}
    if own_id:  # as ``fields.clean_identifier`` writes a referent
        refs.add("".join(ch for ch in own_id.upper() if ch.isalnum()))
    return [f"{LISTING_SCHEME}{lst}:{ref}" for lst in lists or [] if lst for ref in sorted(refs)]


def cluster_identifiers(mentions: pa.Table) -> pa.Table:
    """Each mention's identifiers for clustering's rules, one ``(mention_id, identifier)`` row each: its
    identifiers, its list entries (``listing_keys``), the numbers in its name (``name_numbers``) and the place
    of a Chinese name (``han_place``).

    Worked out in Arrow, Python only on the rows that can hold the rarer ones (a list entry, a Han place) and
    once per distinct numeric word: at 3M shipment rows a Python loop over all 848k mentions took 3 s.
    """
    strings = pa.list_(pa.string())
    mentions = mentions.select(["mention_id", "identifiers", "lists", "source_key", "name_norm", "name"]).cast(
        pa.schema([("mention_id", pa.string()), ("identifiers", strings), ("lists", strings),
                   ("source_key", pa.string()), ("name_norm", pa.string()), ("name", pa.string())]))
    mids = mentions.column("mention_id").combine_chunks()
    idents = mentions.column("identifiers").combine_chunks()
    parts = [pa.table({"mention_id": mids.take(pc.list_parent_indices(idents)), "identifier": pc.list_flatten(idents)})]

    def rows_where(mask: pa.ChunkedArray | pa.Array, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
        chosen = mentions.filter(pc.fill_null(mask, False))
        return zip(*(chosen.column(c).to_pylist() for c in columns), strict=True)

    extra: list[tuple[str, str]] = []
    with_lists = pc.greater(pc.list_value_length(mentions.column("lists")), 0)
    for mid, found, lists, own in rows_where(with_lists, ("mention_id", "identifiers", "lists", "source_key")):
        extra.extend((mid, key) for key in listing_keys(lists, found, own))
    parts.append(_name_numbers(mids, mentions.column("name_norm").combine_chunks()))
    # A superset of the rows ``han_place`` finds a place in (any Han character).
    han = pc.match_substring_regex(mentions.column("name"), r"[\x{4e00}-\x{9fff}]")
    for mid, name in rows_where(han, ("mention_id", "name")):
        if (place := han_place(name)) is not None:
            extra.append((mid, f"{NAME_PLACE}:{place}"))
    parts.append(identifier_rows(extra))
    return pa.concat_tables(parts).filter(pc.is_valid(pc.field("identifier")))


def _name_numbers(mids: pa.Array, norms: pa.Array) -> pa.Table:
    """``name_numbers`` of each name in ``norms`` as ``(mention_id, identifier)`` rows, in Arrow."""
    words = split_words(norms)
    word = pc.list_flatten(words)
    owner = pc.list_parent_indices(words)
    # Words of numeric characters (a superset: ``str.isdigit`` is the rule), checked once per distinct word.
    numeric = pc.match_substring_regex(word, r"^\p{N}+$")
    candidates = pc.unique(word.filter(numeric))
    digits = pa.array([w for w in candidates.to_pylist() if w.isdigit()], pa.string())
    chosen = pc.is_in(word, value_set=digits)
    found = pa.table({"row": owner.filter(chosen), "word": word.filter(chosen)}).group_by(["row", "word"]).aggregate(
        []).sort_by([("row", "ascending"), ("word", "ascending")])  # distinct, sorted as ``sorted`` sorts str
    rows = found.column("row").to_numpy()
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.array([], np.int64)
    offsets = pa.array(np.r_[starts, len(rows)].astype(np.int32))
    numbers = pa.ListArray.from_arrays(offsets, found.column("word").combine_chunks())
    return pa.table({"mention_id": mids.take(pa.array(rows[starts])),
                     "identifier": pc.binary_join_element_wise(NAME_NUMBERS + ":", pc.binary_join(numbers, " "), "")})


def identifier_rows(identifiers: Mapping[str, Iterable[str]] | Iterable[tuple[str, str]]) -> pa.Table:
    """``cluster_identifiers``' table of ``identifiers``: by mention id, or ``(mention_id, identifier)`` pairs."""
    pairs = ([(mid, i) for mid, found in identifiers.items() for i in found] if isinstance(identifiers, Mapping)
             else list(identifiers))
    return pa.table({"mention_id": pa.array([p[0] for p in pairs], pa.string()),
                     "identifier": pa.array([p[1] for p in pairs], pa.string())})


@dataclass
class _Group:
    members: set[str]
    ids: dict[str, set[str]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)


def _unique_ids(identifiers: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ident in identifiers:
        scheme, _, value = ident.partition(":")
        if scheme in UNIQUE_SCHEMES or scheme in _NAME_SCHEMES or scheme.startswith(LISTING_SCHEME):
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

    def conflict(self, ra: str, rb: str) -> str | None:
        """Why the groups represented by ``ra`` and ``rb`` must stay apart, or ``None``."""
        ga, gb = self.group(ra), self.group(rb)
        if ga.forbidden & gb.members or gb.forbidden & ga.members:
            return "an analyst decided they are different"
        for scheme, values in ga.ids.items():
            if scheme in gb.ids and not values & gb.ids[scheme]:
                if scheme.startswith(LISTING_SCHEME):
                    return f"two entries of the list {scheme.removeprefix(LISTING_SCHEME)}"
                if scheme in _NAME_SCHEMES:
                    return _NAME_SCHEMES[scheme]
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


class Assignments(Mapping[str, Assignment]):
    """Where every mention ended up, by mention id: ``cluster``'s answer, held as columns.

    At 10M shipment rows a dictionary of 2.8M ``Assignment`` s took 6 s to build and 2 s more to read back
    as the ``entity_mentions`` table; the columns are read as Arrow (``table``, ``entity_column``), and a
    mention's assignment is looked up by bisection in the sorted ids.
    """

    def __init__(self, ids: list[str], entity: pa.Array, probability: np.ndarray) -> None:
        self.ids, self.entity, self.probability = ids, entity, probability  # ids sorted; the others in their order

    def __getitem__(self, mention_id: str) -> Assignment:
        at = bisect_left(self.ids, mention_id)
        if at == len(self.ids) or self.ids[at] != mention_id:
            raise KeyError(mention_id)
        return Assignment(self.entity[at].as_py(), float(self.probability[at]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def table(self) -> pa.Table:
        """The ``entity_mentions`` warehouse table (mention ids sorted)."""
        return pa.table({"mention_id": pa.array(self.ids, pa.string()), "entity_id": self.entity.cast(pa.string()),
                         "match_probability": pa.array(self.probability, pa.float64())})


def entity_column(mentions: pa.Table, assignments: Mapping[str, Assignment]) -> pa.Array:
    """The entity id of each of ``mentions``, in their order."""
    if isinstance(assignments, Assignments):
        at = pc.index_in(mentions.column("mention_id"), value_set=pa.array(assignments.ids, pa.string()))
        if at.null_count:
            raise KeyError("a mention without an assignment")
        return assignments.entity.take(at).cast(pa.string())
    return pa.array([assignments[m].entity_id for m in mentions.column("mention_id").to_pylist()], pa.string())


def entity_id_for(members: Iterable[str]) -> str:
    """The stable id of a group: ``e-`` + the hash part of its smallest mention id."""
    return "e-" + min(members).removeprefix("m-")


def strongest_first(pairs: pa.Table) -> list[tuple[str, str, float]]:
    """The ``(mention_id_l, mention_id_r, match_probability)`` edges of ``pairs``, strongest first, ties by ids."""
    ranked = pairs.sort_by([
        ("match_probability", "descending"), ("mention_id_l", "ascending"), ("mention_id_r", "ascending"),
    ])
    return list(zip(ranked.column("mention_id_l").to_pylist(), ranked.column("mention_id_r").to_pylist(),
                    ranked.column("match_probability").to_pylist(), strict=True))


def cluster(
    mention_ids: list[str],
    pairs: pa.Table,
    threshold: float,
    same: Iterable[tuple[str, str]] = (),
    different: Iterable[tuple[str, str]] = (),
    identifiers: pa.Table | Mapping[str, list[str]] | None = None,
) -> Assignments:
    """Assign every mention to an entity; see the module docstring for the rules.

    ``pairs``: scored pairs (``mention_id_l``, ``mention_id_r``,
    ``match_probability``). ``identifiers``: ``cluster_identifiers``' table, or
    each mention's identifiers by id. The links and same decisions are first grouped
    into connected components (scipy). In a component that holds no different
    decision and no two values of a one-per-company identifier nothing can be
    refused, so the component is the entity and each mention's probability is
    its strongest link. Only the other components go through the greedy
    union-find, strongest link first; the result is the same as running it on
    everything.
    """
    ids = sorted(mention_ids)
    value_set = pa.array(ids, pa.string())
    same, different = list(same), list(different)
    # Positions of the decided mentions only (a dictionary of every id was a second at 10M shipment rows).
    decided = pa.array([m for pair in (*same, *different) for m in pair], pa.string())
    index = {m: i for m, i in zip(decided.to_pylist(), pc.index_in(decided, value_set=value_set).to_pylist(),
                                  strict=True) if i is not None}
    same = [(a, b) for a, b in same if a in index and b in index]
    different = [(a, b) for a, b in different if a in index and b in index]
    said = identifiers if isinstance(identifiers, pa.Table) else identifier_rows(identifiers or {})
    links = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
    # Every id looked up in one pass (a 3M-row warehouse's 848k ids hashed once, not three times).
    looked_up = (links.column("mention_id_l"), links.column("mention_id_r"), said.column("mention_id"))
    at = pc.index_in(pa.chunked_array([c.cast(pa.string()) for column in looked_up for c in column.chunks],
                                      pa.string()), value_set=value_set)
    left, right, owner = (at.slice(start, length) for start, length in (
        (0, links.num_rows), (links.num_rows, links.num_rows), (2 * links.num_rows, said.num_rows)))
    known = pc.and_(pc.is_valid(left), pc.is_valid(right))
    links, left, right = links.filter(known), left.filter(known), right.filter(known)
    lefts = left.to_numpy().astype(np.int64)
    rights = right.to_numpy().astype(np.int64)
    probability = links.column("match_probability").to_numpy()
    same_idx = np.array([[index[a], index[b]] for a, b in same], dtype=np.int64).reshape(-1, 2)
    n = len(ids)
    graph = coo_matrix((np.ones(len(lefts) + len(same_idx), dtype=np.int8),
                        (np.concatenate([lefts, same_idx[:, 0]]), np.concatenate([rights, same_idx[:, 1]]))),
                       shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    first = np.full(count, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))  # ids are sorted: a component's first member has its smallest id
    size = np.bincount(labels, minlength=count)
    best = np.zeros(n)
    np.maximum.at(best, lefts, probability)
    np.maximum.at(best, rights, probability)
    best[same_idx.ravel()] = 1.0
    # A component's id is its first (smallest) mention's: ``e-`` + the hash part of the ``m-`` id.
    firsts = value_set.take(pa.array(first))
    named = pc.binary_join_element_wise(
        "e-", pc.if_else(pc.starts_with(firsts, "m-"), pc.utf8_slice_codeunits(firsts, 2), firsts), "")
    entity = named.take(pa.array(labels))
    best = np.where(size[labels] == 1, 1.0, best)  # a lone mention is certain
    said = said.filter(pc.is_valid(owner)).append_column("label", pa.array(labels[owner.drop_null().to_numpy()]))
    dirty = _contested(labels, index, different, said)
    if dirty:  # the greedy union-find, on those components only (components never interact)
        chosen = np.isin(labels, list(dirty))
        members = np.flatnonzero(chosen)
        inside = pa.array(np.isin(labels[lefts], list(dirty)))
        sub_ids = [ids[i] for i in members.tolist()]
        sub_identifiers: dict[str, list[str]] = {}
        mine = said.filter(pc.is_in(said.column("label"), value_set=pa.array(list(dirty), said.column("label").type)))
        for mid, ident in zip(mine.column("mention_id").to_pylist(), mine.column("identifier").to_pylist(),
                              strict=True):
            sub_identifiers.setdefault(mid, []).append(ident)
        greedy = _greedy(sub_ids, strongest_first(links.filter(inside)), same, different, sub_identifiers)
        placed = [greedy[mid] for mid in sub_ids]  # in ``members``' order, as the mask takes them
        entity = pc.replace_with_mask(entity, pa.array(chosen), pa.array([a.entity_id for a in placed], entity.type))
        best[members] = [a.match_probability for a in placed]
    # Rounded as ``round`` rounds (numpy's rounding can differ in the last digit); most are a lone mention's 1.0.
    # Each distinct value rounded once: a million links of a 10M-row warehouse hold a few thousand probabilities.
    inexact = np.flatnonzero(best != 1.0)
    values, where = np.unique(best[inexact], return_inverse=True)
    best[inexact] = np.array([round(p, 6) for p in values.tolist()], dtype=np.float64)[where]
    return Assignments(ids, entity, best)


def _contested(
    labels: np.ndarray, index: dict[str, int], different: list[tuple[str, str]], identifiers: pa.Table
) -> set[int]:
    """Components where a link may be refused: they hold a different decision or two values of a
    one-per-company identifier scheme (``identifiers``: ``cluster_identifiers``' rows with each one's ``label``)."""
    out = {int(labels[index[m]]) for pair in different for m in pair}
    # ``scheme:value`` split as ``str.partition`` splits it (no colon: all scheme, empty value)
    split = pc.split_pattern(identifiers.column("identifier"), ":", max_splits=1)
    scheme = pc.list_element(split, 0)
    unique = pc.or_(pc.is_in(scheme, value_set=pa.array(sorted(UNIQUE_SCHEMES | _NAME_SCHEMES.keys()))),
                    pc.starts_with(scheme, LISTING_SCHEME))
    rows = pa.table({"label": identifiers.column("label"), "scheme": scheme,
                     "value": pc.binary_join(pc.list_slice(split, 1), "")}).filter(unique)
    counted = rows.group_by(["label", "scheme"]).aggregate([("value", "count_distinct")])
    out.update(counted.filter(pc.greater(counted.column("value_count_distinct"), 1)).column("label").to_pylist())
    return out


def _greedy(
    mention_ids: list[str], ranked: list[tuple[str, str, float]], same: list[tuple[str, str]],
    different: list[tuple[str, str]], identifiers: dict[str, list[str]],
) -> dict[str, Assignment]:
    """Union-find over ``ranked`` links (strongest first), refusing those the rules forbid."""
    clusters = Clusters(mention_ids, identifiers)
    best: dict[str, float] = {}
    known = clusters.parent
    for a, b in different:
        if a in known and b in known:
            clusters.forbid(a, b)
    for a, b in same:
        if a in known and b in known:
            clusters.union(a, b)
            best[a] = best[b] = 1.0
    find = clusters.find
    for a, b, p in ranked:
        if a not in known or b not in known:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            if clusters.conflict(ra, rb) is not None:
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
