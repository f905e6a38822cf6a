"""Clustering: the component shortcut gives what the greedy union-find gives on everything."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.names.normalise import han_place
from diversion.resolve.clustering import (
    _greedy,
    cluster,
    cluster_identifiers,
    entity_column,
    listing_keys,
    name_numbers,
    strongest_first,
)
from diversion.resolve.entities import entity_mentions_table
from diversion.resolve.linkage import PAIRS_SCHEMA

IDS = [f"m-{i:02d}" for i in range(12)]


def _pairs(edges: list[tuple[int, int, float]]) -> pa.Table:
    rows = {(min(a, b), max(a, b)): p for a, b, p in edges if a != b}
    return pa.table({
        "mention_id_l": [IDS[a] for a, _ in rows], "mention_id_r": [IDS[b] for _, b in rows],
        "match_probability": list(rows.values()), "match_weight": [0.0] * len(rows),
    }, schema=PAIRS_SCHEMA)


ids_ = st.integers(0, len(IDS) - 1)
edges_ = st.lists(st.tuples(ids_, ids_, st.sampled_from([0.5, 0.91, 0.93, 0.95, 0.99])), max_size=30)
decisions_ = st.lists(st.tuples(ids_, ids_).filter(lambda p: p[0] != p[1]), max_size=3)
identifiers_ = st.dictionaries(ids_, st.lists(st.sampled_from(["inn:1", "inn:2", "ogrn:7", "reg:5", "name-place:佛山市",
                                                                   "name-place:宁波市", "name-numbers:45"]), min_size=1,
                                              max_size=2), max_size=5)


@settings(max_examples=300, deadline=None)
@given(edges_, decisions_, decisions_, identifiers_)
def test_components_match_the_greedy_union_find(edges, same, different, identifiers) -> None:
    pairs = _pairs(edges)
    same_ids = [(IDS[a], IDS[b]) for a, b in same]
    different_ids = [(IDS[a], IDS[b]) for a, b in different]
    idents = {IDS[i]: v for i, v in identifiers.items()}
    links = pairs.filter(pc.greater_equal(pairs.column("match_probability"), 0.9))
    expected = _greedy(IDS, strongest_first(links), same_ids, different_ids, idents)
    assert cluster(list(reversed(IDS)), pairs, 0.9, same_ids, different_ids, idents) == expected


def test_a_conflict_only_splits_its_own_component() -> None:
    pairs = _pairs([(0, 1, 0.99), (1, 2, 0.95), (3, 4, 0.97)])
    out = cluster(IDS[:6], pairs, 0.9, identifiers={IDS[0]: ["inn:1"], IDS[2]: ["inn:2"]})
    assert out[IDS[0]].entity_id == out[IDS[1]].entity_id != out[IDS[2]].entity_id  # 1-2 refused: INN differs
    assert out[IDS[3]].entity_id == out[IDS[4]].entity_id == "e-03"
    assert out[IDS[4]].match_probability == 0.97 and out[IDS[5]].match_probability == 1.0


@settings(max_examples=100, deadline=None)
@given(edges_, decisions_, identifiers_, st.permutations(IDS))
def test_the_assignments_read_as_columns_are_the_ones_looked_up(edges, different, identifiers, order) -> None:
    """``cluster``'s answer read as Arrow (the ``entity_mentions`` table, an entity column in any mention
    order) says what looking each mention up says; a mention it does not hold is not there."""
    out = cluster(IDS, _pairs(edges), 0.9, different=[(IDS[a], IDS[b]) for a, b in different],
                  identifiers={IDS[i]: v for i, v in identifiers.items()})
    looked_up = {m: out[m] for m in IDS}
    assert entity_mentions_table(IDS, out).to_pylist() == entity_mentions_table(IDS, looked_up).to_pylist()
    mentions = pa.table({"mention_id": order})
    assert entity_column(mentions, out).to_pylist() == [looked_up[m].entity_id for m in order]
    assert "m-99" not in out and len(out) == len(IDS) and list(out) == IDS


def test_a_short_spelling_joins_one_of_the_firms_its_name_could_be() -> None:
    """The same Chinese trade name registered in two places, or an English name numbered twice: a mention
    without the place or the number links to both (same core name), but only one of them gets it."""
    names = ["佛山市永信进出口有限公司", "宁波市永信进出口有限公司", "永信进出口有限公司",
             "Jiali Machine Tool 45 Co", "Jiali Machine Tool 29 Co", "Jiali Machine Tool Co"]
    norms = ["yong xin jin chu kou"] * 3 + ["jiali machine tool 45", "jiali machine tool 29", "jiali machine tool"]
    mentions = pa.table({"mention_id": IDS[:6], "identifiers": [None] * 6, "lists": [None] * 6,
                         "source_key": [str(i) for i in range(6)], "name_norm": norms, "name": names})
    pairs = _pairs([(0, 1, 0.99), (0, 2, 0.98), (1, 2, 0.98), (3, 5, 0.97), (4, 5, 0.97), (3, 4, 0.95)])
    out = cluster(IDS[:6], pairs, 0.9, identifiers=cluster_identifiers(mentions))
    entity = [out[m].entity_id for m in IDS[:6]]
    assert entity[0] != entity[1] and entity[2] in (entity[0], entity[1])
    assert entity[3] != entity[4] and entity[5] in (entity[3], entity[4])


def _identifiers_one_by_one(mentions: pa.Table) -> list[tuple[str, str]]:
    """``cluster_identifiers`` as the rules say it, mention by mention."""
    out = []
    for row in mentions.to_pylist():
        found = [*(row["identifiers"] or []), *listing_keys(row["lists"], row["identifiers"], row["source_key"])]
        if (numbers := name_numbers(row["name_norm"])) is not None:
            found.append(f"name-numbers:{numbers}")
        if (place := han_place(row["name"])) is not None:
            found.append(f"name-place:{place}")
        out.extend((row["mention_id"], i) for i in found)
    return sorted(out)


words_ = st.sampled_from(["45", "9", "09", "²", "٣", "12a", "tool", "佛山市", "永信", "ltd", "", "  "])
names_ = st.one_of(st.none(), st.lists(words_, max_size=4).map(" ".join), st.text(max_size=6))
mentions_ = st.lists(st.tuples(
    st.one_of(st.none(), st.lists(st.sampled_from(["inn:1", "ogrn:7", "referent:OFAC-1", "reg"]), max_size=2)),
    st.one_of(st.none(), st.lists(st.sampled_from(["us_ofac_sdn", "eu_fsf", ""]), max_size=2)),
    st.one_of(st.none(), st.sampled_from(["ofac-1", "x 2"])), names_, names_), max_size=8)


@settings(max_examples=300, deadline=None)
@given(mentions_)
def test_identifiers_in_arrow_are_the_rules_mention_by_mention(rows) -> None:
    strings = pa.list_(pa.string())
    mentions = pa.table({
        "mention_id": [f"m-{i}" for i in range(len(rows))], "identifiers": pa.array([r[0] for r in rows], strings),
        "lists": pa.array([r[1] for r in rows], strings), "source_key": pa.array([r[2] for r in rows], pa.string()),
        "name_norm": pa.array([r[3] for r in rows], pa.string()), "name": pa.array([r[4] for r in rows], pa.string()),
    })
    found = cluster_identifiers(mentions)
    assert sorted(zip(found.column("mention_id").to_pylist(), found.column("identifier").to_pylist(),
                      strict=True)) == _identifiers_one_by_one(mentions)
