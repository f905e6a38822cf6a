"""Splink database backends: DuckDB in memory (default) or Spark in local mode."""

from __future__ import annotations

import tempfile
import uuid
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
            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="diversion-splink-"))
    except Exception as exc:  # noqa: BLE001 - Java/py4j failures have many types
        raise EngineUnavailable(f"cannot start Spark for Splink ({master}): {exc}") from exc
    return spark


def db_api(backend: str, engine: Engine | None = None, master: str = "local[2]") -> Any:
    """A fresh Splink database API for ``backend`` (``duckdb`` or ``spark``)."""
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if backend == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=spark_session(engine, master), break_lineage_method="checkpoint")
    raise EngineUnavailable(f"unknown linkage backend {backend!r}; choose duckdb or spark")


def register(api: Any, table: Any, name: str) -> Any:
    """Register an Arrow table with a Splink API (Spark takes pandas).

    Names get a random suffix: a Spark session keeps its views across runs.
    """
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    if type(api).__name__ == "SparkAPI":
        return api.register(table.to_pandas(), dataset_display_name=name)
    return api.register(table, dataset_display_name=name)
