"""Candidate pairs (``resolve.candidates``): the weight bound never prunes a pair Splink would keep."""

from __future__ import annotations

import logging
import math
import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from splink import Linker

from diversion.engine import DuckDBEngine, InProcessLinkage
from diversion.resolve import candidates
from diversion.resolve.candidates import (
    UNBOUNDED_WEIGHT,
    Candidates,
    Filter,
    candidate_filter,
    candidate_records,
    comparison_bound,
    generators,
    level_weights,
    pair_bounds,
    staged_bound,
    value_masks,
    weight_cut,
)
from diversion.resolve.incremental import Previous, score_new_pairs
from diversion.resolve.linkage import register_same_name_lookup, same_name_lookup, score_pairs
from diversion.resolve.linkage_input import linkage_table
from diversion.resolve.mentions import collect_mentions
from diversion.resolve.model import PAIR_KEYS, PRIORS, settings
from diversion.resolve.synthetic import synthetic_shipments
from diversion.resolve.training import TrainedParams
from tests.resolve.conftest import Case, build_minicase

#: Importers spelt alike at near-identical addresses: a typo in the street with the same numbers (the "same
#: address" level) and with other numbers (not it). The synthetic parties' addresses are all spelt alike.
#: Then two at other numbers whose addresses share three words, their commonest ones (each has one of its own):
#: found by the words before each address's two commonest (``candidates._address_prefixes``), not after one.
_NEAR_ADDRESSES = [
    ("Kazanstankoimport OOO", "ul. Lenina 12, Kazan"),
    ("Kazanstankoimpor OOO", "ul. Lenona 12, Kazan"),
    ("Kazanstankoimprt OOO", "ul. Lenina 14, Kazan"),
    ("Kazanstanko-Import OOO", "ul Lenina 12 Kazan"),
    ("Tikhvinstankomash OOO", "Tikhvin Leningradskaya Zavodskaya 5 Severnaya"),
    ("Tikhvinstankomas OOO", "Tikhvin Leningradskaya Zavodskaya 9 Yuzhnaya"),
]


def _linkage_input(companies: int, per_company: int, seed: int) -> pa.Table:
    """The mini case (lists with aliases, registries, web sites, people), synthetic shipment parties, and
    ``_NEAR_ADDRESSES``."""
    engine = DuckDBEngine(":memory:")
    build_minicase(Case(engine))
    table, _ = synthetic_shipments(companies, per_company, seed=seed)
    near = table.slice(0, len(_NEAR_ADDRESSES)).to_pylist()
    for n, (row, (name, address)) in enumerate(zip(near, _NEAR_ADDRESSES, strict=True)):
        row.update(record_id=f"NEAR{n}", importer_name=name, importer_address=address, importer_country="RU",
                   importer_id=None, record_hash=f"near-{n}")
    engine.insert_arrow("shipments", pa.concat_tables([table, pa.Table.from_pylist(near, table.schema)]))
    return linkage_table(collect_mentions(engine, 500))


@pytest.fixture(scope="module")
def linkage_input() -> pa.Table:
    return _linkage_input(150, 4, 7)


@pytest.fixture(scope="module")
def trained(linkage_input: pa.Table) -> TrainedParams:
    params = score_pairs(linkage_input, 0.5).params
    assert params.method == "em"
    return params


def _splink_weights(table: pa.Table, params: TrainedParams) -> dict[tuple[str, str], float]:
    """Splink's match weight of every blocked pair (the model's own blocking, no threshold)."""
    backend = InProcessLinkage()
    try:
        linker = Linker(backend.register(table, "all_pairs"), settings(params.prior, params.levels, calibrated=True),
                        log_level=logging.ERROR)
        register_same_name_lookup(linker, backend, same_name_lookup(table, params.prior))
        rows = linker.inference.predict().as_pandas_dataframe()
    finally:
        backend.close()
    return {(min(a, b), max(a, b)): w for a, b, w in zip(rows.unique_id_l, rows.unique_id_r, rows.match_weight,
                                                          strict=True)}


