"""On a Spark warehouse, resolve runs Splink on the engine's session and gives DuckDB's clusters."""

from __future__ import annotations

import pytest

from diversion.config import Settings
from diversion.engine import DuckDBEngine, Engine
from diversion.resolve import resolve
from diversion.resolve.synthetic import synthetic_shipments
from tests.conftest import OpenWarehouse
from tests.resolve.conftest import Case, build_minicase

pytestmark = pytest.mark.spark

MEMBERS = "SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id"


@pytest.fixture
def spark(open_warehouse: OpenWarehouse) -> Engine:
    """An empty Spark warehouse (local mode)."""
    return open_warehouse("spark")


def _agree(duckdb_engine: DuckDBEngine, spark: Engine, settings: Settings) -> str:
    """Resolve the same warehouse on both engines: Splink runs beside each, and the clusters agree."""
    duck = resolve(duckdb_engine, settings)
    on_spark = resolve(spark, settings)
    assert (duck.backend, on_spark.backend) == (duckdb_engine.name, spark.name)
    assert on_spark.method == duck.method and on_spark.links == duck.links
    assert spark.fetch_all(MEMBERS) == duckdb_engine.fetch_all(MEMBERS)
    return duck.method


def test_spark_agrees_on_the_minicase(minicase: DuckDBEngine, spark: Engine, settings: Settings) -> None:
    build_minicase(Case(spark))
    assert _agree(minicase, spark, settings) == "priors"


def test_spark_agrees_when_trained(engine: DuckDBEngine, spark: Engine, settings: Settings) -> None:
    table, _ = synthetic_shipments(60, 3)
    engine.insert_arrow("shipments", table)
    spark.insert_arrow("shipments", table)
    assert _agree(engine, spark, settings) == "em"
