"""The web app's hold on the warehouse: one DuckDB connection, one cursor per request.

DuckDB allows a single configuration per database file inside one process, so
the app opens the file once: read-only when no API key is configured (nothing
can write), read-write when the operator configured a key (only the review
endpoint writes). Each request gets its own cursor, which DuckDB makes safe to
use from the thread-pool worker that serves it. Every query is parameterised.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from diversion.engine.duckdb import DuckDBEngine
from diversion.engine.schema import create_sql
from diversion.errors import WarehouseError


class CursorEngine(DuckDBEngine):
    """A ``DuckDBEngine`` over one cursor of the app's shared connection.

    Lets stage library functions that take an ``Engine`` (e.g. recording an
    analyst decision) run inside a request without opening the file again.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: str) -> None:  # noqa: D107
        self.path = path
        self.con = cursor
        self._depth = 0


class WebWarehouse:
    """Shared connection to the warehouse file, handing out per-request cursors."""

    def __init__(self, path: str | Path, writable: bool = False) -> None:
        self.path = str(path)
        self.writable = writable
        if not Path(self.path).is_file():
            raise WarehouseError(
                f"no warehouse at {self.path}; run `diversion ingest` (or `diversion demo`) first, or pass --db"
            )
        try:
            self._con = duckdb.connect(self.path, read_only=not writable)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot open warehouse {self.path}: {exc} (is another diversion command writing to it?)"
            ) from exc
        self._lock = threading.Lock()
        if writable:
            # The review queue writes here; the resolve stage reads it on its next run.
            self._con.execute(create_sql("decisions"))
        self._tables = self._list_tables()

    def _list_tables(self) -> set[str]:
        rows = self._con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return {r[0] for r in rows}

    def has(self, table: str) -> bool:
        """Whether the warehouse holds ``table`` (checked once at start-up)."""
        return table in self._tables

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request; closed afterwards."""
        with self._lock:  # creating cursors is cheap but not documented as thread-safe
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dictionaries."""
        with self.cursor() as cur:
            try:
                result = cur.execute(sql, list(params))
            except duckdb.Error as exc:
                short = " ".join(sql.split())[:200]
                raise WarehouseError(f"query failed: {exc}\n  SQL: {short}") from exc
            cols = [d[0] for d in result.description or []]
            return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or ``None``."""
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    @contextmanager
    def read_engine(self) -> Iterator[CursorEngine]:
        """An ``Engine`` for a stage library function that only reads (e.g. flows)."""
        with self.cursor() as cur:
            yield CursorEngine(cur, self.path)

    @contextmanager
    def engine(self) -> Iterator[CursorEngine]:
        """An ``Engine`` for a stage function that writes (the review queue only)."""
        if not self.writable:
            raise WarehouseError("the app was started read-only (no API key configured)")
        with self.cursor() as cur:
            yield CursorEngine(cur, self.path)

    def close(self) -> None:
        """Close the shared connection."""
        self._con.close()
