"""Candidate pairs: the blocked pairs whose match weight could reach the threshold (issue #19).

Blocking pairs every two mentions that share a rare word, a sound, a glued
prefix, an identifier or a domain: about 120 pairs per linkage record at 1M
shipment rows, of which fewer than 1 % score ``review_low`` or more. Splink
evaluates every comparison of every blocked pair (list lambdas over every
name form, both sides), which is most of resolve's time.

Before Splink, each blocked pair gets a cheap **upper bound of its match
weight**: per comparison, the weight of the best level the pair can still
reach, read off conditions that every pair at that level meets
(``model.NECESSARY``: two names can only be "similar spellings" if their
Jaro-Winkler similarity is at least 0.88, an identifier in common needs a
shared identifier...). The bound is the prior's weight plus each
comparison's best reachable weight, where a level whose condition fails is
out of reach and a missing value weighs 0. A pair whose bound is below the
weight of ``min_probability`` cannot be kept, so Splink never scores it: the
pairs that come out are exactly those that scoring every blocked pair gives
(tested, ``tests/resolve/test_candidates.py``). The same name has no bound (its
weight grows with the name's rarity), and a mention with several names (or
none) is never pruned.

With a large warehouse's model most blocked pairs are never looked at one by
one: a pair can only reach the cut when it shares a value that some heavy level
needs (the same name, an identifier, a domain, its address's numbers, an
address word where three in common are needed; ``SHARED``), so the candidates
are found by joining the records on those values within each blocking key
(``generators``), and only those pairs are bounded. Which values are needed
follows from the model's weights: every combination of levels whose weights
reach the cut must hold a level with such a value; when one does not (a low
threshold, a small warehouse's higher prior), every blocked pair is bounded.

Splink then compares only the candidates: each row carries the numbers of the
pairs it is in (``model.PAIR_KEYS``) and Splink's blocking joins on them.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from diversion.engine.linkage import in_memory_connection
from diversion.resolve.model import (
    ADDRESS_WORDS,
    NAME_VERY_SIMILAR,
    NECESSARY,
    PAIR_KEYS,
    PRIORS,
    UNBOUNDED,
    Levels,
    level_m_u,
)
from diversion.resolve.sorting import sorted_by

#: Stands for an unbounded weight in SQL (the same name's, a mention with several names).
UNBOUNDED_WEIGHT = 1e9
#: Added below the cut: a pair at the threshold is kept whatever the order Splink sums its weights in.
MARGIN = 1e-6
#: Blocked pairs are generated and bounded in parts of about this many linkage records (memory).
RECORDS_PER_PART = 40_000


def level_weights(params: Levels | None) -> dict[str, dict[str, float]]:
    """Each level's match weight log2(m/u); ``UNBOUNDED_WEIGHT`` for ``model.UNBOUNDED`` levels.

    A level that never occurs among non-matches (u = 0) is unbounded too; one that never occurs among
    matches (m = 0) weighs ``-UNBOUNDED_WEIGHT``.
    """
    def weight(name: str, label: str, m: float, u: float) -> float:
        if (name, label) in UNBOUNDED or u <= 0.0:
            return UNBOUNDED_WEIGHT
        return math.log2(m / u) if m > 0.0 else -UNBOUNDED_WEIGHT

    return {name: {label: weight(name, label, m, u) for label, (m, u) in levels.items()}
            for name, levels in level_m_u(params).items()}


# Looser conditions for the first, cheap pass: every list test becomes a test on 64-bit masks of the lists'
# values (a value in common → a bit in common; a shared bit that is a collision only loosens the bound).
# Scalars and bit operations are cheap on millions of pairs; the lists are read only in the second pass.
def _overlap(mask: str) -> str:
    return f"(l.{mask} & r.{mask}) <> 0"


LOOSE = {
    ("name", "same letters or same words reordered"):
        f"{_overlap('names_compact_mask')} OR {_overlap('names_sorted_mask')}",
    ("name", "very similar spelling or same sound"):
        f"jaro_winkler_similarity(l.core1, r.core1) >= {NAME_VERY_SIMILAR} OR {_overlap('names_phonetic_mask')}",
    ("name", "all words of one name in the other"):
        "least(l.name_tokens_count, r.name_tokens_count) >= 2 AND ((l.name_tokens_mask & r.name_tokens_mask) "
        "IN (l.name_tokens_mask, r.name_tokens_mask))",
    ("country", "same country"): _overlap("countries_mask"),
    ("address", "three address words in common"): _overlap("address_mask"),
    ("address", "an address word in common"): _overlap("address_mask"),
    ("identifiers", "an identifier in common"): _overlap("identifiers_mask"),
}
#: The mask columns ``LOOSE`` reads, and the list column each is made from.
MASKED = {"names_compact_mask": "names_compact", "names_sorted_mask": "names_sorted",
          "names_phonetic_mask": "names_phonetic", "name_tokens_mask": "name_tokens",
          "countries_mask": "countries", "address_mask": "address_tokens", "identifiers_mask": "identifiers"}


def comparison_bound(name: str, weights: dict[str, float], loose: bool = False, assume_costly: bool = False) -> str:
    """SQL: the best weight comparison ``name`` can give a pair.

    Levels without a condition (and the null level, weight 0) can always be
    reached (``_floor``); the others are tested from the heaviest down, and the
    first one whose condition holds bounds the weight. ``loose`` tests the
    ``LOOSE`` conditions where there are. ``assume_costly``: a condition that
    compares strings (``_costly``) is taken to hold, not tested (a looser bound
    that reads no string; ``staged_bound``).

    >>> comparison_bound("domain", {"same domain": 16.0, "different domains": -4.0})
    'CASE WHEN l.domain = r.domain THEN 16.0::DOUBLE ELSE 0.0::DOUBLE END'
    """
    conditions = _conditions(name, loose)
    floor = _floor(name, weights)
    ladder = sorted(((w, label) for label, w in weights.items() if label in conditions and w > floor), reverse=True)
    whens = [f"WHEN {'TRUE' if assume_costly and _costly(conditions[label]) else conditions[label]} THEN {_sql(w)}"
             for w, label in ladder]
    if name == "name":  # several names or none: not bounded here
        whens.insert(0, f"WHEN l.core1 IS NULL OR r.core1 IS NULL THEN {_sql(UNBOUNDED_WEIGHT)}")
    return f"CASE {' '.join(whens)} ELSE {_sql(floor)} END" if whens else _sql(floor)


def _conditions(name: str, loose: bool) -> dict[str, str]:
    """The conditions of comparison ``name``'s levels: ``model.NECESSARY``'s, or ``LOOSE``'s where there are."""
    conditions = NECESSARY.get(name, {})
    return {label: LOOSE.get((name, label), c) if loose else c for label, c in conditions.items()}


