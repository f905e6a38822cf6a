"""Entity rows from clustered mentions, and the shipment → entity map."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from diversion.engine.schema import columns
from diversion.names.canonical import canonical_name
from diversion.resolve.clustering import Assignment, Assignments, entity_column
from diversion.resolve.fields import distinct_sorted
from diversion.resolve.mentions import PARTY_COLUMNS, mention_id_sql

_LIST = pa.list_(pa.string())
_SCHEMA = pa.schema([
    (c, _LIST if c in ("names", "countries", "identifiers") else pa.int32() if c == "mention_count" else pa.string())
    for c in columns("entities")
])
_SCHEMA_RANK = {"Person": 0, "Company": 1, "Organization": 2, "LegalEntity": 3}


def _schema(values: list[str | None]) -> str:
    known = [v for v in values if v]
    if not known:
        return "LegalEntity"
    return min(known, key=lambda v: (_SCHEMA_RANK.get(v, 9), v))


def _display(name: str | None, unresolved: str | None) -> str | None:
    """A usable name with its whitespace collapsed, as an entity lists it (``None``: not listed)."""
    return " ".join(name.split()) if name and name.strip() and not unresolved else None


def _members(mentions: pa.Table, assignments: Mapping[str, Assignment], kept: pa.Table | None = None,
             placed: pa.Array | None = None) -> tuple[pa.Table, dict[str, list[int]], pa.Array]:
    """The rows of ``mentions`` whose entity is not among the ``kept`` rows', each such entity's row numbers
    among them (by entity id), and the entity id of every mention (``placed``, ``entity_column`` when not given).

    An update's unchanged entities (most of them) are left out in Arrow, before any column is read into
    Python: the work is the changed entities', not every mention's.
    """
    placed = entity_column(mentions, assignments) if placed is None else placed
    entity = placed
    if kept is not None and kept.num_rows:
        fresh = pc.invert(pc.is_in(placed, value_set=kept.column("entity_id").combine_chunks()))
        mentions, entity = mentions.filter(fresh), placed.filter(fresh)
    members: dict[str, list[int]] = defaultdict(list)
    for i, eid in enumerate(entity.to_pylist()):
        members[eid].append(i)
    return mentions, members, placed


def _shown(idx: list[int], names: list[Any], aliases: list[Any], unresolved: list[Any]) -> list[str]:
    """An entity's usable names, the most used first."""
    shown: Counter[str] = Counter()
    for i in idx:
        for name in (names[i], *(aliases[i] or ())):
            clean = _display(name, unresolved[i])
            if clean:
                shown[clean] += 1
    return [n for n, _ in shown.most_common()]


def names_to_pick(mentions: pa.Table, assignments: Mapping[str, Assignment], kept: pa.Table | None = None,
                  placed: pa.Array | None = None) -> list[tuple[str, ...]]:
    """The name lists ``entities_frame`` hands to ``pick_name``: entities with several names not ``kept``.

    ``placed``: ``entity_column`` of ``mentions``, when known.
    """
    mentions, members, _ = _members(mentions, assignments, kept, placed)
    names, aliases, unresolved = (mentions.column(c).to_pylist() for c in ("name", "aliases", "unresolved_reason"))
    out = []
    for idx in members.values():
        if len(idx) > 1 or aliases[idx[0]]:
            shown = _shown(idx, names, aliases, unresolved)
            if len(shown) > 1:
                out.append(tuple(shown))
    return out


def entities_frame(mentions: pa.Table, assignments: Mapping[str, Assignment],
                   kept: pa.Table | None = None,
                   picked: dict[tuple[str, ...], str | None] | None = None,
                   placed: pa.Array | None = None) -> pa.Table:
    """The ``entities`` table: one row per entity, sorted by id.

    Its canonical name is rigour's ``pick_name`` of its names, with all names,
    countries and ids. The mention columns are read once as lists; an entity of
    one mention with one name (most of them) takes them as they are. ``kept``:
    rows known to be current (an incremental run's unchanged entities, ``entities`` rows).
    ``picked``: canonical names already picked (``picking``), by name list. ``placed``: ``entity_column`` of
    ``mentions``, when known.
    """
    picked = picked or {}
    mentions, members, placed = _members(mentions, assignments, kept, placed)
    col = {c: mentions.column(c).to_pylist() for c in
           ("name", "aliases", "unresolved_reason", "countries", "identifiers", "schema")}
    names, aliases, unresolved = col["name"], col["aliases"], col["unresolved_reason"]
    countries, identifiers, schemas = col["countries"], col["identifiers"], col["schema"]
    out: dict[str, list[Any]] = {c: [] for c in _SCHEMA.names}
    for eid in sorted(members):
        idx = members[eid]
        out["entity_id"].append(eid)
        out["mention_count"].append(len(idx))
        if len(idx) == 1 and not aliases[idx[0]]:  # one mention, one name: its values as they are
            i = idx[0]
            name, clean = names[i], _display(names[i], unresolved[i])
            out["canonical_name"].append(clean or (name if name and name.strip() else "(no name)")[:200])
            out["names"].append([clean] if clean else None)
            out["countries"].append(distinct_sorted(countries[i]))
            out["identifiers"].append(distinct_sorted(identifiers[i]))
            out["schema"].append(schemas[i] or "LegalEntity")
            continue
        raw = _shown(idx, names, aliases, unresolved)
        canonical = None
        if len(raw) > 1:
            key = tuple(raw)
            canonical = picked[key] if key in picked else canonical_name(raw)
        elif raw:  # one name: it is the pick
            canonical = raw[0]
        if not canonical:
            first = next((names[i] for i in idx if names[i] and names[i].strip()), None)
            canonical = (first or "(no name)")[:200]
        out["canonical_name"].append(canonical)
        out["names"].append(sorted(raw) or None)
        out["countries"].append(sorted({c for i in idx for c in countries[i] or () if c}) or None)
        out["identifiers"].append(sorted({v for i in idx for v in identifiers[i] or ()}) or None)
        out["schema"].append(_schema([schemas[i] for i in idx]))
    made = pa.table({f.name: pa.array(out[f.name], f.type) for f in _SCHEMA}, schema=_SCHEMA)
    if kept is None or not kept.num_rows:
        return made
    # The kept rows of the entities that still exist, beside the new ones, in id order.
    kept = kept.filter(pc.is_in(kept.column("entity_id"), value_set=placed))
    both = pa.concat_tables([made, kept.select(_SCHEMA.names).cast(_SCHEMA)])
    return both.sort_by([("entity_id", "ascending")])


