"""How alike two names are, as a score in 0..1 with the reason in words.

Used by sanctions screening and by the name-pair benchmarks. Each name is
compared in several forms (see ``NameForms``) and the best form wins:

- same normalised name → 1.0; same letters with other spacing → 0.98;
  same words in another order → 0.97;
- otherwise the best rapidfuzz similarity of the ordered, sorted and glued
  forms, with a penalty when the names carry different numbers (``Partners 4``
  vs ``Partners 5`` are often different funds) or when one name has words the
  other lacks entirely.
- different legal forms (``llc`` vs ``jsc``) cost a little: firms re-register.
- with word weights (``WordWeights``: rarity, IDF), the score is capped by a
  word-by-word alignment in which each word counts by its rarity: the
  distinctive word decides, a common word (``Machinery``) carries little.
  Word to word, a short word (≤ 6 letters) one letter away is only a typo
  when a letter is dropped or doubled, or two neighbours swapped, after the
  first letter; another first letter (``Orion`` / ``Corion``) or a changed
  letter (``Orion`` / ``Orian``) makes another name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Indel, JaroWinkler, Levenshtein
from rigour.names import extract_org_types
from rigour.text import metaphone

from diversion.names.normalise import NameForms

#: The most a name scores when its most distinctive word has no match in the other (under the threshold).
RAREST_WORD_MISSING = 0.75
#: A word "matches" the distinctive word at this word similarity (a typo or transliteration variant).
DISTINCT_MATCH = 0.8
#: Score of two names that differ only by words saying what kind of body it is (``State Corporation``).
FORM_WORDS_ONLY = 0.9
#: Score lost when both names carry legal forms and they differ.
LEGAL_FORM_PENALTY = 0.03
#: Score lost when the names' numbers differ.
NUMBER_PENALTY = 0.15
#: Words of at most this many letters are "short": a changed letter makes another name, not a typo.
SHORT_WORD = 6
#: How much of its plain spelling similarity a word keeps when it is no typo of the other word.
NOT_A_TYPO = 0.5
#: Similarity of a word and its typo (a letter dropped, doubled or two swapped, in a short word).
TYPO = 0.88

#: A word used by at least this share of the names (and at least ``COMMON_MIN`` names) is common:
#: a slip in it is still a typo.
COMMON_SHARE = 0.005
COMMON_MIN = 20


@dataclass(frozen=True)
class WordWeights:
    """How rare each word is in a collection of names (smoothed IDF).

    ``weight`` is the word's inverse document frequency; a word nobody used
    weighs the most. A common word (``Trading``, ``Group``) one letter away
    from another is a typo whatever its length; a rare one is judged strictly.
    """

    idf: Mapping[str, float]
    unseen: float
    common_below: float

    @classmethod
    def from_counts(cls, df: Mapping[str, int], documents: int) -> WordWeights:
        """Weights from document frequencies (names using each word) over ``documents`` names."""

        def idf(n: float) -> float:
            return math.log((documents + 1) / (n + 1)) + 1.0

        return cls({w: idf(n) for w, n in df.items()}, idf(0), idf(max(COMMON_SHARE * documents, COMMON_MIN)))

    def weight(self, word: str) -> float:
        """The word's rarity weight."""
        return self.idf.get(word, self.unseen)

    def is_common(self, word: str) -> bool:
        """Whether the word is used by many names."""
        return self.weight(word) <= self.common_below


@dataclass(frozen=True)
class NameScore:
    """A name similarity and the words that explain it."""

    score: float
    reason: str


def _tokens_similarity(a: NameForms, b: NameForms) -> float:
    """Mean best Jaro-Winkler of each token to the other name's tokens, both ways (order-free)."""

    def one_way(xs: tuple[str, ...], ys: tuple[str, ...]) -> float:
        return sum(max(JaroWinkler.similarity(x, y) for y in ys) for x in xs) / len(xs)

    return min(one_way(a.tokens, b.tokens), one_way(b.tokens, a.tokens))


