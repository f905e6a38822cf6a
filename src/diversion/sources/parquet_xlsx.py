"""Parquet and XLSX files read as text columns, like a CSV, into a DuckDB table ``raw``.

Typed cells are turned back into the text a person would have typed
(``845811`` not ``845811.0``, ``2023-05-01`` not a timestamp) so that one
normalising query serves every format. Columns that held numbers are
reported, because a number cell may have lost an HS code's leading zero.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date, datetime, time
from itertools import chain
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


#: Rows searched for the header when the first non-empty row is not it (vendor banners run a few rows).
HEADER_SEARCH_ROWS = 30


def _blank(row: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _header(row: tuple[Any, ...]) -> list[str]:
    return [(cell_text(v) or "").strip() or f"column{i + 1}" for i, v in enumerate(row)]


def _pick_sheet(book: Any, path: Path, name: str | None) -> Any:
    if name is None:
        return book.worksheets[0]
    if name in book.sheetnames:
        return book[name]
    folded = {s.casefold().strip(): s for s in book.sheetnames}
    if name.casefold().strip() in folded:
        return book[folded[name.casefold().strip()]]
    raise SourceError(str(path), f"mapping key 'sheet': no sheet {name!r} in the workbook "
                                 f"(it has: {', '.join(book.sheetnames)})")


def read_xlsx_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sheet: str | None = None,
    header_row: int | None = None,
    skip_rows: int = 0,
    is_header: Callable[[list[str]], bool] | None = None,
) -> tuple[list[str], set[str], int]:
    """Load one sheet of an XLSX workbook as text columns ``c0..`` plus ``_line`` (sheet row).

    ``sheet`` names it (default: the first). The header is row ``header_row``
    when given; else the first non-empty row, unless ``is_header`` rejects it
    and accepts a later one among the first ``HEADER_SEARCH_ROWS`` (a vendor
    banner above the header). Rows above the header, the ``skip_rows`` rows
    right under it and empty rows are not records.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(str(path), f"a zip file but not a readable XLSX workbook ({exc})") from exc
    try:
        ws = _pick_sheet(book, path, sheet)
        rows = ws.iter_rows(values_only=True)
        header: list[str] = []
        seen: list[tuple[int, tuple[Any, ...]]] = []  # rows read while looking for the header
        for number, row in enumerate(rows, start=1):
            if header_row is not None:
                if number == header_row:
                    header = _header(row)
                    break
                continue
            if _blank(row):
                continue
            seen.append((number, row))
            if is_header is None or is_header(_header(row)) or len(seen) >= HEADER_SEARCH_ROWS:
                break
        pending: list[tuple[int, tuple[Any, ...]]] = []
        if header_row is None and seen:
            found = next((i for i, (_, r) in enumerate(seen) if is_header is None or is_header(_header(r))), 0)
            header = _header(seen[found][1])
            pending = seen[found + 1:]
        numeric_idx: set[int] = set()
        columns: list[list[str | None]] = [[] for _ in header]
        lines: list[int] = []
        skipped = 0
        following = enumerate(rows, start=(seen[-1][0] if seen else header_row or 0) + 1)
        for number, row in chain(pending, following):
            if not header or _blank(row):
                continue
            if skipped < skip_rows:
                skipped += 1
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
        if header_row:
            raise SourceError(str(path), f"mapping key 'header_row': the sheet has no row {header_row}")
        raise SourceError(str(path), "the workbook's sheet is empty")
    table = pa.table({**{f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)},
                      "_line": pa.array(lines, pa.int64())})
    con.register("_xlsx", table)
    con.execute("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM _xlsx")
    con.unregister("_xlsx")
    return header, {header[i] for i in numeric_idx}, len(lines)