def entity_mentions_table(mention_ids: list[str], assignments: Mapping[str, Assignment]) -> pa.Table:
    """The ``entity_mentions`` warehouse table, in the order of ``mention_ids`` (sorted)."""
    if isinstance(assignments, Assignments) and assignments.ids == mention_ids:
        return assignments.table()
    placed = [assignments[i] for i in mention_ids]
    return pa.table({
        "mention_id": pa.array(mention_ids, pa.string()),
        "entity_id": pa.array([a.entity_id for a in placed], pa.string()),
        "match_probability": pa.array([a.match_probability for a in placed], pa.float64()),
    })


def _party_mention_sql(role: str) -> str:
    """The mention id of a shipment ``s``'s party of ``role`` (``mentions.mention_id_sql``)."""
    return mention_id_sql("shipments", role, *[f"s.{c}" if c != "NULL" else c for c in PARTY_COLUMNS[role]])


def shipment_entities_sql() -> str:
    """SQL selecting ``shipment_entities`` rows from ``shipments`` and ``entity_mentions``.

    Not sorted: sorting by record id held every row at once, the resolve write's memory peak at 10M
    shipment rows (0.26 of the insert's 0.77 GiB at 3M); readers join on the record id, none reads the order.
    """
    joins = [f"LEFT JOIN entity_mentions {alias} ON {alias}.mention_id = {_party_mention_sql(role)}"
             for role, alias in (("exporter", "ex"), ("importer", "im"))]
    return (
        "SELECT s.record_id, ex.entity_id AS exporter_entity_id, im.entity_id AS importer_entity_id "
        "FROM shipments s " + " ".join(joins)
    )


def shipment_entities_update_sql(moved: str, added: str | None = None) -> list[str]:
    """Statements bringing ``shipment_entities`` up to date after an update's ``entity_mentions``.

    ``moved``: a table of the ``mention_id`` s whose entity changed, came or went, with the entity each
    had before (``entity_then``, null for a new one). A shipment's row is made again when it has none (a
    new shipment) or a party among them; a row whose shipment is gone goes. The rest stay: a record's
    parties never change under its id (ingest adds new record ids only, ``Engine.insert_new``, and
    removing a file's rows removes their rows here too, ``sources.integrity``), so their mentions, and
    those mentions' entities, are the ones of the row. Party mention ids (a hash of the party's columns)
    are worked out only for the shipments that may hold a moved mention: new ones, and those whose row
    names a moved mention's former entity or none (at 10M shipment rows, hashing every shipment's parties
    took 6 s). Uses the temporary table ``_resolve_redo`` (each such shipment's party mentions, once).

    ``added``: a table of ``source_id`` s, when the shipments of the other sources are the ones the last
    resolve saw (``mentions.Since.only_added``): the new shipments are those sources' and none is gone, so
    neither is looked for by joining every shipment to its row (at 10M shipment rows, 5 of the write's 9 s).
    """
    parties = ", ".join(f"{_party_mention_sql(role)} AS {role}" for role in ("exporter", "importer"))
    former = f"(SELECT entity_then FROM {moved} WHERE entity_then IS NOT NULL)"
    again = (f"se.exporter_entity_id IS NULL OR se.importer_entity_id IS NULL "
             f"OR se.exporter_entity_id IN {former} OR se.importer_entity_id IN {former}")
    if added is None:
        redo = (f"SELECT s.record_id, se.record_id IS NULL AS fresh, {parties} FROM shipments s "
                f"LEFT JOIN shipment_entities se ON se.record_id = s.record_id WHERE se.record_id IS NULL OR {again}")
        gone = (" OR record_id IN (SELECT se.record_id FROM shipment_entities se "
                "ANTI JOIN shipments s ON s.record_id = se.record_id)")
    else:
        new = f"s.source_id IN (SELECT source_id FROM {added})"
        redo = (f"SELECT s.record_id, {new} AS fresh, {parties} FROM shipments s WHERE {new} "
                f"OR s.record_id IN (SELECT se.record_id FROM shipment_entities se WHERE {again})")
        gone = ""
    return [
        f"CREATE OR REPLACE TEMP TABLE _resolve_redo AS SELECT record_id, exporter, importer FROM ({redo}) "
        f"WHERE fresh OR exporter IN (SELECT mention_id FROM {moved}) OR importer IN (SELECT mention_id FROM {moved})",
        f"DELETE FROM shipment_entities WHERE record_id IN (SELECT record_id FROM _resolve_redo){gone}",
        "INSERT INTO shipment_entities SELECT r.record_id, ex.entity_id, im.entity_id FROM _resolve_redo r "
        "LEFT JOIN entity_mentions ex ON ex.mention_id = r.exporter "
        "LEFT JOIN entity_mentions im ON im.mention_id = r.importer",
        "DROP TABLE _resolve_redo",
    ]
