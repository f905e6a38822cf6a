"""Screening's candidates from remembered word postings are those of looking every key up afresh."""

from __future__ import annotations

import json
import random
from pathlib import Path

from diversion.names.normalise import NameForms
from diversion.resolve.screening import ListedEntity, ScreeningIndex, _keys

_DATA = Path(__file__).parents[1] / "data" / "yente"


def _listed() -> list[ListedEntity]:
    """The real OpenSanctions entities kept in ``tests/data/yente``, as a screening index lists them."""
    out = []
    for path in sorted(_DATA.glob("**/*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entity = json.loads(line)
                props = entity.get("properties", {})
                names = [(n, "alias") for key in ("name", "alias", "weakAlias") for n in props.get(key, [])]
                if names:
                    out.append(ListedEntity(entity["id"], entity["schema"], names[0][0], names=names))
    return out


def _afresh(index: ScreeningIndex, query: list[NameForms]) -> set[int]:
    """The candidates as screening found them before words' postings were remembered: every key looked up."""
    found: set[int] = set()
    fallback: set[int] = set()
    for forms in query:
        for key in _keys(forms):
            hits = index.postings.get(key)
            if hits:
                (fallback if len(hits) > index.common else found).update(hits)
    return found or fallback


def _afresh_rare(index: ScreeningIndex, query: list[NameForms]) -> set[int]:
    """The candidates of the keys no more common than ``index.common``."""
    return {i for forms in query for key in _keys(forms) if (hits := index.postings.get(key))
            and len(hits) <= index.common for i in hits}


def _typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    return name[:i] + name[i + 1:] if rng.random() < 0.5 else name[:i] + rng.choice("aoeiknrst") + name[i:]


def test_remembered_postings_give_the_candidates_of_every_key() -> None:
    listed = _listed()
    assert len(listed) > 20
    rng = random.Random(19)
    queries = [n for e in listed for n, _ in e.names]
    queries += [_typo(q, rng) for q in queries] + ["OOO Trading", "Zakharova", "Ижтелеком", "Maria", "x"]
    for common in (50, 3):  # the second makes words shared by more than 3 names fall back
        index = ScreeningIndex(listed)
        index.common = common
        compared = with_fallback = 0
        for name in queries * 2:  # the second round reads the remembered postings
            forms = list({f.core: f for fs in index.query_forms(name).values() for f in fs}.values())
            expected = _afresh(index, forms)
            assert index._candidates(forms) == expected, name
            compared += bool(expected)
            with_fallback += bool(expected) and not (expected & _afresh_rare(index, forms))
        assert compared > len(queries)  # most queries have candidates
    assert with_fallback  # and some only through common words (common=3)