@lru_cache(maxsize=500_000)
def word_similarity(x: str, y: str) -> float:
    """How alike two words are, 0..1, strict about short words.

    >>> word_similarity("kamiro", "kamro"), word_similarity("orion", "corion") < 0.5
    (0.88, True)
    >>> word_similarity("sergei", "sergey"), word_similarity("orion", "orian") < 0.5
    (0.9, True)
    """
    if x == y:
        return 1.0
    if x.isdigit() or y.isdigit():
        return 0.0
    longest, shortest = max(len(x), len(y)), min(len(x), len(y))
    same_start = x[0] == y[0]
    distance = Levenshtein.distance(x, y, score_cutoff=2)
    if same_start and distance == 1 and longest >= 4:
        if longest > SHORT_WORD:
            return 0.95
        if len(x) != len(y):  # a letter dropped or doubled after the first: a typo
            return TYPO
    if same_start and distance == 2 and len(x) == len(y) >= 4 and OSA.distance(x, y, score_cutoff=1) == 1:
        return TYPO  # two neighbouring letters swapped: Appel / Apple
    # A transliteration variant: Sergei / Sergey, Krasny / Krasnyy. A short word may differ only at its end
    # (Orion / Orian sound alike too, but are two names).
    if (shortest >= 4 and x.isalpha() and y.isalpha() and metaphone(x) == metaphone(y)
            and _common_prefix(x, y) >= (shortest - 1 if longest <= SHORT_WORD else 1)):
        return 0.9
    if same_start and distance == 2 and shortest >= 10:
        return 0.85
    if distance == 1 and longest > SHORT_WORD:
        return 0.8  # a long word with another first letter
    # A stray legal form glued to the word: "ooomizansor" / "mizansor".
    for whole, part in ((x, y), (y, x)):
        rest = whole.removeprefix(part) if whole.startswith(part) else whole.removesuffix(part)
        if rest != whole and len(part) >= 4 and _is_legal_form(rest):
            return 0.9
    return NOT_A_TYPO * Indel.normalized_similarity(x, y)


def _common_prefix(x: str, y: str) -> int:
    n = 0
    for cx, cy in zip(x, y, strict=False):
        if cx != cy:
            break
        n += 1
    return n


@lru_cache(maxsize=10_000)
def _is_legal_form(text: str) -> bool:
    found = extract_org_types(text, generic=True)
    return bool(found) and found[0][0] == text


def _word_match(x: str, y: str, weights: WordWeights) -> float:
    sim = word_similarity(x, y)
    if sim < TYPO and (weights.is_common(x) or weights.is_common(y)) and max(len(x), len(y)) >= 4 \
            and Levenshtein.distance(x, y, score_cutoff=1) == 1:
        return TYPO  # "Tradinng", "roup": a slip in a common word
    return sim


def weighted_word_score(a: NameForms, b: NameForms, weights: WordWeights) -> float:
    """Rarity-weighted alignment of the words of two names, 0..1.

    Each word of each name is matched to its closest word in the other name
    (``word_similarity``) and counts by its rarity weight: a rare word that has
    no match, or only a look-alike, costs much; a common word little.
    """

    def one_way(xs: tuple[str, ...], ys: tuple[str, ...]) -> tuple[float, float]:
        got = total = 0.0
        for x in xs:
            w = weights.weight(x)
            got += w * max(_word_match(x, y, weights) for y in ys)
            total += w
        return got, total

    got_a, total_a = one_way(a.tokens, b.tokens)
    got_b, total_b = one_way(b.tokens, a.tokens)
    total = total_a + total_b
    return (got_a + got_b) / total if total else 0.0


def _spelling_similarity(a: NameForms, b: NameForms) -> NameScore:
    """The whole-name spelling score (no word weights, no penalties): equal, other spacing or order, fuzzy."""
    if a.core == b.core:
        return NameScore(1.0, f"same name after normalisation ({a.core!r})")
    if a.compact == b.compact:
        return NameScore(0.98, f"same letters, other spacing ({a.compact!r})")
    if a.sorted == b.sorted:
        return NameScore(0.97, f"same words in another order ({a.sorted!r})")
    score = max(fuzz.ratio(a.core, b.core), fuzz.ratio(a.compact, b.compact), fuzz.ratio(a.sorted, b.sorted)) / 100
    score = max(score, min(_tokens_similarity(a, b), fuzz.ratio(a.phonetic, b.phonetic) / 100 + 0.05))
    return NameScore(score, f"spelling similarity {score:.2f} ({a.core!r} ~ {b.core!r})")


def _rarest_word_missing(a: NameForms, b: NameForms, weights: WordWeights) -> str | None:
    """The most distinctive word of either name when the other name has nothing close to it, else ``None``.

    ``Natazeta Polymers & Chemicals`` is not ``Nasco Polymers & Chemicals``
    however many words they share: the word that names the firm differs.
    """
    from diversion.names.people import is_patronymic

    for xs, ys in ((a.tokens, b.tokens), (b.tokens, a.tokens)):
        # a person's patronymic may be missing on one side (``names.people``)
        words = [t for t in xs if not t.isdigit() and not (a.person and is_patronymic(t))]
        if len(words) < 2:
            continue
        rarest = max(words, key=lambda t: (weights.weight(t), t))
        if weights.is_common(rarest):
            continue
        if a.person and b.person:
            from diversion.names.people import part_similarity

            arabic = "Arabic" in a.scripts or "Arabic" in b.scripts
            best = max(part_similarity(rarest, y, arabic) for y in ys)
        else:
            best = max(_word_match(rarest, y, weights) for y in ys)
        if best < DISTINCT_MATCH:
            return rarest
    return None


