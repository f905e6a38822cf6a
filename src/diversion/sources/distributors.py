"""``diversion ingest distributors``: authorised distributors per brand.

CSV with header ``brand, distributor_name, country, domain`` (any common delimiter).

Brand and distributor name are required; countries become ISO alpha-2 and
domains are normalised like web evidence, so that detectors can compare a
website with the distributor it may impersonate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from diversion.errors import RowError, SourceError
from diversion.reference import to_iso2
from diversion.sources.listfields import clean, csv_dict_rows, normalise_domain, read_text, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

COLUMNS = ("brand", "distributor_name", "country", "domain")


def parse_distributors(path: Path, options: ParseOptions) -> ParsedFile:
    """Parse a distributors CSV (any common delimiter); bad rows are quarantined."""
    text, encoding = read_text(path, options.encoding)
    header, rows = csv_dict_rows(text)
    if not {"brand", "distributor_name"} <= set(header):
        raise SourceError(str(path), f"unknown distributors format: expected a CSV with header {','.join(COLUMNS)}")
    parsed = ParsedFile(format="csv", encoding=encoding)
    out: list[dict[str, Any]] = []
    for line, row in rows:
        parsed.rows_read += 1
        try:
            out.append({**distributor_row(row), "line": line})
        except RowError as exc:
            raw = {k: v for k, v in row.items() if isinstance(k, str) and not k.startswith("__")}
            parsed.quarantined.append(Quarantined(line, exc.field, exc.reason, raw))
    parsed.tables = {"distributors": to_table("distributors", out)}
    return parsed


def distributor_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as a ``distributors`` row (without provenance); ``RowError`` when unusable."""
    if "__error__" in row:
        raise RowError(None, "unreadable CSV line")
    if "__fields__" in row:
        raise RowError(None, "wrong number of fields for the header")
    if "__bytes__" in row:
        raise RowError(None, "bytes that are not valid UTF-8 (the rest of the file is UTF-8)")
    brand, name = clean(row.get("brand")), clean(row.get("distributor_name"))
    if not brand:
        raise RowError("brand", "empty brand")
    if not name:
        raise RowError("distributor_name", "empty distributor name")
    try:
        domain = normalise_domain(row.get("domain"))
    except ValueError as exc:
        raise RowError("domain", "invalid domain name") from exc
    country = to_iso2(row.get("country"))
    return {"brand": brand, "distributor_name": name, "country": country, "domain": domain,
            "record_hash": record_hash(brand.lower(), name.lower(), country, domain)}
