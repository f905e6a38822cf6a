"""One tabular file (CSV, Parquet, XLSX) as text columns in a DuckDB table ``raw``, laid out as its mapping says.

Shared by shipments and trade statistics. Where the header is (``header_row``,
or found under a banner), which sheet, which rows under the header are not
records (``skip_rows``); then, as SQL over ``raw``: cells that mean "empty"
(``null_values``) and the rows a mapping keeps (``keep``).

Decoding and the CSV read itself are ``csvfiles``'s: a CSV with a banner is
copied, from its header on, to a temporary UTF-8 file that ``csvfiles`` reads;
its line numbers are shifted back so quarantine names the original lines.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from diversion.errors import SourceError
from diversion.sources.csvfiles import (
    detect_encoding,
    detect_format,
    open_csv,
    read_csv_raw,
    read_header,
    sample_text,
    sniff_delimiter,
    utf8_copy,
)
from diversion.sources.mapping import KeepRule, Mapping, match_columns
from diversion.sources.normalise import literal
from diversion.sources.parquet_xlsx import HEADER_SEARCH_ROWS, read_parquet_raw, read_xlsx_raw


@dataclass
class RawFile:
    """What was read into ``raw``: the header, the numeric columns, the records and DuckDB's rejected lines."""

    format: str
    header: list[str]
    rows: int
    encoding: str | None = None
    numeric: set[str] = field(default_factory=set)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)


def _is_header(mapping: Mapping) -> Callable[[list[str]], bool]:
    def check(header: list[str]) -> bool:
        return not match_columns(header, mapping)[1]
    return check


def _find_csv_header(text: str, mapping: Mapping) -> int | None:
    """The 1-based line of the header when a banner sits above it (``None``: the first line is fine)."""
    lines = text.splitlines()[: HEADER_SEARCH_ROWS + 50]
    check = _is_header(mapping)
    for i in range(min(HEADER_SEARCH_ROWS, len(lines))):
        rest = "\n".join(lines[i:])
        header = read_header(rest, mapping.delimiter or sniff_delimiter(rest))
        if check(header):
            return None if i == 0 else i + 1
    return None


@contextmanager
def _from_line(path: Path, encoding: str, first: int) -> Iterator[Path]:
    """A temporary UTF-8 copy of the file from line ``first`` on (a banner left out)."""
    folder = Path(tempfile.mkdtemp(prefix="diversion-"))
    target = folder / "body.csv"
    try:
        with path.open("r", encoding=codecs.lookup(encoding).name, newline="") as src, \
                target.open("w", encoding="utf-8", newline="") as dst:
            for number, line in enumerate(src, start=1):
                if number >= first:
                    dst.write(line)
        yield target
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"unreadable encoding: not valid {encoding} ({exc.reason})") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping,
              check: Callable[[list[str]], object] | None) -> RawFile:
    encoding = detect_encoding(path, mapping.encoding)
    header_row = mapping.header_row
    if header_row is None:
        header_row = _find_csv_header(sample_text(path, encoding), mapping)
    if (not header_row or header_row == 1) and not mapping.skip_rows:
        _, delimiter, header = open_csv(path, mapping.encoding, mapping.delimiter)
        if check is not None:
            check(header)  # fail fast, before reading the whole file
        with utf8_copy(path, encoding) as utf8:
            raw = read_csv_raw(con, utf8, header, delimiter, encoding)
        return RawFile("csv", header, raw.rows, encoding=encoding, rejects=raw.rejects)
    if not header_row or header_row == 1:
        _, delimiter, header = open_csv(path, mapping.encoding, mapping.delimiter)
        with utf8_copy(path, encoding) as utf8:
            raw = read_csv_raw(con, utf8, header, delimiter, encoding, table="_raw0")
        offset = 0
    else:
        # read_csv_raw loads the records into a table: the copy may go once it returns.
        with _from_line(path, encoding, header_row) as body:
            _, delimiter, header = open_csv(body, None, mapping.delimiter)
            raw = read_csv_raw(con, body, header, delimiter, encoding, table="_raw0")
        offset = header_row - 1
    first_record = 2 + mapping.skip_rows  # the header is line 1 of what csvfiles read
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw AS SELECT * REPLACE (_line + {offset} AS _line) "
                f"FROM _raw0 WHERE _line >= {first_record}")
    rejects = [(line + offset, reason, text) for line, reason, text in raw.rejects if line >= first_record]
    rows = int(con.execute("SELECT count(*) FROM raw").fetchone()[0])  # type: ignore[index]
    return RawFile("csv", header, rows, encoding=encoding, rejects=rejects)


def read_raw(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping,
             check: Callable[[list[str]], object] | None = None) -> RawFile:
    """Read a file of any supported format into ``raw`` (``c0..`` text columns, ``_line``).

    ``check`` sees a CSV's header before the whole file is read (to refuse a wrong layout at once).
    """
    fmt = detect_format(path)
    if fmt == "csv":
        return _read_csv(con, path, mapping, check)
    if fmt == "parquet":
        header, numeric, rows = read_parquet_raw(con, path)
        if mapping.skip_rows:
            con.execute(f"DELETE FROM raw WHERE _line <= {int(mapping.skip_rows)}")
            rows -= min(rows, mapping.skip_rows)
        return RawFile("parquet", header, rows, numeric=numeric)
    header, numeric, rows = read_xlsx_raw(con, path, mapping.sheet, mapping.header_row, mapping.skip_rows,
                                          _is_header(mapping))
    return RawFile("xlsx", header, rows, numeric=numeric)


def cell_sql(column: str, mapping: Mapping) -> str:
    """A raw column with the mapping's null tokens (``NULL``, ``-``) read as empty."""
    if not mapping.null_values:
        return column
    tokens = ", ".join(literal(v.upper()) for v in mapping.null_values)
    return f"(CASE WHEN upper(trim({column})) IN ({tokens}) THEN NULL ELSE {column} END)"


#: Words in the reason of a row a mapping's ``keep`` leaves out (the loader's ``--strict`` lets those pass).
KEEP_REASON = "left out by the mapping's keep"


@dataclass(frozen=True)
class KeepCheck:
    """One keep rule as SQL: ``raw`` column ``cN`` it reads and the values it keeps."""

    field: str
    column: str
    values_sql: str
    reason: str

    def left_out(self, cell: str) -> str:
        """SQL that holds for a row the rule leaves out, ``cell`` being the rule's raw column."""
        return f"upper(trim(coalesce({cell}, ''))) NOT IN ({self.values_sql})"


def keep_sql(rules: list[tuple[KeepRule, str]], header: list[str]) -> list[KeepCheck]:
    """The keep rules with the ``raw`` column each reads."""
    return [
        KeepCheck(column, f"c{header.index(column)}", ", ".join(literal(v.upper()) for v in rule.values),
                  f"{KEEP_REASON} ({rule.describe()})")
        for rule, column in rules
    ]
