"""The one seam between the web routes and the resolve stage's name screening.

The search box and ``/match`` look names up with the resolve stage's
``ScreeningIndex`` (``diversion.resolve.screening``): names normalised by the
``names`` package (transliteration, legal forms), candidates from an inverted
index on words and their sounds, scores from ``name_similarity``. So
``AMG`` finds ``ООО "АМГ"`` here exactly as it does in ``diversion resolve``.
This module only adapts that index to the routes' needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diversion.names import name_forms
from diversion.resolve.screening import ListedEntity, ScreeningIndex


class UnusableName(ValueError):
    """A query name that cannot be matched (empty, punctuation only, too long...)."""


@dataclass(frozen=True)
class NameHit:
    """The best-scoring name of one indexed record for a query."""

    key: str
    name: str
    score: float  # 0..1
    reason: str


@dataclass(frozen=True)
class IndexEntry:
    """A record to index: its id, schema, display name, countries and every name it goes by."""

    key: str
    schema: str
    caption: str
    countries: list[str]
    names: list[tuple[str, str]]  # (name, name_type: primary|alias|...)


class NameIndex:
    """Names of a collection (sanctions entries or resolved entities), indexed once."""

    def __init__(self, entries: Iterable[IndexEntry]) -> None:
        listed = [ListedEntity(e.key, e.schema, e.caption, countries=e.countries, names=e.names) for e in entries]
        self._index = ScreeningIndex(listed)

    def __len__(self) -> int:
        return len(self._index)

    def lookup(
        self, name: str, schema: str | None = None, country: str | None = None, limit: int = 10, cutoff: float = 0.5
    ) -> list[NameHit]:
        """Records whose names resemble ``name``, best first, one hit per record.

        A ``country`` lowers the score of records from other countries (the
        resolve stage's screening penalty). Raises ``UnusableName`` when the
        query cannot be matched at all.
        """
        forms = name_forms(name, schema)
        if not forms.usable:
            raise UnusableName(forms.reason or "name has no letters or digits")
        hits = self._index.search(name, country=country, schema=schema, threshold=cutoff, limit=limit)
        return [NameHit(h.sanction_entity_id, h.matched_name, h.score, h.explanation) for h in hits]
