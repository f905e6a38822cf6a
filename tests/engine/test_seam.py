"""The Engine seam: what stages need from an engine, on every engine, and nobody outside ``engine/`` names one."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from diversion.engine import DuckDBEngine, Engine, engine_class, open_engine
from diversion.engine.schema import columns
from diversion.errors import WarehouseError

SRC = Path(__file__).parents[2] / "src" / "diversion"

#: What naming or reaching into an engine looks like outside ``engine/``.
LEAKS = {
    "an engine-name check": re.compile(r"""[!=]=\s*["'](duckdb|spark)["']|["'](duckdb|spark)["']\s*[!=]="""),
    "a private attribute of an engine": re.compile(
        r"""engine\.(con|spark|_\w+)\b|getattr\(\w+,\s*["'](con|spark)["']"""),
    "a subclass of an engine": re.compile(r"class \w+\((DuckDBEngine|SparkEngine)\)"),
    "a type check on an engine class": re.compile(r"isinstance\([^)]*(DuckDBEngine|SparkEngine)"),
    "a Splink backend picked by name": re.compile(r"""backend\s*[!=]=|type\(api\)\.__name__"""),
}


def test_nothing_outside_engine_names_or_reaches_into_an_engine() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if path.parent.name == "engine":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(SRC)}:{number}: {what}: {line.strip()}"
                      for what, pattern in LEAKS.items() if pattern.search(line)]
    assert not found, "\n".join(found)


def test_replace_arrow_rewrites_a_contract_table_from_its_ddl(any_engine: Engine) -> None:
    # A warehouse made by an older version: its leads table lacks the section the contract now declares.
    any_engine.execute("DROP TABLE IF EXISTS leads")
    any_engine.execute("CREATE TABLE leads (rank INTEGER, entity_id VARCHAR, name VARCHAR, country VARCHAR, "
                       "score DOUBLE, flags VARCHAR, evidence VARCHAR)")
    any_engine.execute("INSERT INTO leads VALUES (9, 'old', 'Old', NULL, 0.1, 'x', 'y')")
    written = any_engine.replace_arrow("leads", pa.table({
        "entity_id": ["e-2", "e-1"], "rank": pa.array([2, 1], pa.int32()), "name": ["B", "A"],
        "score": [0.5, 0.9], "flags": ["sanctioned", "sanctioned"], "evidence": ["b", "a"]}))
    assert written == 2
    rows = any_engine.fetch_dicts("SELECT * FROM leads ORDER BY rank")
    assert [(r["rank"], r["entity_id"], r["score"], r["section"]) for r in rows] == [(1, "e-1", 0.9, None),
                                                                                     (2, "e-2", 0.5, None)]
    assert list(rows[0]) == columns("leads")  # every declared column, in contract order
    assert any_engine.replace_arrow("leads", pa.table({"entity_id": pa.array([], pa.string())})) == 0
    assert any_engine.count("leads") == 0


def test_fetch_batches_gives_every_row_in_bounded_batches(any_engine: Engine) -> None:
    any_engine.execute("CREATE TEMP TABLE _numbers (n BIGINT)")
    any_engine.insert_arrow("_numbers", pa.table({"n": pa.array(range(2_500), pa.int64())}))
    batches = list(any_engine.fetch_batches("SELECT n FROM _numbers ORDER BY n", rows=1_000))
    assert all(b.num_rows <= 1_000 for b in batches) and len(batches) >= 3
    assert [n for b in batches for n in b.column("n").to_pylist()] == list(range(2_500))


def test_linkage_runs_beside_the_engine(any_engine: Engine) -> None:
    backend = any_engine.linkage()
    try:
        assert backend.name == any_engine.name
        frame = backend.register(pa.table({"unique_id": ["a", "b"]}), "seam_check")
        assert frame.physical_name.startswith("seam_check_")
    finally:
        backend.close()


def test_a_worker_reads_the_same_warehouse_on_its_own_cursor(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "w.duckdb")
    engine.execute("INSERT INTO stage_runs VALUES ('graph', now(), 'built')")
    engine.close()
    reader = open_engine(tmp_path / "w.duckdb", read_only=True)
    reader.on_error = lambda sql, exc: WarehouseError("no SQL for the user")
    with reader.worker() as worker, reader.worker() as other:
        assert worker is not reader and worker is not other
        assert worker.fetch_all("SELECT stage FROM stage_runs") == [("graph",)]
        assert other.scalar("SELECT count(*) FROM stage_runs") == 1
        with pytest.raises(WarehouseError, match="^no SQL for the user$"):
            worker.execute("SELECT * FROM no_such_table")
    assert reader.scalar("SELECT summary FROM stage_runs") == "built"  # the workers' cursors closed, not the engine
    reader.close()


def test_engine_classes_say_what_they_can_serve() -> None:
    duck = engine_class("duckdb")
    assert duck is DuckDBEngine and duck.interactive and duck.single_file
    spark = engine_class("spark")
    assert not spark.interactive and not spark.single_file
    with pytest.raises(Exception, match="unknown engine"):
        engine_class("sqlite")