def _costly(condition: str) -> bool:
    """Whether ``condition`` compares two strings per pair (the bound's cost: masks and lengths are nearly free)."""
    return "jaro_winkler_similarity(" in condition


def _costly_drop(name: str, weights: dict[str, float], loose: bool) -> float:
    """How much lower ``name``'s bound can be when its string comparisons fail: the weight of its heaviest
    bounded level less that of its heaviest bounded level without one (0: no string comparison)."""
    conditions = _conditions(name, loose)
    bounded = {label: w for label, w in weights.items() if w < UNBOUNDED_WEIGHT}
    if not any(_costly(conditions[label]) for label in bounded if label in conditions):
        return 0.0
    cheap = [w for label, w in bounded.items() if label not in conditions or not _costly(conditions[label])]
    return max(bounded.values()) - max([_floor(name, weights)] + cheap)


def _floor(name: str, weights: dict[str, float]) -> float:
    """The weight comparison ``name`` may give any pair: its levels without a condition, or a missing value."""
    return max([0.0] + [w for label, w in weights.items() if label not in NECESSARY.get(name, {})])


def _sql(weight: float) -> str:
    """A weight as a SQL double (DuckDB reads ``9.64`` as a DECIMAL)."""
    return f"{weight!r}::DOUBLE"


def weight_bound(params: Levels | None, loose: bool = False, assumed: frozenset[str] = frozenset()) -> str:
    """SQL: an upper bound of a pair's match weight without the prior (the sum of ``comparison_bound``).

    ``assumed``: comparisons whose string comparisons are taken to hold (a looser bound, ``staged_bound``).
    """
    weights = level_weights(params)
    return " + ".join(f"({comparison_bound(name, weights[name], loose, name in assumed)})" for name in PRIORS)


