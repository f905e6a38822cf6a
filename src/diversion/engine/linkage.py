"""Where Splink runs for each engine: a fresh database API beside the warehouse.

``Engine.linkage()`` hands resolve one of these; resolve never names an
engine. DuckDB links in a private in-memory database (spilling to a
temporary folder beyond a memory limit) whatever the warehouse file; Spark
links on the engine's own session, so the pairs are computed where the
warehouse lives (local mode or a cluster).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import socket
import tempfile
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from diversion.errors import EngineUnavailable

#: Automatic memory limit of Splink's DuckDB database: a quarter of the machine's memory, at most this.
MAX_MEMORY_LIMIT_GIB = 4.0


class LinkageBackend:
    """A fresh Splink database API and how resolve drives it."""

    #: Shown in resolve's report.
    name = "abstract"
    #: Predict in chunks (``linkage.predict_chunks``): bounds memory on one machine.
    chunked_predict = False
    #: Predict on a fresh database rather than the one training filled.
    predict_apart = False
    #: Score each group of identical records once (``resolve.collapse``). Not on Spark yet: PySpark types a
    #: list column it sees only nulls of (a small twin table) as VOID.
    collapses = False
    #: Score only the blocked pairs whose match weight could reach the threshold (``resolve.candidates``: its
    #: pair generation runs on an in-process DuckDB).
    bounds_pairs = False
    #: Runs in this process: an incremental resolve (new mentions against the known ones) can use it.
    in_process = False

    def __init__(self, api: Any) -> None:
        self.api = api

    def register(self, table: pa.Table, name: str) -> Any:
        """Register an Arrow table with Splink, under ``name`` and a random suffix; returns Splink's frame.

        The suffix: a Spark session keeps its views across runs.
        """
        return self.api.register(self._input(table), dataset_display_name=f"{name}_{uuid.uuid4().hex[:8]}")

    def _input(self, table: pa.Table) -> Any:
        return table

    def close(self) -> None:
        """Free what the API holds now (Splink's objects hold cycles, and resolve pauses the collector)."""


class InProcessLinkage(LinkageBackend):
    """Splink on a private in-memory DuckDB that spills to a temporary folder beyond ``memory_limit``."""

    name = "duckdb"
    chunked_predict = True
    predict_apart = True  # a clean database, without training's tables
    collapses = True
    bounds_pairs = True
    in_process = True

    def __init__(self, limit: str = "") -> None:
        from splink import DuckDBAPI

        super().__init__(DuckDBAPI(in_memory_connection(limit)))

    def close(self) -> None:
        self.api.duckdb_con.close()


class SparkSessionLinkage(LinkageBackend):
    """Splink on a running Spark session, with Splink's similarity functions (a jar in its wheel)."""

    name = "spark"

    def __init__(self, spark: Any) -> None:
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        try:
            spark.sql(f"ADD JAR '{similarity_jar_location()}'")  # the session is running: spark.jars is too late
        except Exception as exc:  # noqa: BLE001 - Java/py4j failures have many types
            raise EngineUnavailable(f"cannot load Splink's functions into Spark: {exc}") from exc
        # Checkpoints go to the session's checkpoint folder, which the engine puts in the warehouse.
        # splink leaves SparkAPI.__init__ unannotated
        api = SparkAPI(spark_session=spark, break_lineage_method="checkpoint")  # type: ignore[no-untyped-call]
        super().__init__(api)

    def _input(self, table: pa.Table) -> Any:
        return table.to_pandas()  # Splink's Spark backend takes pandas (or Spark) frames


def memory_limit(configured: str = "") -> str:
    """DuckDB ``memory_limit`` for Splink: ``configured`` (``"6GB"``), else a quarter of RAM up to 4 GiB."""
    return configured or ram_share(4, MAX_MEMORY_LIMIT_GIB)


def ram_share(divisor: float, cap_gib: float) -> str:
    """A DuckDB ``memory_limit``: the machine's memory divided by ``divisor``, at least 0.5 and at most ``cap_gib``
    GiB; empty where the memory cannot be read (not POSIX: DuckDB's own default then)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return ""
    return f"{min(cap_gib, max(total / divisor, 0.5)):.1f}GiB"


def in_memory_connection(limit: str = "") -> Any:
    """An in-memory DuckDB for Splink that spills to a temporary folder beyond ``memory_limit``.

    Without a limit DuckDB may take 80 % of RAM; with one, the large joins and
    materialised pairs of a big predict go to disk instead of growing.
    """
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {"temp_directory": spill_directory()}
    limit = memory_limit(limit)
    if limit:
        config["memory_limit"] = limit
    return duckdb.connect(":memory:", config=config)


def hand_back_freed_memory() -> None:
    """Return freed memory to the system: Arrow's pool (mimalloc) and the C heap (glibc's ``malloc_trim``).

    What Python and Arrow free stays in their allocators, where DuckDB (its own allocator) cannot reuse it:
    without this, Splink's predict and the write's buffers come on top of what was already dropped.
    """
    pa.default_memory_pool().release_unused()
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (Windows cannot open the process itself)
        return
    trim(0)


def process_temp_directory(prefix: str) -> str:
    """A temporary folder for this process, removed at exit (spill files are GBs).

    Named with the host and process id, so that the folders of a process that
    was killed (its exit handler never ran) are removed by the next one.
    """
    owner = f"{prefix}{socket.gethostname()}-"
    for folder in Path(tempfile.gettempdir()).glob(f"{owner}*"):
        pid = folder.name[len(owner):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
    path = tempfile.mkdtemp(prefix=f"{owner}{os.getpid()}-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


@cache
def spill_directory() -> str:
    """One temporary folder per process for DuckDB's spill files."""
    return process_temp_directory("diversion-duckdb-spill-")
