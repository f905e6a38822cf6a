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


@dataclass(frozen=True)
class WordCounts:
    """The data's distinct names as sets of distinctive words (``keys``)."""

    keys: frozenset[frozenset[str]]

    @property
    def names(self) -> int:
        """How many distinct names (by their distinctive words) the data holds."""
        return len(self.keys)

    @classmethod
    def of(cls, names: Iterable[Iterable[str]]) -> WordCounts:
        """Counts over distinct names, each name taken as the set of its distinctive (non-generic) words."""
        forms = {tuple(tokens) for tokens in names}  # many forms have the same words: each made a set once
        generic = frozenset(t for t in set().union(*forms) if is_generic_word(t))
        keys = {frozenset(tokens) - generic if not generic.isdisjoint(tokens) else frozenset(tokens)
                for tokens in forms}
        keys.discard(frozenset())
        return cls(frozenset(keys))

    @cached_property
    def word_keys(self) -> dict[str, int]:
        """How many keys hold each word."""
        index = self._index
        return dict(zip(index.words, np.bincount(index.ids, minlength=len(index.words)).tolist(), strict=True))

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
        return self._commonness(key, self._longer.get(key, 0) if key in self.keys else self._longer_by_scan(key))

    def commonness_of(self, names: Iterable[Iterable[str]]) -> list[float]:
        """``commonness`` of each of ``names``."""
        return [self.commonness(tokens) for tokens in names]

    def _commonness(self, key: frozenset[str], longer: int) -> float:
        """``commonness`` of a non-empty key with ``longer`` longer spellings."""
        names = max(self.names, 1)
        skipped = (1 if key in self.keys else 0) + min(longer, LONGER_SPELLINGS)
        out = float(names)
        for t in sorted(key):  # a set's order changes with each process's string hashing: so would the last bits
            others = max(self.word_keys.get(t, 0) - skipped, 0)
            out *= (others + UNSEEN) / names
        return max(out, MIN_COMMONNESS)

    @cached_property
    def _index(self) -> _KeyWords:
        return _KeyWords.of(self.keys)

    @cached_property
    def _longer(self) -> dict[frozenset[str], int]:
        """Per key, how many other keys hold all its words and more (keys with none left out).

        Worked out from the longer key's side: each key's proper subsets that are keys themselves
        (``_KeyWords.subset_hits``). Scanning every key that shares a name's rarest word instead is quadratic
        where the vocabulary is small (1.1M name sets at 10M shipment rows: about 235 s). Keys of more than
        ``SUBSET_WORDS`` words (few) are matched the other way (``_held_by_long``).
        """
        index = self._index
        counts = index.subset_hits()
        out = {index.keys[i]: int(counts[i]) for i in np.flatnonzero(counts)}
        long_by_word: dict[str, list[frozenset[str]]] = {}
        for other in index.keys[index.short:]:
            for t in other:
                long_by_word.setdefault(t, []).append(other)
        if long_by_word:
            for key, more in _held_by_long(self.keys, long_by_word).items():
                out[key] = out.get(key, 0) + more
        return out

    @cached_property
    def _by_word(self) -> dict[str, list[frozenset[str]]]:
        """The keys holding each word (read only to scan for a name that is not a key)."""
        out: dict[str, list[frozenset[str]]] = {}
        for key in self.keys:
            for t in key:
                out.setdefault(t, []).append(key)
        return out

    def _longer_by_scan(self, key: frozenset[str]) -> int:
        """How many keys hold all of ``key``'s words and more (``key`` not among the keys), up to the cap."""
        if not all(t in self.word_keys for t in key):  # a word no key has: none holds it
            return 0
        rarest = min(key, key=lambda t: (self.word_keys[t], t))
        found = 0
        for other in self._by_word[rarest]:
            if key < other:
                found += 1
                if found == LONGER_SPELLINGS:  # no more is ever counted
                    break
        return found


@dataclass(frozen=True)
class _KeyWords:
    """Keys shortest first (``keys``), their words numbered (``words``; ``ids``: each key's in turn), and where
    the keys of more than ``SUBSET_WORDS`` words begin (``short``)."""

    keys: list[frozenset[str]]
    words: list[str]
    ids: np.ndarray
    short: int

    @classmethod
    def of(cls, keys: Iterable[frozenset[str]]) -> _KeyWords:
        ordered = sorted(keys, key=len)
        words = sorted(set().union(*ordered))
        number = {t: i for i, t in enumerate(words)}
        ids = np.fromiter((number[t] for key in ordered for t in key), np.int64, sum(map(len, ordered)))
        short = next((i for i, key in enumerate(ordered) if len(key) > SUBSET_WORDS), len(ordered))
        return cls(ordered, words, ids, short)

    def subset_hits(self) -> np.ndarray:
        """Per key, how many of the keys of up to ``SUBSET_WORDS`` words hold all its words and more.

        A set of words is known by the sum of its words' 64-bit hashes (wrapping): each key's proper subsets
        are summed at once (a matrix product with every subset's 0/1 mask) and looked up among the keys'
        sums. Two sets that differ sum alike by chance about once in 2**64 lookups: at 10M shipment rows
        (22M subsets against 884k keys) a wrong count once in about a million runs. Set by set in Python the
        same lookups took 11–13 s at 10M shipment rows.
        """
        lengths = np.fromiter(map(len, self.keys), np.int64, len(self.keys))
        hashes = np.frombuffer(b"".join(blake2b(t.encode(), digest_size=8).digest() for t in self.words),
                               np.uint64)
        starts = np.concatenate(([0], np.cumsum(lengths)))
        sums = np.zeros(len(self.keys), np.uint64)
        groups = []
        for n in np.unique(lengths).tolist():
            first, last = np.searchsorted(lengths, n), np.searchsorted(lengths, n, side="right")
            words = hashes[self.ids[starts[first]:starts[last]]].reshape(last - first, n)
            sums[first:last] = words.sum(axis=1, dtype=np.uint64)
            if 2 <= n <= SUBSET_WORDS:
                groups.append(words)
        known = pd.Index(sums)
        out = np.zeros(len(self.keys), np.int64)
        for words in groups:
            n = words.shape[1]
            masks = ((np.arange(1, (1 << n) - 1)[:, None] >> np.arange(n)) & 1).astype(np.uint64)
            step = max(1, SUBSETS_PER_CHUNK // len(masks))
            for at in range(0, len(words), step):
                subsets = (words[at:at + step] @ masks.T).ravel()
                found = (known.get_indexer(subsets) if known.is_unique
                         else known.get_indexer_non_unique(subsets)[0])
                out += np.bincount(found[found >= 0], minlength=len(self.keys))
        return out


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
