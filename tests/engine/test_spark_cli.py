"""The stage commands take ``--engine spark``: ingest, status and flows through the CLI on Parquet tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.engine import DuckDBEngine, open_engine
from tests.engine.parity import comparable, same

pytestmark = pytest.mark.spark

DATA = Path(__file__).resolve().parent.parent / "data"


def test_ingest_status_and_flows_on_spark_match_duckdb(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    runner = CliRunner()
    results = {}
    for engine in ("duckdb", "spark"):
        db = str(tmp_path / f"{engine}.duckdb")
        for kind, name in (("rates", "rates/rates.csv"), ("shipments", "shipments/bad_rows.csv"),
                           ("shipments", "shipments/standard.csv")):
            out = runner.invoke(app, ["ingest", kind, str(DATA / name), "--db", db, "--engine", engine])
            assert out.exit_code == 0, out.output
        status = runner.invoke(app, ["status", "--db", db, "--engine", engine])
        assert status.exit_code == 0, status.output
        flows = runner.invoke(app, ["flows", "--by", "origin", "--period", "year", "--currency", "EUR",
                                    "--format", "json", "--db", db, "--engine", engine])
        assert flows.exit_code == 0, flows.output
        results[engine] = json.loads(flows.output)
    assert (tmp_path / "spark.spark" / "shipments").is_dir()  # Parquet folders beside the --db path
    assert not (tmp_path / "spark.duckdb").exists()
    duck, spark = results["duckdb"], results["spark"]
    assert duck["series"] and same(comparable(spark["series"]), comparable(duck["series"]))  # sums: order of adding
    with DuckDBEngine(tmp_path / "duckdb.duckdb", read_only=True) as d:
        counts = [d.count(t) for t in ("shipments", "quarantine", "sources")]
    s = open_engine(tmp_path / "spark.duckdb", engine="spark")
    try:
        assert [s.count(t) for t in ("shipments", "quarantine", "sources")] == counts
        assert counts[1] > 0  # the bad rows were quarantined on both
    finally:
        s.close()


def test_serve_refuses_spark_with_a_way_out(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "w.duckdb")], env={"DIVERSION_ENGINE": "spark"})
    assert out.exit_code != 0
    assert "export --from parquet" in str(out.exception)
