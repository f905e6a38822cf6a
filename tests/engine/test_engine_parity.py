"""The whole pipeline on Spark (local mode) gives DuckDB's results on the demo, table by table.

Both engines ingest the same demo files and run resolve → graph → detect →
leads; then every contract table is compared, as ``parity.py`` defines "the
same" (exact but for load times, float sums to 1e-9, and Splink's pair scores,
compared through the clusters they decide). ``test_spark_cluster.py`` makes
the same comparison for a run on a standalone cluster.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from diversion.config import load_settings
from diversion.demo import generate_demo, load_demo
from diversion.engine import Engine, open_engine
from diversion.flows import FlowQuery, compute_flows, make_filter
from diversion.pipeline import run_pipeline
from tests.engine.parity import ROW_BY_ROW, clusters, comparable, same, table_difference, top_leads

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    pytest.importorskip("pyspark")
    root = tmp_path_factory.mktemp("parity")
    files = generate_demo(root / "demo")
    engines = {}
    for name in ("duckdb", "spark"):
        db = root / f"{name}.duckdb"
        settings = load_settings(db_path=db, engine=name, environ={})
        engine = open_engine(db, name)
        load_demo(engine, files)
        run_pipeline(engine, settings)
        engines[name] = engine
    yield engines
    for engine in engines.values():
        engine.close()


@pytest.mark.parametrize("table", ROW_BY_ROW)
def test_same_rows(warehouses: dict[str, Engine], table: str) -> None:
    difference = table_difference(warehouses["duckdb"], warehouses["spark"], table)
    if difference:
        pytest.fail(difference, pytrace=False)


def test_same_clusters(warehouses: dict[str, Engine]) -> None:
    duck, spark = clusters(warehouses["duckdb"]), clusters(warehouses["spark"])
    assert len(duck) > 2000  # the demo's parties, not an empty run
    assert duck == spark


def test_same_lead_order(warehouses: dict[str, Engine]) -> None:
    duck, spark = (top_leads(warehouses[e]) for e in ("duckdb", "spark"))
    assert [r[1] for r in duck[:4]] == [r[1] for r in spark[:4]]
    assert same(duck, spark)
    assert {"Amegino FZE", "OOO AMG"} <= {r[1] for r in duck[:4]}


def test_same_flow_figures(warehouses: dict[str, Engine]) -> None:
    query = FlowQuery(filter=make_filter(machine_tools=True, importer_countries=["RU"]), by="origin",
                      currency="GBP", cutoff=date(2022, 2, 24))
    duck, spark = (compute_flows(warehouses[e], query) for e in ("duckdb", "spark"))
    assert same(comparable(duck.series), comparable(spark.series))
    assert same(comparable(duck.growth), comparable(spark.growth))
    assert duck.series  # the demo's machine-tool imports are there


def test_spark_warehouse_is_parquet(warehouses: dict[str, Engine]) -> None:
    root = Path(warehouses["spark"].root)  # type: ignore[attr-defined]
    assert list((root / "shipments").glob("*.parquet"))
