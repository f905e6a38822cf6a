"""FollowTheMoney entity JSON lines, as OpenSanctions and Aleph publish them.

One entity per line: ``{"id", "schema", "properties": {prop: [values]}, "caption",
"datasets", "referents", "first_seen", "last_seen", ...}``. ``read_ftm`` streams a
file into ``followthemoney`` proxies (schema names checked against the model,
lines with the same id merged, as FtM fragments are), quarantining lines that
are not entities. The helpers below read what sanctions and registry rows need
from a proxy and fold helper entities (``Sanction``, ``Address``,
``Identification``) into the entity they describe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from diversion.errors import RowError
from diversion.sources.listfields import clean, iso2_list, parse_date, parse_share
from diversion.sources.loader import Quarantined, record_hash
from diversion.sources.textcodec import JsonError, loads_json, text_lines

#: Schemata whose entities are rows of their own (listed or registered parties and assets).
PARTY_ROOTS = ("LegalEntity", "Vehicle", "Asset", "CryptoWallet", "BankAccount", "Position")
#: Properties holding an entity's countries, normalised to ISO alpha-2.
COUNTRY_PROPS = ("country", "jurisdiction", "nationality", "citizenship", "mainCountry", "flag")
#: Name properties and the ``name_type`` they become (other ``name`` values are aliases).
NAME_TYPES = {"name": "alias", "alias": "alias", "weakAlias": "weak", "previousName": "previous"}
#: Identifier-typed properties that do not identify the entity itself.
NOT_IDENTIFIERS = frozenset({"programId"})


@dataclass
class FtmRecord:
    """One entity of a file: its proxy plus the export's metadata around ``properties``."""

    line: int
    proxy: EntityProxy
    caption: str | None
    datasets: list[str]
    referents: list[str]
    first_seen: str | None
    properties: dict[str, list[Any]]  # as published, unknown properties included
    last_seen: str | None = None
    last_change: str | None = None
    #: OpenSanctions' ``target``: True for a listed (sanctioned, ...) entity, False for one shipped beside it
    #: (a registry company, an owner); None when the export does not say.
    target: bool | None = None


@dataclass
class FtmFile:
    """The entities of one file by id (file order), what was quarantined, and line counts."""

    records: dict[str, FtmRecord] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    rows_read: int = 0
    merged: int = 0  # lines merged into an earlier line with the same id

    def of_schema(self, name: str) -> Iterator[FtmRecord]:
        """Records whose schema is, or extends, ``name``."""
        return (r for r in self.records.values() if r.proxy.schema.is_a(name))


def looks_like_ftm(path: Path, encoding: str | None = None) -> bool:
    """Whether the first lines of a file are FtM entities (a JSON object with a ``schema``).

    Whole lines are read, however long (an entity with many properties can
    be larger than any fixed head), with the policy of ``textcodec``.
    """
    seen = 0
    for line in text_lines(path, encoding):
        if not line.raw.strip():
            continue
        seen += 1
        if seen > 20:
            break
        try:
            data = loads_json(line.text or "")
        except JsonError:
            continue
        if isinstance(data, dict) and isinstance(data.get("schema"), str) and "properties" in data:
            return True
    return False


def _properties(data: dict[str, Any]) -> dict[str, list[Any]]:
    props = data.get("properties", {})
    if not isinstance(props, dict):
        raise RowError("properties", "properties is not an object of value lists")
    out: dict[str, list[Any]] = {}
    for name, values in props.items():
        values = values if isinstance(values, list) else [values]
        for value in values:
            if isinstance(value, dict | list):
                raise RowError(name, "property value is not text (nested entities need the flat FtM export)")
        out[str(name)] = [str(v) for v in values if v is not None and str(v).strip()]
    return out


def parse_entity(data: Any, line: int) -> FtmRecord:
    """One decoded JSON line as an ``FtmRecord``; raises ``RowError`` if it is not an FtM entity."""
    if not isinstance(data, dict):
        raise RowError(None, "JSON line is not an object")
    schema_name = data.get("schema")
    if not isinstance(schema_name, str) or not schema_name:
        raise RowError("schema", "entity has no FtM schema")
    if model.get(schema_name) is None:
        raise RowError("schema", "unknown FtM schema")
    entity_id = data.get("id")
    if not isinstance(entity_id, str | int) or not str(entity_id).strip():
        raise RowError("id", "entity has no id")
    properties = _properties(data)
    try:
        # Published values are already cleaned; re-cleaning would drop e.g. INNs with bad checksums.
        proxy = model.get_proxy({"id": str(entity_id), "schema": schema_name, "properties": properties}, cleaned=True)
    except (InvalidData, TypeError, ValueError) as exc:
        raise RowError("properties", "entity rejected by the FtM model") from exc

    def texts(key: str) -> list[str]:
        value = data.get(key) or []
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float) for v in values):
            raise RowError(key, "not a list of text")
        return [str(v) for v in values]

    def text(key: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str | int | float):
            raise RowError(key, "not text")
        return clean(value)

    return FtmRecord(
        line=line,
        proxy=proxy,
        caption=text("caption"),
        datasets=texts("datasets"),
        referents=texts("referents"),
        first_seen=text("first_seen"),
        properties=properties,
        last_seen=text("last_seen"),
        last_change=text("last_change"),
        target=data["target"] if isinstance(data.get("target"), bool) else None,
    )


