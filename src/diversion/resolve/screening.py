"""Sanctions screening: rank listed entities against a name, fast enough to type into.

The index is built once in memory from every listed name and alias
(``sanction_names``, any script). A query is normalised like a mention
(``diversion.names``), candidates come from an inverted index on name words,
their sounds (metaphone) and the first letters of the glued name, and each
candidate is scored with ``name_similarity`` on its best-matching name,
its words weighted by rarity (inverse document frequency over every listed
entity's names and every other party name the warehouse knows): a shared
common word (``Machinery``, ``Trading``) carries little, the distinctive word
decides. A country given with the query lowers the score of entities listed
with other countries; a schema keeps people and organisations apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process
from rigour.text import metaphone

from diversion.engine import Engine
from diversion.names.normalise import NameForms, name_variants
from diversion.names.similarity import WordWeights, name_similarity

#: Score lost when the query's country is not among a listed entity's countries.
COUNTRY_PENALTY = 0.05
#: Candidates kept (closest glued/sorted spelling) for the full score.
SHORTLIST = 30
#: A word used by more than this share of listed names is only used when nothing rarer is.
COMMON_WORD_SHARE = 0.02


@dataclass
class ListedEntity:
    """One entity on a sanctions list, with all its names."""

    entity_id: str
    schema: str
    caption: str
    list_name: str | None = None
    programs: list[str] = field(default_factory=list)
    listing_date: date | None = None
    countries: list[str] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)  # (name, name_type)


@dataclass(frozen=True)
class ScreenHit:
    """A listed entity that matches a screened name."""

    sanction_entity_id: str
    caption: str
    schema: str
    list_name: str | None
    programs: list[str]
    listing_date: date | None
    countries: list[str]
    score: float
    matched_name: str
    name_type: str
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        out = dict(self.__dict__)
        out["listing_date"] = self.listing_date.isoformat() if self.listing_date else None
        return out


def _keys(forms: NameForms) -> set[str]:
    """Index keys of a name: words, their sounds, their one-letter deletions, the glued prefix and suffix."""
    keys = {"w:" + t for t in forms.tokens}
    keys.update("p:" + metaphone(t) for t in forms.tokens if t.isalpha() and len(t) > 2)
    # A word and its one-letter deletions meet across a typo (SymSpell's idea): "tonzan" and "tozan" share
    # "tozan" (a letter dropped), "urvan" and "urvvan" share "urvan" (one added), "stanro"/"stanlo" "stano".
    for t in forms.tokens:
        if 3 <= len(t) <= 14:
            keys.add("d:" + t)
            keys.update("d:" + t[:i] + t[i + 1 :] for i in range(len(t)) if len(t) >= 4)
    # Glued ends meet across a lost space or a stray legal form: "OOOMizansor" / "OOO Mizansor".
    keys.add("c:" + forms.compact[:5])
    if len(forms.compact) >= 6:
        keys.add("s:" + forms.compact[-6:])
    return keys


def _is_person(schema: str | None) -> bool:
    return schema == "Person"


class ScreeningIndex:
    """In-memory index over every name and alias of the listed entities."""

    def __init__(self, entities: list[ListedEntity], max_name_length: int = 500, corpus: Iterable[str] = ()) -> None:
        """Index ``entities``; ``corpus`` (other normalised party names) sharpens the word rarities."""
        self.entities = entities
        self.names: list[tuple[int, str, str, NameForms]] = []  # (entity index, name, type, forms)
        postings: dict[str, list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        for ei, ent in enumerate(entities):
            words: set[str] = set()
            for name, name_type in ent.names:
                for forms in name_variants(name, ent.schema, max_name_length):
                    if not forms.usable:
                        continue
                    ni = len(self.names)
                    self.names.append((ei, name, name_type, forms))
                    words.update(forms.tokens)
                    for key in _keys(forms):
                        postings[key].append(ni)
            df.update(words)  # one count per entity: its aliases repeat its words
        documents = len(entities)
        for core in corpus:
            df.update(set(core.split()))
            documents += 1
        self.postings = {k: frozenset(v) for k, v in postings.items()}
        self.weights = WordWeights.from_counts(df, documents)
        self.common = max(50, int(COMMON_WORD_SHARE * len(self.names)))
        self.max_name_length = max_name_length

    def __len__(self) -> int:
        return len(self.names)

    def _candidates(self, query: list[NameForms]) -> set[int]:
        found: set[int] = set()
        fallback: set[int] = set()
        for forms in query:
            for key in _keys(forms):
                hits = self.postings.get(key)
                if not hits:
                    continue
                (fallback if len(hits) > self.common else found).update(hits)
        return found or fallback

    def _shortlist(self, query: list[NameForms], candidates: set[int]) -> list[int]:
        """The candidates closest in spelling (rapidfuzz, in C++) before the full score."""
        if len(candidates) <= SHORTLIST:
            return sorted(candidates)
        ids = sorted(candidates)
        keep: set[int] = set()
        for q in query:
            for glued in (True, False):
                form = q.compact if glued else q.sorted
                pool = [self.names[i][3].compact if glued else self.names[i][3].sorted for i in ids]
                found = process.extract(form, pool, scorer=fuzz.ratio, limit=SHORTLIST)
                keep.update(ids[k] for _, _, k in found)
        return sorted(keep)

    def search(
        self, name: str, country: str | None = None, schema: str | None = None,
        threshold: float = 0.0, limit: int = 10,
    ) -> list[ScreenHit]:
        """Listed entities whose best name scores at least ``threshold`` against ``name``, best first."""
        if not self.names:  # no list loaded: nothing to find
            return []
        query = [f for f in name_variants(name, schema, self.max_name_length) if f.usable]
        if not query:
            return []
        best: dict[int, tuple[float, int, str]] = {}
        for ni in self._shortlist(query, self._candidates(query)):
            ei, _, _, forms = self.names[ni]
            ent = self.entities[ei]
            if schema and _is_person(schema) != _is_person(ent.schema):
                continue
            for q in query:
                s = name_similarity(q, forms, self.weights)
                if s.score > best.get(ei, (-1.0, 0, ""))[0]:
                    best[ei] = (s.score, ni, s.reason)
        hits = []
        for ei, (score, ni, reason) in best.items():
            ent = self.entities[ei]
            _, matched, name_type, _ = self.names[ni]
            if country and ent.countries and country.upper() not in ent.countries:
                score -= COUNTRY_PENALTY
                reason += f"; listed for {', '.join(ent.countries)}, not {country.upper()}"
            if score < threshold:
                continue
            hits.append(ScreenHit(
                ent.entity_id, ent.caption, ent.schema, ent.list_name, list(ent.programs), ent.listing_date,
                list(ent.countries), round(score, 4), matched, name_type,
                f"{name_type} name {matched!r}: {reason}",
            ))
        hits.sort(key=lambda h: (-h.score, h.sanction_entity_id))
        return hits[:limit]


def load_listed(engine: Engine) -> list[ListedEntity]:
    """Every listed entity in the warehouse with all its names."""
    rows = engine.fetch_dicts(
        "SELECT entity_id, schema, name, list_name, programs, listing_date, countries FROM sanctions ORDER BY entity_id"
    )
    names: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in engine.fetch_dicts("SELECT entity_id, name, name_type FROM sanction_names ORDER BY entity_id, name"):
        names[r["entity_id"]].append((r["name"], r["name_type"]))
    out = []
    for r in rows:
        all_names = [(r["name"], "primary")] + [n for n in names.get(r["entity_id"], []) if n[0] != r["name"]]
        out.append(ListedEntity(
            r["entity_id"], r["schema"], r["name"], r["list_name"], list(r["programs"] or []), r["listing_date"],
            [c for c in r["countries"] or [] if c], all_names,
        ))
    return out


def build_index(engine: Engine, max_name_length: int = 500, corpus: Iterable[str] | None = None) -> ScreeningIndex:
    """A screening index over the warehouse's sanctions lists.

    ``corpus``: normalised names of the other parties, for word rarity; by
    default the ``mentions`` of the last resolve, when there are any.
    """
    if corpus is None:
        corpus = []
        if engine.table_exists("mentions"):
            corpus = [r[0] for r in engine.fetch_all("SELECT name_norm FROM mentions WHERE name_norm IS NOT NULL")]
    return ScreeningIndex(load_listed(engine), max_name_length, corpus)
