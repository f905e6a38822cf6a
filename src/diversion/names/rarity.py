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
from itertools import combinations

import numpy as np

#: The chance that another name uses a word no other name in the data uses (smoothing, in names).
UNSEEN = 0.01
#: Commonness of a name made only of generic words: about one other party bears it.
GENERIC_COMMONNESS = 1.0
#: Longer names holding all of a name's distinctive words that are taken as the same firm's spellings.
LONGER_SPELLINGS = 2
#: Floor of the estimate (a name is never proof on its own).
MIN_COMMONNESS = 1e-4
#: Keys of up to this many distinctive words find the shorter keys they hold by their subsets (2**n of them).
SUBSET_WORDS = 8
#: How many scanned keys cost what one subset looked up costs (``WordCounts.commonness_of``): a subset is a
#: tuple made into a set and hashed, a scanned key one subset test (3M update's new names: 3.1M subsets in
#: 2.56 s, 4.5M scanned keys in 0.73 s, a ratio of about five; a little less, as the scan's count is a bound).
SCAN_PER_SUBSET = 4
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
    """The data's distinct names as sets of distinctive words (``keys``), and the keys each word occurs in."""

    keys: frozenset[frozenset[str]]
    by_word: Mapping[str, tuple[frozenset[str], ...]]

    @property
    def names(self) -> int:
        """How many distinct names (by their distinctive words) the data holds."""
        return len(self.keys)

    @classmethod
    def of(cls, names: Iterable[Iterable[str]]) -> WordCounts:
        """Counts over distinct names, each name taken as the set of its distinctive (non-generic) words."""
        keys = {frozenset(t for t in tokens if not is_generic_word(t)) for tokens in names}
        keys.discard(frozenset())
        by_word: dict[str, list[frozenset[str]]] = {}
        for key in keys:
            for t in key:
                by_word.setdefault(t, []).append(key)
        return cls(frozenset(keys), {t: tuple(v) for t, v in by_word.items()})

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
        """``commonness`` of each of ``names``, the longer spellings counted the cheaper way for so many.

        Counting every key's longer spellings at once (``_longer``) costs the same however few names are
        asked (an update's new names: 5 % of them); scanning each asked name's rarest word's keys costs in
        proportion to them. Both give the same counts (up to ``LONGER_SPELLINGS``, all that is read).
        """
        keys = [frozenset(t for t in tokens if not is_generic_word(t)) for tokens in names]
        if "_longer" in self.__dict__ or self._scan_cost(keys) >= SCAN_PER_SUBSET * self._table_cost():
            return [self.commonness(k) for k in keys]  # the key's words are its tokens: same answer
        return [self._commonness(k, self._longer_by_scan(k)) if k else GENERIC_COMMONNESS for k in keys]

    def _scan_cost(self, keys: list[frozenset[str]]) -> int:
        """Keys ``_longer_by_scan`` reads at most for ``keys``."""
        return sum(min(len(self.by_word.get(t, ())) for t in k) for k in keys if k)

    def _table_cost(self) -> int:
        """Subsets ``_longer`` looks up (each key of up to ``SUBSET_WORDS`` words: all its proper ones)."""
        return sum((1 << len(k)) - 2 for k in self.keys if len(k) <= SUBSET_WORDS)

    def _commonness(self, key: frozenset[str], longer: int) -> float:
        """``commonness`` of a non-empty key with ``longer`` longer spellings."""
        names = max(self.names, 1)
        skipped = (1 if key in self.keys else 0) + min(longer, LONGER_SPELLINGS)
        out = float(names)
        for t in sorted(key):  # a set's order changes with each process's string hashing: so would the last bits
            others = max(len(self.by_word.get(t, ())) - skipped, 0)
            out *= (others + UNSEEN) / names
        return max(out, MIN_COMMONNESS)

    @cached_property
    def _longer(self) -> dict[frozenset[str], int]:
        """Per key, how many other keys hold all its words and more (keys with none left out).

        Worked out from the longer key's side: each key's proper subsets that are keys themselves. Scanning
        every key that shares a name's rarest word instead is quadratic where the vocabulary is small
        (1.1M name sets at 10M shipment rows: about 235 s, against 5.6 s this way and 5.2 s for every
        ``commonness``). Keys of more than ``SUBSET_WORDS``
        words (few) are matched the other way (``_held_by_long``).
        """
        out: dict[frozenset[str], int] = {}
        long_by_word: dict[str, list[frozenset[str]]] = {}
        for other in self.keys:
            words = tuple(other)
            if len(words) > SUBSET_WORDS:
                for t in words:
                    long_by_word.setdefault(t, []).append(other)
                continue
            for size in range(1, len(words)):
                for part in combinations(words, size):
                    shorter = frozenset(part)
                    if shorter in self.keys:
                        out[shorter] = out.get(shorter, 0) + 1
        if long_by_word:
            for key, more in _held_by_long(self.keys, long_by_word).items():
                out[key] = out.get(key, 0) + more
        return out

    def _longer_by_scan(self, key: frozenset[str]) -> int:
        """How many keys hold all of ``key``'s words and more (``key`` not among the keys), up to the cap."""
        rarest = min(key, key=lambda t: (len(self.by_word.get(t, ())), t))
        found = 0
        for other in self.by_word.get(rarest, ()):
            if key < other:
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
