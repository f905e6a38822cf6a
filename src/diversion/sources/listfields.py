"""Field cleaning shared by the list-like sources: sanctions, registry, web evidence, distributors.

Pure functions: each turns one published value into the warehouse's form, or
raises ``ValueError`` with a short reason that the parser quarantines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from diversion.engine.schema import TABLES, columns
from diversion.errors import SourceError
from diversion.reference import to_iso2
from diversion.sources.normalise import MAX_YEAR, MIN_YEAR
from diversion.sources.textcodec import decode_text, has_bad_bytes, shown

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a warehouse table, read from its DDL in ``engine.schema``."""
    types = {}
    for raw in TABLES[table].splitlines():
        parts = raw.split("--")[0].strip().rstrip(",").split()
        if len(parts) >= 2:
            types[parts[0]] = _ARROW_TYPES[parts[1]]
    return pa.schema([(name, types[name]) for name in columns(table)])


def to_table(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table with the warehouse's column types (missing columns are NULL)."""
    schema = arrow_schema(table)
    if "source_id" in schema.names:
        # The loader fills source_id; leaving it out here keeps rows free of provenance.
        schema = schema.remove(schema.get_field_index("source_id"))
    return pa.Table.from_pylist(rows, schema=schema)


def read_text(path: Path, declared: str | None = None) -> tuple[str, str]:
    """A whole small text file and its encoding, under the one decoding policy (``textcodec``).

    UTF-8 (BOM or not), UTF-16/32 by BOM, the declared encoding, else
    Windows-1251 when the text reads as Russian words (registers, customs
    extracts) or Windows-1252 when it reads as Latin text (OFAC files). A
    mostly-UTF-8 file keeps its bad bytes as markers: ``csv_dict_rows`` marks
    the rows holding them for quarantine.
    """
    decoded = decode_text(path, declared)
    if "\x00" in decoded.text[:65536]:
        raise SourceError(str(path), "binary file, not text (expected CSV or JSON lines)")
    return decoded.text, decoded.encoding


def csv_dict_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased) and ``(line, row)`` pairs of a CSV text with any common delimiter.

    A row with the wrong number of fields is marked with a ``__fields__`` key,
    one holding bytes that were not valid UTF-8 (``textcodec``) with ``__bytes__``,
    an unreadable line is ``{"__error__": message}``, so the caller can quarantine them.
    Line endings may be ``\\n``, ``\\r\\n`` or ``\\r``.
    """
    sample = re.sub(r"\r\n?", "\n", text[:8192])
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    last = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append((last + 1, {"__error__": str(exc)}))
            last = reader.line_num
            continue
        start, last = last + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if not header:
            header = [shown(h).replace("\ufeff", "").strip().lower().replace(" ", "_") for h in values]
            continue
        row = dict(zip(header, values, strict=False))
        if len(values) != len(header):
            row["__fields__"] = str(len(values))
        if any(has_bad_bytes(v) for v in values):
            row = {k: shown(v) for k, v in row.items()}
            row["__bytes__"] = "1"
        rows.append((start, row))
    return header, rows


def clean(value: Any) -> str | None:
    """Trimmed text, or ``None`` for an empty value."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def split_list(value: str | None, sep: str = ";") -> list[str]:
    """``a; b;;c`` -> ``['a', 'b', 'c']``."""
    return [part for part in (clean(p) for p in (value or "").split(sep)) if part]


def iso2_list(values: Iterable[str | None]) -> list[str]:
    """Distinct ISO alpha-2 codes of country names or codes, in order; unknown names dropped."""
    out: list[str] = []
    for value in values:
        code = to_iso2(value)
        if code and code not in out:
            out.append(code)
    return out


_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m", "%Y", "%d.%m.%Y", "%d/%m/%Y", "%d %b %Y", "%d %B %Y")


def parse_date(value: str | None) -> date | None:
    """A date from ISO (full or partial: ``2022``, ``2022-03``), ``DD.MM.YYYY`` or ``01 Mar 2022``.

    Partial dates become the first day of their period. Raises ``ValueError``
    when the text is not a date.
    """
    text = clean(value)
    if text is None:
        return None
    text = text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text) else text
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp or date; offsets are converted to naive UTC. Raises ``ValueError``.

    Years outside 1900-2100 are refused (``9999-12-31T23:59:59-12:00`` is past
    the last instant Python can hold once in UTC).
    """
    text = clean(value)
    if text is None:
        return None
    try:
        stamp: datetime | None = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        day = parse_date(text)  # "01.08.2023" and friends; raises ValueError when not a date
        stamp = None if day is None else datetime(day.year, day.month, day.day)
    if stamp is not None and stamp.tzinfo is not None:
        try:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as exc:
            raise ValueError(text) from exc
    if stamp is not None and not MIN_YEAR <= stamp.year <= MAX_YEAR:
        raise ValueError(text)
    return stamp


def parse_share(value: str | None, percent: bool) -> float | None:
    """An ownership share as 0..1 from ``"50%"``, ``"50"`` (when ``percent``) or ``"0.5"``.

    Without ``percent``, numbers above 1 are read as percentages. Raises
    ``ValueError`` for text that is not a number or a share outside 0..100 %.
    """
    text = clean(value)
    if text is None:
        return None
    if text.endswith("%"):
        text, percent = text[:-1].strip(), True
    number = float(text.replace(",", "."))
    if number != number or number < 0:  # NaN or negative
        raise ValueError(text)
    share = number / 100 if percent or number > 1 else number
    if share > 1:
        raise ValueError(text)
    return share


_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff0-9-]{2,}$")


def normalise_domain(value: str | None) -> str | None:
    """``https://www.Example.com:8080/about`` -> ``example.com``; ``None`` when empty.

    Raises ``ValueError`` when what is left is not a host name.
    """
    text = clean(value)
    if text is None:
        return None
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rsplit("@", 1)[-1].split(":")[0].strip(".")
    host = host.removeprefix("www.")
    if not _DOMAIN.match(host):
        raise ValueError(text)
    return host
