"""The shared array helpers (``diversion.arrays``) against the plain Python they stand for."""

from __future__ import annotations

from collections import Counter
from itertools import chain

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from diversion.arrays import distinct, holders_per_word, split_words, words_per_text
from diversion.resolve.screening import ListedEntity, ScreeningIndex

# Words from a small alphabet (so that they repeat), separated by every kind of blank ``str.split`` knows,
# runs of them, and at the edges.
_BLANKS = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x1f", "\x85", "\u2028"]
_TEXTS = st.lists(st.one_of(st.none(), st.lists(st.one_of(
    st.text(alphabet="abcé中", min_size=1, max_size=3), st.sampled_from(_BLANKS)), max_size=8).map("".join)),
    max_size=30)


@hyp_settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_texts_are_split_and_their_words_counted_as_str_split_splits(texts: list[str | None]) -> None:
    assert split_words(pa.array(texts, pa.string())).to_pylist() == [None if t is None else t.split() for t in texts]
    wanted = Counter(chain.from_iterable(set(t.split()) for t in texts if t is not None))
    assert words_per_text(pa.array(texts, pa.string())) == wanted
    assert words_per_text(pa.chunked_array([pa.array(texts, pa.string())])) == wanted


@hyp_settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["a", "b", "", "中"])), max_size=40))
def test_holders_per_word_counts_distinct_owners(pairs: list[tuple[int, str]]) -> None:
    wanted = Counter(word for _, word in set(pairs))
    owners = np.array([o for o, _ in pairs], dtype=np.int32)
    assert holders_per_word(pa.array([w for _, w in pairs], pa.string()), owners) == wanted


def test_distinct_is_numpys_unique() -> None:
    values = np.random.default_rng(3).integers(-50, 50, 1000)
    assert distinct(values).tolist() == np.unique(values).tolist()


def test_a_screening_index_weighs_words_alike_from_strings_and_from_arrow() -> None:
    """A resolve hands its parties' names to the screening index as Arrow; the word rarities are the ones the
    same names as strings give."""
    listed = [ListedEntity("1", "Company", "Orion Trading LLC", names=[("Orion Trading LLC", "primary")]),
              ListedEntity("2", "Company", "Atlas Machinery", names=[("Atlas Machinery", "primary")])]
    corpus = ["orion trading", "atlas  machinery", "orion", "", "ele technology", "trading company"]
    from_strings = ScreeningIndex(listed, corpus=corpus)
    from_arrow = ScreeningIndex(listed, corpus=pa.array(corpus))
    assert from_arrow.weights == from_strings.weights
    assert from_arrow.weights.idf["orion"] != from_arrow.weights.idf["machinery"]  # the corpus counted
    assert from_arrow.search("Orion Trading") == from_strings.search("Orion Trading")