def staged_bound(params: Levels | None, cut: float, loose: bool = False) -> str:
    """SQL: whether ``weight_bound`` reaches ``cut``, string comparisons tested only on the pairs that need them.

    Comparing strings (Jaro-Winkler of names and addresses) is most of the bound's cost on tens of millions
    of blocked pairs. The test is a chain of looser bounds: first every string comparison is taken to hold
    but one comparison's, then one more is tested, and so on; a pair goes on only while its bound still
    reaches ``cut``, and the last link is ``weight_bound`` itself, so the same pairs pass. The comparison
    whose failed string test lowers the bound most goes first (the address's at 3M shipment rows: 1 pair in
    20 has addresses that close). ``CASE`` keeps the order (DuckDB may reorder the terms of an ``AND``).
    """
    weights = level_weights(params)
    costly = sorted((name for name in PRIORS if _costly_drop(name, weights[name], loose) > 0.0),
                    key=lambda name: -_costly_drop(name, weights[name], loose))
    tests = [f"({weight_bound(params, loose, frozenset(costly[k + 1:]))}) >= {_sql(cut)}" for k in range(len(costly))]
    if not tests:
        return f"({weight_bound(params, loose)}) >= {_sql(cut)}"
    chained = tests[-1]
    for test in reversed(tests[:-1]):
        chained = f"CASE WHEN {test} THEN {chained} ELSE FALSE END"
    return chained


def weight_cut(prior: float, min_probability: float) -> float:
    """The weight without the prior that a pair needs to reach ``min_probability``.

    >>> round(weight_cut(0.5, 0.5), 6)
    -1e-06
    """
    return math.log2(min_probability / (1.0 - min_probability)) - math.log2(prior / (1.0 - prior)) - MARGIN


@dataclass(frozen=True)
class Filter:
    """SQL conditions on a blocked pair (``l.``, ``r.``) that hold when its weight can reach the threshold."""

    cheap: str  # first pass, on every blocked pair: the ``LOOSE`` conditions
    full: str  # second pass, on the pairs the first keeps: every condition of ``model.NECESSARY``
    # The values a pair must share to reach the threshold (``generators``): only the blocked pairs sharing one
    # are bounded. ``None``: every blocked pair is.
    shared: tuple[str, ...] | None = None


#: Per level, values of which a pair at that level shares at least one (``model.NECESSARY``'s condition implies
#: it; of a list column, a value of the lists): the pairs of such a level are found by joining the records on
#: the value within each blocking key, not among every blocked pair.
SHARED: dict[tuple[str, str], tuple[str, ...]] = {
    ("name", "same name"): ("core1",),
    ("name", "same letters or same words reordered"): ("names_compact", "names_sorted"),
    ("address", "same address"): ("address_numbers",),
    # Addresses with three words in common share one of each side's words but its two commonest (``_sharing``).
    ("address", "three address words in common"): ("address_prefix",),
    ("identifiers", "an identifier in common"): ("identifiers",),
    ("domain", "same domain"): ("domain",),
}
#: Stands for the records whose names the bound leaves unbounded (several names or none: no ``core1``): every
#: blocked pair of theirs is bounded.
UNNAMED = "unnamed"
#: The shared values in the order they are chosen in when a combination of levels holds several: fewest pairs first.
_PREFERRED = ("core1", UNNAMED, "domain", "identifiers", "address_numbers", "names_compact", "names_sorted",
              "address_prefix")
#: The list columns among them.
_LISTS = frozenset({"identifiers", "names_compact", "names_sorted", "address_prefix"})


