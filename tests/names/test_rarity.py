"""``WordCounts.commonness``: the longer spellings of a name are counted from the subsets of longer names."""

from __future__ import annotations

import pyarrow as pa
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
       subset_words=st.sampled_from([1, 3, 8, 12]), mask_from=st.sampled_from([1, 64]))
def test_commonness_is_the_plain_estimate(names: list[tuple[str, ...]], queries: list[tuple[str, ...]],
                                          subset_words: int, mask_from: int) -> None:
    # A small ``SUBSET_WORDS`` sends most keys the other way (long keys matched against the short ones), tested
    # as bit masks from ``MASK_FROM`` long keys under a word on.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rarity, "SUBSET_WORDS", subset_words)
        mp.setattr(rarity, "MASK_FROM", mask_from)
        counts = WordCounts.of(names)
        for tokens in [*names, *queries]:  # names of the data, and names that are not (scanned)
            assert counts.commonness(tokens) == pytest.approx(_plain(counts, tokens), rel=1e-12), tokens


# More words than one 64-bit word of a mask holds, and more than ``MASK_BITS``: masks of several words, and
# long keys under a word tested one by one.
_MANY = [f"{a}{b}" for a in WORDS for b in WORDS[:11]]


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.lists(st.sampled_from(_MANY[:100]), min_size=2, max_size=6).map(tuple), min_size=30,
                      max_size=80),
       mask_bits=st.sampled_from([64, 256]))
def test_long_keys_over_many_words_are_counted_as_the_plain_estimate(names: list[tuple[str, ...]],
                                                                     mask_bits: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rarity, "SUBSET_WORDS", 2)
        mp.setattr(rarity, "MASK_FROM", 1)
        mp.setattr(rarity, "MASK_BITS", mask_bits)
        # One word in most names: the long keys under it span every word (masks of two 64-bit words).
        every = [("zarnzarn",), *names, *(("zarnzarn", *tokens) for tokens in names)]
        counts = WordCounts.of(every)
        for tokens in every:
            assert counts.commonness(tokens) == pytest.approx(_plain(counts, tokens), rel=1e-12), tokens


@settings(max_examples=100, deadline=None)
@given(names=st.lists(_NAME, min_size=1, max_size=60), asked=st.lists(_NAME, max_size=20))
def test_commonness_of_many_names_is_each_ones(names: list[tuple[str, ...]], asked: list[tuple[str, ...]]) -> None:
    """An update asks for its new names (keys of the data), explaining a pair for names that may not be."""
    counts = WordCounts.of(names)
    found = counts.commonness_of([*asked, *names[:5]])
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


@settings(max_examples=100, deadline=None)
@given(longs=st.lists(st.frozensets(st.sampled_from(_MANY), min_size=9, max_size=60), min_size=1, max_size=40),
       keys=st.lists(st.frozensets(st.sampled_from(_MANY), min_size=1, max_size=4), max_size=30),
       mask_from=st.sampled_from([1, 64]))
def test_the_long_keys_holding_a_key_are_counted_as_one_by_one(longs: list[frozenset[str]],
                                                               keys: list[frozenset[str]], mask_from: int) -> None:
    # Long keys over 132 words: masks of up to three 64-bit words, tested at once (or one by one, below
    # ``MASK_FROM``); the long keys themselves asked too (each holds itself, not counted).
    by_word: dict[str, list[frozenset[str]]] = {}
    for key in set(longs):
        for t in key:
            by_word.setdefault(t, []).append(key)
    asked = [*keys, *longs, *(frozenset(sorted(key)[:3]) for key in longs),
             *(frozenset((min(key), max(key))) for key in longs), *(frozenset(sorted(key)[-2:]) for key in longs)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rarity, "MASK_FROM", mask_from)
        found = rarity._held_by_long(asked, by_word)
    plain = {key: n for key in asked if (n := sum(1 for other in set(longs) if key < other))}
    assert found == plain


def test_keys_whose_word_sums_collide_leave_the_other_counts_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys are told apart by the sums of their words' hashes; two summing alike (about once in 2**64) are taken
    # for one key. That must not stop the count, nor change what is said of any other name.
    values = {"aa": 1, "bb": 4, "cc": 2, "dd": 3, "ee": 100, "ff": 1000}

    class Fixed:
        def __init__(self, data: bytes, digest_size: int) -> None:
            self.value = values[data.decode()].to_bytes(digest_size, "little")

        def digest(self) -> bytes:
            return self.value

    monkeypatch.setattr(rarity, "blake2b", Fixed)
    monkeypatch.setattr(rarity, "is_generic_word", lambda word: False)
    counts = WordCounts.of([("aa", "bb"), ("cc", "dd"), ("aa", "bb", "ee"), ("aa",), ("ee",), ("ee", "ff"),
                            ("ff",)])
    assert counts.names == 6 and len(counts.keys & {frozenset(("aa", "bb")), frozenset(("cc", "dd"))}) == 1
    for key in [("aa",), ("ee",), ("ff",), ("ee", "ff"), ("aa", "bb", "ee")]:
        assert counts.commonness(key) == pytest.approx(_plain(counts, key), rel=1e-12), key


@settings(max_examples=100, deadline=None)
@given(names=st.lists(_NAME, max_size=60), asked=st.lists(_NAME, max_size=10))
def test_counts_of_forms_in_arrow_are_the_counts_of_their_words(names: list[tuple[str, ...]],
                                                                 asked: list[tuple[str, ...]]) -> None:
    # The linkage input hands its name forms over as Arrow strings (``NameForms.sorted``), some missing.
    forms = pa.array([" ".join(sorted(tokens)) for tokens in names] + [None], pa.string())
    counts, plain = WordCounts.of_forms(forms), WordCounts.of(names)
    assert counts.names == plain.names and counts.keys == plain.keys
    assert counts.commonness_of([*names, *asked]) == plain.commonness_of([*names, *asked])


def test_empty_words_of_arrow_forms_are_no_words() -> None:
    forms = pa.array(["zarn  kometa", "", " ural", "kometa zarn"], pa.string())
    assert WordCounts.of_forms(forms).keys == {frozenset(("zarn", "kometa")), frozenset(("ural",))}
