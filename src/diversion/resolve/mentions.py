"""Party mentions: every name the warehouse holds, one row per distinct party.

Shipment parties are de-duplicated on their raw (name, address, country, id)
before linkage: ten million declarations name far fewer distinct parties.
A mention id is a hash of its source table, role and raw values, so the same
data always gives the same ids. Mentions travel as one Arrow table (the
``mentions`` columns plus ``EXTRA_COLUMNS``), not as Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from diversion.engine import Engine
from diversion.engine.schema import columns
from diversion.resolve.fields import clean_domain, clean_identifier
from diversion.resolve.normalising import forms_of as normalised_forms
from diversion.sources.digests import source_digests_sql

#: The raw key of a shipment party, per role, as SQL over ``shipments``.
PARTY_COLUMNS: dict[str, tuple[str, str, str, str]] = {
    "exporter": ("exporter_name", "exporter_address", "exporter_country", "NULL"),
    "importer": ("importer_name", "importer_address", "importer_country", "importer_id"),
}


def mention_id_sql(table: str, role: str, *values: str) -> str:
    """SQL for a stable mention id: ``m-`` + 16 hex of the md5 of the source, role and raw values."""
    parts = ", ".join(f"coalesce(CAST({v} AS VARCHAR), '')" for v in values)
    return f"'m-' || substr(md5(concat_ws(chr(31), '{table}', '{role}', {parts})), 1, 16)"


#: Columns a mention has beyond the ``mentions`` table: all countries of a listed entity, the lists naming it.
EXTRA_COLUMNS = {"countries": pa.list_(pa.string()), "lists": pa.list_(pa.string())}

_LIST = pa.list_(pa.string())
_FRAME_SCHEMA = pa.schema(
    [(c, _LIST if c in ("identifiers", "aliases") else pa.string()) for c in columns("mentions")]
    + list(EXTRA_COLUMNS.items())
)


def mentions_frame(mentions: list[dict[str, Any]]) -> pa.Table:
    """Mentions given as dicts as Arrow: the ``mentions`` table's columns and ``EXTRA_COLUMNS`` (absent: null)."""
    return _frame({f.name: [m.get(f.name) for m in mentions] for f in _FRAME_SCHEMA}, len(mentions))


def _frame(values: dict[str, Any], rows: int) -> pa.Table:
    """A ``mentions_frame`` from some of its columns (Arrow or Python lists); the others null."""
    return pa.table({
        f.name: pa.array(values[f.name], f.type) if isinstance(values.get(f.name), list)
        else values[f.name].cast(f.type) if f.name in values else pa.nulls(rows, f.type)
        for f in _FRAME_SCHEMA
    }, schema=_FRAME_SCHEMA)


#: Of two shipment parties with one mention id, the mention is the first in this order (missing values last):
#: the one of the smallest record id, a full collection's and an update's alike (``_with_added``).
FIRST_NAMED = ("source_key", "name", "address", "country")


def _shipment_parties(engine: Engine, sources: list[str] | None = None) -> list[pa.Table]:
    """One frame per role: its distinct parties, straight from the warehouse as Arrow (``sources``: of those
    shipments sources only)."""
    out = []
    where = "" if sources is None else " WHERE source_id IN (SELECT unnest(?::VARCHAR[]))"
    for role, (name, address, country, ident) in PARTY_COLUMNS.items():
        mid = mention_id_sql("shipments", role, name, address, country, ident)
        # An id hashes a missing and an empty value alike: of the parties that differ only so, the first
        # in ``FIRST_NAMED`` order is the mention, whatever order the groups come in.
        rows = engine.fetch_arrow(
            f"SELECT * FROM (SELECT {mid} AS mention_id, min(record_id) AS source_key, {name} AS name, "
            f"{address} AS address, {country} AS country, {ident} AS ident FROM shipments{where} "
            f"GROUP BY {name}, {address}, {country}" + ("" if ident == "NULL" else f", {ident}") + ") "
            "QUALIFY row_number() OVER (PARTITION BY mention_id ORDER BY "
            + ", ".join(f"{c} NULLS LAST" for c in FIRST_NAMED) + ") = 1",
            None if sources is None else [sources],
        )
        if rows.num_rows == 0:
            continue
        n = rows.num_rows
        # Built as Arrow, not row by row in Python: nearly every mention of the warehouse is one of these.
        out.append(_frame({
            "mention_id": rows.column("mention_id"), "source_table": pa.repeat("shipments", n),
            "source_key": rows.column("source_key"), "role": pa.repeat(role, n), "name": rows.column("name"),
            "address": rows.column("address"), "country": rows.column("country"),
            "identifiers": _singletons(_cleaned_identifiers(rows.column("ident"), rows.column("country"))),
            "aliases": pa.repeat(pa.scalar([], _LIST), n),
            "countries": _singletons(rows.column("country")),
        }, n))
    return out


