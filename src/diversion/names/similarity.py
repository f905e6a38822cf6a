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
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from diversion.names.normalise import NameForms

#: Score lost when both names carry legal forms and they differ.
LEGAL_FORM_PENALTY = 0.03
#: Score lost when the names' numbers differ.
NUMBER_PENALTY = 0.15


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


def name_similarity(a: NameForms, b: NameForms) -> NameScore:
    """Similarity of two normalised names, 0..1, with a one-line explanation.

    >>> from diversion.names.normalise import name_forms
    >>> name_similarity(name_forms('ООО "АМГ"'), name_forms("AMG LLC")).score
    1.0
    """
    if not (a.usable and b.usable):
        return NameScore(0.0, "a name is unusable: " + (a.reason or b.reason or "empty"))
    if a.core == b.core:
        score, reason = 1.0, f"same name after normalisation ({a.core!r})"
    elif a.compact == b.compact:
        score, reason = 0.98, f"same letters, other spacing ({a.compact!r})"
    elif a.sorted == b.sorted:
        score, reason = 0.97, f"same words in another order ({a.sorted!r})"
    else:
        ordered = fuzz.ratio(a.core, b.core) / 100
        glued = fuzz.ratio(a.compact, b.compact) / 100
        sorted_ = fuzz.ratio(a.sorted, b.sorted) / 100
        tokens = _tokens_similarity(a, b)
        phonetic = fuzz.ratio(a.phonetic, b.phonetic) / 100
        score = max(ordered, glued, sorted_, min(tokens, phonetic + 0.05))
        reason = f"spelling similarity {score:.2f} ({a.core!r} ~ {b.core!r})"
    numbers_a = {t for t in a.tokens if t.isdigit()}
    numbers_b = {t for t in b.tokens if t.isdigit()}
    if numbers_a != numbers_b and (numbers_a or numbers_b) and score < 1.0:
        score -= NUMBER_PENALTY
        reason += "; numbers differ"
    if a.legal_forms and b.legal_forms and not set(a.legal_forms) & set(b.legal_forms):
        score -= LEGAL_FORM_PENALTY
        reason += f"; legal forms differ ({'/'.join(a.legal_forms)} vs {'/'.join(b.legal_forms)})"
    return NameScore(round(max(score, 0.0), 4), reason)