def _merge(into: FtmRecord, other: FtmRecord) -> None:
    into.proxy.merge(other.proxy)
    for name, values in other.properties.items():
        into.properties[name] = list(dict.fromkeys(into.properties.get(name, []) + values))
    into.datasets = list(dict.fromkeys(into.datasets + other.datasets))
    into.referents = list(dict.fromkeys(into.referents + other.referents))
    into.caption = into.caption or other.caption
    into.first_seen = min(filter(None, (into.first_seen, other.first_seen)), default=None)
    into.last_seen = max(filter(None, (into.last_seen, other.last_seen)), default=None)
    into.last_change = max(filter(None, (into.last_change, other.last_change)), default=None)
    if other.target is not None:  # a fragment that says "target" decides; any true one makes it listed
        into.target = bool(into.target) or other.target


def read_ftm(path: Path, encoding: str | None = None) -> FtmFile:
    """Read an FtM JSON-lines file; bad lines are quarantined, never fatal.

    Lines come from ``textcodec.text_lines``: UTF-8 or UTF-16/32 by BOM, any
    line ending, a BOM at the start of any line dropped, lines of any length.
    """
    out = FtmFile()
    for item in text_lines(path, encoding):
        line, text = item.number, item.text
        if not item.raw.strip() or (text is not None and not text.strip()):
            continue
        out.rows_read += 1
        if text is None:
            shown = item.raw.decode("utf-8", errors="replace")[:2000]
            out.quarantined.append(Quarantined(line, None, "line is not valid UTF-8", shown))
            continue
        try:
            record = parse_entity(loads_json(text), line)
        except JsonError as exc:
            out.quarantined.append(Quarantined(line, None, str(exc), text.strip()[:2000]))
            continue
        except RowError as exc:
            out.quarantined.append(Quarantined(line, exc.field, exc.reason, text.strip()[:2000]))
            continue
        earlier = out.records.get(record.proxy.id or "")
        if earlier is None:
            out.records[record.proxy.id or ""] = record
            continue
        try:
            _merge(earlier, record)
            out.merged += 1
        except InvalidData:
            out.quarantined.append(
                Quarantined(line, "schema", "same id as an earlier entity of another schema", text.strip()[:2000])
            )
    return out


def timestamp(value: str | None) -> datetime | None:
    """An FtM ``first_seen``/``last_seen``/``last_change`` as a naive UTC datetime; ``None`` if unreadable.

    >>> timestamp("2023-04-20T18:00:25")
    datetime.datetime(2023, 4, 20, 18, 0, 25)
    >>> timestamp("2023-04-20T18:00:25+02:00"), timestamp("soon"), timestamp("9999-12-31T23:59:59-12:00")
    (datetime.datetime(2023, 4, 20, 16, 0, 25), None, None)
    """
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None  # metadata only: an unreadable stamp never costs the entity its row
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59-12:00 is past the last instant Python holds in UTC
            return None
    return parsed.replace(microsecond=0)


def is_listed(record: FtmRecord) -> bool:
    """Whether the entity counts as listed: OpenSanctions' ``target`` flag, or true when the export has none."""
    return record.target is not False


def is_party(record: FtmRecord) -> bool:
    """Whether the entity is a party or asset that becomes a row of its own."""
    return any(record.proxy.schema.is_a(root) for root in PARTY_ROOTS)


def primary_name(record: FtmRecord) -> str:
    """The caption as published, else the first ``name``; ``RowError`` when there is none."""
    name = record.caption or next(iter(record.proxy.get("name", quiet=True)), None)
    if not clean(name):
        raise RowError("name", "entity has no name")
    return str(clean(name))


def names(record: FtmRecord) -> list[tuple[str, str]]:
    """``(name, name_type)`` pairs: the primary name first, then aliases, weak and previous names."""
    first = primary_name(record)
    out = [(first, "primary")]
    for prop, name_type in NAME_TYPES.items():
        for value in record.proxy.get(prop, quiet=True):
            text = clean(value)
            if text and (text, name_type) not in out and not (prop == "name" and text == first):
                out.append((text, name_type))
    return out


def countries(record: FtmRecord) -> list[str]:
    """ISO alpha-2 codes of the entity's country-like properties."""
    values: list[str] = []
    for prop in COUNTRY_PROPS:
        values.extend(record.proxy.get(prop, quiet=True))
    return iso2_list(values)