def _only_form_words_differ(a: NameForms, b: NameForms) -> list[str] | None:
    """The words one name has beyond all of the other's, when they only say what kind of body it is.

    ``Rostec`` / ``State Corporation Rostec``; the shared part must hold a word
    that is not generic (``State Corporation`` alone says nothing).
    """
    from diversion.names.rarity import is_form_word, is_generic_word

    small, large = sorted((set(a.tokens), set(b.tokens)), key=len)
    if not small or small == large or not small <= large or all(is_generic_word(t) for t in small):
        return None
    extra = sorted(large - small)
    return extra if all(is_form_word(t) for t in extra) else None


def name_similarity(a: NameForms, b: NameForms, weights: WordWeights | None = None) -> NameScore:
    """Similarity of two normalised names, 0..1, with a one-line explanation.

    >>> from diversion.names.normalise import name_forms
    >>> name_similarity(name_forms('ООО "АМГ"'), name_forms("AMG LLC")).score
    1.0
    """
    if not (a.usable and b.usable):
        return NameScore(0.0, "a name is unusable: " + (a.reason or b.reason or "empty"))
    if a.person and b.person:
        # People: the better of the part-by-part alignment (any order, given-name variants, patronymics) and
        # the spelling of the whole name (a joined or split name, a typo in a short part).
        from diversion.names.people import person_similarity

        score, reason = person_similarity(a, b)
        # The whole name's spelling counts where the parts cannot be paired one to one (a joined or split
        # name) or where one letter is all that differs (a typo in a short part, "Ivan" / "Ivam"): beyond
        # that, "Oleg Petrov" and "Olga Petrova" are two people whose whole spellings are 92 % alike.
        spelt = _spelling_similarity(a, b)
        one_typo = Levenshtein.distance(a.core, b.core, score_cutoff=2) <= 1
        if spelt.score > score and (len(a.tokens) != len(b.tokens) or one_typo):
            score, reason = spelt.score, spelt.reason
        missing = _rarest_word_missing(a, b, weights) if weights is not None else None
        if missing is not None and score > RAREST_WORD_MISSING:
            score, reason = RAREST_WORD_MISSING, reason + f"; its most distinctive part {missing!r} has no match"
        return NameScore(round(score, 4), reason)
    if a.core == b.core:
        score, reason = 1.0, f"same name after normalisation ({a.core!r})"
    elif a.compact == b.compact:
        score, reason = 0.98, f"same letters, other spacing ({a.compact!r})"
    elif a.sorted == b.sorted:
        score, reason = 0.97, f"same words in another order ({a.sorted!r})"
    elif (kind := _only_form_words_differ(a, b)) is not None:
        score, reason = FORM_WORDS_ONLY, f"same name but for words of kind ({', '.join(kind)})"
    else:
        ordered = fuzz.ratio(a.core, b.core) / 100
        glued = fuzz.ratio(a.compact, b.compact) / 100
        sorted_ = fuzz.ratio(a.sorted, b.sorted) / 100
        tokens = _tokens_similarity(a, b)
        phonetic = fuzz.ratio(a.phonetic, b.phonetic) / 100
        score = max(ordered, glued, sorted_, min(tokens, phonetic + 0.05))
        reason = f"spelling similarity {score:.2f} ({a.core!r} ~ {b.core!r})"
        if weights is not None:
            words = weighted_word_score(a, b, weights)
            if words < score:
                score = words
                reason = f"rarity-weighted word match {words:.2f} ({a.core!r} ~ {b.core!r})"
            missing = _rarest_word_missing(a, b, weights)
            if missing is not None and score > RAREST_WORD_MISSING:
                score = RAREST_WORD_MISSING
                reason += f"; its most distinctive word {missing!r} has no match"
    numbers_a = {t for t in a.tokens if t.isdigit()}
    numbers_b = {t for t in b.tokens if t.isdigit()}
    if numbers_a != numbers_b and (numbers_a or numbers_b) and score < 1.0:
        score -= NUMBER_PENALTY
        reason += "; numbers differ"
    if a.legal_forms and b.legal_forms and not set(a.legal_forms) & set(b.legal_forms):
        score -= LEGAL_FORM_PENALTY
        reason += f"; legal forms differ ({'/'.join(a.legal_forms)} vs {'/'.join(b.legal_forms)})"
    return NameScore(round(max(score, 0.0), 4), reason)
