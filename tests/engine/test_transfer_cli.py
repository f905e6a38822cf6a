"""``diversion export --to parquet`` / ``--from parquet`` move a warehouse between engines."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.engine import DuckDBEngine, open_engine
from diversion.errors import DiversionError

ROW = "INSERT INTO distributors VALUES ('Tsugami', 'Gray Machinery', 'US', 'graymachinery.com', 's', 2, 'h1')"


def _warehouse(path):
    with DuckDBEngine(path) as eng:
        eng.execute(ROW)


def test_parquet_round_trip_through_the_cli(tmp_path):
    _warehouse(tmp_path / "a.duckdb")
    runner = CliRunner()
    out = runner.invoke(app, ["export", "--to", "parquet", str(tmp_path / "pq"), "--db", str(tmp_path / "a.duckdb")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "pq" / "manifest.json").is_file()
    back = runner.invoke(app, ["export", "--from", "parquet", str(tmp_path / "pq"), "--db", str(tmp_path / "b.duckdb")])
    assert back.exit_code == 0, back.output
    with DuckDBEngine(tmp_path / "b.duckdb", read_only=True) as eng:
        assert eng.fetch_all("SELECT brand, distributor_name FROM distributors") == [("Tsugami", "Gray Machinery")]


@pytest.mark.parametrize("args", [["--to", "csv", "x"], ["--to", "parquet"], ["--from", "parquet", "nowhere"]])
def test_transfer_errors_are_one_line(tmp_path, args):
    out = CliRunner().invoke(app, ["export", *args, "--db", str(tmp_path / "a.duckdb")])
    # `app` raises the typed error; the console entry point prints it as one line, exit 2.
    assert isinstance(out.exception, DiversionError), out.output


@pytest.mark.spark
def test_duckdb_warehouse_moves_to_spark(tmp_path):
    pytest.importorskip("pyspark")
    _warehouse(tmp_path / "a.duckdb")
    runner = CliRunner()
    assert runner.invoke(app, ["export", "--to", "parquet", str(tmp_path / "pq"),
                               "--db", str(tmp_path / "a.duckdb")]).exit_code == 0
    out = runner.invoke(app, ["export", "--from", "parquet", str(tmp_path / "pq"), "--engine", "spark",
                              "--db", str(tmp_path / "s.duckdb")])
    assert out.exit_code == 0, out.output
    spark = open_engine(tmp_path / "s.duckdb", engine="spark")
    assert spark.fetch_all("SELECT brand FROM distributors") == [("Tsugami",)]
