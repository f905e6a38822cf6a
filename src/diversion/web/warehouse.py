"""The web app's hold on the warehouse: one read-only ``Engine``, one worker engine per request.

``diversion serve`` never holds the write lock. It opens the warehouse
read-only, so the read-only CLI commands (``status``, ``lead``, ``path``,
``screen``...) run beside it; a command that writes (``resolve``, ``ingest``)
is told that ``serve`` holds the file (the DuckDB engine turns the lock
conflict into that message). The one write the app makes, an analyst's review
decision, waits for the requests in flight, closes the read-only engine,
writes through a short-lived read-write one and reopens read-only.

When the file changes on disk (another process wrote it while the server was
stopped, or between two writes), the next request reopens it and
``on_change`` callbacks run (the name catalog reloads).

Errors carry no SQL: the statement goes to the server log, the user gets what
to do. Each request gets its own engine, which is safe to use from
the thread-pool worker that serves it (``Engine.worker``: a DuckDB cursor).
Every query is parameterised.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from diversion.engine import Engine, open_engine
from diversion.engine.schema import create_sql
from diversion.errors import WarehouseError

log = logging.getLogger(__name__)

#: Seconds between two looks at the file's modification time.
CHANGE_CHECK_S = 1.0


def _query_error(sql: str, exc: Exception) -> WarehouseError:
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
    """Read-only engine on the warehouse, handing out one worker engine per request."""

    def __init__(self, path: str | Path, engine: str, writable: bool = False, query_threads: int = 0) -> None:
        self.path = str(path)
        #: Threads per query (``WebSettings.query_threads``; 0: the engine's default).
        self.query_threads = query_threads
        #: The engine that opens the warehouse (``Settings.engine``; ``serve`` accepts interactive ones only).
        self.engine_name = engine
        #: Whether review decisions may be written (the operator configured an API key).
        self.writable = writable
        if not Path(self.path).is_file():
            raise WarehouseError(
                f"no warehouse at {self.path}; run `diversion ingest` (or `diversion demo`) first, or pass --db"
            )
        self._rw = _ReadWriteLock()
        self._open_lock = threading.Lock()
        self._engine: Engine | None = None
        self._stamp: tuple[float, int] | None = None
        self._checked = 0.0
        self._tables: dict[str, set[str]] = {}
        self.on_change: list[Callable[[], None]] = []
        if writable and not self._has_decisions():
            # The review queue writes here; the resolve stage reads it on its next run.
            with self.engine() as eng:
                eng.execute(create_sql("decisions"))
        if self._engine is None:
            self._open()

    # --- connection ---------------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            st = Path(self.path).stat()
        except OSError:
            return None
        return st.st_mtime, st.st_size

    def _connect(self, read_only: bool) -> Engine:
        """The warehouse's engine; its failed queries raise ``_query_error`` (no SQL for the user)."""
        try:
            engine = open_engine(self.path, self.engine_name, read_only=read_only)
        except WarehouseError as exc:
            if read_only:
                raise
            raise WarehouseError(
                f"warehouse {self.path} is locked by another process (a diversion command writing it, "
                "or one reading it while this server records a decision); retry when it has finished"
            ) from exc
        engine.on_error = _query_error
        if self.query_threads > 0:
            engine.limit_threads(self.query_threads)
        return engine

    def _open(self) -> None:
        engine = self._connect(read_only=True)
        rows = engine.fetch_all("SELECT table_name, column_name FROM information_schema.columns")
        tables: dict[str, set[str]] = {}
        for table, column in rows:
            tables.setdefault(table, set()).add(column)
        self._engine, self._tables, self._stamp = engine, tables, self._file_stamp()

    def _has_decisions(self) -> bool:
        with self._connect(read_only=True) as engine:
            return engine.table_exists("decisions")

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
            if self._engine is not None:
                self._engine.close()
                self._engine = None
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
    def read_engine(self) -> Iterator[Engine]:
        """An ``Engine`` for one request (its own worker of the shared read-only engine); released afterwards."""
        self._check_changed()
        with self._rw.read(), ExitStack() as stack:
            with self._open_lock:  # creating a worker (a cursor) is cheap but not documented as thread-safe
                if self._engine is None:
                    self._open()
                assert self._engine is not None  # _open sets it or raises
                engine = stack.enter_context(self._engine.worker())
            yield engine

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dictionaries."""
        with self.read_engine() as engine:
            return engine.fetch_dicts(sql, params)

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or ``None``."""
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """An ``Engine`` that writes (the review queue only): the file is held read-write only meanwhile."""
        if not self.writable:
            raise WarehouseError("the app was started read-only (no API key configured)")
        with self._rw.write():
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            try:
                writer = self._connect(read_only=False)
            except WarehouseError:
                self._open()
                raise
            try:
                yield writer
            finally:
                writer.close()
                self._open()

    def close(self) -> None:
        """Close the shared connection."""
        with self._open_lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