@pytest.mark.parametrize("which", ["priors", "trained"])
def test_no_blocked_pair_weighs_more_than_its_bound(linkage_input: pa.Table, trained: TrainedParams,
                                                     which: str) -> None:
    params = TrainedParams() if which == "priors" else trained
    weights = _splink_weights(linkage_input, params)
    bounds = pair_bounds(linkage_input, params.levels).to_pylist()
    assert {(b["unique_id_l"], b["unique_id_r"]) for b in bounds} == set(weights)  # the same blocked pairs
    prior = math.log2(params.prior / (1 - params.prior))
    for b in bounds:
        weight = weights[(b["unique_id_l"], b["unique_id_r"])] - prior
        assert weight <= b["full"] + 1e-9, b
        assert b["full"] <= b["cheap"] + 1e-9, b
    # Not vacuous: the bound rules out most pairs at the review threshold, and is tight for some.
    cut = weight_cut(params.prior, 0.5)
    assert sum(b["full"] < cut for b in bounds) > len(bounds) / 2
    assert any(abs(weights[(b["unique_id_l"], b["unique_id_r"])] - prior - b["full"]) < 1e-6 for b in bounds)


@pytest.mark.parametrize("threshold", [0.05, 0.5, 0.9])
@pytest.mark.parametrize("which", ["priors", "trained"])
def test_candidates_give_the_pairs_of_every_blocked_pair(linkage_input: pa.Table, trained: TrainedParams,
                                                         which: str, threshold: float) -> None:
    params = TrainedParams() if which == "priors" else trained
    every = score_pairs(linkage_input, threshold, params=params, bound_pairs=False)
    bounded = score_pairs(linkage_input, threshold, params=params)
    assert every.pairs.num_rows > 20
    assert bounded.pairs.equals(every.pairs)
    assert bounded.bounded is not None and bounded.compared is not None
    assert bounded.compared < bounded.bounded
    condition = candidate_filter(params.levels, params.prior, threshold)
    assert condition is not None
    # Found by the values they share where every combination of levels reaching the cut needs one: fewer
    # pairs bounded than blocked (not counted then).
    assert (bounded.blocked is None) == (condition.shared is not None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_candidates_on_other_random_parties(seed: int) -> None:
    table = _linkage_input(60 + 40 * seed, 2 + seed, seed)
    trained = score_pairs(table, 0.5, seed=seed)
    every = score_pairs(table, 0.5, params=trained.params, bound_pairs=False)
    assert trained.pairs.equals(every.pairs)


def test_candidate_rows_name_each_pair_on_both_sides(linkage_input: pa.Table, trained: TrainedParams) -> None:
    condition = candidate_filter(trained.levels, trained.prior, 0.5)
    assert condition is not None
    chosen = candidate_records(linkage_input, condition)
    ends: dict[int, int] = {}
    for keys in chosen.records.column(PAIR_KEYS).to_pylist():
        for key in keys:
            ends[key] = ends.get(key, 0) + 1
    assert len(ends) == chosen.pairs and set(ends.values()) == {2}
    ids = chosen.records.column("unique_id").to_pylist()
    assert ids == sorted(ids) and chosen.records.schema.names[:-1] == linkage_input.schema.names


def test_mentions_with_several_names_are_never_pruned(linkage_input: pa.Table) -> None:
    bounds = pair_bounds(linkage_input, None).to_pylist()
    several = {i for i, names in zip(linkage_input.column("unique_id").to_pylist(),
                                     linkage_input.column("names_core").to_pylist(), strict=True)
               if names is None or len(names) != 1}
    assert several  # the lists' aliases
    pairs = [b for b in bounds if b["unique_id_l"] in several or b["unique_id_r"] in several]
    assert pairs and all(b["full"] >= UNBOUNDED_WEIGHT for b in pairs)


def test_ladder_tests_the_heaviest_level_first() -> None:
    weights = level_weights(None)["address"]
    sql = comparison_bound("address", weights)
    order = [sql.index(label) for label in ("jaro_winkler_similarity", "len(list_intersect", "list_has_any")]
    assert order == sorted(order)
    assert sql.endswith("ELSE 0.0::DOUBLE END")  # "different addresses" weighs less than a missing address
    # A level weighing no more than the levels always reachable is not tested.
    flat = {**weights, "an address word in common": -1.0}
    assert "list_has_any" not in comparison_bound("address", flat)


def test_nothing_is_pruned_without_a_threshold_or_when_every_pair_could_reach_it() -> None:
    assert candidate_filter(None, 0.002, 0.0) is None
    assert candidate_filter(None, 0.002, 1.0) is None
    assert candidate_filter(None, 0.9, 0.5) is None  # a prior this high reaches 0.5 on its own
    assert candidate_filter(None, 0.002, 0.5) is not None


@pytest.mark.parametrize("share", [0.1, 0.5])
def test_an_incremental_resolve_scores_the_pairs_of_a_full_one(linkage_input: pa.Table, trained: TrainedParams,
                                                                share: float) -> None:
    ids = linkage_input.column("unique_id")
    # A fixed part of the mentions is new: those whose id hash falls below ``share``.
    is_new = pa.array([int(i[2:6], 16) / 0x10000 < share for i in ids.to_pylist()])
    known = linkage_input.filter(pc.invert(is_new))
    before = score_pairs(known, 0.5, params=trained)
    previous = Previous(known.column("unique_id").combine_chunks(), before.pairs, trained)
    bounded = score_new_pairs(linkage_input, previous, 0.5)
    blocked = score_new_pairs(linkage_input, previous, 0.5, bound_pairs=False)
    whole = score_pairs(linkage_input, 0.5, params=trained)
    assert bounded.pairs.num_rows > before.pairs.num_rows
    assert bounded.pairs.equals(blocked.pairs)
    assert bounded.pairs.equals(whole.pairs)


def test_levels_that_cannot_be_weighed_are_never_pruned_on() -> None:
    weights = level_weights({"domain": {"same domain": (0.9, 0.0), "different domains": (0.0, 0.5)}})
    assert weights["domain"] == {"same domain": UNBOUNDED_WEIGHT, "different domains": -UNBOUNDED_WEIGHT}
    assert weights["name"]["same name"] == UNBOUNDED_WEIGHT  # the rarity-calibrated level


@pytest.mark.parametrize("which", ["priors", "trained"])
def test_staged_bound_lets_through_exactly_the_pairs_the_bound_does(linkage_input: pa.Table,
                                                                   trained: TrainedParams, which: str) -> None:
    params = TrainedParams() if which == "priors" else trained
    for threshold in (0.05, 0.5, 0.9):
        cut = weight_cut(params.prior, threshold)
        bounds = pair_bounds(linkage_input, params.levels, cut).to_pylist()
        assert [b["staged"] for b in bounds] == [b["cheap"] >= cut for b in bounds]
        assert 0 < sum(b["staged"] for b in bounds) < len(bounds)


def test_staged_bound_compares_the_addresses_first() -> None:
    sql = staged_bound(None, weight_cut(0.002, 0.5), loose=True)
    assert sql.startswith("CASE WHEN") and sql.count("ELSE FALSE END") == 1  # two links: address, then names
    first = sql[:sql.index(" THEN ((CASE")]
    assert "jaro_winkler_similarity(l.address_fp" in first and "jaro_winkler_similarity(l.core1" not in first


@hyp_settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=4)), max_size=12),
       st.integers(0, 3))