def _singletons(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Each value as a one-item list, an empty list where it is null or empty (``[v] if v else []``)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    kept = pc.fill_null(pc.not_equal(values, ""), False)
    offsets = pa.concat_arrays([pa.array([0], pa.int32()),
                                pc.cumulative_sum(pc.cast(kept, pa.int32())).cast(pa.int32())])
    return pa.ListArray.from_arrays(offsets, values.filter(kept).cast(pa.string()))


def _cleaned_identifiers(idents: pa.ChunkedArray, countries: pa.ChunkedArray) -> pa.Array:
    """A shipment party's identifier as ``clean_identifier`` gives it (an INN where it looks like one),
    worked out once per distinct identifier and kind in Python, mapped to the rows in Arrow (a loop over an
    update's parties took 2 s at 10M shipment rows); null where there is none."""
    if idents.null_count == len(idents):  # exporters: no identifier column
        return pa.nulls(len(idents), pa.string())
    idents = pc.cast(idents.combine_chunks() if isinstance(idents, pa.ChunkedArray) else idents, pa.string())
    countries = countries.combine_chunks() if isinstance(countries, pa.ChunkedArray) else countries
    # Whether a 10- or 12-digit identifier reads as an INN: the party is Russian or says no country.
    russian = pc.or_kleene(pc.is_null(countries), pc.is_in(countries, value_set=pa.array(["", "RU"])))
    keys = pc.binary_join_element_wise(idents, pc.if_else(russian, "1", "0"), _KEY_SEPARATOR)
    distinct = pc.unique(keys).drop_null()
    cleaned = []
    for key in distinct.to_pylist():
        ident, _, flag = key.rpartition(_KEY_SEPARATOR)
        inn = flag == "1" and len([ch for ch in ident if ch.isdigit()]) in (10, 12)
        cleaned.append(clean_identifier("inn" if inn else "id", ident))
    return pa.array(cleaned, pa.string()).take(pc.index_in(keys, value_set=distinct))


#: Between an identifier and its kind in ``_cleaned_identifiers``' keys.
_KEY_SEPARATOR = chr(31)


def listed_countries(countries: list[str] | None, address_countries: list[str] | None) -> list[str]:
    """A listed entity's countries, with its addresses' countries (OFAC's CSV keeps them only there)."""
    return sorted({c for c in [*(countries or []), *(address_countries or [])] if c})


def _sanctions(engine: Engine) -> list[dict[str, Any]]:
    rows = engine.fetch_dicts(
        """
        SELECT s.entity_id, s.schema, s.name, s.countries, s.datasets,
          (SELECT list(a.country) FROM sanction_addresses a WHERE a.entity_id = s.entity_id) AS address_countries,
          (SELECT list(n.name ORDER BY n.name) FROM sanction_names n WHERE n.entity_id = s.entity_id) AS aliases,
          (SELECT min(a.address) FROM sanction_addresses a WHERE a.entity_id = s.entity_id) AS address,
          (SELECT list(i.scheme || chr(31) || i.value ORDER BY i.scheme, i.value)
             FROM sanction_identifiers i WHERE i.entity_id = s.entity_id) AS idents
        FROM sanctions s ORDER BY s.entity_id
        """
    )
    out = []
    for r in rows:
        ids = [clean_identifier(*pair.split(chr(31), 1)) for pair in r["idents"] or []]
        countries = listed_countries(r["countries"], r["address_countries"])
        out.append({
            "mention_id": _python_id("sanctions", "sanctioned", r["entity_id"]),
            "source_table": "sanctions", "source_key": r["entity_id"], "role": "sanctioned",
            "schema": r["schema"], "name": r["name"], "aliases": [a for a in r["aliases"] or [] if a != r["name"]],
            "address": r["address"], "country": countries[0] if countries else None,
            "countries": countries, "identifiers": sorted({i for i in ids if i}), "domain": None,
            "lists": sorted({d for d in r["datasets"] or [] if d}),
        })
    return out


def _registry(engine: Engine) -> list[dict[str, Any]]:
    rows = engine.fetch_dicts(
        "SELECT entity_id, schema, name, aliases, country, address, registration_number, inn, website "
        "FROM registry_entities ORDER BY entity_id"
    )
    return [{
        "mention_id": _python_id("registry_entities", "registry", r["entity_id"]),
        "source_table": "registry_entities", "source_key": r["entity_id"], "role": "registry",
        "schema": r["schema"], "name": r["name"], "aliases": [a for a in r["aliases"] or [] if a and a != r["name"]],
        "address": r["address"], "country": r["country"],
        "identifiers": sorted({i for i in (clean_identifier("inn", r["inn"]),
                                          clean_identifier("reg", r["registration_number"])) if i}),
        "domain": clean_domain(r["website"]),
    } for r in rows]


def _web(engine: Engine) -> list[dict[str, Any]]:
    rows = engine.fetch_dicts(
        "SELECT domain, company_name, min(claimed_address) AS address, min(claimed_country) AS country "
        "FROM web_evidence GROUP BY domain, company_name ORDER BY domain, company_name"
    )
    return [{
        "mention_id": _python_id("web_evidence", "website", r["domain"], r["company_name"]),
        "source_table": "web_evidence", "source_key": r["domain"], "role": "website", "schema": "Company",
        "name": r["company_name"], "aliases": [], "address": r["address"], "country": r["country"],
        "identifiers": [], "domain": clean_domain(r["domain"]),
    } for r in rows]


def _distributors(engine: Engine) -> list[dict[str, Any]]:
    rows = engine.fetch_dicts(
        "SELECT distributor_name, country, domain, min(record_hash) AS source_key FROM distributors "
        "GROUP BY distributor_name, country, domain ORDER BY distributor_name"
    )
    return [{
        "mention_id": _python_id("distributors", "distributor", r["distributor_name"], r["country"], r["domain"]),
        "source_table": "distributors", "source_key": r["source_key"], "role": "distributor",
        "schema": "Company", "name": r["distributor_name"], "aliases": [], "address": None,
        "country": r["country"], "identifiers": [], "domain": clean_domain(r["domain"]),
    } for r in rows]


def _python_id(table: str, role: str, *values: str | None) -> str:
    """The same hash as ``mention_id_sql``, computed in Python."""
    import hashlib

    raw = chr(31).join([table, role, *[v or "" for v in values]])
    return "m-" + hashlib.md5(raw.encode("utf-8")).hexdigest()[:16]


def shipment_sources(engine: Engine) -> dict[str, int]:
    """Each shipments source's digest of its rows' ids and contents (``record_hash`` covers every column)."""
    return {str(source): int(digest)
            for source, digest in engine.fetch_all(source_digests_sql("record_id", "record_hash"))}


@dataclass(frozen=True)
class Since:
    """The shipments sources now and when the last resolve collected its mentions (``shipment_sources``)."""

    now: dict[str, int]
    then: dict[str, int] | None  # ``None``: the last resolve did not note them

    @property
    def only_added(self) -> bool:
        """Whether every source the last resolve saw is here as it was: then shipments were only added,
        in the sources not seen, and every old party is still a party."""
        return self.then is not None and all(self.now.get(source) == d for source, d in self.then.items())

    @property
    def added(self) -> list[str]:
        """The sources the last resolve did not see."""
        return sorted(set(self.now) - set(self.then or {}))


def collect_mentions(engine: Engine, max_name_length: int, since: Since | None = None) -> pa.Table:
    """Every party mention in the warehouse, normalised, sorted by mention id (``mentions_frame``'s columns).

    ``countries`` holds all countries of a listed entity; mentions whose name
    cannot be matched carry ``unresolved_reason``. Shipment parties (nearly all
    mentions) stay in Arrow; each distinct name is normalised once.

    ``since``: an update building on the last resolve, whose ``mentions`` are then read again. Their name
    forms are taken, not worked out again (a registered party's, a page's, a distributor's or a listed
    entity's only while it bears the same name and schema); when shipments were only added
    (``Since.only_added``), its shipment parties are taken too, and only the new sources' shipments are
    grouped into parties. Either way the frame is the one a collection from scratch gives.
    """
    others = _sanctions(engine) + _registry(engine) + _web(engine) + _distributors(engine)
    for r in others:
        r.setdefault("countries", [r["country"]] if r.get("country") else [])
    known = None
    if since is None:
        parties = _shipment_parties(engine)
    else:
        stored = _stored_parties(engine)
        known = pa.concat_tables([stored.select(_KNOWN.names).cast(_KNOWN), _stored_others(engine)])
        parties = [_with_added(stored, _shipment_parties(engine, since.added))] if since.only_added \
            else _shipment_parties(engine)
        del stored
    parts = [*parties, mentions_frame(others)]
    frame = pa.concat_tables([p for p in parts if p.num_rows] or parts[-1:])
    return _with_name_forms(_first_of_each_id(frame), max_name_length, known)


def _stored_parties(engine: Engine) -> pa.Table:
    """The last resolve's shipment parties (``mentions``), as ``_shipment_parties`` makes them, with their
    ``name_norm`` and ``unresolved_reason``.

    A shipment party's mention id hashes its name, so a mention with that id has that name and those forms
    (as long as normalisation is unchanged: ``incremental.RESOLVE_FORMAT``). Other mentions' ids name a
    record whose name can change (a list's update); they are collected again, and their names normalised
    again only where the name or the schema changed (``_stored_others``).
    """
    rows = engine.fetch_arrow(
        "SELECT mention_id, source_key, role, name, address, country, identifiers, name_norm, unresolved_reason "
        "FROM mentions WHERE source_table = 'shipments'")
    n = rows.num_rows
    if not n:
        return mentions_frame([])
    return _frame({
        **{c: rows.column(c) for c in ("mention_id", "source_key", "role", "name", "address", "country",
                                       "identifiers", "name_norm", "unresolved_reason")},
        "source_table": pa.repeat("shipments", n), "aliases": pa.repeat(pa.scalar([], _LIST), n),
        "countries": _singletons(rows.column("country")),
    }, n)


#: What ``_with_name_forms`` takes from a stored mention: its name forms, and the name and schema they are of.
_KNOWN = pa.schema([(c, pa.string()) for c in ("mention_id", "name", "schema", "name_norm", "unresolved_reason")])


def _stored_others(engine: Engine) -> pa.Table:
    """The last resolve's other mentions (registered parties, web pages, distributors, listed entities) with
    their name forms (``_KNOWN``): their records' names rarely change between updates, and a name read as the
    same schema has the same forms (``_with_name_forms`` takes them only then)."""
    return engine.fetch_arrow(
        "SELECT mention_id, name, schema, name_norm, unresolved_reason FROM mentions "
        "WHERE source_table IS DISTINCT FROM 'shipments'").cast(_KNOWN)


def _with_added(stored: pa.Table, added: list[pa.Table]) -> pa.Table:
    """The stored shipment parties and the added sources' in one frame, one row per mention: of a stored
    and an added row with one id, the first in ``FIRST_NAMED`` order, as grouping every shipment finds it.

    Most added parties are old ones (a firm that ships every month), and their stored row is kept: their
    source keys (the first in ``FIRST_NAMED``) decide; only rows with equal keys are sorted.
    """
    new = pa.concat_tables(added) if added else stored.slice(0, 0)
    at = pc.index_in(new.column("mention_id"), value_set=stored.column("mention_id"))
    both = pc.is_valid(at)
    fresh = new.filter(pc.invert(both))
    rivals, at = new.filter(both), pc.drop_null(at)
    theirs, ours = rivals.column("source_key").combine_chunks(), pc.take(stored.column("source_key"), at)
    wins = pc.less(theirs, ours)
    tied = pc.equal(theirs, ours)
    if pc.any(tied).as_py():  # the same record id in an old and a new source: the other columns decide
        ties = pc.sum(tied).as_py()
        pairs = pa.concat_tables([stored.take(at.filter(tied)), rivals.filter(tied)]).select(
            ["mention_id", *FIRST_NAMED]).append_column("added", pa.array([False] * ties + [True] * ties))
        order = pc.sort_indices(pairs, [(c, "ascending", "at_end") for c in ("mention_id", *FIRST_NAMED, "added")])
        first = _first_of_each_id(pairs.take(order), presorted=True)
        taken = first.filter(first.column("added")).column("mention_id")
        wins = pc.or_(wins, pc.and_(tied, pc.is_in(rivals.column("mention_id"), value_set=taken)))
    if not pc.any(wins).as_py():
        return pa.concat_tables([stored, fresh])
    replaced = np.zeros(stored.num_rows, dtype=bool)
    replaced[at.filter(wins).to_numpy()] = True
    return pa.concat_tables([stored.filter(pa.array(~replaced)), rivals.filter(wins), fresh])


def _first_of_each_id(frame: pa.Table, presorted: bool = False) -> pa.Table:
    """``frame`` sorted by mention id, one row per id: the first source's (the sort is stable; ``presorted``:
    ``frame`` is sorted already)."""
    if not presorted:
        frame = frame.take(pc.sort_indices(frame.column("mention_id")))
    ids = frame.column("mention_id").combine_chunks()
    if len(ids) < 2:
        return frame
    first = pa.concat_arrays([pa.array([True]), pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))])
    return frame if pc.all(first).as_py() else frame.filter(first)


