"""``diversion ingest registry``: company registers as FtM JSON lines or two CSV layouts.

FtM: legal entities (Company, Organization, LegalEntity, Person, PublicBody)
become ``registry_entities``; relationship entities become ``registry_links``
(Ownership -> ``ownership`` with ``percentage`` as a 0..1 share, Directorship ->
``directorship``, UnknownLink, Associate, Family and the other FtM edges ->
``other``). ``Address`` entities are folded into the entity that points at them.

CSV, recognised by its header:

* companies: ``id,name,aliases,country,address,registration_number,inn,incorporation_date,website,topics``
  (``aliases`` and ``topics`` separated by ``;``);
* ownership links: ``owner_id,owner_name,owned_id,owned_name,share,start_date,end_date,role``
  (``share`` as 0..1 or a percentage such as ``50%``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from followthemoney import model

from diversion.errors import RowError, SourceError
from diversion.reference import to_iso2
from diversion.sources import ftm
from diversion.sources.listfields import clean, csv_dict_rows, parse_date, parse_share, read_text, split_list, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

COMPANY_COLUMNS = ("id", "name", "aliases", "country", "address", "registration_number", "inn",
                   "incorporation_date", "website", "topics")
LINK_COLUMNS = ("owner_id", "owner_name", "owned_id", "owned_name", "share", "start_date", "end_date", "role")
#: Roles of a link without a share that make it a directorship rather than ownership.
DIRECTOR_WORDS = ("director", "ceo", "manager", "board", "secretary", "chairman", "president")


def parse_registry(path: Path, options: ParseOptions) -> ParsedFile:
    """Parse one registry file: FtM JSON lines, a companies CSV or an ownership-links CSV."""
    if ftm.looks_like_ftm(path, options.encoding):
        return parse_ftm_registry(path, options.encoding)
    text, encoding = read_text(path, options.encoding)
    header, rows = csv_dict_rows(text)
    if set(LINK_COLUMNS[:4]) <= set(header) or {"owner_name", "owned_name"} <= set(header):
        parsed = _parse_rows(rows, _link_row, "registry_links", "csv-ownership")
    elif "name" in header and len(set(COMPANY_COLUMNS) & set(header)) >= 3:
        parsed = _parse_rows(rows, _company_row, "registry_entities", "csv-companies")
    else:
        raise SourceError(
            str(path),
            "unknown registry format: expected FtM JSON lines, a companies CSV with header "
            f"{','.join(COMPANY_COLUMNS)} or an ownership CSV with header {','.join(LINK_COLUMNS)}",
        )
    parsed.encoding = encoding
    return parsed


def parse_ftm_registry(path: Path, encoding: str | None = None) -> ParsedFile:
    """Map an FtM JSON-lines file onto ``registry_entities`` and ``registry_links``."""
    data = ftm.read_ftm(path, encoding)
    parsed = ParsedFile(format="ftm", encoding="utf-8", rows_read=data.rows_read, quarantined=data.quarantined)
    parsed.rows_folded = data.merged
    entities: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    folded: set[str] = set()
    for record in data.records.values():
        try:
            if record.proxy.schema.is_a("LegalEntity"):
                entities.append(_ftm_entity(record, data))
                folded.update(record.proxy.get("addressEntity", quiet=True))
            elif ftm.is_link(record):
                links.append(ftm.link_row(record, data))
            elif not record.proxy.schema.is_a("Address"):
                raise RowError("schema", "FtM schema not used for registry")
        except RowError as exc:
            parsed.quarantined.append(Quarantined(record.line, exc.field, exc.reason, ftm.raw_json(record)))
    for record in data.of_schema("Address"):
        if record.proxy.id in folded:
            parsed.rows_folded += 1
        else:
            parsed.quarantined.append(
                Quarantined(record.line, None, "address entity not linked to a registry entity", ftm.raw_json(record))
            )
    parsed.tables = {"registry_entities": to_table("registry_entities", entities),
                     "registry_links": to_table("registry_links", links)}
    return parsed


def ftm_entity_row(record: ftm.FtmRecord, data: ftm.FtmFile) -> dict[str, Any]:
    """A ``registry_entities`` row of an FtM party (its addresses folded in)."""
    return _ftm_entity(record, data)


def _ftm_entity(record: ftm.FtmRecord, data: ftm.FtmFile) -> dict[str, Any]:
    entity_id = str(record.proxy.id)
    names = ftm.names(record)
    countries = ftm.countries(record)
    addresses = ftm.address_rows(record, data)
    inn = ftm.first(record, "innCode") or (ftm.first(record, "taxNumber") if countries[:1] == ["RU"] else None)
    return {
        "entity_id": entity_id, "schema": record.proxy.schema.name, "name": names[0][0],
        "aliases": [n for n, t in names[1:]], "country": countries[0] if countries else None,
        "address": addresses[0][0] if addresses else None,
        "registration_number": ftm.first(record, "registrationNumber", "ogrnCode"), "inn": inn,
        "incorporation_date": min(ftm.dates(record, "incorporationDate"), default=None),
        "website": ftm.first(record, "website"), "topics": list(record.proxy.get("topics", quiet=True)),
        "properties": json.dumps(record.properties, ensure_ascii=False), "line": record.line,
        "record_hash": record_hash("registry_entities", entity_id),
    }


def _parse_rows(rows: list[tuple[int, dict[str, str]]], make: Any, table: str, fmt: str) -> ParsedFile:
    parsed = ParsedFile(format=fmt)
    out: list[dict[str, Any]] = []
    for line, row in rows:
        parsed.rows_read += 1
        try:
            if "__error__" in row:
                raise RowError(None, "unreadable CSV line")
            if "__fields__" in row:
                raise RowError(None, "wrong number of fields for the header")
            if "__bytes__" in row:
                raise RowError(None, "bytes that are not valid UTF-8 (the rest of the file is UTF-8)")
            out.append({**make(row), "line": line})
        except RowError as exc:
            raw = {k: v for k, v in row.items() if isinstance(k, str) and not k.startswith("__")}
            parsed.quarantined.append(Quarantined(line, exc.field, exc.reason, raw))
    parsed.tables = {table: to_table(table, out)}
    return parsed


def _date(row: dict[str, str], column: str) -> Any:
    try:
        return parse_date(row.get(column))
    except ValueError as exc:
        raise RowError(column, "invalid date (expected YYYY-MM-DD)") from exc


def _company_row(row: dict[str, str]) -> dict[str, Any]:
    name = clean(row.get("name"))
    if not name:
        raise RowError("name", "empty name")
    country = to_iso2(row.get("country"))
    schema_name = clean(row.get("schema")) or "Company"
    schema = model.get(schema_name)
    if schema is None or not schema.is_a("LegalEntity"):
        raise RowError("schema", "unknown FtM schema")
    entity_id = clean(row.get("id")) or "reg-" + record_hash(name, country, row.get("registration_number"),
                                                            row.get("inn"))[:16]
    return {
        "entity_id": entity_id, "schema": schema.name, "name": name,
        "aliases": split_list(row.get("aliases")), "country": country, "address": clean(row.get("address")),
        "registration_number": clean(row.get("registration_number")), "inn": clean(row.get("inn")),
        "incorporation_date": _date(row, "incorporation_date"), "website": clean(row.get("website")),
        "topics": split_list(row.get("topics")),
        "properties": json.dumps({k: v for k, v in row.items() if isinstance(k, str) and clean(v)}, ensure_ascii=False),
        "record_hash": record_hash("registry_entities", entity_id),
    }


def _link_row(row: dict[str, str]) -> dict[str, Any]:
    owner_id, owner_name = clean(row.get("owner_id")), clean(row.get("owner_name"))
    owned_id, owned_name = clean(row.get("owned_id")), clean(row.get("owned_name"))
    if not (owner_id or owner_name):
        raise RowError("owner_name", "owner missing (need owner_id or owner_name)")
    if not (owned_id or owned_name):
        raise RowError("owned_name", "owned company missing (need owned_id or owned_name)")
    try:
        share = parse_share(row.get("share"), percent=False)
    except ValueError as exc:
        raise RowError("share", "share is not a fraction 0..1 or a percentage") from exc
    role = clean(row.get("role"))
    director = share is None and role is not None and any(w in role.lower() for w in DIRECTOR_WORDS)
    values = [owner_id, owner_name, owned_id, owned_name, share, _date(row, "start_date"), _date(row, "end_date"), role]
    link_id = "link-" + record_hash(*values)
    return {
        "link_id": link_id, "kind": "directorship" if director else "ownership",
        "source_entity_id": owner_id, "source_name": owner_name, "target_entity_id": owned_id,
        "target_name": owned_name, "share": share, "role": role, "start_date": values[5], "end_date": values[6],
        "record_hash": record_hash("registry_links", link_id),
    }
