"""Parquet and XLSX files read as text columns, like a CSV, into a DuckDB table ``raw``.

Typed cells are turned back into the text a person would have typed
(``845811`` not ``845811.0``, ``2023-05-01`` not a timestamp) so that one
normalising query serves every format. Columns that held numbers are
reported, because a number cell may have lost an HS code's leading zero.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from diversion.errors import SourceError

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_parquet_raw(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], set[str], int]:
    """Load a Parquet file as text columns ``c0..`` plus ``_line`` (1-based record number).

    Returns the column names, the names of numeric columns and the row count.
    """
    source = f"read_parquet({_sql_text(str(path))}, file_row_number=true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise SourceError(str(path), f"not a readable Parquet file ({' '.join(str(exc).split())[:160]})") from exc
    header: list[str] = []
    numeric: set[str] = set()
    selects: list[str] = []
    for name, dtype, *_ in described:
        if name == "file_row_number":
            continue
        col = '"' + name.replace('"', '""') + '"'
        i = len(header)
        header.append(name)
        if str(dtype).startswith(("FLOAT", "DOUBLE", "DECIMAL")):
            numeric.add(name)
            # Whole numbers print without ".0" (ids, HS codes, years).
            selects.append(f"CASE WHEN {col} = trunc({col}) AND abs({col}) < 1e15 "
                           f"THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END AS c{i}")
        else:
            if str(dtype).startswith(_NUMERIC):
                numeric.add(name)
            selects.append(f"CAST({col} AS VARCHAR) AS c{i}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {', '.join(selects)}, "
                f"file_row_number + 1 AS _line FROM {source}")
    rows = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
    return header, numeric, rows


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text it shows (whole floats without ``.0``, dates ISO).

    >>> cell_text(845811.0), cell_text(datetime(2023, 5, 1)), cell_text(12.5)
    ('845811', '2023-05-01', '12.5')
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def read_xlsx_raw(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], set[str], int]:
    """Load the first sheet of an XLSX workbook as text columns ``c0..`` plus ``_line`` (sheet row).

    The first non-empty row is the header; empty rows are skipped.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(str(path), f"a zip file but not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        header: list[str] = []
        numeric_idx: set[int] = set()
        columns: list[list[str | None]] = []
        lines: list[int] = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            if not header:
                header = [cell_text(v) or f"column{i + 1}" for i, v in enumerate(row)]
                columns = [[] for _ in header]
                continue
            for i in range(len(header)):
                value = row[i] if i < len(row) else None
                if isinstance(value, int | float) and not isinstance(value, bool):
                    numeric_idx.add(i)
                columns[i].append(cell_text(value))
            lines.append(number)
    finally:
        book.close()
    if not header:
        raise SourceError(str(path), "the workbook's first sheet is empty")
    table = pa.table({**{f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)},
                      "_line": pa.array(lines, pa.int64())})
    con.register("_xlsx", table)
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM _xlsx")
    con.unregister("_xlsx")
    return header, {header[i] for i in numeric_idx}, len(lines)
