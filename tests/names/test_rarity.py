"""``WordCounts.commonness``: the longer spellings of a name are counted from the subsets of longer names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.names import rarity
from diversion.names.rarity import LONGER_SPELLINGS, MIN_COMMONNESS, UNSEEN, WordCounts, is_generic_word

# Distinctive made-up words, and generic ones rigour knows (left out of every key).
WORDS = ["zarn", "ovikt", "amegino", "kometa", "tozan", "urvan", "vektor", "promsnab", "ele", "sadko", "ural",
         "baltik"]
GENERIC = ["trading", "technology", "service", "group"]


def _plain(counts: WordCounts, tokens: tuple[str, ...]) -> float:
    """The module docstring's estimate, every longer key found by comparing with every key."""
    key = frozenset(t for t in tokens if not is_generic_word(t))
    if not key:
        return rarity.GENERIC_COMMONNESS
    names = max(counts.names, 1)
    longer = sum(1 for other in counts.keys if key < other)
    skipped = (1 if key in counts.keys else 0) + min(longer, LONGER_SPELLINGS)
    out = float(names)
    for t in key:
        out *= (max(sum(1 for k in counts.keys if t in k) - skipped, 0) + UNSEEN) / names
    return max(out, MIN_COMMONNESS)


_NAME = st.lists(st.sampled_from(WORDS + GENERIC), min_size=1, max_size=11).map(tuple)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=60), queries=st.lists(_NAME, max_size=10),
       subset_words=st.sampled_from([1, 3, 8]))
def test_commonness_is_the_plain_estimate(names: list[tuple[str, ...]], queries: list[tuple[str, ...]],
                                          subset_words: int) -> None:
    # A small ``SUBSET_WORDS`` sends most keys the other way (long keys matched against the short ones).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rarity, "SUBSET_WORDS", subset_words)
        counts = WordCounts.of(names)
        for tokens in [*names, *queries]:  # names of the data, and names that are not (scanned)
            assert counts.commonness(tokens) == pytest.approx(_plain(counts, tokens), rel=1e-12), tokens


@settings(max_examples=100, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=60), asked=st.lists(_NAME, max_size=20),
       table=st.booleans())
def test_commonness_of_many_names_is_each_ones_whichever_way_counted(
        names: list[tuple[str, ...]], asked: list[tuple[str, ...]], table: bool) -> None:
    """An update asks for its few new names (each one's longer spellings scanned), a full run for all of them
    (the table of every key's): the same numbers."""
    counts = WordCounts.of(names)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(WordCounts, "_table_cost", lambda self: 0 if table else 10**9)
        found = counts.commonness_of([*asked, *names[:5]])
        assert table or "_longer" not in counts.__dict__  # scanned: the table never built
    assert found == [pytest.approx(_plain(counts, t), rel=1e-12) for t in [*asked, *names[:5]]]


def test_a_few_longer_spellings_are_the_same_firm_many_say_the_word_is_popular() -> None:
    one_longer = WordCounts.of([("amegino",), ("amegino", "zarn"), ("kometa",), ("ural",)])
    many_longer = WordCounts.of([("kometa",), ("kometa", "zarn"), ("kometa", "ural"), ("kometa", "tozan"),
                                 ("kometa", "urvan"), ("amegino",)])
    assert one_longer.commonness(("amegino",)) < 0.05
    assert many_longer.commonness(("kometa",)) > one_longer.commonness(("amegino",)) * 10


def test_commonness_is_the_same_whatever_the_string_hashing() -> None:
    # A name's factors multiplied in a set's order gave other last bits in each process (string hashing is
    # seeded per process): the linkage input, and with it match weights, changed from run to run.
    import os
    import subprocess
    import sys

    code = (
        "import random\n"
        "from diversion.names.rarity import WordCounts\n"
        "rng = random.Random(3)\n"
        "words = ['w%d' % i for i in range(4000)]\n"
        "names = [tuple(rng.sample(words, rng.randint(2, 7))) for _ in range(20000)]\n"
        "counts = WordCounts.of(names)\n"
        "print([counts.commonness(n).hex() for n in names[:2000]])\n"
    )
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(4)}
    assert len(outs) == 1
