"""The web app's hold on the warehouse: one read-only DuckDB connection, one cursor per request.

``diversion serve`` never holds the write lock. It opens the file read-only,
so the read-only CLI commands (``status``, ``lead``, ``path``, ``screen``...)
run beside it; a command that writes (``resolve``, ``ingest``) is told that
``serve`` holds the file (``engine.duckdb`` turns DuckDB's lock conflict into
that message). The one write the app makes, an analyst's review decision,
waits for the requests in flight, closes the read-only connection, writes
through a short-lived read-write one and reopens read-only.

When the file changes on disk (another process wrote it while the server was
stopped, or between two writes), the next request reopens it and
``on_change`` callbacks run (the name catalog reloads).

Errors carry no SQL: the statement goes to the server log, the user gets what
to do. Each request gets its own cursor, which DuckDB makes safe to use from
the thread-pool worker that serves it. Every query is parameterised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from diversion.engine.duckdb import DuckDBEngine
from diversion.engine.schema import create_sql
from diversion.errors import WarehouseError

log = logging.getLogger(__name__)

#: Seconds between two looks at the file's modification time.
CHANGE_CHECK_S = 1.0


class CursorEngine(DuckDBEngine):
    """A ``DuckDBEngine`` over one cursor of the app's shared connection.

    Lets stage library functions that take an ``Engine`` (e.g. recording an
    analyst decision) run inside a request without opening the file again.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, path: str) -> None:  # noqa: D107
        self.path = path
        self.con = cursor
        self._depth = 0

    def _run(self, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
        try:
            return self.con.execute(sql, list(params) if params is not None else None)
        except duckdb.Error as exc:
            raise _query_error(sql, exc) from exc


def _query_error(sql: str, exc: duckdb.Error) -> WarehouseError:
    """A user-facing error for a failed query; the SQL and DuckDB's text go to the log only."""
    log.warning("warehouse query failed: %s\n  SQL: %s", exc, " ".join(sql.split())[:500])
    return WarehouseError(
        "the warehouse does not hold what this request reads (it may come from another version of diversion, "
        "or a stage has not run); re-run the pipeline (`diversion run`) and restart `diversion serve`"
    )


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer keeps new readers out."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class WebWarehouse:
    """Read-only connection to the warehouse file, handing out per-request cursors."""

    def __init__(self, path: str | Path, writable: bool = False) -> None:
        self.path = str(path)
        #: Whether review decisions may be written (the operator configured an API key).
        self.writable = writable
        if not Path(self.path).is_file():
            raise WarehouseError(
                f"no warehouse at {self.path}; run `diversion ingest` (or `diversion demo`) first, or pass --db"
            )
        self._rw = _ReadWriteLock()
        self._open_lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[float, int] | None = None
        self._checked = 0.0
        self._tables: dict[str, set[str]] = {}
        self.on_change: list[Callable[[], None]] = []
        if writable and not self._has_decisions():
            # The review queue writes here; the resolve stage reads it on its next run.
            with self.engine() as eng:
                eng.execute(create_sql("decisions"))
        if self._con is None:
            self._open()

    # --- connection ---------------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            st = Path(self.path).stat()
        except OSError:
            return None
        return st.st_mtime, st.st_size

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                raise WarehouseError(
                    f"warehouse {self.path} is locked by another process (a diversion command writing it, "
                    "or one reading it while this server records a decision); retry when it has finished"
                ) from exc
            raise WarehouseError(f"cannot open warehouse {self.path}: not a diversion (DuckDB) warehouse file") from exc

    def _open(self) -> None:
        con = self._connect(read_only=True)
        rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
        tables: dict[str, set[str]] = {}
        for table, column in rows:
            tables.setdefault(table, set()).add(column)
        self._con, self._tables, self._stamp = con, tables, self._file_stamp()

    def _has_decisions(self) -> bool:
        con = self._connect(read_only=True)
        try:
            found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'decisions'")
            return bool(found.fetchone()[0])  # type: ignore[index]
        finally:
            con.close()

    def _check_changed(self) -> None:
        """Reopen when the file changed on disk since it was opened (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < CHANGE_CHECK_S:
            return
        self._checked = now
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return
        with self._rw.write():
            if self._file_stamp() == self._stamp:
                return
            log.info("warehouse %s changed on disk: reopening", self.path)
            if self._con is not None:
                self._con.close()
                self._con = None
            self._open()
        for callback in self.on_change:
            callback()

    def version(self) -> str:
        """A version label of the open file (its modification time), for ``/catalog``."""
        mtime = self._stamp[0] if self._stamp else 0.0
        return datetime.fromtimestamp(mtime, UTC).strftime("%Y%m%d%H%M%S")

    def has(self, table: str) -> bool:
        """Whether the warehouse holds ``table``."""
        return table in self._tables

    def columns(self, table: str) -> set[str]:
        """Column names of ``table`` (empty when it is missing)."""
        return set(self._tables.get(table, set()))

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one request; closed afterwards."""
        self._check_changed()
        with self._rw.read():
            with self._open_lock:  # creating cursors is cheap but not documented as thread-safe
                if self._con is None:
                    self._open()
                cur = self._con.cursor()  # type: ignore[union-attr]
            try:
                yield cur
            finally:
                cur.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dictionaries."""
        with self.cursor() as cur:
            try:
                result = cur.execute(sql, list(params))
                cols = [d[0] for d in result.description or []]
                return [dict(zip(cols, row, strict=True)) for row in result.fetchall()]
            except duckdb.Error as exc:
                raise _query_error(sql, exc) from exc

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
        """An ``Engine`` that writes (the review queue only): the file is held read-write only meanwhile."""
        if not self.writable:
            raise WarehouseError("the app was started read-only (no API key configured)")
        with self._rw.write():
            if self._con is not None:
                self._con.close()
                self._con = None
            try:
                con = self._connect(read_only=False)
            except WarehouseError:
                self._open()
                raise
            try:
                yield CursorEngine(con, self.path)
            finally:
                con.close()
                self._open()

    def close(self) -> None:
        """Close the shared connection."""
        with self._open_lock:
            if self._con is not None:
                self._con.close()
                self._con = None