def test_lists_with_a_value_in_common_share_a_mask_bit(lists: list[list[str | None] | None], cut: int) -> None:
    """``value_masks``, the first pass's test for a value in common: never a miss (collisions only loosen it),
    empty and missing lists 0, the same masks whatever the array's chunks or slice."""
    array = pa.array([None, *lists], pa.list_(pa.string())).slice(1)  # a sliced array: offsets not at 0
    masks = value_masks(array).to_pylist()
    for i, a in enumerate(lists):
        assert (masks[i] == 0) == (not a)
        for j, b in enumerate(lists):
            if a and b and set(a) & set(b):
                assert masks[i] & masks[j], (a, b)
    chunked = pa.chunked_array([array.slice(0, cut), array.slice(cut)], array.type)
    assert value_masks(chunked).to_pylist() == masks


def _same_candidates(table: pa.Table, condition: Filter, fresh: pa.Array | None = None) -> int:
    """The candidates found by shared values are those of every blocked pair; returns how many there are."""
    assert condition.shared is not None
    by_values = candidate_records(table, condition, fresh=fresh)
    every = candidate_records(table, condition, fresh=fresh, shared=False)
    assert by_values.records.equals(every.records)
    assert by_values.pairs == every.pairs and by_values.blocked is None and every.blocked is not None
    assert by_values.bounded <= every.bounded
    return by_values.pairs


