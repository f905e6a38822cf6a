"""An entity's canonical name: rigour's ``pick_name``, its one costly case answered first.

``pick_name`` ranks a bag of names by a weighted Levenshtein centroid, comparing names across
scripts by their ASCII transliterations (ICU4X, a fraction of a millisecond per name never
seen before). But when exactly one of the names is mostly Latin (more than 85 % of its letters
Latin, Cyrillic and Greek letters counting 0.3), it returns that name at once: a Russian
firm's Cyrillic spellings beside its one Latin transliteration. It only finds that out after
transliterating every name. At 3M shipment rows those lists were a quarter of the entities
with several names and 37 of the 43 s ``pick_name`` took; ``canonical_name`` answers them from
the letters' scripts alone, in microseconds, and hands every other list to ``pick_name``.

The answer is ``pick_name``'s: tested against it on random lists and real names, and measured on
every list of a 3M-row resolve (0 of 205,570 differ) and of OFAC's 2021 list (0 of 4,067). A name
holding a character whose letterhood Python and rigour might judge apart (combining marks,
letter-like symbols, characters newer than Python's Unicode tables) goes to ``pick_name`` whole.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from rigour.names import pick_name
from rigour.text.scripts import codepoint_script

#: The Latin share above which ``pick_name`` counts a name as Latin.
LATIN_NAME = 0.85

#: What a letter of each script adds to a name's Latin share (others: nothing).
_LATIN_WEIGHT = {"Latin": 1.0, "Cyrillic": 0.3, "Greek": 0.3}

#: General categories no letter (Unicode's Alphabetic property) falls in: punctuation, spaces, decimal digits,
#: and maths, currency and modifier symbols (checked against ICU over every code point in the tests).
_NOT_LETTERS = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Nd", "Sm", "Sc", "Sk"})

#: A character whose letterhood is left to rigour (``_weight``).
_UNDECIDED = -1.0

#: Each character's weight: what it adds to the Latin share as a letter, ``None`` for a non-letter.
_WEIGHTS: dict[str, float | None] = {}


def _weight(char: str) -> float | None:
    if char in _WEIGHTS:
        return _WEIGHTS[char]
    weight: float | None
    if char.isalpha():  # every letter category is Alphabetic, in both Python's tables and ICU's
        weight = _LATIN_WEIGHT.get(codepoint_script(ord(char)) or "", 0.0)
    elif unicodedata.category(char) in _NOT_LETTERS:
        weight = None
    else:
        weight = _UNDECIDED  # a combining mark, a letter-like symbol, an unassigned character
    _WEIGHTS[char] = weight
    return weight


def latin_share(name: str) -> float | None:
    """The share of ``name``'s letters that reads as Latin, as ``pick_name`` weighs it (``None``: undecided).

    >>> latin_share("OOO Baltmetall"), round(latin_share("ООО Балтметалл"), 6), latin_share("深圳 ELE")
    (1.0, 0.3, 0.6)
    >>> latin_share("12-3"), latin_share("e\\u0301") is None
    (0.0, True)
    """
    latin, letters = 0.0, 0
    for char in name:
        weight = _weight(char)
        if weight is None:
            continue
        if weight == _UNDECIDED:
            return None
        letters += 1
        latin += weight  # summed in the string's order, as rigour sums it: the same float
    return latin / letters if letters else 0.0


def only_latin_name(names: Sequence[str]) -> str | None:
    """The one mostly Latin name among ``names``, when exactly one is (``pick_name``'s answer then), else ``None``.

    >>> only_latin_name(['ООО «Балтметалл»', 'OOO "Baltmetall"', 'ООО БАЛТМЕТАЛЛ'])
    'OOO "Baltmetall"'
    >>> only_latin_name(["Baltmetall", "BALTMETALL", "Балтметалл"]) is None
    True
    """
    found = None
    for name in names:
        if not name.strip():
            return None  # pick_name leaves blank names out before counting: its call
        share = latin_share(name)
        if share is None:
            return None
        if share > LATIN_NAME:
            if found is not None:
                return None
            found = name
    return found


def canonical_name(names: Sequence[str]) -> str | None:
    """rigour's ``pick_name`` of ``names``: the name an analyst reading Latin script is shown.

    >>> canonical_name(['ООО «Балтметаллл-16»', 'ООО «Балтметалл-16»', 'OOO "Baltmetall-16"'])
    'OOO "Baltmetall-16"'
    """
    found = only_latin_name(names)
    return found if found is not None else pick_name(list(names))