def generators(params: Levels | None, cut: float) -> tuple[str, ...] | None:
    """The shared values (``SHARED``'s columns, ``UNNAMED``) of which every pair whose bound reaches ``cut``
    shares one; ``None`` when some combination of levels reaching it needs none (every blocked pair is bounded).

    A pair's bound is the sum of each comparison's heaviest level whose condition holds (or of its floor, what
    any pair may get). If that combination reaches the cut and holds a level of ``SHARED``, the pair shares the
    level's value. So every combination of levels (one per comparison, or its floor) that reaches the cut is
    checked to hold one, and one value is chosen per combination (``_PREFERRED``) unless one it holds already is.

    >>> generators(None, weight_cut(1e-5, 0.9))  # the priors, and a prior as low as a large warehouse's
    ('core1', 'unnamed', 'domain', 'identifiers', 'address_numbers')
    >>> generators(None, weight_cut(1e-5, 0.5))[-1]  # a near name, a country and three address words reach it
    'address_prefix'
    >>> generators(None, weight_cut(0.002, 0.5)) is None  # a near name alone reaches it
    True
    """
    weights = level_weights(params)
    options = []
    for name in PRIORS:
        floor = _floor(name, weights[name])
        conditions = NECESSARY.get(name, {})
        levels = [(w, SHARED.get((name, label), ())) for label, w in weights[name].items()
                  if label in conditions and w > floor]
        if name == "name":
            levels.append((UNBOUNDED_WEIGHT, (UNNAMED,)))
        options.append([(floor, ()), *levels])
    chosen: set[str] = set()
    for combination in itertools.product(*options):
        if sum(w for w, _ in combination) < cut:
            continue
        held = [values for _, values in combination if values]
        if not held:
            return None
        if not any(set(values) <= chosen for values in held):
            chosen.update(min(held, key=lambda values: min(_PREFERRED.index(v) for v in values)))
    return tuple(v for v in _PREFERRED if v in chosen)


def candidate_filter(params: Levels | None, prior: float, min_probability: float) -> Filter | None:
    """The conditions a blocked pair must meet to reach ``min_probability``, with the model ``params``/``prior``.

    ``None`` when nothing could be pruned (every pair's bound reaches the cut)
    or the threshold is not between 0 and 1.
    """
    if not 0.0 < min_probability < 1.0:
        return None
    cut = weight_cut(prior, min_probability)
    if sum(_floor(name, levels) for name, levels in level_weights(params).items()) >= cut:
        return None
    # The second pass reads only pairs the first kept, nearly all with close addresses: no gain in staging it.
    return Filter(staged_bound(params, cut, loose=True), f"({weight_bound(params)}) >= {_sql(cut)}",
                  generators(params, cut))


@dataclass(frozen=True)
class Candidates:
    """Linkage records that are in at least one candidate pair, each with its pairs' numbers."""

    records: pa.Table  # the input's columns and ``PAIR_KEYS`` (list of pair numbers), sorted by id
    blocked: int | None  # distinct pairs sharing a blocking key and a kind (None: not counted, ``Filter.shared``)
    pairs: int  # of those, the candidates (bound at or above the cut)
    bounded: int = 0  # the pairs whose bound was tested: every blocked pair, or those sharing a needed value


#: Pairs generated at a time (an estimate, duplicates counted) when the candidates are found by the values
#: they share: about what ``RECORDS_PER_PART`` records' blocked pairs are at 3M shipment rows.
GENERATED_PER_PART = 5_000_000
#: The same for an update's search (``fresh``), which holds only the rows near a new one (at 10M shipment rows
#: 1,590,675 of 2,786,938 records) in a resolve that peaks lower (5.9-6.0 GB, a full one 7.9 GiB): each part joins
#: every shared value and reads the near rows again, so four parts took 10.8 s where one took 5.3 s, for up to
#: 0.7 GB more (measured on the update of 10M shipment rows: 20M pairs generated, 2.6M distinct).
GENERATED_PER_FRESH_PART = 20_000_000