@pytest.mark.parametrize(("prior", "threshold"), [(1e-6, 0.9), (1e-5, 0.5)])
@pytest.mark.parametrize("which", ["priors", "trained"])
def test_candidates_found_by_the_values_they_share_are_those_of_every_blocked_pair(
        linkage_input: pa.Table, trained: TrainedParams, which: str, prior: float, threshold: float) -> None:
    # A prior as low as a large warehouse's: a near name alone cannot reach the threshold (at 0.5 with the
    # priors, a near name in the same country with three address words in common can: ``address_prefix``).
    condition = candidate_filter(None if which == "priors" else trained.levels, prior, threshold)
    assert condition is not None and condition.shared is not None
    assert _same_candidates(linkage_input, condition) > 20
    # Only the pairs with a fresh row (an update's new mentions), found alike.
    ids = linkage_input.column("unique_id")
    fresh = ids.filter(pa.array([int(i[2:6], 16) < 0x4000 for i in ids.to_pylist()]))
    assert _same_candidates(linkage_input, condition, fresh.combine_chunks()) > 0


def _candidate_pairs(found: Candidates) -> set[tuple[str, str]]:
    """The candidate pairs of ``found``, as (smaller id, larger id)."""
    ends: dict[int, list[str]] = {}
    for uid, keys in zip(found.records.column("unique_id").to_pylist(),
                         found.records.column(PAIR_KEYS).to_pylist(), strict=True):
        for key in keys:
            ends.setdefault(key, []).append(uid)
    assert all(len(two) == 2 for two in ends.values())
    return {(min(two), max(two)) for two in ends.values()}


@pytest.mark.parametrize("shared", [True, False])
def test_an_updates_candidates_are_the_full_runs_with_a_new_mention(
        linkage_input: pa.Table, trained: TrainedParams, shared: bool) -> None:
    """With ``fresh`` only the rows blocking with a fresh one are read: the pairs are still exactly the ones a
    run over every row finds that hold a fresh row (checked against a run without ``fresh``)."""
    condition = candidate_filter(trained.levels, 1e-5, 0.5)
    assert condition is not None
    ids = linkage_input.column("unique_id")
    fresh = ids.filter(pa.array([int(i[2:6], 16) < 0x3000 for i in ids.to_pylist()])).combine_chunks()
    new = set(fresh.to_pylist())
    every = _candidate_pairs(candidate_records(linkage_input, condition, shared=shared))
    wanted = {pair for pair in every if new & set(pair)}
    assert wanted and wanted != every
    assert _candidate_pairs(candidate_records(linkage_input, condition, fresh=fresh, shared=shared)) == wanted


@hyp_settings(max_examples=8, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_any_share_of_new_mentions_gets_the_full_runs_pairs(linkage_input: pa.Table, trained: TrainedParams,
                                                            share: float, seed: int) -> None:
    """Whatever rows are new (one, a few, most, all), an update's candidates are the full run's pairs with a
    new row: the near rows are found from the new rows' keys alone."""
    condition = candidate_filter(trained.levels, 1e-5, 0.5)
    assert condition is not None
    ids = sorted(linkage_input.column("unique_id").to_pylist())
    rng = random.Random(seed)
    new = {i for i in ids if rng.random() < share} or {rng.choice(ids)}
    every = _candidate_pairs(candidate_records(linkage_input, condition))
    found = _candidate_pairs(candidate_records(linkage_input, condition, fresh=pa.array(sorted(new))))
    assert found == {pair for pair in every if new & set(pair)}


def test_a_low_threshold_bounds_every_blocked_pair() -> None:
    """A near name alone reaches p ≥ 0.5 with the priors and their prior: no value is needed."""
    condition = candidate_filter(None, 0.002, 0.5)
    assert condition is not None and condition.shared is None


_LEVEL_LABELS = [(name, label) for name, levels in PRIORS.items() for label, _, _ in levels]


@hyp_settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 1.0), st.floats(1.0, 6.0)), min_size=len(_LEVEL_LABELS),
                max_size=len(_LEVEL_LABELS)),
       st.sampled_from([0.2, 0.5, 0.9]), st.integers(0, 2))