def identifiers(record: FtmRecord) -> list[tuple[str, str]]:
    """``(scheme, value)`` pairs of identifier-typed properties (``innCode``, ``imoNumber``...)."""
    out: list[tuple[str, str]] = []
    for prop in record.proxy.iterprops():
        if prop.type.name == "identifier" and prop.name not in NOT_IDENTIFIERS:
            out.extend((prop.name, v) for v in record.proxy.get(prop) if clean(v))
    return out


def first(record: FtmRecord, *props: str) -> str | None:
    """The first value of the first property that has one."""
    for prop in props:
        for value in record.proxy.get(prop, quiet=True):
            if clean(value):
                return clean(value)
    return None


def dates(record: FtmRecord, *props: str) -> list[Any]:
    """Parsed dates of ``props`` as published; ``RowError`` naming the property when one is not a date.

    Read from the published properties, not the proxy, so that a date the
    schema does not define (``listingDate`` on a Company) still counts.
    """
    out = []
    for prop in props:
        for value in record.properties.get(prop, []):
            try:
                out.append(parse_date(value))
            except ValueError as exc:
                raise RowError(prop, "invalid date (expected YYYY-MM-DD)") from exc
    return [d for d in out if d is not None]


def linked(ftm: FtmFile, schema: str, prop: str) -> dict[str, list[FtmRecord]]:
    """Helper entities of ``schema`` by the id their ``prop`` points to (Sanction by ``entity``)."""
    out: dict[str, list[FtmRecord]] = {}
    for record in ftm.of_schema(schema):
        for target in record.proxy.get(prop, quiet=True):
            out.setdefault(target, []).append(record)
    return out


def address_rows(record: FtmRecord, ftm: FtmFile) -> list[tuple[str, str | None, str | None]]:
    """``(address, city, country)`` of the ``address`` texts and linked ``Address`` entities."""
    out: list[tuple[str, str | None, str | None]] = []
    for text in record.proxy.get("address", quiet=True):
        if clean(text):
            out.append((str(clean(text)), None, None))
    for ref in record.proxy.get("addressEntity", quiet=True):
        address = ftm.records.get(ref)
        if address is None or not address.proxy.schema.is_a("Address"):
            continue
        country = iso2_list(address.proxy.get("country"))
        full = first(address, "full") or ", ".join(
            v for v in (first(address, "street"), first(address, "postalCode"), first(address, "city"),
                        first(address, "region", "state"), first(address, "country")) if v
        )
        if full:
            out.append((full, first(address, "city"), country[0] if country else None))
    return list(dict.fromkeys(out))


def link_kind(record: FtmRecord) -> str:
    """``ownership``, ``directorship`` or ``other`` for an FtM relationship (edge) entity."""
    schema = record.proxy.schema
    if schema.is_a("Ownership"):
        return "ownership"
    if schema.is_a("Directorship"):
        return "directorship"
    return "other"


def link_row(record: FtmRecord, ftm: FtmFile) -> dict[str, Any]:
    """A ``registry_links`` row of an edge entity (Ownership, Directorship...), keyed on its id."""
    schema = record.proxy.schema
    source = first(record, schema.edge_source) if schema.edge_source else None
    target = first(record, schema.edge_target) if schema.edge_target else None
    if not source or not target:
        raise RowError(schema.edge_source or None, "relationship without both ends")
    percentage = first(record, "percentage")
    try:
        share = parse_share(percentage, percent=True)
    except ValueError as exc:
        raise RowError("percentage", "share is not a percentage between 0 and 100") from exc
    starts, ends = dates(record, "startDate"), dates(record, "endDate")

    def name_of(entity_id: str) -> str | None:
        other = ftm.records.get(entity_id)
        return (other.caption or first(other, "name")) if other else None

    return {
        "link_id": record.proxy.id,
        "kind": link_kind(record),
        "source_entity_id": source,
        "source_name": name_of(source),
        "target_entity_id": target,
        "target_name": name_of(target),
        "share": share,
        "role": first(record, "role", "relationship", "ownershipType"),
        "start_date": min(starts, default=None),
        "end_date": max(ends, default=None),
        "line": record.line,
        "record_hash": record_hash("registry_links", record.proxy.id),
    }


def is_link(record: FtmRecord) -> bool:
    """Whether the entity is a relationship between two parties (FtM edge schema)."""
    return bool(record.proxy.schema.edge)


def raw_json(record: FtmRecord) -> str:
    """The entity as JSON text for the quarantine table (cut at 2,000 characters)."""
    data = {"id": record.proxy.id, "schema": record.proxy.schema.name, "caption": record.caption,
            "properties": record.properties, "datasets": record.datasets}
    return json.dumps(data, ensure_ascii=False)[:2000]
