"""Every entity's sanctions matches: listed members, and screening of its names."""

from __future__ import annotations

import marshal
from collections.abc import Iterator, Mapping
from hashlib import blake2b
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from diversion.resolve.clustering import Assignment, entity_column
from diversion.resolve.screening import ScreenHit, ScreeningIndex

_SCHEMA = pa.schema([
    ("entity_id", pa.string()), ("sanction_entity_id", pa.string()), ("list_name", pa.string()),
    ("programs", pa.list_(pa.string())), ("listing_date", pa.date32()), ("score", pa.float64()),
    ("matched_name", pa.string()), ("explanation", pa.string()),
])


class _Mention(NamedTuple):
    """The columns of a mention screening reads."""

    mention_id: str
    source_table: str
    source_key: str | None
    unresolved_reason: str | None
    name: str | None
    aliases: list[str] | None
    country: str | None
    schema: str | None


#: The mention columns screening reads.
_MENTION_COLUMNS = list(_Mention._fields)


class Answer(NamedTuple):
    """What screening one name found in one listed entity: the part of a ``ScreenHit`` a match row keeps."""

    sanction_entity_id: str
    score: float
    matched_name: str
    explanation: str


#: Screening answers by question (``question_key`` of a name, country and schema): the hits, best first.
Answers = dict[bytes, tuple[Answer, ...]]


def match_rows(
    mentions: pa.Table, assignments: Mapping[str, Assignment], index: ScreeningIndex, threshold: float, limit: int = 10,
    screened: dict[str, list[dict[str, Any]]] | None = None, answers: Answers | None = None,
    ahead: Answers | None = None, placed: pa.Array | None = None, unchanged: pa.Array | None = None,
) -> list[dict[str, Any]]:
    """Sanctions matches per entity.

    An entity that contains a listed entity's mention matches it with the
    mention's link probability ("resolved"). An entity without one is screened:
    each of its names, with its countries, against every listed name and alias;
    hits at or above ``threshold`` are kept ("screened"). ``screened``: rows
    already screened for some entities (an incremental run's unchanged ones),
    used instead of screening them again; ``unchanged``: more entities screened
    before, with no rows (an update's, most of its entities, kept in Arrow).
    ``answers``: what earlier screening found for each question asked (an
    incremental run's, kept in the warehouse), taken instead of searching again;
    the questions this call asks are added to it. ``ahead``: answers worked out
    before (``prescreening``), taken for the questions this call asks (only those
    are added). ``placed``: each mention's entity id (``clustering.entity_column``),
    when known.
    """
    screened = screened or {}
    if not index.entities:  # no sanctions list loaded: nothing to match
        return []
    listed = {e.entity_id: e for e in index.entities}
    rows: list[dict[str, Any]] = []
    index.postings.for_bulk()
    search = Searches(index, threshold, limit, answers, ahead)
    before = pa.array(list(screened), pa.string())
    if unchanged is not None:
        before = pa.concat_arrays([before, unchanged.cast(pa.string())])
    # Entities screened before (an update's unchanged ones, most of them) take their rows without their
    # mentions being read; those with a listed member are worked out again (their link probability).
    with_listed = _with_listed_member(mentions, assignments, listed)
    for eid, found in screened.items():
        if eid not in with_listed:
            rows.extend(r for r in found if r["sanction_entity_id"] in listed)
    again = pa.array(sorted(with_listed), pa.string())
    # the entities with a listed member that were screened before (few): worked out again below
    screened_listed = set(again.filter(pc.is_in(again, value_set=before)).to_pylist()) if len(before) else set()
    skip = before.filter(pc.invert(pc.is_in(before, value_set=again))) if len(before) else None
    for eid, ms in _by_entity(mentions, assignments, skip, placed):
        direct = [(m, listed[m.source_key]) for m in ms
                  if m.source_table == "sanctions" and m.source_key is not None and m.source_key in listed]
        for m, ent in direct:
            p = assignments[m.mention_id].match_probability
            how = "is the listed entity" if len(ms) == 1 else f"linked by entity resolution (p={p:.2f})"
            rows.append(_row(eid, ent, p, ent.caption, f"{how}: {ent.caption!r} on {ent.list_name}"))
        if direct:
            continue
        if eid in screened_listed:  # screened before, with a listed member
            rows.extend(r for r in screened.get(eid, ()) if r["sanction_entity_id"] in listed)
            continue
        seen: dict[str, dict[str, Any]] = {}
        for m in ms:
            if m.unresolved_reason:
                continue
            for name in [m.name, *(m.aliases or [])]:
                for hit in search(name or "", m.country, m.schema):
                    old = seen.get(hit.sanction_entity_id)
                    if old is None or hit.score > old["score"]:
                        ent = listed[hit.sanction_entity_id]
                        seen[hit.sanction_entity_id] = _row(
                            eid, ent, hit.score, hit.matched_name, f"screened name {name!r}: {hit.explanation}"
                        )
        rows.extend(sorted(seen.values(), key=lambda r: (-r["score"], r["sanction_entity_id"]))[:limit])
    if skip is not None and len(skip):
        rows.sort(key=lambda r: r["entity_id"])  # entities in id order, as read (stable: each one's own order)
    return rows