def test_any_model_finds_the_same_candidates_by_shared_values(linkage_input: pa.Table,
                                                              m_u: list[tuple[float, float]],
                                                              threshold: float, lower: int) -> None:
    """Whatever the model's weights, the values ``generators`` chooses find every candidate.

    Each level's u is 10^-k (the last, "anything else", level's m small and u large, as any model has them); the
    prior is the largest power of ten, or one to two below it, at which some value is needed.
    """
    levels: dict[str, dict[str, tuple[float, float]]] = {}
    for (name, label), (m, k) in zip(_LEVEL_LABELS, m_u, strict=True):
        last = label == PRIORS[name][-1][0]
        levels.setdefault(name, {})[label] = (m / 5, 1 - 10 ** -k) if last else (m, 10 ** -k)
    priors = (10.0 ** -e for e in range(3, 60))
    first = next(e for e, prior in enumerate(priors, 3)
                 if (found := candidate_filter(levels, prior, threshold)) is not None and found.shared is not None)
    condition = candidate_filter(levels, 10.0 ** -(first + lower), threshold)
    assert condition is not None and condition.shared is not None
    _same_candidates(linkage_input, condition)



def test_generators_cover_every_combination_reaching_the_cut() -> None:
    """With the priors at p ≥ 0.9 and a prior of 1e-5: a same domain, an identifier, a same address (its
    numbers) or the same name is needed; at 0.5 a near name with a country and three address words in common
    is enough (the addresses then share a word of their prefixes); at a prior of 0.002 a near name alone."""
    assert generators(None, weight_cut(1e-5, 0.9)) == ("core1", "unnamed", "domain", "identifiers",
                                                        "address_numbers")
    assert generators(None, weight_cut(1e-5, 0.5)) == ("core1", "unnamed", "domain", "identifiers",
                                                        "address_numbers", "address_prefix")
    assert generators(None, weight_cut(0.002, 0.5)) is None
    # The same name alone reaches any cut (its weight grows with its rarity): needed at any threshold.
    strict = generators(None, weight_cut(1e-9, 0.999))
    assert strict is not None and strict[:2] == ("core1", "unnamed")


def test_real_listed_entities_give_the_same_candidates_by_shared_values() -> None:
    """Real OpenSanctions entities (``tests/data/sanctions/yente_zala.ftm.json``: companies and people with
    aliases, addresses, identifiers), not data this project made: both paths give the same candidates, with
    the priors at a large warehouse's prior and at the cut where the address words are needed."""
    from pathlib import Path

    from diversion.sources import ingest_file

    engine = DuckDBEngine(":memory:")
    ingest_file(engine, "sanctions", Path(__file__).parents[1] / "data" / "sanctions" / "yente_zala.ftm.json")
    table = linkage_table(collect_mentions(engine, 500))
    assert table.num_rows > 10
    found = 0
    for prior, threshold in ((1e-6, 0.9), (1e-5, 0.5)):
        condition = candidate_filter(None, prior, threshold)
        assert condition is not None and condition.shared is not None
        found += _same_candidates(table, condition)
    assert found > 0


@pytest.mark.parametrize("new_share", [None, 0x3000])
def test_candidates_are_the_same_in_one_part_or_many(linkage_input: pa.Table, trained: TrainedParams,
                                                     monkeypatch: pytest.MonkeyPatch, new_share: int | None) -> None:
    """Pairs are generated part by part (an update's with a larger budget, ``GENERATED_PER_FRESH_PART``): each
    pair in exactly one part, so the candidates, their numbers and the counts do not depend on how many parts."""
    condition = candidate_filter(trained.levels, 1e-5, 0.5)
    assert condition is not None and condition.shared is not None
    ids = linkage_input.column("unique_id")
    fresh = None if new_share is None else ids.filter(
        pa.array([int(i[2:6], 16) < new_share for i in ids.to_pylist()])).combine_chunks()
    whole = candidate_records(linkage_input, condition, fresh=fresh)
    for budget in (150, 1500):  # about a hundred parts, then ten
        monkeypatch.setattr(candidates, "GENERATED_PER_PART", budget)
        monkeypatch.setattr(candidates, "GENERATED_PER_FRESH_PART", budget)
        parted = candidate_records(linkage_input, condition, fresh=fresh)
        assert parted.records.equals(whole.records)
        assert (parted.pairs, parted.bounded) == (whole.pairs, whole.bounded)
    assert whole.pairs > 20
