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
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry

from diversion.errors import RowError, SourceError
from diversion.reference import to_iso2
from diversion.sources.listfields import clean, normalise_domain, parse_timestamp, to_table
from diversion.sources.loader import ParsedFile, Quarantined, record_hash
from diversion.sources.textcodec import JsonError, loads_json, text_lines

if TYPE_CHECKING:
    from diversion.sources import ParseOptions

FIELDS = ("domain", "company_name", "claimed_address", "hosting_country", "registrant_country", "fetched_at", "text")


@cache
def _us_states() -> dict[str, str]:
    """US state and territory names and two-letter codes, upper case, for addresses like ``IL 60601``."""
    out: dict[str, str] = {}
    # pycountry wraps get() in an unannotated lazy-loading decorator, so mypy sees an untyped call
    for sub in pycountry.subdivisions.get(country_code="US") or []:  # type: ignore[no-untyped-call]
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
    """Parse a web-evidence JSON-lines file; bad lines are quarantined.

    Lines are read under the one decoding policy (``textcodec.text_lines``):
    UTF-8 or UTF-16/32 by BOM, a BOM at the start of any line dropped, any
    line ending; a line that is not UTF-8 is quarantined, not re-decoded.
    """
    if not _looks_like_web(path, options):
        raise SourceError(str(path), "unknown web evidence format: expected JSON lines with a 'domain' field")
    parsed = ParsedFile(format="jsonl", encoding="utf-8")
    rows: list[dict[str, Any]] = []
    for line in text_lines(path, options.encoding):
        if not line.raw.strip() or (line.text is not None and not line.text.strip()):
            continue
        parsed.rows_read += 1
        shown_text = line.text if line.text is not None else line.raw.decode("utf-8", errors="replace")
        try:
            rows.append({**web_row(_decode(line.text)), "line": line.number})
        except RowError as exc:
            parsed.quarantined.append(Quarantined(line.number, exc.field, exc.reason, shown_text.strip()[:2000]))
    parsed.tables = {"web_evidence": to_table("web_evidence", rows)}
    return parsed


def _looks_like_web(path: Path, options: ParseOptions) -> bool:
    for line in islice(text_lines(path, options.encoding), 20):
        try:
            data = loads_json(line.text or "")
        except JsonError:
            continue
        if isinstance(data, dict) and "domain" in data:
            return True
    return False


def _decode(text: str | None) -> dict[str, Any]:
    if text is None:
        raise RowError(None, "line is not valid UTF-8")
    try:
        data = loads_json(text)
    except JsonError as exc:
        raise RowError(None, str(exc)) from exc
    if not isinstance(data, dict):
        raise RowError(None, "JSON line is not an object")
    return data


def text_field(data: dict[str, Any], name: str, joiner: str = "; ") -> str | None:
    """A field as text: strings as they are, numbers and booleans as JSON writes them, a list of
    those joined; an object or a nested list is a ``RowError`` (it has no one text)."""
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(v is None or isinstance(v, str | bool | int | float) for v in value):
        return joiner.join(v if isinstance(v, str) else json.dumps(v) for v in value if v is not None) or None
    raise RowError(name, "not text (an object or a nested list)")


def web_row(data: dict[str, Any]) -> dict[str, Any]:
    """One web-evidence record as a ``web_evidence`` row (without provenance)."""
    raw_domain = data.get("domain")
    if raw_domain is not None and not isinstance(raw_domain, str):
        raise RowError("domain", "not text")
    try:
        domain = normalise_domain(raw_domain)
    except ValueError as exc:
        raise RowError("domain", "invalid domain name") from exc
    if not domain:
        raise RowError("domain", "empty domain")
    try:
        fetched_at = parse_timestamp(text_field(data, "fetched_at"))
    except ValueError as exc:
        raise RowError("fetched_at", "invalid timestamp (expected ISO 8601, e.g. 2023-08-01T12:00:00Z)") from exc
    address = clean(text_field(data, "claimed_address", ", "))
    row = {
        "domain": domain,
        "company_name": clean(text_field(data, "company_name")),
        "claimed_address": address,
        "claimed_country": claimed_country(address),
        "hosting_country": to_iso2(text_field(data, "hosting_country")),
        "registrant_country": to_iso2(text_field(data, "registrant_country")),
        "fetched_at": fetched_at,
        "text": text_field(data, "text", "\n"),
    }
    row["record_hash"] = record_hash(*(row[f] for f in FIELDS))
    return row
