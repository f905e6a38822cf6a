"""Tabular files as they come: format, encoding and delimiter detection, and a fast CSV read.

The content decides, not the file name: ``PAR1`` starts a Parquet file, a zip
header an XLSX workbook, anything else must be text. Text is decoded under
the one policy of ``textcodec``: UTF-8 (with or without BOM), UTF-16/32 with
BOM, or a single-byte encoding (Windows-1251 unless a mapping names another).
DuckDB reads UTF-8 natively; other encodings are
transcoded, streamed, to a temporary UTF-8 copy first (DuckDB's own support
for them needs an extension download).

``read_csv_raw`` loads every field as text into a DuckDB table ``raw``
(columns ``c0..cN``, plus ``_line``) and collects the structurally broken
rows DuckDB rejected, with their line numbers, for quarantine.
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from diversion.errors import SourceError
from diversion.sources.textcodec import bom_encoding, choose_encoding

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\r\n"} | {"\x7f"}
_REJECT_REASONS = {
    "MISSING COLUMNS": "row: too few fields (expected {n})",
    "TOO MANY COLUMNS": "row: too many fields (expected {n})",
    "UNQUOTED VALUE": "row: bad quoting (unterminated or stray quote)",
    "INVALID UNICODE": "row: bytes that are not valid {encoding}",
    "INVALID ENCODING": "row: bytes that are not valid {encoding}",
    "LINE SIZE OVER MAXIMUM": "row: line too long",
    "INVALID STATE": "row: bad quoting (unterminated or stray quote)",
}


def detect_format(path: Path) -> str:
    """``parquet``, ``xlsx`` or ``csv``, from the file's first bytes; ``SourceError`` otherwise."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    if not head:
        raise SourceError(str(path), "file is empty")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"\xd0\xcf\x11\xe0", b"%PDF", b"\x1f\x8b")):
        raise SourceError(str(path), "unknown format (old .xls, PDF or gzip?); expected CSV, Parquet or XLSX")
    return "csv"


def _read_sample(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES + 1)
    return sample[:SAMPLE_BYTES], len(sample) <= SAMPLE_BYTES


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text[:100_000] if ch in _CONTROL)
    return controls <= max(2, len(text[:100_000]) // 200)


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The Python codec name of a text file (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1251``...).

    The one decoding policy of ``textcodec`` on the first MiB: a BOM decides,
    valid UTF-8 wins over a declared single-byte encoding (exports are often
    re-saved as UTF-8 while the mapping keeps saying ``cp1251``), a mostly-UTF-8
    file stays UTF-8 (DuckDB rejects its rows with bad bytes: they are
    quarantined), and an undeclared legacy file must read as Windows-1251.
    """
    sample, whole = _read_sample(path)
    if bom_encoding(sample) is None and b"\x00" in sample:
        raise SourceError(str(path), "binary content, not a CSV, Parquet or XLSX file")
    encoding = choose_encoding(str(path), sample, declared, whole=whole, legacy=("cp1251",))
    text = codecs.getincrementaldecoder(encoding)("replace").decode(sample, final=whole)
    if not _looks_like_text(text):
        raise SourceError(str(path), "binary content, not a CSV, Parquet or XLSX file")
    return encoding


def sample_text(path: Path, encoding: str, limit: int = 256 * 1024) -> str:
    """The first ``limit`` bytes decoded (a partial last character is dropped)."""
    with path.open("rb") as handle:
        raw = handle.read(limit)
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    return codecs.getincrementaldecoder(codec)("replace").decode(raw, final=False)


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; TAB |`` that splits the first lines most consistently.

    >>> sniff_delimiter("a;b;c\\n1;2,5;3\\n")
    ';'
    """
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_header(text: str, delimiter: str) -> list[str]:
    """The first record of a CSV sample, as column names (BOM and spaces stripped)."""
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):  # any line ending
        return [name.replace("\ufeff", "").strip() for name in row]
    return []


