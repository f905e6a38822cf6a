"""How common a name is: how many *other* parties are expected to bear it by chance.

Two mentions with the same name are one party unless another party uses that
name too. How likely that is depends on the name, not on how many mentions a
data set holds: ``Trade LLC`` is the name of many firms, ``Zarnovikt
Instruments`` of one. The estimate, per name:

- words that rigour's name analysis tags as generic vocabulary (``Trade``,
  ``Service``, ``Group``, ``Technology``, ``Plant``, places, legal forms) carry
  no identity: a name made only of them is borne by about one other party
  (``GENERIC_COMMONNESS``);
- every other word counts by the share of the data's other distinct names that
  use it (``(names using it - 1 + UNSEEN) / names``), and the name's
  commonness is the number of names times the product of those shares (words
  are taken as independent, which errs towards "rare" only for words that
  always occur together, the same firm's name). Names are told apart by their
  distinctive words only: ``Amegino``, ``Amegino General Trading`` and
  ``Amegino FZE`` are one name here (one firm's spellings), ``Kometa`` and
  ``Kometa Plus`` two.

``resolve`` uses it to calibrate Splink's same-name level (term-frequency
adjustment, ``resolve/linkage.py``); the result does not depend on how many
mentions, or how many singletons, the warehouse holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from hashlib import blake2b

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from diversion.arrays import distinct

#: The chance that another name uses a word no other name in the data uses (smoothing, in names).
UNSEEN = 0.01
#: Commonness of a name made only of generic words: about one other party bears it.
GENERIC_COMMONNESS = 1.0
#: Longer names holding all of a name's distinctive words that are taken as the same firm's spellings.
LONGER_SPELLINGS = 2
#: Floor of the estimate (a name is never proof on its own).
MIN_COMMONNESS = 1e-4
#: Keys of up to this many distinctive words find the shorter keys they hold by their subsets (2**n of them,
#: looked up as sums of word hashes in numpy); longer keys (few) the other way (``_held_by_long``).
SUBSET_WORDS = 12
#: Subsets looked up at a time (8 bytes each, with their sums and lookups a few times that).
SUBSETS_PER_CHUNK = 4_000_000
#: Long keys under one word are tested as bit masks (``_held_by_long``) from this many on, over at most this many
#: words (four 64-bit words per mask); fewer, or over more words, one by one.
MASK_FROM, MASK_BITS = 64, 256
#: A 64-bit word of a mask.
_WORD = (1 << 64) - 1


@lru_cache(maxsize=200_000)
def is_generic_word(word: str) -> bool:
    """Whether rigour tags ``word`` as generic organisation vocabulary, a place or a legal form.

    >>> is_generic_word("trading"), is_generic_word("zarnovikt")
    (True, False)
    """
    from rigour.names import NameTypeTag, SymbolCategory, analyze_names

    generic = {SymbolCategory.SYMBOL, SymbolCategory.DOMAIN, SymbolCategory.LOCATION, SymbolCategory.ORG_CLASS}
    for name in analyze_names(NameTypeTag.ORG, [word], phonetics=False, numerics=False, consolidate=False,
                              rewrite=False):
        if any(span.symbol.category in generic for span in name.spans):
            return True
    return False


#: rigour symbols of the words that say what kind of body a name is, not which one: "State Corporation
#: Rostec" is Rostec. Business words (Service, Trade, Group) are not among them: Uralmash-Servis is another firm.
FORM_SYMBOLS = frozenset({"CO", "CORP", "GOV", "FED", "NATL", "PUBLIC", "MUNICIPAL", "CONCERN", "ENTERPRISE"})


@lru_cache(maxsize=50_000)
def is_form_word(word: str) -> bool:
    """Whether ``word`` only says what kind of body an organisation is (``state``, ``corporation``, ``federal``).

    >>> is_form_word("corporation"), is_form_word("servis"), is_form_word("rostec")
    (True, False, False)
    """
    from rigour.names import NameTypeTag, SymbolCategory, analyze_names

    for name in analyze_names(NameTypeTag.ORG, [word], phonetics=False, numerics=False, consolidate=False,
                              rewrite=False):
        for span in name.spans:
            if span.symbol.category == SymbolCategory.ORG_CLASS:
                return True
            if span.symbol.category == SymbolCategory.SYMBOL and str(span.symbol)[1:-1].split(":")[-1] in FORM_SYMBOLS:
                return True
    return False


def _word_hashes(words: list[str]) -> np.ndarray:
    """A 64-bit hash of each word, the same in every process (Python's string hashing is seeded per process)."""
    return np.frombuffer(b"".join(blake2b(t.encode(), digest_size=8).digest() for t in words), np.uint64)


@dataclass(frozen=True, eq=False)
class WordCounts:
    """The data's distinct names, each taken as the set of its distinctive words (a key), in numpy.

    ``words``: the distinctive words, numbered; ``ids``: each key's word numbers in turn, keys shortest first;
    ``starts``: where each key's numbers begin, and one past the last; ``sums``: each key's sum of its words'
    hashes (``_word_hashes``), by which keys are told apart. Two sets of words that differ sum alike by chance
    about once in 2**64 comparisons (at 10M shipment rows, 22M subsets looked up among 884k keys: a wrong count
    once in about a million runs).
    """

    words: list[str]
    ids: np.ndarray
    starts: np.ndarray
    sums: np.ndarray

    @property
    def names(self) -> int:
        """How many distinct names (by their distinctive words) the data holds."""
        return len(self.sums)

    @classmethod
    def of(cls, names: Iterable[Iterable[str]]) -> WordCounts:
        """Counts over distinct names, each name taken as the set of its distinctive (non-generic) words."""
        forms = {tuple(tokens) for tokens in names}  # many forms have the same words: each read once
        number: dict[str, int] = {}
        ids = np.fromiter((number.setdefault(t, len(number)) for form in forms for t in form), np.int64)
        lengths = np.fromiter(map(len, forms), np.int64, len(forms))
        return cls._of_words(list(number), ids, np.repeat(np.arange(len(lengths)), lengths))

    @classmethod
    def of_forms(cls, forms: pa.Array | pa.ChunkedArray) -> WordCounts:
        """``of`` names given as strings of words parted by single spaces (``NameForms.sorted``), in Arrow."""
        forms = pc.unique(forms.drop_null())
        if isinstance(forms, pa.ChunkedArray):
            forms = forms.combine_chunks()
        words = pc.split_pattern(forms, " ")
        flat = pc.list_flatten(words)
        said = pc.not_equal(flat, "")  # two spaces in a row part no word
        coded = pc.dictionary_encode(flat.filter(said))
        return cls._of_words(coded.dictionary.to_pylist(), coded.indices.to_numpy().astype(np.int64),
                             pc.list_parent_indices(words).filter(said).to_numpy().astype(np.int64))

    @classmethod
    def _of_words(cls, vocabulary: list[str], ids: np.ndarray, form: np.ndarray) -> WordCounts:
        """``of`` the names whose words are ``ids`` (numbers in ``vocabulary``), each of name number ``form``."""
        distinctive = ~np.fromiter(map(is_generic_word, vocabulary), bool, len(vocabulary))
        words = [t for t, keep in zip(vocabulary, distinctive.tolist(), strict=True) if keep]
        renumbered = np.cumsum(distinctive) - 1
        # Each form's distinctive words, once each, by form then word (a form may repeat a word).
        kept = distinctive[ids]
        pairs = distinct(form[kept] * max(len(words), 1) + renumbered[ids[kept]])
        form, word = np.divmod(pairs, max(len(words), 1))
        first = np.flatnonzero(np.concatenate(([True], form[1:] != form[:-1]))) if len(form) else form
        sizes = np.diff(np.append(first, len(form)))
        sums = np.add.reduceat(_word_hashes(words)[word], first) if len(form) else np.zeros(0, np.uint64)
        _, single = np.unique(sums, return_index=True)  # forms with the same words: one key
        order = single[np.argsort(sizes[single], kind="stable")]
        starts = np.concatenate(([0], np.cumsum(sizes[order])))
        at = np.repeat(first[order] - starts[:-1], sizes[order]) + np.arange(starts[-1])
        return cls(words, word[at], starts, sums[order])

    @cached_property
    def keys(self) -> frozenset[frozenset[str]]:
        """Every key as a set of words (made for reading and tests; the counts never need them)."""
        return frozenset(self._key(k) for k in range(self.names))

    def commonness(self, tokens: Iterable[str]) -> float:
        """The expected number of other parties whose name is ``tokens`` (see the module docstring).

        A word counts by the other names that use it, leaving out up to
        ``LONGER_SPELLINGS`` names that hold all of this name's distinctive
        words and more: a few such names are more often the same firm spelt
        longer (``Shenzhen ELE Technology`` for ``ELE Technology``) than
        another firm; many (``Kometa Plus``, ``NPO Kometa``, ``Kometa-M``...)
        say the word is popular.

        >>> counts = WordCounts.of([("zarnovikt", "instruments"), ("trade",), ("trade", "centre")])
        >>> counts.commonness(("trade",)), counts.commonness(("zarnovikt",)) < 0.05
        (1.0, True)
        """
        key = frozenset(t for t in tokens if not is_generic_word(t))
        if not key:
            return GENERIC_COMMONNESS
        at = self._position(key)
        longer = self._longer[at] if at >= 0 else self._longer_by_scan(key)
        names = max(self.names, 1)
        skipped = (1 if at >= 0 else 0) + min(longer, LONGER_SPELLINGS)
        out = float(names)
        held, number = self._word_keys, self._number
        for t in sorted(key):  # a set's order changes with each process's string hashing: so would the last bits
            others = max((held[number[t]] if t in number else 0) - skipped, 0)
            out *= (others + UNSEEN) / names
        return max(out, MIN_COMMONNESS)

    def commonness_of(self, names: Iterable[Iterable[str]]) -> list[float]:
        """``commonness`` of each of ``names``."""
        return [self.commonness(tokens) for tokens in names]

    def _key(self, k: int) -> frozenset[str]:
        return frozenset(self.words[i] for i in self.ids[self.starts[k]:self.starts[k + 1]].tolist())

    def _position(self, key: frozenset[str]) -> int:
        """Where ``key`` is among the keys; -1 where it is not."""
        number, hashes = self._number, self._hashes
        if not all(t in number for t in key):
            return -1
        return self._by_sum.get(sum(hashes[number[t]] for t in key) & _WORD, -1)  # summed as numpy does

    @cached_property
    def _number(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.words)}

    @cached_property
    def _hashes(self) -> list[int]:
        out: list[int] = _word_hashes(self.words).tolist()
        return out

    @cached_property
    def _by_sum(self) -> dict[int, int]:
        return dict(zip(self.sums.tolist(), range(self.names), strict=True))

    @cached_property
    def _word_keys(self) -> list[int]:
        """How many keys hold each word."""
        out: list[int] = np.bincount(self.ids, minlength=len(self.words)).tolist()
        return out

    @cached_property
    def _longer(self) -> list[int]:
        """Per key, how many other keys hold all its words and more.

        Worked out from the longer key's side: each key's proper subsets that are keys themselves
        (``_subset_hits``). Scanning every key that shares a name's rarest word instead is quadratic where the
        vocabulary is small (1.1M name sets at 10M shipment rows: about 235 s). Keys of more than
        ``SUBSET_WORDS`` words (few) are matched the other way (``_held_by_long``).
        """
        out = self._subset_hits()
        sizes = np.diff(self.starts)
        short = int(np.searchsorted(sizes, SUBSET_WORDS, side="right"))
        if short < self.names:
            long_by_word: dict[str, list[frozenset[str]]] = {}
            for other in map(self._key, range(short, self.names)):
                for t in other:
                    long_by_word.setdefault(t, []).append(other)
            # Only a key whose every word is a long key's can be held by one.
            in_long = np.zeros(len(self.words), np.uint8)
            in_long[self.ids[self.starts[short]:]] = 1
            asked = np.flatnonzero(np.minimum.reduceat(in_long[self.ids], self.starts[:-1]))
            position = {self._key(k): k for k in asked.tolist()}
            for key, more in _held_by_long(position, long_by_word).items():
                out[position[key]] += more
        counts: list[int] = out.tolist()
        return counts

    def _subset_hits(self) -> np.ndarray:
        """Per key, how many of the keys of up to ``SUBSET_WORDS`` words hold all its words and more.

        Each such key's proper subsets are summed at once (a matrix product of its words' hashes with every
        subset's 0/1 mask) and looked up among the keys' sums. Set by set in Python the same lookups took
        11–13 s at 10M shipment rows.
        """
        hashes = _word_hashes(self.words)
        sizes = np.diff(self.starts)
        known = pd.Index(self.sums)
        out = np.zeros(self.names, np.int64)
        for n in range(2, min(int(sizes.max(initial=0)), SUBSET_WORDS) + 1):
            first, last = np.searchsorted(sizes, n), np.searchsorted(sizes, n, side="right")
            words = hashes[self.ids[self.starts[first]:self.starts[last]]].reshape(last - first, n)
            masks = ((np.arange(1, (1 << n) - 1)[:, None] >> np.arange(n)) & 1).astype(np.uint64)
            step = max(1, SUBSETS_PER_CHUNK // len(masks))
            for at in range(0, len(words), step):
                found = known.get_indexer((words[at:at + step] @ masks.T).ravel())
                out += np.bincount(found[found >= 0], minlength=self.names)
        return out

    @cached_property
    def _by_word(self) -> dict[int, np.ndarray]:
        """The keys holding each word (read only to scan for a name that is not a key)."""
        owner = np.repeat(np.arange(self.names), np.diff(self.starts))
        order = np.argsort(self.ids, kind="stable")
        bounds = np.searchsorted(self.ids[order], np.arange(len(self.words) + 1))
        return {i: owner[order[bounds[i]:bounds[i + 1]]] for i in range(len(self.words))}

    def _longer_by_scan(self, key: frozenset[str]) -> int:
        """How many keys hold all of ``key``'s words and more (``key`` not among the keys), up to the cap."""
        number, held = self._number, self._word_keys
        if not all(t in number for t in key):  # a word no key has: none holds it
            return 0
        rarest = min(key, key=lambda t: (held[number[t]], t))
        found = 0
        for other in self._by_word[number[rarest]].tolist():
            if key < self._key(other):
                found += 1
                if found == LONGER_SPELLINGS:  # no more is ever counted
                    break
        return found


def _held_by_long(keys: Iterable[frozenset[str]], long_by_word: Mapping[str, list[frozenset[str]]]
                  ) -> dict[frozenset[str], int]:
    """Per key of ``keys``, how many long keys (``long_by_word``: each long key under each of its words) hold all
    its words and more; keys none holds are left out.

    A key is tested against the long keys holding its rarest word. Where those are many over few words (Chinese
    names spelt syllable by syllable: 14,407 keys of 9 to 12 words over 54 syllables at 10M shipment rows), each
    is a bit mask over those words and the key is tested against all of them at once in numpy: tested one by
    one as sets, they were 57M tests, 17 s of the 21.5 s table (11.2 s with masks). Elsewhere (many words, few
    keys each) one by one.
    """
    masked = {t: _Masks(others) for t, others in long_by_word.items()
              if len(others) >= MASK_FROM and len({w for other in others for w in other}) <= MASK_BITS}
    longs = {other for others in long_by_word.values() for other in others}
    out: dict[frozenset[str], int] = {}
    for key in keys:
        if not all(t in long_by_word for t in key):  # a word no long key has: none holds it
            continue
        rarest = min(key, key=lambda t: (len(long_by_word[t]), t))
        masks = masked.get(rarest)
        if masks is None:
            more = sum(1 for other in long_by_word[rarest] if key < other)
        else:  # a long key holds itself: its mask, the only one equal to it (each word has its bit)
            more = masks.holding(key) - (key in longs)
        if more:
            out[key] = more
    return out


class _Masks:
    """Keys as bit masks over their words (each mask ``width`` 64-bit words), to find those holding a key."""

    def __init__(self, keys: list[frozenset[str]]) -> None:
        self.bits = {t: i for i, t in enumerate(sorted({t for key in keys for t in key}))}
        self.width = (len(self.bits) + 63) // 64
        self.masks = np.stack([self._mask(key) for key in keys])

    def _mask(self, key: Iterable[str]) -> np.ndarray:
        bits = sum(1 << self.bits[t] for t in key)
        return np.array([(bits >> (64 * i)) & _WORD for i in range(self.width)], np.uint64)

    def holding(self, key: frozenset[str]) -> int:
        """How many of the keys hold every word of ``key`` (itself too, when among them)."""
        if not all(t in self.bits for t in key):
            return 0
        want = self._mask(key)
        return int(np.count_nonzero(((self.masks & want) == want).all(axis=1)))