def candidate_records(table: pa.Table, condition: Filter, memory_limit: str = "",
                      fresh: pa.Array | None = None, shared: bool = True) -> Candidates:
    """The rows of ``table`` (``linkage_input`` rows) in a blocked pair meeting ``condition`` (``candidate_filter``).

    Pairs are generated from ``block_keys`` and ``kind`` as the blocking rule
    does, by parts, each part bounded before the next, so only the candidates
    are ever held together. Where ``condition.shared`` names the values a
    candidate must share (and ``shared``), only the blocked pairs sharing one
    are generated (``generators``; the same candidates). ``fresh``: ids of the
    rows whose pairs are wanted (an incremental resolve's new mentions): only
    pairs with at least one of them are generated, with each other and with the rest.
    """
    con = in_memory_connection(memory_limit)
    try:
        ordered = _prepare(con, table, fresh)
        con.execute("CREATE TEMP TABLE cand (a INTEGER, b INTEGER)")
        values = condition.shared if shared else None
        if values is None:
            parts = max(1, math.ceil((table.num_rows if fresh is None else len(fresh)) / RECORDS_PER_PART))
            template = _BLOCKED if fresh is None else _BLOCKED_FRESH
        else:
            parts, template = _sharing(con, values, GENERATED_PER_PART if fresh is None else GENERATED_PER_FRESH_PART)
        bounded = 0
        for part in range(parts):
            con.execute(f"CREATE OR REPLACE TEMP TABLE blocked AS {template.format(parts=parts, part=part)}")
            bounded += _count(con, "blocked")
            # Two passes: the cheap conditions on every blocked pair, the exact ones on the few left.
            con.execute(f"CREATE OR REPLACE TEMP TABLE kept AS SELECT p.a, p.b FROM blocked p {_SIDES} "
                        f"WHERE {condition.cheap}")
            con.execute(f"INSERT INTO cand SELECT p.a, p.b FROM kept p {_SIDES} WHERE {condition.full}")
        pairs = _count(con, "cand")
        # Only each record's number and its pairs' numbers leave DuckDB; the rows are taken from the input
        # (sorting and converting every column in DuckDB held another copy: at 3M rows about 0.14 of 1.1 GiB).
        keys = con.execute(
            f"WITH numbered AS (SELECT row_number() OVER (ORDER BY a, b) AS i, a, b FROM cand), "
            f"ends AS (SELECT a AS n, i FROM numbered UNION ALL SELECT b AS n, i FROM numbered) "
            f"SELECT n, list(i ORDER BY i) AS {PAIR_KEYS} FROM ends GROUP BY n ORDER BY n"
        ).to_arrow_table()
    finally:
        con.close()
    records = ordered.take(keys.column("n")).append_column(PAIR_KEYS, keys.column(PAIR_KEYS))
    return Candidates(records.cast(_schema(table)), bounded if values is None else None, pairs, bounded)


# The pairs of a part (``{parts}``, ``{part}``) joined on ``{on}`` within a numbered blocking key and kind, as
# ``_BLOCKED_FRESH`` pairs them (every row is fresh when no ``fresh`` is given: then ``x.n < y.n``): each pair
# once, in the part of its fresh row (the smaller when both are), whatever value it was found by.
_SHARING = ("SELECT least(x.n, y.n) AS a, greatest(x.n, y.n) AS b FROM {source} x JOIN {source} y "
            "ON x.k = y.k{on} AND x.n <> y.n AND (NOT y.fresh OR x.n < y.n) "
            "WHERE x.fresh AND x.n % {{parts}} = {{part}}{where}")


#: Per scalar value of ``SHARED``, what a record shares, hashed (``NULL``: nothing; an address's numbers only
#: count with an address: the level compares the addresses too).
_SCALARS = {
    "core1": "CASE WHEN r.core1 IS NOT NULL THEN hash(r.core1) END",
    "domain": "CASE WHEN r.domain IS NOT NULL THEN hash(r.domain) END",
    "address_numbers": "CASE WHEN r.address_fp IS NOT NULL THEN r.address_numbers END",
}


