"""Person names compared as people: parts in any order, given-name variants, optional patronymics.

``Oleg Deripaska`` is ``DERIPASKA, Oleg Vladimirovich``; ``Евгений``,
``Yevgeniy`` and ``Evgenii`` are one given name; ``ظریف`` is ``Zarif``. Learnt
from nomenklatura's name matcher (logic-v2: align the parts, whatever their
order, then weigh what is left over):

- parts are aligned in any order, each to its closest partner: the same
  word, a typo or transliteration variant (``word_similarity``), or the same
  consonants (``consonants``: ``yevgeniy``, ``evgenii`` and ``evgeny`` are all
  ``vgn``; Arabic script loses its vowels when transliterated, ``zryf`` is
  ``zarif``);
- a patronymic (``-ovich``, ``-ovna``, ``-ogly``...) that only one side has is
  left out (two different ones count); any other part without a partner
  counts against the match;
- the whole name's spelling is scored too (``similarity``), and the better
  score counts: a joined name (``SergeiLavrov``) or a typo in a short part.

rigour's person-name symbols (Wikidata given names) would know more variants,
but loading its table takes tens of seconds: too slow for ``diversion screen``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from diversion.names.normalise import NameForms

#: Similarity of two parts with the same consonants (transliteration variants).
SAME_CONSONANTS = 0.9
#: Score of two names with the same parts in another order (or one side's patronymic left out).
REORDERED = 0.97

_PATRONYMIC = re.compile(r"(?:ovich|evich|ovych|evych|ovna|evna|ivna|ichna|ogly|oglu|kyzy|qizi|uulu)$")


def is_patronymic(part: str) -> bool:
    """Whether a (transliterated) name part is a patronymic: ``Vladimirovich``, ``Ivanovna``, ``Aliyev oglu``.

    >>> is_patronymic("vladimirovich"), is_patronymic("prigozhin")
    (True, False)
    """
    return len(part) > 5 and _PATRONYMIC.search(part) is not None


@dataclass(frozen=True)
class _Part:
    token: str
    skeleton: str
    arabic: bool


def consonants(word: str) -> str:
    """A name part's consonants, with transliteration variants folded (``kh``/``h``, ``w``/``v``, ``x``/``ks``).

    >>> consonants("yevgeniy"), consonants("evgenii"), consonants("mohammed"), consonants("mhmd")
    ('vgn', 'vgn', 'mhmd', 'mhmd')
    """
    text = word.lower().replace("kh", "h").replace("gh", "k").replace("ph", "f").replace("ck", "k").replace("x", "ks")
    text = text.replace("q", "k").replace("w", "v").replace("j", "i").replace("'", "")
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouy]", "", text))


@lru_cache(maxsize=100_000)
def _parts(forms: NameForms) -> tuple[_Part, ...]:
    arabic = "Arabic" in forms.scripts
    return tuple(_Part(t, consonants(t), arabic) for t in forms.tokens)


def part_similarity(x: str, y: str, arabic: bool = False) -> float:
    """How alike two person-name parts are (``arabic``: one of them was written in Arabic script)."""
    return _part_similarity(_Part(x, consonants(x), arabic), _Part(y, consonants(y), arabic))


def _part_similarity(x: _Part, y: _Part) -> float:
    from diversion.names.similarity import word_similarity

    if x.token == y.token:
        return 1.0
    best = word_similarity(x.token, y.token)
    shortest = 1 if (x.arabic or y.arabic) else 3  # Arabic script keeps only consonants: "ly" is "Ali"
    if x.skeleton == y.skeleton and len(x.skeleton) >= shortest and not (x.token.isdigit() or y.token.isdigit()):
        best = max(best, SAME_CONSONANTS)
    return best


def person_similarity(a: NameForms, b: NameForms) -> tuple[float, str]:
    """How alike two person names are, 0..1, with the reason (see the module docstring).

    >>> from diversion.names.normalise import name_forms
    >>> person_similarity(name_forms("Oleg Deripaska", "Person"),
    ...                   name_forms("DERIPASKA, Oleg Vladimirovich", "Person"))[0]
    0.97
    """
    pa_, pb = _parts(a), _parts(b)
    if a.tokens == b.tokens:
        return 1.0, f"same name ({a.core!r})"
    # Greedy alignment, closest pairs first: names have few parts.
    pairs = sorted(((_part_similarity(x, y), i, j) for i, x in enumerate(pa_) for j, y in enumerate(pb)),
                   reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    got = 0.0
    for sim, i, j in pairs:
        if i in used_a or j in used_b or sim < 0.5:
            continue
        used_a.add(i)
        used_b.add(j)
        got += sim
    left = [p.token for i, p in enumerate(pa_) if i not in used_a]
    right = [p.token for j, p in enumerate(pb) if j not in used_b]
    # A patronymic is optional: left out when the other side has none left over (two different ones count).
    if not any(is_patronymic(t) for t in right):
        left = [t for t in left if not is_patronymic(t)]
    if not any(is_patronymic(t) for t in left):
        right = [t for t in right if not is_patronymic(t)]
    counted = len(used_a) + max(len(left), len(right))
    score = got / counted if counted else 0.0
    if score >= 1.0:
        score = REORDERED
    reason = f"name parts aligned in any order {score:.2f} ({a.core!r} ~ {b.core!r})"
    if left or right:
        reason += f"; without a partner: {', '.join(left + right)}"
    return round(score, 4), reason
