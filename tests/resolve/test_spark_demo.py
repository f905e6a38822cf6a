"""On (a slice of) the demo, Splink's Spark backend gives the same entities as DuckDB.

The slice keeps every list, registry, web and distributor record and one
shipment in ``SHIPMENT_SHARE`` (picked by a hash of the record id, so every
run keeps the same ones): the demo's name variety at a size that local-mode
Spark on two cores resolves in a minute or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from diversion.config import Settings
from diversion.demo import generate_demo, load_demo
from diversion.engine import DuckDBEngine
from diversion.resolve import resolve

pytestmark = pytest.mark.spark

#: One shipment in this many is kept.
SHIPMENT_SHARE = 12


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    pytest.importorskip("pyspark")
    folder: Path = tmp_path_factory.mktemp("demo")
    engine = DuckDBEngine(folder / "demo.duckdb")
    load_demo(engine, generate_demo(folder / "files", scale=1, seed=7))
    engine.execute(f"DELETE FROM shipments WHERE hash(record_id) % {SHIPMENT_SHARE} <> 0")
    return engine


def test_spark_gives_the_demo_entities_of_duckdb(demo_slice: DuckDBEngine, settings: Settings) -> None:
    duck = resolve(demo_slice, settings, backend="duckdb")
    on_duckdb = demo_slice.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id")
    assert duck.method == "em" and duck.merged_entities > 50  # a trained model that links real variety
    spark = resolve(demo_slice, settings, backend="spark")
    assert spark.backend == "spark" and spark.method == duck.method
    assert spark.links == duck.links
    assert demo_slice.fetch_all("SELECT mention_id, entity_id FROM entity_mentions ORDER BY mention_id") == on_duckdb
