"""``diversion ingest sanctions``: FtM entity JSON lines or the OFAC SDN legacy CSV set.

The format is read from the file's content, never its name: FtM when the first
lines are JSON objects with a ``schema``; OFAC ``sdn``/``alt``/``add`` from the
CSV shape (see ``ofac.detect``). Anything else is a ``SourceError``.

FtM mapping: every party or asset entity (Person, Company, Organization,
Vessel, Airplane...) is one ``sanctions`` row, its names, addresses and
identifiers go to the ``sanction_*`` tables. Helper entities are folded into
the entity they describe and counted as loaded: a ``Sanction`` (via
``entity``) gives programs and listing dates, an ``Address`` (via
``addressEntity``) an address, an ``Identification``/``Passport`` (via
``holder``) an identifier. Relationship entities (Ownership, Directorship,
Family...) become ``registry_links``, where the graph stage finds them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diversion.errors import RowError, SourceError
from diversion.sources import ftm, ofac, registry
from diversion.sources.listfields import parse_date, read_text, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash
from diversion.sources.textcodec import head_text

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

#: FtM helper schemata folded into the entity they point at, and the pointing property.
HELPERS = {"Sanction": "entity", "Identification": "holder"}


def parse_sanctions(path: Path, options: ParseOptions) -> ParsedFile:
    """Parse one sanctions file, FtM JSON lines or one of the OFAC SDN CSV files."""
    head = head_text(_head(path))
    if ftm.looks_like_ftm(path, options.encoding):
        return parse_ftm_sanctions(path, options.encoding)
    if "\x00" not in head:
        kind = ofac.detect(head)
        if kind is not None:
            text, encoding = read_text(path, options.encoding)
            parsed = ofac.parse_ofac_text(text, kind)
            parsed.encoding = encoding
            return parsed
    raise SourceError(
        str(path),
        "unknown sanctions format: expected FollowTheMoney entity JSON lines or an OFAC SDN legacy CSV "
        "file (sdn.csv, alt.csv or add.csv)",
    )


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(65536)
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror})") from exc


def parse_ftm_sanctions(path: Path, encoding: str | None = None) -> ParsedFile:
    """Map an FtM JSON-lines file onto the sanctions tables (and ``registry_links``)."""
    data = ftm.read_ftm(path, encoding)
    parsed = ParsedFile(format="ftm", encoding="utf-8", rows_read=data.rows_read, quarantined=data.quarantined)
    parsed.rows_folded = data.merged
    helpers = {schema: ftm.linked(data, schema, prop) for schema, prop in HELPERS.items()}
    folded: set[str] = set()
    tables: dict[str, list[dict[str, Any]]] = {
        "sanctions": [], "sanction_names": [], "sanction_addresses": [], "sanction_identifiers": [],
        "registry_links": [], "registry_entities": [],
    }
    for record in data.records.values():
        try:
            if ftm.is_party(record) and not ftm.is_listed(record):
                # Shipped beside the listed entities ("target": false, e.g. a company from a registry
                # dataset that owns or is owned by one): a registry record, never a sanctions match.
                tables["registry_entities"].append(registry.ftm_entity_row(record, data))
                folded.update(record.proxy.get("addressEntity", quiet=True))
            elif ftm.is_party(record):
                _party(record, data, helpers, path.stem, tables, folded)
            elif ftm.is_link(record):
                tables["registry_links"].append(ftm.link_row(record, data))
            elif not any(record.proxy.schema.is_a(s) for s in (*HELPERS, "Address")):
                raise RowError("schema", "FtM schema not used for sanctions")
        except RowError as exc:
            parsed.quarantined.append(Quarantined(record.line, exc.field, exc.reason, ftm.raw_json(record)))
    for record in data.records.values():
        if any(record.proxy.schema.is_a(s) for s in (*HELPERS, "Address")):
            if record.proxy.id in folded:
                parsed.rows_folded += 1
            else:
                reason = "helper entity whose listed entity is missing or quarantined"
                parsed.quarantined.append(Quarantined(record.line, "-", reason, ftm.raw_json(record)))
    parsed.tables = {name: to_table(name, rows) for name, rows in tables.items()}
    parsed.counted_tables = frozenset({"sanctions", "registry_links", "registry_entities"})
    return parsed


def _party(
    record: ftm.FtmRecord,
    data: ftm.FtmFile,
    helpers: dict[str, dict[str, list[ftm.FtmRecord]]],
    fallback_list: str,
    tables: dict[str, list[dict[str, Any]]],
    folded: set[str],
) -> None:
    entity_id = str(record.proxy.id)
    names = ftm.names(record)
    sanctions = helpers["Sanction"].get(entity_id, [])
    idents = helpers["Identification"].get(entity_id, [])
    programs = list(dict.fromkeys(
        [*record.proxy.get("program", quiet=True), *record.proxy.get("programId", quiet=True),
         *(p for s in sanctions for p in _programs(s))]
    ))
    listed = ftm.dates(record, "createdAt", "listingDate")
    for sanction in sanctions:
        listed += ftm.dates(sanction, "listingDate", "startDate")
    if not listed and record.first_seen:
        try:
            listed = [d for d in [parse_date(record.first_seen)] if d]
        except ValueError as exc:
            raise RowError("first_seen", "invalid date (expected YYYY-MM-DD)") from exc
    properties: dict[str, Any] = dict(record.properties)
    if sanctions:
        # As in OpenSanctions' nested export: the Sanction entities under their reverse property.
        properties["sanctions"] = [s.proxy.to_dict() for s in sanctions]
    addresses = ftm.address_rows(record, data)
    identifiers = ftm.identifiers(record)
    for ident in idents:
        scheme = "passportNumber" if ident.proxy.schema.is_a("Passport") else "idNumber"
        identifiers += [(scheme, n) for n in ident.proxy.get("number", quiet=True)]
    # The entity's own id and the ids it merges (OpenSanctions referents, e.g. ofac-51234): a shared
    # referent tells resolution that rows from two lists are one entity.
    identifiers += [("referent", r) for r in (entity_id, *record.referents)]
    line = record.line
    tables["sanctions"].append({
        "entity_id": entity_id, "schema": record.proxy.schema.name, "name": names[0][0],
        "countries": ftm.countries(record), "programs": programs,
        "topics": list(record.proxy.get("topics", quiet=True)), "datasets": record.datasets,
        "listing_date": min(listed, default=None), "list_name": ", ".join(record.datasets) or fallback_list,
        "properties": json.dumps(properties, ensure_ascii=False, default=str), "line": line,
        "record_hash": record_hash("sanctions", entity_id),
        "target": record.target, "first_seen": ftm.timestamp(record.first_seen),
        "last_seen": ftm.timestamp(record.last_seen), "last_change": ftm.timestamp(record.last_change),
    })
    tables["sanction_names"] += [
        {"entity_id": entity_id, "name": n, "name_type": t, "line": line, "record_hash": record_hash(entity_id, n, t)}
        for n, t in names
    ]
    tables["sanction_addresses"] += [
        {"entity_id": entity_id, "address": a, "city": c, "country": k, "line": line,
         "record_hash": record_hash(entity_id, a, c, k)}
        for a, c, k in addresses
    ]
    tables["sanction_identifiers"] += [
        {"entity_id": entity_id, "scheme": s, "value": v, "line": line, "record_hash": record_hash(entity_id, s, v)}
        for s, v in dict.fromkeys(identifiers)
    ]
    folded.update(str(h.proxy.id) for h in (*sanctions, *idents))
    folded.update(record.proxy.get("addressEntity", quiet=True))


def _programs(sanction: ftm.FtmRecord) -> list[str]:
    """Program codes of a Sanction entity; its authority when it names no program."""
    found = [*sanction.proxy.get("programId", quiet=True), *sanction.proxy.get("program", quiet=True)]
    return found or list(sanction.proxy.get("authority", quiet=True))