def _sharing(con: Any, values: tuple[str, ...], per_part: int) -> tuple[int, str]:
    """Tables of each record's blocking keys with the ``values`` (``generators``), and the parts (about
    ``per_part`` pairs generated in each) and the SQL template (``{parts}``, ``{part}``) of the distinct blocked
    pairs sharing one of them.

    Each blocking key (with its kind) is numbered, and the values are hashed: tables of strings held gigabytes
    at 10M shipment rows. The keys are numbered exactly (two records pair only on a key they share, as
    blocking pairs them); two values that hash alike only add a pair, which the bound then judges.
    """
    con.execute("CREATE TEMP TABLE keyed AS SELECT b.n, k.k, b.fresh FROM block b JOIN (SELECT key, kind, "
                "row_number() OVER () AS k FROM (SELECT DISTINCT key, kind FROM block)) k USING (key, kind)")
    scalars = [v for v in values if v in _SCALARS]
    con.execute("CREATE TEMP TABLE shared AS SELECT b.n, b.k, b.fresh, "
                f"{''.join(f'{_SCALARS[v]} AS {v}, ' for v in scalars)}r.core1 IS NULL AS unnamed "
                "FROM keyed b JOIN recs r USING (n)")
    selects: list[str] = []
    estimate = 0
    for value in values:
        if value == UNNAMED:  # its pairs with any record: the unnamed one first, else the other
            selects.append(_SHARING.format(source="shared", on="", where=" AND x.unnamed"))
            selects.append(_SHARING.format(source="shared", on=" AND y.unnamed", where=" AND NOT x.unnamed"))
            estimate += _scalar(con, "SELECT coalesce(sum(u * c), 0) FROM (SELECT count(*) AS c, "
                                     "count(*) FILTER (WHERE unnamed) AS u FROM shared GROUP BY k)")
            continue
        source = "shared"
        if value in _LISTS:
            source = f"shared_{value}"
            values_of = _address_prefixes(con) if value == "address_prefix" else (
                f"(SELECT n, hash(v) AS {value} FROM (SELECT n, unnest({value}) AS v FROM recs) WHERE v IS NOT NULL)")
            con.execute(f"CREATE TEMP TABLE {source} AS SELECT b.n, b.k, b.fresh, v.{value} "
                        f"FROM keyed b JOIN {values_of} v USING (n)")
        selects.append(_SHARING.format(source=source, on=f" AND x.{value} = y.{value}", where=""))
        # Pairs with a fresh record (every one is, without ``fresh``): all of a group's but its other records'.
        estimate += _scalar(con, "SELECT coalesce(sum(c * (c - 1) // 2 - (c - f) * (c - f - 1) // 2), 0) FROM "
                                 f"(SELECT count(*) AS c, count(*) FILTER (WHERE fresh) AS f FROM {source} "
                                 f"WHERE {value} IS NOT NULL GROUP BY k, {value})")
    parts = max(1, math.ceil(estimate / per_part))
    return parts, f"SELECT DISTINCT a, b FROM ({' UNION ALL '.join(selects)})"


def _address_prefixes(con: Any) -> str:
    """SQL: each record's address words but its ``ADDRESS_WORDS`` - 1 commonest (``n``, ``address_prefix``).

    Prefix filtering (as in set-similarity joins): with the words of every address in one order, commonest
    last, two addresses with ``ADDRESS_WORDS`` words in common share one of the words before each one's last
    ``ADDRESS_WORDS`` - 1 (each leaves out fewer words than they share). An address with fewer words has none.
    """
    con.execute("CREATE TEMP TABLE address_words AS SELECT n, unnest(list_distinct(address_tokens)) AS word "
                f"FROM recs WHERE len(list_distinct(address_tokens)) >= {ADDRESS_WORDS}")
    return (f"(SELECT n, hash(word) AS address_prefix FROM (SELECT w.n, w.word, row_number() OVER (PARTITION BY w.n "
            "ORDER BY c.records, w.word) AS k, count(*) OVER (PARTITION BY w.n) AS words FROM address_words w "
            "JOIN (SELECT word, count(*) AS records FROM address_words GROUP BY word) c USING (word)) "
            f"WHERE k <= words - {ADDRESS_WORDS - 1})")