def _with_listed_member(mentions: pa.Table, assignments: Mapping[str, Assignment], listed: dict[str, Any]) -> set[str]:
    """The entities holding a listed entity's mention."""
    members = mentions.filter(pc.equal(mentions.column("source_table"), "sanctions"))
    return {assignments[m].entity_id for m, key in zip(members.column("mention_id").to_pylist(),
                                                      members.column("source_key").to_pylist(), strict=True)
            if key in listed}


#: Mentions read into Python at a time by ``_by_entity`` (a million mentions as Python objects are half a gigabyte).
BATCH_ROWS = 50_000


def _by_entity(mentions: pa.Table, assignments: Mapping[str, Assignment], skip: pa.Array | None = None,
               placed: pa.Array | None = None) -> Iterator[tuple[str, list[_Mention]]]:
    """Each entity's mentions (``_Mention``, in table order), entities in id order; the entities in ``skip``
    left out. ``placed``: each mention's entity id, when known.

    Read ``BATCH_ROWS`` at a time, so only one batch of mentions is ever held as Python objects; read column
    by column (rows as dictionaries took 2.6–3.0 s at 3M shipment rows, these 1.7 s).
    """
    entity = entity_column(mentions, assignments) if placed is None else placed
    table = mentions.select(_MENTION_COLUMNS).append_column("_entity", entity)
    if skip is not None and len(skip):
        table = table.filter(pc.invert(pc.is_in(entity, value_set=skip)))
    table = table.take(pc.sort_indices(table, [("_entity", "ascending")]))  # stable: table order within one
    del entity
    current: str | None = None
    members: list[_Mention] = []
    for batch in table.to_batches(BATCH_ROWS):
        entities = batch.column("_entity").to_pylist()
        rows = map(_Mention._make, zip(*(batch.column(c).to_pylist() for c in _MENTION_COLUMNS), strict=True))
        for eid, m in zip(entities, rows, strict=True):
            if eid != current:
                if current is not None:
                    yield current, members
                current, members = eid, []
            members.append(m)
    if current is not None:
        yield current, members


class Searches:
    """``search_forms`` of each (name, country, schema), each asked once.

    The same spelling recurs across many mentions (one per address or id), and spellings that normalise
    alike (case, punctuation, legal form written out or not) get the same answer: each is screened once.
    Answers are keyed by a digest of the question (16 bytes, not the names and forms themselves: at 3M
    shipment rows there are 700,000 distinct questions), and most are the one empty answer. ``answers``:
    the answers asked so far (added to); ``ahead``: answers worked out before, taken instead of searching.
    """

    def __init__(self, index: ScreeningIndex, threshold: float, limit: int, answers: Answers | None = None,
                 ahead: Answers | None = None) -> None:
        self.index, self.threshold, self.limit = index, threshold, limit
        self.by_name: Answers = {} if answers is None else answers
        self.ahead: Answers = ahead or {}
        self.by_forms: Answers = {}
        self.kinds: dict[str | None, tuple[str, ...]] = {}

    def __call__(self, name: str, country: str | None, schema: str | None) -> tuple[Answer, ...]:
        key = question_key(name, country, schema)
        found = self.by_name.get(key)
        if found is None:
            found = self.ahead.get(key)  # an empty answer is an answer: tested against None, not falsehood
            if found is None:
                found = self._searched(name, country, schema)
            self.by_name[key] = found
        return found

    def _searched(self, name: str, country: str | None, schema: str | None) -> tuple[Answer, ...]:
        """The answer to a question not answered before: searched, unless a spelling normalised alike was."""
        kinds = self.kinds.get(schema)
        if kinds is None:
            kinds = self.kinds[schema] = self.index.query_kinds(schema)
        queries = self.index.query_forms(name, kinds)
        same = _digest((self.index.forms_key(queries), country, schema))
        found = self.by_forms.get(same)
        if found is None:
            hits = self.index.search_forms(queries, country, schema, self.threshold, self.limit)
            found = self.by_forms[same] = _answers(hits)
        return found


#: The one empty answer (most questions'), shared.
NO_HITS: tuple[Answer, ...] = ()


def _answers(hits: list[ScreenHit]) -> tuple[Answer, ...]:
    return tuple(Answer(h.sanction_entity_id, h.score, h.matched_name, h.explanation) for h in hits) or NO_HITS


def question_key(name: str, country: str | None, schema: str | None) -> bytes:
    """The key of one screening question: a name, with the country and schema of the party that bears it."""
    return _digest((name, country, schema))


def _digest(question: tuple[Any, ...]) -> bytes:
    """16 bytes standing for ``question`` (strings, None, booleans, tuples and frozensets of them).

    ``marshal`` writes them faithfully (the same bytes are the same question) and three times as fast as
    ``repr``; the same question written two ways only costs a second search.
    """
    return blake2b(marshal.dumps(question), digest_size=16).digest()


def _row(eid: str, ent: Any, score: float, matched: str, explanation: str) -> dict[str, Any]:
    return {
        "entity_id": eid, "sanction_entity_id": ent.entity_id, "list_name": ent.list_name,
        "programs": list(ent.programs) or None, "listing_date": ent.listing_date, "score": round(float(score), 4),
        "matched_name": matched, "explanation": explanation,
    }


def matches_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The ``sanctions_matches`` warehouse table."""
    return pa.table({f.name: [r[f.name] for r in rows] for f in _SCHEMA}, schema=_SCHEMA)
