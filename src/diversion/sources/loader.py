"""Load one parsed file into the warehouse: transactional, idempotent, with provenance.

Every parser turns a file into a ``ParsedFile``: Arrow tables keyed by
warehouse table name, plus the rows it had to quarantine. ``load_parsed``
then writes everything of that file in one transaction, skipping rows whose
``record_hash`` the warehouse already holds, and records the file in
``sources``. A file whose hash is already in ``sources`` is not read again.

The ``sources`` row is written last: it is the load's commit marker. Rows
whose file has no ``sources`` row are left-overs of a load that did not
commit (see ``integrity``) and are removed before the next load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from diversion.engine import Engine, Staged
from diversion.engine.schema import CHILD_TABLES, LOADED_TABLES, columns
from diversion.errors import SourceError, StrictModeError
from diversion.sources.textcodec import shown

#: Called with the name of each step of a load as it is reached: the fault-injection tests kill the
#: process there (``tests/sources/test_crash_safety.py``). ``None`` in normal use.
fault_point: Callable[[str], None] | None = None


def reached(point: str) -> None:
    """Mark a step of a load (``begin``, ``table:<name>``, ``quarantine``, ``sources``, ``commit``...)."""
    if fault_point is not None:
        fault_point(point)


@dataclass
class Quarantined:
    """One rejected record: where it was, which field, and why."""

    line: int | None
    field: str | None
    reason: str
    raw: dict[str, Any] | str | None = None
    #: Left out on purpose by the mapping's ``keep`` (not bad data: ``--strict`` lets it pass).
    filtered: bool = False


@dataclass
class ParsedFile:
    """What a parser made of one file, before it is written.

    ``rows_read`` counts the file's records (lines, JSON lines). Each is either
    a row of a counted table (loaded or duplicate), quarantined, or one of
    ``rows_folded``: a helper record merged into another row of the same file
    (an FtM ``Sanction`` or ``Address`` entity folded into its owner), counted
    as loaded. ``counted_tables`` names the tables whose rows are the file's
    records; by default every de-duplicated table except ``CHILD_TABLES``.
    """

    format: str
    encoding: str | None = None
    rows_read: int = 0
    tables: dict[str, pa.Table] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    rows_folded: int = 0
    counted_tables: frozenset[str] | None = None
    #: Placeholder records with nothing to load (OFAC's all-empty add.csv rows): skipped, counted as loaded.
    rows_empty: int = 0
    #: Tables whose rows the parser left in the warehouse's own database (``Engine.scratch``), written
    #: after ``tables``; a parser given no scratch connection puts everything in ``tables``.
    staged: dict[str, Staged] = field(default_factory=dict)

    def counts(self, table: str) -> bool:
        """Whether rows of ``table`` are records of this file (for ``rows_loaded``)."""
        if self.counted_tables is not None:
            return table in self.counted_tables
        return table in LOADED_TABLES and table not in CHILD_TABLES


@dataclass
class LoadResult:
    """The summary of loading one file (``rows_read`` = loaded + quarantined + duplicate)."""

    path: str
    kind: str
    format: str
    source_id: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    already_loaded: bool = False
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    #: Of ``rows_loaded``: placeholder records with nothing in them (see ``ParsedFile.rows_empty``).
    rows_empty: int = 0


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes: the ``source_id`` that makes re-loads idempotent."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except IsADirectoryError as exc:
        raise SourceError(str(path), "is a directory, not a file") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror})") from exc
    return digest.hexdigest()


def record_hash(*values: Any) -> str:
    """A stable hash of a record's normalised values (for de-duplication)."""
    text = json.dumps(values, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def already_loaded(engine: Engine, source_id: str) -> bool:
    """Whether a file with this hash is recorded in ``sources``."""
    return bool(engine.scalar("SELECT count(*) FROM sources WHERE source_id = ?", [source_id]))


def _quarantine_table(
    source_id: str, path: str, kind: str, rows: list[Quarantined]
) -> pa.Table:
    return pa.table(
        {
            "source_id": [source_id] * len(rows),
            "path": [path] * len(rows),
            "kind": [kind] * len(rows),
            "line": pa.array([q.line for q in rows], pa.int64()),
            "field": [None if q.field is None else shown(q.field) for q in rows],
            "reason": [shown(q.reason) for q in rows],
            # Bad bytes kept as markers (``textcodec``) cannot be stored: they are shown as U+FFFD.
            "raw": [
                None if q.raw is None
                else shown(q.raw if isinstance(q.raw, str) else json.dumps(q.raw, ensure_ascii=False, default=str))
                for q in rows
            ],
        }
    )


def _with_provenance(table: pa.Table, name: str, source_id: str) -> pa.Table:
    """Add ``source_id`` and keep only the contract's columns, in order."""
    if "source_id" in columns(name) and "source_id" not in table.column_names:
        table = table.append_column("source_id", pa.array([source_id] * table.num_rows))
    wanted = [c for c in columns(name) if c in table.column_names]
    return table.select(wanted)


def _staged_provenance(rows: Staged, name: str) -> Staged:
    """Staged rows keep only the contract's columns (the parser wrote ``source_id`` with them)."""
    if "source_id" in columns(name) and "source_id" not in rows.columns:
        raise SourceError(rows.relation, f"staged {name} rows carry no source_id")
    return Staged(rows.con, rows.relation, [c for c in columns(name) if c in rows.columns], rows.num_rows)


def load_parsed(
    engine: Engine,
    path: Path,
    kind: str,
    parsed: ParsedFile,
    source_id: str,
    strict: bool = False,
) -> LoadResult:
    """Write a parsed file in one transaction and record it in ``sources``.

    Rows whose ``record_hash`` is already present (from this or an earlier
    file) are counted as duplicates and not written again. With ``strict``,
    any quarantined row fails the whole file and nothing is written.
    """
    result = LoadResult(str(path), kind, parsed.format, source_id, rows_read=parsed.rows_read)
    for q in parsed.quarantined:
        result.quarantine_reasons[q.reason] = result.quarantine_reasons.get(q.reason, 0) + 1
    bad = [q for q in parsed.quarantined if not q.filtered]
    if strict and bad:
        first = bad[0]
        raise StrictModeError(
            str(path),
            f"{len(bad)} bad row(s), nothing written (--strict); first at "
            f"line {first.line}, field {first.field or '-'}: {first.reason}",
        )
    with engine.transaction():
        reached("begin")
        incoming: list[tuple[str, pa.Table | Staged]] = [
            *((name, _with_provenance(table, name, source_id)) for name, table in parsed.tables.items()),
            *((name, _staged_provenance(rows, name)) for name, rows in parsed.staged.items()),
        ]
        for name, table in incoming:
            key = LOADED_TABLES.get(name)
            if key is None:
                engine.insert_arrow(name, table.to_arrow() if isinstance(table, Staged) else table)
                continue
            # Duplicates inside the file and against the warehouse are both skipped.
            written = engine.insert_new(name, table, key)
            reached(f"table:{name}")
            if parsed.counts(name):
                result.rows_loaded += written
                result.rows_duplicate += table.num_rows - written
        result.rows_loaded += parsed.rows_folded + parsed.rows_empty
        result.rows_empty = parsed.rows_empty
        result.rows_quarantined = len(parsed.quarantined)
        if parsed.quarantined:
            engine.insert_arrow(
                "quarantine", _quarantine_table(source_id, str(path), kind, parsed.quarantined)
            )
            reached("quarantine")
        # Last: the sources row is what makes the rows above a recorded file.
        engine.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source_id, str(path), kind, parsed.format, parsed.encoding,
                parsed.rows_read, result.rows_loaded, result.rows_quarantined,
                result.rows_duplicate, datetime.now(),
            ],
        )
        reached("sources")
    return result

