"""Splink database backends: DuckDB in memory (default) or Spark in local mode."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from diversion.engine import Engine
from diversion.errors import EngineUnavailable


def spark_session(engine: Engine | None = None, master: str = "local[2]") -> Any:
    """The warehouse's Spark session when it runs on Spark, else a local one; with Splink's UDF jar.

    The jar (Jaro-Winkler and friends as Spark SQL functions) ships in the splink
    wheel; ``ADD JAR`` loads it into a session that is already running.
    """
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise EngineUnavailable("resolve --engine spark needs PySpark: pip install 'diversion[spark]'") from exc
    spark = getattr(engine, "spark", None)
    try:
        if spark is None:
            spark = (
                SparkSession.builder.master(master)
                .appName("diversion-resolve")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.jars", similarity_jar_location())
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
        spark.sql(f"ADD JAR '{similarity_jar_location()}'")
        if spark.sparkContext.getCheckpointDir() is None:
            spark.sparkContext.setCheckpointDir(_checkpoint_directory())
    except Exception as exc:  # noqa: BLE001 - Java/py4j failures have many types
        raise EngineUnavailable(f"cannot start Spark for Splink ({master}): {exc}") from exc
    return spark


#: Automatic memory limit of Splink's DuckDB database: a quarter of the machine's memory, at most this.
MAX_MEMORY_LIMIT_GIB = 4.0


def memory_limit(configured: str = "") -> str:
    """DuckDB ``memory_limit`` for Splink: ``configured`` (``"6GB"``), else a quarter of RAM up to 4 GiB."""
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # not POSIX: DuckDB's own default
        return ""
    return f"{min(MAX_MEMORY_LIMIT_GIB, max(total / 4, 0.5)):.1f}GiB"


def _process_temp_directory(prefix: str) -> str:
    """A temporary folder for this process, removed at exit (Splink's checkpoints and spill files are GBs).

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
def _spill_directory() -> str:
    """One temporary folder per process for DuckDB's spill files."""
    return _process_temp_directory("diversion-duckdb-spill-")


@cache
def _checkpoint_directory() -> str:
    """One temporary folder per process for Splink's Spark checkpoints."""
    return _process_temp_directory("diversion-splink-")


def duckdb_connection(limit: str = "") -> Any:
    """An in-memory DuckDB for Splink that spills to a temporary folder beyond ``memory_limit``.

    Without a limit DuckDB may take 80 % of RAM; with one, the large joins and
    materialised pairs of a big predict go to disk instead of growing.
    """
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {"temp_directory": _spill_directory()}
    limit = memory_limit(limit)
    if limit:
        config["memory_limit"] = limit
    return duckdb.connect(":memory:", config=config)


def db_api(backend: str, engine: Engine | None = None, master: str = "local[2]", limit: str = "") -> Any:
    """A fresh Splink database API for ``backend`` (``duckdb`` or ``spark``).

    ``limit``: DuckDB's memory limit (``memory_limit``; empty: automatic).
    """
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI(duckdb_connection(limit))
    if backend == "spark":
        from splink import SparkAPI

        # splink leaves SparkAPI.__init__ unannotated
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark_session(engine, master), break_lineage_method="checkpoint")
    raise EngineUnavailable(f"unknown linkage backend {backend!r}; choose duckdb or spark")


def close(api: Any) -> None:
    """Free a Splink DuckDB API's in-memory database now; other backends are left as they are.

    Splink's objects hold reference cycles, and ``resolve`` pauses Python's cycle
    collector: without this the database (inputs, blocked pairs, predictions)
    would stay in memory through clustering and writing.
    """
    con = getattr(api, "duckdb_con", None)
    if con is not None:
        con.close()


def register(api: Any, table: Any, name: str) -> Any:
    """Register an Arrow table with a Splink API (Spark takes pandas).

    Names get a random suffix: a Spark session keeps its views across runs.
    """
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    if type(api).__name__ == "SparkAPI":
        return api.register(table.to_pandas(), dataset_display_name=name)
    return api.register(table, dataset_display_name=name)