def _with_name_forms(frame: pa.Table, max_name_length: int, known: pa.Table | None = None) -> pa.Table:
    """``frame`` with ``name_norm`` and ``unresolved_reason`` filled in, once per distinct name (the ``known``
    mentions' from there)."""
    at = pa.nulls(frame.num_rows, pa.int32()) if known is None else pc.index_in(
        frame.column("mention_id"), value_set=known.column("mention_id"))
    if known is not None:  # a known mention's forms are its name's as its schema reads it: taken while it bears them
        same = pc.and_(_same(frame.column("name"), pc.take(known.column("name"), at)),
                       _same(frame.column("schema"), pc.take(known.column("schema"), at)))
        at = pc.if_else(same, at, pa.scalar(None, at.type))
    # The known mentions' forms taken as Arrow; only the others are read into Python.
    unknown = pc.is_null(at)
    rows = frame.filter(unknown) if known is not None else frame
    keys = list(zip(rows.column("name").to_pylist(), rows.column("schema").to_pylist(), strict=True))
    # Each distinct name not known is normalised once, on both cores when there are many (``normalising``).
    todo = list(dict.fromkeys(keys))
    forms_of = {key: (forms.core or None, forms.reason)
                for key, forms in zip(todo, normalised_forms(todo, max_name_length), strict=True)}
    found = [forms_of[key] for key in keys]
    for column, new in (("name_norm", [f[0] for f in found]), ("unresolved_reason", [f[1] for f in found])):
        values = pa.array(new, pa.string())
        if known is not None:
            values = pc.replace_with_mask(pc.take(known.column(column), at).combine_chunks().cast(pa.string()),
                                          unknown.combine_chunks() if isinstance(unknown, pa.ChunkedArray)
                                          else unknown, values)
        frame = frame.set_column(frame.schema.get_field_index(column), column, values)
    return frame


def _same(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Row by row, whether ``a`` and ``b`` hold the same value, two nulls alike (``IS NOT DISTINCT FROM``)."""
    return pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))


def mentions_table(frame: pa.Table) -> pa.Table:
    """The ``mentions`` warehouse table (contract columns only) of a ``mentions_frame``."""
    return frame.select(columns("mentions"))
