"""The OFAC SDN list in its legacy CSV set: ``sdn.csv``, ``alt.csv`` and ``add.csv``.

No header rows; ``-0-`` stands for an empty field; the files may end with a
DOS end-of-file character. Which file is which is read from the content (field
count, numeric ``ent_num``, ``-0-`` markers, ``aka``/``fka``/``nka`` types), not
the name. Every entity becomes ``ofac-<ent_num>``, the id OpenSanctions also
lists among its ``referents``, so ``alt.csv`` and ``add.csv`` rows attach to
their entity whichever file is loaded first.

Identifiers, nationalities and a few facts are read from the ``Remarks``
field (``Tax ID No. 7701234567 (Russia); Registration Number 1027700132195
(Russia); Linked To: ...``). The legacy CSV carries no listing date.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from typing import Any

from diversion.errors import RowError
from diversion.reference import to_iso2
from diversion.sources.listfields import clean, iso2_list, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash
from diversion.sources.textcodec import has_bad_bytes, shown

LIST_NAME = "us_ofac_sdn"
FIELDS = {"sdn": 12, "alt": 5, "add": 6}
SDN_COLUMNS = ("ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage",
               "GRT", "Vess_flag", "Vess_owner", "Remarks")
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")
#: SDN_Type -> FtM schema; a blank type is an organisation (company, body or group).
SCHEMAS = {None: "Organization", "individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}
ALT_TYPES = {"aka": "alias", "fka": "previous", "nka": "alias"}

#: A number, optionally followed by its country in parentheses and by when it was issued or expires.
_VALUE = (r"\s*(?:No\.|#|:)?\s*:?\s*(?!(?:issued|expires|valid|registered)\b)"
          r"(?P<value>[^\s();][^();]*?)\s*(?:\((?P<country>[^)]*)\))?"
          r"(?:\s*,?\s+(?:issued|expires|valid|registered)\b.*)?\s*\.?\s*$")
#: Remarks items that carry an identifier: (label pattern, FtM property). The label is matched at the
#: start of the item (after an optional ``alt.``); the rest is the number. Labels as OFAC writes them.
_IDENTIFIER_LABELS: list[tuple[str, str]] = [
    (r"(?:Vessel Registration Identification |Company Number |Identification Number )?IMO", "imoNumber"),
    (r"Unified Social Credit Code \(USCC\)|USCC", "registrationNumber"),
    (r"Legal Entity (?:Number|Identifier)|LEI", "leiCode"),
    (r"Tax ID No\.|Tax Identification Number|Tax Number|TIN|INN", "taxNumber"),
    (r"R\.F\.C\.|RFC|NIT|N\.I\.T\.|RUC|R\.U\.C\.|C\.U\.I\.T\.|CUIT|C\.I\.F\.|CIF|RTN|US FEIN|"
     r"Italian Fiscal Code|Fiscal Code", "taxNumber"),
    (r"V\.A\.T\. Number|VAT Number|VAT No\.", "vatCode"),
    (r"OGRN", "ogrnCode"),
    (r"(?:UK )?Company Number|Commercial Registry Number|Registration (?:Number|ID|No\.)|"
     r"Business Registration (?:Number|No\.)|Certificate of Incorporation Number|Chamber of Commerce Number|"
     r"C\.R\. No\.|Public Registration Number|Enterprise Number|Folio Mercantil No\.|"
     r"Matricula Mercantil No|Trade License No\.|Business Number|Registered Charity No\.", "registrationNumber"),
    (r"D-U-N-S Number", "dunsCode"),
    (r"MMSI", "mmsi"),
    (r"Aircraft Tail Number|Previous Aircraft Tail Number", "registrationNumber"),
    (r"(?:Diplomatic )?Passport", "passportNumber"),
    (r"National ID No\.|Identification Number|Cedula No\.|D\.N\.I\.|Personal ID Card|"
     r"Turkish Identification Number|National Foreign ID Number|C\.U\.R\.P\.|Citizen's Card Number", "idNumber"),
    (r"SWIFT/BIC", "swiftBic"),
]
_IDENTIFIER_REMARKS = [(re.compile(rf"^(?:alt\.\s+)?(?:{label})(?![A-Za-z])" + _VALUE, re.I), prop)
                       for label, prop in _IDENTIFIER_LABELS]
#: A weak alias in the remarks: ``a.k.a. 'SHAHID'`` (also ``f.k.a.``/``n.k.a.``; quotes kept inside the name).
_WEAK_ALIAS = re.compile(r"^(?:alt\.\s+)?[afn]\.k\.a\.,?\s*'(?P<name>.+)'\s*\.?$", re.I)
#: Remarks items kept as properties: (pattern, property).
_FACT_REMARKS = [
    (re.compile(r"^(?:nationality|citizen)\s+(?P<value>.+?)\.?$", re.I), "nationality"),
    (re.compile(r"^Website\s+(?P<value>\S+?)\.?$", re.I), "website"),
    (re.compile(r"^Email Address\s+(?P<value>\S+?)\.?$", re.I), "email"),
    (re.compile(r"^DOB\s+(?P<value>.+?)\.?$", re.I), "birthDate"),
    (re.compile(r"^POB\s+(?P<value>.+?)\.?$", re.I), "birthPlace"),
    (re.compile(r"^Organization Established Date\s+(?P<value>.+?)\.?$", re.I), "incorporationDate"),
    (re.compile(r"^Linked To:\s*(?P<value>.+?)\.?$", re.I), "linkedTo"),
]


def value(field: str) -> str | None:
    """A field's text, ``None`` for blank or OFAC's ``-0-``."""
    text = clean(field)
    return None if text is None or text == "-0-" else text


def programs(field: str | None) -> list[str]:
    """``[RUSSIA-EO14024] [UKRAINE-EO13662]`` or ``SDGT] [IRGC`` -> a list of program codes."""
    return [p for p in (clean(part.strip("[] ")) for part in re.split(r"\]\s*\[", field or "")) if p]


def parse_remarks(
    remarks: str | None,
) -> tuple[list[tuple[str, str, str | None]], dict[str, list[str]]]:
    """Identifiers ``(scheme, value, country)`` and other facts found in a ``Remarks`` field.

    Weak aliases (``a.k.a. 'SHAHID'``) come back as the fact ``weakAlias``.

    >>> ids, facts = parse_remarks("a.k.a. 'BNC'; alt. Passport A123 (Cuba) issued 2001; LEI 2138001ABCDEF")
    >>> ids, facts["weakAlias"]
    ([('passportNumber', 'A123', 'CU'), ('leiCode', '2138001ABCDEF', None)], ['BNC'])
    """
    identifiers: list[tuple[str, str, str | None]] = []
    facts: dict[str, list[str]] = {}
    for item in (remarks or "").split(";"):
        item = item.strip()
        weak = _WEAK_ALIAS.match(item)
        if weak:
            name = clean(weak.group("name"))
            if name:
                facts.setdefault("weakAlias", []).append(name)
            continue
        for pattern, scheme in _IDENTIFIER_REMARKS:
            match = pattern.match(item)
            if match and any(ch.isdigit() for ch in match.group("value")):
                country = to_iso2(match.group("country"))
                number = match.group("value").strip()
                if scheme == "taxNumber" and (country == "RU" or item.upper().startswith("INN")):
                    scheme = "innCode"  # Russian tax numbers are INNs
                identifiers.append((scheme, number, country))
                if scheme == "registrationNumber" and country == "RU" and re.fullmatch(r"\d{13}|\d{15}", number):
                    identifiers.append(("ogrnCode", number, country))
                break
        else:
            for pattern, prop in _FACT_REMARKS:
                match = pattern.match(item)
                if match:
                    facts.setdefault(prop, []).append(match.group("value").strip())
                    break
    return identifiers, facts


def detect(head: str) -> str | None:
    """Which OFAC file (``sdn``, ``alt``, ``add``) the first lines are, or ``None`` if not OFAC."""
    rows = [r for r in _records(head[:65536])[:50] if r[1]]
    rows = [(line, fields) for line, fields in rows if not _is_header(fields)]
    numeric = [fields for _, fields in rows if fields[0].strip().isdigit()]
    if not rows or len(numeric) < 0.8 * len(rows):
        return None
    width = Counter(len(r) for r in numeric).most_common(1)[0][0]
    same = [r for r in numeric if len(r) == width]
    markers = any(v.strip() == "-0-" for r in same for v in r)
    if width == FIELDS["sdn"] and markers:
        return "sdn"
    if width == FIELDS["alt"] and any(r[2].strip().lower() in ALT_TYPES for r in same):
        return "alt"
    if width == FIELDS["add"] and (markers or all(r[1].strip().isdigit() for r in same)):
        return "add"
    return None


def _is_header(fields: list[str]) -> bool:
    return fields[0].strip().lower().replace("_", "") in ("entnum", "ent num")


def _records(text: str) -> list[tuple[int, list[str]]]:
    """``(line, fields)`` of every CSV record, ``[]`` fields for unreadable lines; blanks and EOF skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))  # any line ending: \n, \r\n or \r
    out: list[tuple[int, list[str]]] = []
    last = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return out
        except csv.Error:
            out.append((last + 1, []))
            last = reader.line_num
            continue
        start, last = last + 1, reader.line_num
        if any(f.strip(" \t\x1a") for f in fields):
            out.append((start, fields))


