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
with other countries.

A query's schema is read with FollowTheMoney's hierarchy (``matchable``): a
``Company`` matches listed companies, organisations and legal entities, a
``Person`` people (and legal entities), ``LegalEntity`` (the default) all of
those; vessels and aircraft only when the query asks for them (``Vessel``,
``Airplane``, or ``Thing`` for everything). People are compared as people
(``names.people``: parts in any order, given-name variants), assets without
legal forms (``YK-ATA`` is an aircraft's mark, not a Japanese company).

The index is built once per warehouse state and can be saved beside the
warehouse (``screen_cache``), so ``diversion screen`` answers without
rebuilding it.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import chain
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process
from rigour.text import metaphone

from diversion.names.normalise import OBJECT_SCHEMATA, NameForms, name_forms, name_variants
from diversion.names.similarity import WordWeights, name_similarity

if TYPE_CHECKING:
    import pyarrow as pa

    from diversion.engine import Engine

#: Score lost when the query's country is not among a listed entity's countries.
COUNTRY_PENALTY = 0.05
#: Candidates kept (closest glued/sorted spelling) for the full score.
SHORTLIST = 30
#: A word used by more than this share of listed names is only used when nothing rarer is.
COMMON_WORD_SHARE = 0.02
#: Words whose postings a screening index remembers (bulk screening reads the same words again and again).
WORD_HITS = 100_000
#: Listed names whose matching forms an index remembers (``ScreeningIndex.forms``).
LISTED_FORMS = 50_000


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


@lru_cache(maxsize=200_000)
def _word_keys(word: str) -> tuple[str, ...]:
    """Index keys of one word: itself, its sound, its one-letter deletions (names repeat their words)."""
    keys = ["w:" + word]
    if word.isalpha() and len(word) > 2:
        keys.append("p:" + metaphone(word))
    # A word and its one-letter deletions meet across a typo (SymSpell's idea): "tonzan" and "tozan" share
    # "tozan" (a letter dropped), "urvan" and "urvvan" share "urvan" (one added), "stanro"/"stanlo" "stano".
    if 3 <= len(word) <= 14:
        keys.append("d:" + word)
        if len(word) >= 4:
            keys.extend("d:" + word[:i] + word[i + 1 :] for i in range(len(word)))
    return tuple(dict.fromkeys(keys))


def _glued_keys(forms: NameForms) -> list[str]:
    """Keys of the glued name: its prefix and suffix meet across a lost space or a stray legal form."""
    # "OOOMizansor" / "OOO Mizansor".
    keys = ["c:" + forms.compact[:5]]
    if len(forms.compact) >= 6:
        keys.append("s:" + forms.compact[-6:])
    return keys


def _keys(forms: NameForms) -> set[str]:
    """Index keys of a name: words, their sounds, their one-letter deletions, the glued prefix and suffix."""
    keys = set(_glued_keys(forms))
    for t in forms.tokens:
        keys.update(_word_keys(t))
    return keys


#: The schema of a query that names none: every party (company, organisation, person), no assets.
DEFAULT_QUERY_SCHEMA = "LegalEntity"
#: A query schema that matches every listed entity, assets included.
ANY_SCHEMA = "Thing"


def matchable_schemata() -> dict[str, frozenset[str]]:
    """Per FtM schema name, the listed schemata a query of that schema may match (FtM's hierarchy).

    Built from ``followthemoney.model`` (``Schema.matchable_schemata``), once
    per index, so a saved index screens without importing the FtM model.
    """
    from followthemoney import model

    out = {name: frozenset({name, *(m.name for m in schema.matchable_schemata)})
           for name, schema in model.schemata.items()}
    out[ANY_SCHEMA] = frozenset(model.schemata)
    return out


def _kind(schema: str | None) -> str:
    """How a listed entity's names are read: ``person``, ``object`` (vessel, aircraft...) or ``org``."""
    return "person" if schema == "Person" else "object" if schema in OBJECT_SCHEMATA else "org"


_KIND_SCHEMA = {"person": "Person", "object": "Vessel", "org": None}


class _Postings:
    """An inverted index frozen into sorted keys and one array of ids: small to save, quick to load."""

    def __init__(self, postings: dict[str, list[int]]) -> None:
        self.keys = sorted(postings)
        self.offsets = array("I", [0])
        self.ids = array("I")
        for key in self.keys:
            self.ids.extend(sorted(set(postings[key])))
            self.offsets.append(len(self.ids))

        self._where: dict[str, int] | None = None

    def for_bulk(self) -> None:
        """Look keys up in a hash table from now on (for thousands of queries; never saved)."""
        if self._where is None:
            self._where = {key: i for i, key in enumerate(self.keys)}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_where": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"_where": None, **state})

    def get(self, key: str) -> array[int] | None:
        """The name ids under ``key``, or ``None``."""
        if self._where is not None:
            found = self._where.get(key)
            return None if found is None else self.ids[self.offsets[found]:self.offsets[found + 1]]
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            return None
        return self.ids[self.offsets[i]:self.offsets[i + 1]]


class ScreeningIndex:
    """In-memory index over every name and alias of the listed entities."""

    def __init__(self, entities: list[ListedEntity], max_name_length: int = 500,
                 corpus: Iterable[str] | pa.Array | pa.ChunkedArray = ()) -> None:
        """Index ``entities``; ``corpus`` (other normalised party names, as strings or Arrow) sharpens the word
        rarities."""
        self.entities = entities
        self.matchable = matchable_schemata()
        self.schema_names = {name.lower(): name for name in self.matchable}
        # Per indexed name: (entity index, name as listed, name type, the text its forms were made of); the
        # forms themselves are made again when a query needs them (``forms``), so a saved index stays small.
        self.names: list[tuple[int, str, str, str]] = []
        self.compact: list[str] = []
        self.sorted: list[str] = []
        postings: dict[str, list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        for ei, ent in enumerate(entities):
            words: set[str] = set()
            for name, name_type in ent.names:
                for forms in name_variants(name, ent.schema, max_name_length):
                    if not forms.usable:
                        continue
                    ni = len(self.names)
                    self.names.append((ei, name, name_type, forms.original))
                    self.compact.append(forms.compact)
                    self.sorted.append(forms.sorted)
                    words.update(forms.tokens)
                    for key in _keys(forms):
                        postings[key].append(ni)
            df.update(words)  # one count per entity: its aliases repeat its words
        # A resolve's millions of names come as Arrow and are counted there. Arrow is only looked for where it is
        # loaded: a cold ``diversion screen`` never imports it (``tests/resolve/test_screening_schema.py``).
        arrow = sys.modules.get("pyarrow")
        if arrow is not None and isinstance(corpus, arrow.Array | arrow.ChunkedArray):
            from diversion.arrays import words_per_text

            df.update(words_per_text(corpus))
        else:
            corpus = corpus if isinstance(corpus, list) else list(corpus)
            df.update(chain.from_iterable(map(set, map(str.split, corpus))))  # one count per name, counted in C
        documents = len(entities) + len(corpus)
        self.postings = _Postings(postings)
        self.weights = WordWeights.from_counts(df, documents)
        self.common = max(50, int(COMMON_WORD_SHARE * len(self.names)))
        self.max_name_length = max_name_length
        self._hits: dict[str, list[array[int]]] = {}
        self._forms: dict[int, NameForms] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_hits": {}, "_forms": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"_hits": {}, "_forms": {}, **state})

    def __len__(self) -> int:
        return len(self.names)

    def forms(self, ni: int) -> NameForms:
        """The matching forms of indexed name ``ni`` (remembered for up to ``LISTED_FORMS`` names: a bulk
        screening compares the same few listed names with thousands of parties, and made them again each
        time, a tenth of its time at 3M shipment rows)."""
        found = self._forms.get(ni)
        if found is None:
            if len(self._forms) >= LISTED_FORMS:
                self._forms.clear()
            ei, _, _, text = self.names[ni]
            found = self._forms[ni] = name_forms(text, self.entities[ei].schema, self.max_name_length)
        return found

    def _candidates(self, query: list[NameForms]) -> set[int]:
        found: set[int] = set()
        fallback: set[int] = set()
        for forms in query:
            hits = [self.postings.get(key) for key in _glued_keys(forms)]
            hits.extend(h for t in set(forms.tokens) for h in self._word_hits(t))
            for ids in hits:
                if ids:
                    (fallback if len(ids) > self.common else found).update(ids)
        return found or fallback

    def _word_hits(self, word: str) -> list[array[int]]:
        """The postings of a word's keys that hold names (remembered for up to ``WORD_HITS`` words)."""
        hits = self._hits.get(word)
        if hits is None:
            if len(self._hits) >= WORD_HITS:
                self._hits.clear()
            hits = self._hits[word] = [ids for key in _word_keys(word) if (ids := self.postings.get(key))]
        return hits

    def _shortlist(self, query: list[NameForms], candidates: set[int]) -> list[int]:
        """The candidates closest in spelling (rapidfuzz, in C++) before the full score."""
        if len(candidates) <= SHORTLIST:
            return sorted(candidates)
        ids = sorted(candidates)
        keep: set[int] = set()
        for q in query:
            for glued in (True, False):
                form = q.compact if glued else q.sorted
                pool = [self.compact[i] if glued else self.sorted[i] for i in ids]
                found = process.extract(form, pool, scorer=fuzz.ratio, limit=SHORTLIST)
                keep.update(ids[k] for _, _, k in found)
        return sorted(keep)

    def query_schema(self, schema: str | None) -> str:
        """The FtM schema name of a query's ``schema`` (any case); ``ValueError`` when FtM has none such.

        No schema means ``DEFAULT_QUERY_SCHEMA``.
        """
        if not schema or not schema.strip():
            return DEFAULT_QUERY_SCHEMA
        found = self.schema_names.get(schema.strip().lower())
        if found is None:
            raise ValueError(f"unknown schema {schema!r}: use an FtM schema such as Company, Organization, Person, "
                             "LegalEntity, Vessel, Airplane or Thing (everything)")
        return found

    def search(
        self, name: str, country: str | None = None, schema: str | None = None,
        threshold: float = 0.0, limit: int = 10,
    ) -> list[ScreenHit]:
        """Listed entities whose best name scores at least ``threshold`` against ``name``, best first.

        ``schema``: the query's FtM schema (see the module docstring); an
        unknown one is read as ``LegalEntity``.
        """
        if not self.names:  # no list loaded: nothing to find
            return []
        return self.search_forms(self.query_forms(name, self.query_kinds(schema)), country, schema, threshold, limit)

    def _allowed(self, schema: str | None) -> frozenset[str]:
        """The listed schemata a query of ``schema`` may match (an unknown one read as ``LegalEntity``)."""
        try:
            return self.matchable[self.query_schema(schema)]
        except ValueError:
            return self.matchable[DEFAULT_QUERY_SCHEMA]

    def query_kinds(self, schema: str | None) -> tuple[str, ...]:
        """The kinds of name (person, object, org) a query of ``schema`` is compared as.

        Only the kinds of the listed schemata it may match: a company is never read as a vessel's or a
        person's name, a party of unknown schema (``LegalEntity``) never as a vessel's.
        """
        kinds = {_kind(s) for s in self._allowed(schema)}
        return tuple(k for k in _KIND_SCHEMA if k in kinds)

    def query_forms(self, name: str, kinds: tuple[str, ...] = tuple(_KIND_SCHEMA)) -> dict[str, list[NameForms]]:
        """The usable forms of a query name, as each of ``kinds`` of listed entity reads names (default: all)."""
        return {kind: [f for f in name_variants(name, _KIND_SCHEMA[kind], self.max_name_length) if f.usable]
                for kind in kinds}

    @staticmethod
    def forms_key(queries: dict[str, list[NameForms]]) -> tuple[Any, ...]:
        """What a search's result depends on in ``query_forms``: names that normalise alike share it."""
        return tuple((kind, tuple((f.core, f.tokens, f.legal_forms, f.scripts, f.person) for f in forms))
                     for kind, forms in queries.items())

    def search_forms(
        self, queries: dict[str, list[NameForms]], country: str | None = None, schema: str | None = None,
        threshold: float = 0.0, limit: int = 10,
    ) -> list[ScreenHit]:
        """``search`` for a name's ``query_forms``."""
        if not self.names or not any(queries.values()):
            return []
        allowed = self._allowed(schema)
        everything = list({f.core: f for forms in queries.values() for f in forms}.values())
        best: dict[int, tuple[float, int, str]] = {}
        for ni in self._shortlist(everything, self._candidates(everything)):
            ei = self.names[ni][0]
            ent = self.entities[ei]
            if ent.schema not in allowed:
                continue
            forms = self.forms(ni)
            for q in queries.get(_kind(ent.schema), ()):
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


def build_index(engine: Engine, max_name_length: int = 500,
                corpus: Iterable[str] | pa.Array | pa.ChunkedArray | None = None) -> ScreeningIndex:
    """A screening index over the warehouse's sanctions lists.

    ``corpus``: normalised names of the other parties, for word rarity; by
    default the ``mentions`` of the last resolve, when there are any.
    """
    if corpus is None:
        corpus = []
        if engine.table_exists("mentions"):
            corpus = engine.fetch_arrow("SELECT name_norm FROM mentions WHERE name_norm IS NOT NULL").column(0)
    return ScreeningIndex(load_listed(engine), max_name_length, corpus)