def pair_bounds(table: pa.Table, params: Levels | None, cut: float = 0.0) -> pa.Table:
    """Every blocked pair of ``table`` with its two bounds (weights without the prior): for checking the bound.

    Columns ``unique_id_l`` < ``unique_id_r``, ``cheap`` (the first pass's,
    ``LOOSE`` conditions), ``full`` (``model.NECESSARY``'s) and ``staged``
    (whether the first pass's ``staged_bound`` lets the pair through at ``cut``).
    """
    con = in_memory_connection()
    try:
        _prepare(con, table)
        return con.execute(
            f"WITH p AS ({_BLOCKED.format(parts=1, part=0)}) SELECT l.unique_id AS unique_id_l, "
            f"r.unique_id AS unique_id_r, {weight_bound(params, loose=True)} AS cheap, {weight_bound(params)} AS full, "
            f"{staged_bound(params, cut, loose=True)} AS staged FROM p {_SIDES} ORDER BY 1, 2").to_arrow_table()
    finally:
        con.close()


# The hash of an address's numbers (``model.NECESSARY``'s ``address_numbers``: the digits the "same address"
# level compares, ``model._SAME_NUMBERS``), worked out once per record instead of twice per pair.
ADDRESS_NUMBERS = "hash(regexp_replace(address_fp, '[^0-9]+', '', 'g'))"
# A part of the distinct pairs of records sharing a blocking key and a kind (``{parts}``, ``{part}``).
_BLOCKED = ("SELECT DISTINCT x.n AS a, y.n AS b FROM block x JOIN block y ON x.key = y.key AND x.kind = y.kind "
            "AND x.n < y.n WHERE x.n % {parts} = {part}")
# The same, only the pairs with a fresh row (``x``): fresh with fresh once, fresh with any other row.
_BLOCKED_FRESH = (
    "SELECT DISTINCT least(x.n, y.n) AS a, greatest(x.n, y.n) AS b FROM block x JOIN block y ON x.key = y.key "
    "AND x.kind = y.kind AND x.n <> y.n AND (NOT y.fresh OR x.n < y.n) WHERE x.fresh AND x.n % {parts} = {part}")
# Both sides of a pair ``p`` (``a``, ``b``) as ``l`` and ``r``.
_SIDES = "JOIN recs l ON l.n = p.a JOIN recs r ON r.n = p.b"