def _sdn_row(fields: list[str], line: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    vals = dict(zip(SDN_COLUMNS, (value(f) for f in fields), strict=True))
    entity_id = _entity_id(vals["ent_num"])
    name = vals["SDN_Name"]
    if not name:
        raise RowError("SDN_Name", "empty name")
    sdn_type = (vals["SDN_Type"] or "").lower() or None
    if sdn_type not in SCHEMAS:
        raise RowError("SDN_Type", "unknown SDN_Type (expected individual, vessel, aircraft or -0-)")
    identifiers, facts = parse_remarks(vals["Remarks"])
    program_list = programs(vals["Program"])
    properties: dict[str, list[str]] = {"name": [name], "program": program_list}
    for prop, column in (("title", "Title"), ("callSign", "Call_Sign"), ("type", "Vess_type"),
                         ("tonnage", "Tonnage"), ("grossRegisteredTonnage", "GRT"), ("flag", "Vess_flag"),
                         ("owner", "Vess_owner"), ("notes", "Remarks")):
        if vals[column]:
            properties[prop] = [str(vals[column])]
    for scheme, number, _ in identifiers:
        properties.setdefault(scheme, []).append(number)
    properties.update(facts)
    countries = iso2_list([*facts.get("nationality", []), *(c for _, _, c in identifiers), vals["Vess_flag"]])
    row = {
        "entity_id": entity_id, "schema": SCHEMAS[sdn_type], "name": name, "countries": countries,
        "programs": program_list, "topics": ["sanction"], "datasets": [LIST_NAME], "listing_date": None,
        "list_name": LIST_NAME, "properties": _json(properties), "line": line,
        "record_hash": record_hash("sanctions", entity_id),
    }
    listed = [(name, "primary"), *((weak, "weak") for weak in facts.get("weakAlias", []) if weak != name)]
    names = [{"entity_id": entity_id, "name": n, "name_type": t, "line": line,
              "record_hash": record_hash(entity_id, n, t)} for n, t in dict.fromkeys(listed)]
    # Its own id as a referent: OpenSanctions lists ``ofac-<ent_num>`` among the referents of the same entity.
    pairs = dict.fromkeys([*((s, v) for s, v, _ in identifiers), ("referent", entity_id)])
    ids = [{"entity_id": entity_id, "scheme": s, "value": v, "line": line, "record_hash": record_hash(entity_id, s, v)}
           for s, v in pairs]
    return row, names, ids


def _alt_row(fields: list[str], line: int) -> dict[str, Any]:
    vals = dict(zip(ALT_COLUMNS, (value(f) for f in fields), strict=True))
    entity_id = _entity_id(vals["ent_num"])
    name = vals["alt_name"]
    if not name:
        raise RowError("alt_name", "empty alias name")
    alt_type = (vals["alt_type"] or "").lower()
    if alt_type not in ALT_TYPES:
        raise RowError("alt_type", "unknown alt_type (expected aka, fka or nka)")
    remarks = (vals["alt_remarks"] or "").lower()
    name_type = "weak" if "weak" in remarks or "low quality" in remarks else ALT_TYPES[alt_type]
    return {"entity_id": entity_id, "name": name, "name_type": name_type, "line": line,
            "record_hash": record_hash(entity_id, name, name_type)}


def _add_row(fields: list[str], line: int) -> dict[str, Any] | None:
    """An address row; ``None`` for OFAC's placeholder rows (``-0-`` in every field but the numbers)."""
    vals = dict(zip(ADD_COLUMNS, (value(f) for f in fields), strict=True))
    entity_id = _entity_id(vals["ent_num"])
    parts = [p for p in (vals["address"], vals["city_state_postal"], vals["country"]) if p]
    if not parts:
        if vals["add_remarks"] is None:
            return None  # OFAC writes one such row for many entries with no known address: nothing to load
        raise RowError("address", "address line with no address, city or country")
    address, city, country = ", ".join(parts), vals["city_state_postal"], to_iso2(vals["country"])
    return {"entity_id": entity_id, "address": address, "city": city, "country": country, "line": line,
            "record_hash": record_hash(entity_id, address, city, country)}


def _entity_id(ent_num: str | None) -> str:
    if not ent_num or not ent_num.isdigit():
        raise RowError("ent_num", "ent_num is not a number")
    return f"ofac-{int(ent_num)}"


def _json(properties: dict[str, list[str]]) -> str:
    return json.dumps({k: v for k, v in properties.items() if v}, ensure_ascii=False)


def parse_ofac_text(text: str, kind: str) -> ParsedFile:
    """Parse the text of one OFAC file of a known ``kind`` (``sdn``, ``alt`` or ``add``)."""
    parsed = ParsedFile(format=f"ofac-{kind}")
    rows: list[dict[str, Any]] = []
    names: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []
    ids: list[dict[str, Any]] = []
    expected = FIELDS[kind]
    for line, fields in _records(text):
        if _is_header(fields or ["-"]):
            continue
        parsed.rows_read += 1
        raw = shown(",".join(fields))
        try:
            if not fields:
                raise RowError(None, "unreadable CSV line")
            if has_bad_bytes(",".join(fields)):
                raise RowError(None, "bytes that are not valid UTF-8 (the rest of the file is UTF-8)")
            if len(fields) != expected:
                raise RowError(None, f"wrong number of fields for OFAC {kind}.csv (expected {expected})")
            if kind == "sdn":
                row, row_names, row_ids = _sdn_row(fields, line)
                rows.append(row)
                names.extend(row_names)
                ids.extend(row_ids)
            elif kind == "alt":
                names.append(_alt_row(fields, line))
            else:
                address = _add_row(fields, line)
                if address is None:
                    parsed.rows_empty += 1
                else:
                    addresses.append(address)
        except RowError as exc:
            parsed.quarantined.append(Quarantined(line, exc.field, exc.reason, raw[:2000]))
    if kind == "sdn":
        parsed.tables = {"sanctions": to_table("sanctions", rows), "sanction_names": to_table("sanction_names", names),
                         "sanction_identifiers": to_table("sanction_identifiers", ids)}
        parsed.counted_tables = frozenset({"sanctions"})
    elif kind == "alt":
        parsed.tables = {"sanction_names": to_table("sanction_names", names)}
        parsed.counted_tables = frozenset({"sanction_names"})
    else:
        parsed.tables = {"sanction_addresses": to_table("sanction_addresses", addresses)}
        parsed.counted_tables = frozenset({"sanction_addresses"})
    return parsed