@contextmanager
def utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when DuckDB can read it, else a temporary UTF-8 transcoding of it."""
    if encoding in ("utf-8", "utf-8-sig"):
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="diversion-"))
    target = folder / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    try:
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            for block in iter(lambda: src.read(1 << 22), b""):
                try:
                    dst.write(decoder.decode(block))
                except UnicodeDecodeError as exc:
                    raise SourceError(
                        str(path), f"unreadable encoding: byte {offset + exc.start} is not valid {encoding}"
                    ) from exc
                offset += len(block)
            dst.write(decoder.decode(b"", final=True))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class RawCsv:
    """What ``read_csv_raw`` loaded: the header, row counts and DuckDB's rejected lines."""

    header: list[str]
    rows: int = 0
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw line)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_csv_raw(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], delimiter: str,
                 encoding: str, table: str = "raw") -> RawCsv:
    """Load a UTF-8 CSV as text columns ``c0..`` and ``_line`` into ``table``.

    ``_line`` is the 1-based record number with the header as line 1 (the file
    line, unless records span lines or blank lines precede it). Rows DuckDB
    cannot split into ``len(header)`` fields are returned as ``rejects``.
    """
    names = [f"c{i}" for i in range(len(header))]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    source = (
        f"read_csv({_sql_text(str(path))}, auto_detect=false, header=true, columns={columns}, "
        f"delim={_sql_text(delimiter)}, quote='\"', escape='\"', ignore_errors=true, "
        "store_rejects=true, rejects_table='_rej_errors', rejects_scan='_rej_scans')"
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM {source}")
        errors = con.execute(
            "SELECT line, min(error_type), min(csv_line) FROM _rej_errors GROUP BY line ORDER BY line"
        ).fetchall()
    except duckdb.Error as exc:
        raise SourceError(str(path), f"cannot read as CSV ({' '.join(str(exc).split())[:200]})") from exc
    shown = "UTF-8" if encoding.startswith("utf-8") else encoding
    rejects = [
        (int(line), _REJECT_REASONS.get(kind, "row: " + kind.lower()).format(n=len(header), encoding=shown),
         raw or "")
        for line, kind, raw in errors
    ]
    # Records come in file order (DuckDB keeps insertion order), so rowid is the
    # record's ordinal among the good ones; rejected lines shift the rest down.
    # ``_shift``: for each count of good records before a rejected line, how many rejected lines come at or
    # before it. An ASOF join finds each record's shift by sorting, where a correlated count per record made
    # every join on ``_line`` an inequality join (minutes per million rows once a file had bad lines).
    con.execute("CREATE OR REPLACE TEMP TABLE _rej_lines AS "
                "SELECT good_before, max(n) AS shift FROM ("
                " SELECT line - 1 - row_number() OVER (ORDER BY line) AS good_before,"
                " row_number() OVER (ORDER BY line) AS n FROM (SELECT DISTINCT line FROM _rej_errors))"
                " GROUP BY good_before")
    cols = ", ".join(f"c.{n}" for n in names)
    if rejects:
        source = "_csv c ASOF LEFT JOIN _rej_lines r ON c.rowid >= r.good_before"
        line = "c.rowid + 2 + coalesce(r.shift, 0)"
    else:
        source, line = "_csv c", "c.rowid + 2"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT {cols}, {line} AS _line FROM {source}")
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
    return RawCsv(header=header, rows=rows, rejects=rejects)


def open_csv(path: Path, declared_encoding: str | None = None,
             declared_delimiter: str | None = None) -> tuple[str, str, list[str]]:
    """Encoding, delimiter and header of a CSV file (``SourceError`` when it is not readable text)."""
    encoding = detect_encoding(path, declared_encoding)
    text = sample_text(path, encoding)
    delimiter = declared_delimiter or sniff_delimiter(text)
    header = read_header(text, delimiter)
    if not header or not any(header):
        raise SourceError(str(path), "no header row")
    return encoding, delimiter, header
