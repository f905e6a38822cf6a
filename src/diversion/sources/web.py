"""``diversion ingest web``: web evidence as JSON lines, one site a line.

Fields (DESIGN.md): ``domain, company_name, claimed_address, hosting_country,
registrant_country, fetched_at, text``. The domain is normalised (lower case,
no scheme, ``www.``, port or path), countries become ISO alpha-2, and
``claimed_country`` is read from the claimed address (see ``claimed_country``).
``text`` is kept exactly as given, HTML included.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry

from diversion.errors import RowError, SourceError
from diversion.reference import to_iso2
from diversion.sources.listfields import clean, normalise_domain, parse_timestamp, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

FIELDS = ("domain", "company_name", "claimed_address", "hosting_country", "registrant_country", "fetched_at", "text")


@cache
def _us_states() -> dict[str, str]:
    """US state and territory names and two-letter codes, upper case, for addresses like ``IL 60601``."""
    out: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code="US") or []:
        out[sub.code.split("-")[1]] = "US"
        out[sub.name.upper()] = "US"
    return out


def claimed_country(address: str | None) -> str | None:
    """The country an address claims, read from its comma-separated parts, last first.

    A part is a country when it is a US state (``Illinois``, ``IL``, ``IL 60601``
    -> US; a bare two-letter US state code wins over the country code), a country
    name or code in any language once postcodes are removed, or ends with one
    (``Dubai UAE``). ``None`` when no part names a country.

    >>> claimed_country("1200 W Lake St, Chicago, IL 60607"), claimed_country("Dubai, UAE")
    ('US', 'AE')
    """
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    for part in reversed(parts[1:] if len(parts) > 1 else parts):
        words = " ".join(re.sub(r"[\d#/]+", " ", part).split()).strip(" .-")
        if not words:
            continue
        state = _us_states().get(words.upper().replace(".", ""))
        if state:
            return state
        code = to_iso2(words)
        if code:
            return code
        last = words.split()[-1]
        if len(last) > 2 and to_iso2(last):
            return to_iso2(last)
    return None


def parse_web(path: Path, options: ParseOptions) -> ParsedFile:
    """Parse a web-evidence JSON-lines file; bad lines are quarantined."""
    parsed = ParsedFile(format="jsonl", encoding="utf-8")
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not _looks_like_web(lines[:20]):
        raise SourceError(str(path), "unknown web evidence format: expected JSON lines with a 'domain' field")
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        parsed.rows_read += 1
        text = raw.decode("utf-8", errors="replace")
        try:
            rows.append({**web_row(_decode(raw)), "line": line})
        except RowError as exc:
            parsed.quarantined.append(Quarantined(line, exc.field, exc.reason, text.strip()[:2000]))
    parsed.tables = {"web_evidence": to_table("web_evidence", rows)}
    return parsed


def _looks_like_web(lines: list[bytes]) -> bool:
    for raw in lines:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and "domain" in data:
            return True
    return False


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RowError(None, "line is not valid UTF-8") from exc
    except ValueError as exc:
        raise RowError(None, "invalid JSON") from exc
    if not isinstance(data, dict):
        raise RowError(None, "JSON line is not an object")
    return data


def web_row(data: dict[str, Any]) -> dict[str, Any]:
    """One web-evidence record as a ``web_evidence`` row (without provenance)."""
    try:
        domain = normalise_domain(data.get("domain"))
    except ValueError as exc:
        raise RowError("domain", "invalid domain name") from exc
    if not domain:
        raise RowError("domain", "empty domain")
    try:
        fetched_at = parse_timestamp(data.get("fetched_at"))
    except ValueError as exc:
        raise RowError("fetched_at", "invalid timestamp (expected ISO 8601, e.g. 2023-08-01T12:00:00Z)") from exc
    text = data.get("text")
    address = clean(data.get("claimed_address"))
    row = {
        "domain": domain,
        "company_name": clean(data.get("company_name")),
        "claimed_address": address,
        "claimed_country": claimed_country(address),
        "hosting_country": to_iso2(data.get("hosting_country")),
        "registrant_country": to_iso2(data.get("registrant_country")),
        "fetched_at": fetched_at,
        "text": None if text is None else str(text),
    }
    row["record_hash"] = record_hash(*(row[f] for f in FIELDS))
    return row
