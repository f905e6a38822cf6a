"""What loaded numbers can mean: rows whose numbers cannot be true are quarantined, never loaded.

Applied by ``ingest_file`` to every parsed file, whatever its format, before
it is written:

* every floating-point column of every table must be finite (NaN or an
  infinity in one row turns every total it enters into NaN);
* amounts (any float column but a rate or a share) must be at most
  ``ingest.max_value`` in magnitude (``1e308`` loads as a number);
* ``rates.per_usd`` must lie in the plausible band of its currency
  (``ingest.rate_min_per_usd`` / ``rate_max_per_usd``; ``1e-320`` is positive);
* ``share`` columns are fractions 0..1.

A row failing a check goes to quarantine with the field and the reason, so
``rows_read = rows_loaded + rows_quarantined + rows_duplicate`` still holds.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from diversion.config import IngestSettings
from diversion.engine import Staged
from diversion.sources.loader import ParsedFile, Quarantined

#: Float columns that are not amounts, with their own check.
RATE_COLUMNS = {("rates", "per_usd")}
SHARE_COLUMNS = {"share"}


def _reason(table: str, column: str, value: float, row: dict[str, Any], limits: IngestSettings) -> str | None:
    """Why one value cannot be true, or ``None``."""
    if not math.isfinite(value):
        return f"{column}: not a finite number"
    if (table, column) in RATE_COLUMNS:
        currency = str(row.get("currency") or "*")
        low, high = limits.rate_band(currency)
        if not low <= value <= high:
            return (f"{column}: outside the plausible band for {currency} ({low:g} to {high:g} per US dollar; "
                    "settings ingest.rate_min_per_usd / rate_max_per_usd)")
        return None
    if column in SHARE_COLUMNS:
        return None if 0 <= value <= 1 else f"{column}: not a share between 0 and 1"
    if abs(value) > limits.max_value:
        return f"{column}: larger than {limits.max_value:g} (setting ingest.max_value)"
    return None


def _suspect_rows(table: str, data: pa.Table, column: str, limits: IngestSettings) -> pa.Array:
    """A cheap vectorised pre-filter: rows whose value in ``column`` may fail a check."""
    values = data.column(column)
    finite = pc.fill_null(pc.is_finite(values), True)
    if (table, column) in RATE_COLUMNS:  # a band per currency: checked row by row (rates files are small)
        return pa.repeat(True, data.num_rows)
    if column in SHARE_COLUMNS:
        inside = pc.and_(pc.greater_equal(values, 0), pc.less_equal(values, 1))
    else:
        inside = pc.less_equal(pc.abs(values), limits.max_value)
    return pc.invert(pc.fill_null(pc.and_(finite, inside), True))


def _failure(table: str, row: dict[str, Any], columns: list[str], limits: IngestSettings) -> Quarantined | None:
    """The quarantine record of a row with a number that cannot be true (its first such column), or ``None``."""
    for column in columns:
        value = row[column]
        reason = None if value is None else _reason(table, column, value, row, limits)
        if reason is not None:
            raw = {k: (v if not isinstance(v, float) or math.isfinite(v) else repr(v)) for k, v in row.items()
                   if k not in ("record_hash", "source_id", "_rowid")}
            return Quarantined(row.get("line"), column, reason, raw)
    return None


def _suspect_sql(table: str, column: str, limits: IngestSettings) -> str:
    """SQL: rows whose value in ``column`` may fail a check (``_suspect_rows``' filter, for staged rows)."""
    if (table, column) in RATE_COLUMNS:
        return "TRUE"
    inside = f'"{column}" BETWEEN 0 AND 1' if column in SHARE_COLUMNS else f'abs("{column}") <= {limits.max_value!r}'
    return f'NOT coalesce(isfinite("{column}") AND {inside}, TRUE)'


def _enforce_staged(parsed: ParsedFile, table: str, rows: Staged, limits: IngestSettings) -> None:
    """``enforce_bounds`` for rows staged in the warehouse's database: checked and removed in SQL."""
    types = dict(rows.con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {rows.relation})").fetchall())
    columns = [c for c in rows.columns if types.get(c) in ("DOUBLE", "FLOAT", "REAL")]
    if not columns or not rows.num_rows:
        return
    suspect = " OR ".join(_suspect_sql(table, c, limits) for c in columns)
    listed = ", ".join(f'"{c}"' for c in rows.columns)
    query = f"SELECT rowid AS _rowid, {listed} FROM {rows.relation} WHERE {suspect}"
    suspects = rows.con.execute(query).to_arrow_table()
    bad: list[int] = []
    for row in suspects.to_pylist():
        failure = _failure(table, row, columns, limits)
        if failure is not None:
            parsed.quarantined.append(failure)
            bad.append(row["_rowid"])
    if bad:
        rows.con.execute(f"DELETE FROM {rows.relation} WHERE rowid IN (SELECT unnest(?))", [bad])
        rows.num_rows -= len(bad)


def enforce_bounds(parsed: ParsedFile, limits: IngestSettings) -> ParsedFile:
    """Move rows with numbers that cannot be true from ``parsed.tables`` and ``parsed.staged`` to its
    quarantine (in place)."""
    for table, data in list(parsed.tables.items()):
        columns = [f.name for f in data.schema if pa.types.is_floating(f.type)]
        if not columns or not data.num_rows:
            continue
        suspect = pa.repeat(False, data.num_rows)
        for column in columns:
            suspect = pc.or_(suspect, _suspect_rows(table, data, column, limits))
        if not pc.any(suspect).as_py():
            continue
        bad_rows: list[int] = []
        for index in pc.indices_nonzero(suspect).to_pylist():
            failure = _failure(table, data.slice(index, 1).to_pylist()[0], columns, limits)
            if failure is not None:
                parsed.quarantined.append(failure)
                bad_rows.append(index)
        if bad_rows:
            bad = set(bad_rows)
            parsed.tables[table] = data.filter(pa.array([i not in bad for i in range(data.num_rows)]))
    for table, rows in parsed.staged.items():
        _enforce_staged(parsed, table, rows, limits)
    parsed.quarantined.sort(key=lambda q: q.line or 0)
    return parsed