def _prepare(con: Any, table: pa.Table, fresh: pa.Array | None = None) -> pa.Table:
    """Tables ``recs`` (the rows, numbered in id order, with the columns the conditions read) and ``block``
    (``fresh``: whether the row's id is among ``fresh``; all are without it); returns ``table`` in id order
    (its row ``n`` is record ``n``).

    With ``fresh``, both hold only the rows that share a blocking key and kind with a fresh row: every pair
    generated has a fresh row and a row sharing one of its keys, and the conditions read only the pair's
    two rows. An update's few new mentions block with a part of the warehouse's; the rest is never copied.
    """
    table = sorted_by(table, "unique_id")  # so that ``n`` < ``n`` is ``unique_id`` < ``unique_id``, as Splink pairs
    # Made by numpy, not from Python objects (2.8M of them took 0.7 s at 10M shipment rows).
    numbers = pa.array(np.arange(table.num_rows, dtype=np.int32))
    flags = (pa.array(np.ones(table.num_rows, dtype=bool)) if fresh is None
             else pc.is_in(table.column("unique_id"), value_set=fresh))
    con.register("linkage_keys", pa.table({"n": numbers, "kind": table.column("kind"), "fresh": flags,
                                           "block_keys": table.column("block_keys")}))
    keys = "SELECT n, kind, fresh, unnest(block_keys) AS key FROM linkage_keys"
    if fresh is None:
        con.execute(f"CREATE TEMP TABLE block AS SELECT DISTINCT * FROM ({keys})")
    else:  # the fresh rows' keys first: every row's keys are only looked up, never made distinct all together
        con.execute("CREATE TEMP TABLE fresh_keys AS SELECT DISTINCT kind, unnest(block_keys) AS key "
                    "FROM linkage_keys WHERE fresh")
        con.execute(f"CREATE TEMP TABLE block AS SELECT DISTINCT b.* FROM ({keys}) b SEMI JOIN fresh_keys f "
                    "USING (key, kind)")
        con.execute("DROP TABLE fresh_keys")
    con.unregister("linkage_keys")
    # Only the columns read here go on (of an update's million near rows, taking every column took 0.9 s).
    rows = table.select([c for c in table.column_names if c in _prepared_columns()])
    rows = rows.append_column("n", numbers).append_column("fresh", flags)
    if fresh is not None:
        near = con.execute("SELECT DISTINCT n FROM block").to_arrow_table().column(0).to_numpy()
        chosen = np.zeros(table.num_rows, dtype=bool)
        chosen[near] = True
        rows = rows.filter(pa.array(chosen))  # in ``n`` order; a filter, not a take (1M rows of lists: 0.3 s less)
    for mask, column in MASKED.items():
        rows = rows.append_column(mask, value_masks(rows.column(column)))
    con.register("linkage_rows", rows)
    # Only the columns the conditions read are copied into DuckDB, not the others (every name form, block keys,
    # lists...): an update's 808k records at 3M rows took 238 MiB there instead of 386, 0.57 s instead of 0.86.
    read = ", ".join(c for c in table.column_names if c in _read_columns() or c == "unique_id")
    con.execute(f"CREATE TEMP TABLE recs AS SELECT n, {read}, {', '.join(MASKED)}, "
                "CASE WHEN len(names_core) = 1 THEN names_core[1] END AS core1, "
                f"len(name_tokens) AS name_tokens_count, {ADDRESS_NUMBERS} AS address_numbers FROM linkage_rows")
    con.unregister("linkage_rows")
    return table


@cache
def _prepared_columns() -> frozenset[str]:
    """The input columns ``_prepare`` reads: the conditions', the masks' lists and those ``recs`` is made from."""
    return _read_columns() | frozenset(MASKED.values()) | {"unique_id", "names_core", "name_tokens", "address_fp"}


@cache
def _read_columns() -> frozenset[str]:
    """The columns of a pair's two rows (``l.``, ``r.``) that the conditions of ``model.NECESSARY`` and
    ``LOOSE`` read."""
    conditions = [c for levels in NECESSARY.values() for c in levels.values()] + list(LOOSE.values())
    return frozenset(re.findall(r"\b[lr]\.(\w+)", " ".join(conditions)))


def value_masks(lists: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Per list, a 64-bit mask of its values: bit ``k % 64`` of each value's number ``k`` among the column's
    distinct values (a missing value has a number too); 0 for an empty or missing list.

    Two lists with a value in common share a bit (``LOOSE``). Numbered in Arrow, not hashed in SQL per value:
    DuckDB's lambdas per list took 1.1 s of preparing an update's 848k records at 3M shipment rows (3.8 s).
    """
    values = lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists
    out = np.zeros(len(values), np.uint64)
    parents = pc.list_parent_indices(values).to_numpy()
    if len(parents):
        codes = pc.dictionary_encode(pc.list_flatten(values)).indices
        numbers = pc.fill_null(codes, -1).to_numpy().astype(np.int64) % 64
        bits = np.left_shift(np.uint64(1), numbers.astype(np.uint64))
        starts = np.flatnonzero(np.concatenate(([True], parents[1:] != parents[:-1])))
        out[parents[starts]] = np.bitwise_or.reduceat(bits, starts)
    return pa.array(out, pa.uint64())


def _count(con: Any, table: str) -> int:
    return _scalar(con, f"SELECT count(*) FROM {table}")


def _scalar(con: Any, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _schema(table: pa.Table) -> pa.Schema:
    return table.schema.append(pa.field(PAIR_KEYS, pa.list_(pa.int64())))
