"""Crash safety of ingest: a load killed at any moment leaves its whole file or nothing of it.

Each case copies a warehouse that already holds a small file, starts a child
process that loads a larger file into it and kills itself (SIGKILL) at a
named step of the load (``loader.fault_point``), shortly after one (so that
the kill lands inside DuckDB's commit), or is killed from here at a random
moment. The warehouse is then reopened and must be exactly its files: the
larger file recorded with the counts of a clean load, or not recorded and
only rows of it left that ``check_warehouse`` reports as orphans; the next
ingest removes those and loads the file with the counts of a clean load
(not as duplicates of its own left-overs).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diversion.engine import DuckDBEngine, open_engine
from diversion.sources import ingest_file
from diversion.sources.integrity import begin_load, check_warehouse
from diversion.sources.loader import file_sha256

DATA = Path(__file__).parents[1] / "data"
SRC = str(Path(__file__).parents[2] / "src")

CHILD = """
import os, signal, sys, threading
from pathlib import Path
from diversion.engine import DuckDBEngine, open_engine
from diversion.sources import ingest_file, loader

from diversion.engine import open_engine
db, path, point, delay, name = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]

def kill():
    os.kill(os.getpid(), signal.SIGKILL)

def at(name):
    if name == point:
        if delay > 0:
            threading.Timer(delay, kill).start()  # lands inside what follows: the commit, the close
        else:
            kill()

loader.fault_point = at
with open_engine(db, name) as engine:
    ingest_file(engine, "shipments", Path(path))
"""

#: The named steps of a load, in order (``commit``: all written, just before COMMIT).
POINTS = ("begin", "table:shipments", "quarantine", "sources", "commit", "committed")


def write_shipments(path: Path, rows: int, seed: int = 1) -> None:
    """A standard-profile shipments CSV with one bad row in a hundred (quarantined) and some repeats."""
    rnd = random.Random(seed)
    lines = ["record_id,date,hs_code,exporter_name,importer_name,value,currency,origin_country"]
    for i in range(rows):
        if i % 250 == 3:  # a repeated record: a duplicate within the file
            lines.append(lines[-1])
            continue
        hs = "XX" if i % 100 == 7 else "845811"
        lines.append(f"R{i},2023-{1 + i % 12:02d}-{1 + i % 28:02d},{hs},Exporter {rnd.randrange(500)} GmbH,"
                     f"OOO Importer {rnd.randrange(300)},{rnd.randrange(1, 10**6)},{'USD' if i % 3 else 'EUR'},DE")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A base warehouse holding a small file and rates, the file to load, and the counts of a clean load."""
    folder = tmp_path_factory.mktemp("crash")
    big = folder / "big.csv"
    write_shipments(big, 6_000)
    base = folder / "base.duckdb"
    with DuckDBEngine(base) as engine:
        ingest_file(engine, "shipments", DATA / "shipments" / "standard.csv")
        ingest_file(engine, "rates", DATA / "rates" / "rates.csv")
    clean = folder / "clean.duckdb"
    shutil.copy(base, clean)
    with DuckDBEngine(clean) as engine:
        result = ingest_file(engine, "shipments", big)
    counts = (result.rows_loaded, result.rows_quarantined, result.rows_duplicate)
    assert counts[0] > 5_000 and counts[1] > 50 and counts[2] > 10
    return {"folder": folder, "base": base, "big": big, "counts": counts}


def _copy_base(setup: dict, name: str) -> Path:
    db = setup["folder"] / f"{name}.duckdb"
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    shutil.copy(setup["base"], db)
    return db


def _child(db: Path, big: Path, point: str = "-", delay: float = 0.0, engine: str = "duckdb") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(big), point, str(delay), engine],
                            env={"PYTHONPATH": SRC, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                 **{k: v for k, v in os.environ.items() if k in ("JAVA_HOME", "HOME", "TMPDIR")}},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def assert_exactly_its_files(db: Path, big: Path, counts: tuple[int, int, int]) -> bool:
    """Check the warehouse after a kill; returns whether the file had been recorded."""
    sid = file_sha256(big)
    with DuckDBEngine(db) as engine:
        problems = check_warehouse(engine)
        # All a killed load may leave is rows of its own file that no sources row records.
        assert all(p.kind == "orphan rows" and p.source_id == sid for p in problems), problems
        recorded = engine.fetch_all(
            "SELECT rows_loaded, rows_quarantined, rows_duplicate FROM sources WHERE source_id = ?", [sid])
        assert recorded in ([], [counts])
        assert not (recorded and problems)
        # The file loaded before is untouched.
        assert engine.scalar("SELECT count(*) FROM sources WHERE path LIKE '%standard.csv'") == 1
        assert engine.scalar("SELECT count(*) FROM shipments WHERE record_id LIKE 'D-%'") == 4
        again = ingest_file(engine, "shipments", big)
        assert again.already_loaded == bool(recorded)
        if not recorded:  # its left-overs were removed first: loaded as new, not as duplicates of them
            assert (again.rows_loaded, again.rows_quarantined, again.rows_duplicate) == counts
        assert check_warehouse(engine) == []
    return bool(recorded)


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step_of_a_load(setup: dict, point: str) -> None:
    db = _copy_base(setup, point.replace(":", "-"))
    child = _child(db, setup["big"], point)
    _, err = child.communicate(timeout=300)
    assert child.returncode == -signal.SIGKILL, err.decode()
    recorded = assert_exactly_its_files(db, setup["big"], setup["counts"])
    assert recorded == (point == "committed")


@pytest.mark.parametrize("delay", [0.001, 0.01, 0.05])
def test_kill_inside_the_commit(setup: dict, delay: float) -> None:
    db = _copy_base(setup, f"commit-{delay}")
    child = _child(db, setup["big"], "commit", delay)
    child.communicate(timeout=300)
    assert_exactly_its_files(db, setup["big"], setup["counts"])


def test_kill_at_random_moments(setup: dict) -> None:
    db = _copy_base(setup, "timing")
    start = time.monotonic()
    child = _child(db, setup["big"])
    _, err = child.communicate(timeout=300)
    assert child.returncode == 0, err.decode()
    took = time.monotonic() - start
    rng = random.Random(16)
    for attempt in range(4):
        db = _copy_base(setup, f"random-{attempt}")
        child = _child(db, setup["big"])
        time.sleep(rng.uniform(0.3, 1.0) * took)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=300)
        assert_exactly_its_files(db, setup["big"], setup["counts"])


def test_rows_of_an_unrecorded_load_do_not_make_the_file_a_duplicate(engine: DuckDBEngine, tmp_path: Path) -> None:
    """What DuckDB left after a kill inside the commit of a 300,000-row load: every row, no sources row."""
    from diversion.sources import ParseOptions, _parsers

    path = tmp_path / "file.csv"
    write_shipments(path, 500)
    sid = file_sha256(path)
    parsed = _parsers()["shipments"](path, ParseOptions(source_id=sid))
    begin_load(engine, sid, str(path))  # what ingest_file commits before the load's transaction
    engine.insert_arrow("shipments", parsed.tables["shipments"])
    assert [p.kind for p in check_warehouse(engine)] == ["orphan rows"]
    result = ingest_file(engine, "shipments", path)
    with DuckDBEngine(":memory:") as fresh:
        clean = ingest_file(fresh, "shipments", path)
    assert (result.rows_loaded, result.rows_duplicate) == (clean.rows_loaded, clean.rows_duplicate) == (493, 2)
    assert check_warehouse(engine) == []


def test_rows_of_no_killed_load_are_reported_not_removed(engine: DuckDBEngine) -> None:
    """Rows put in by hand (a fixture, a tool) are orphans too, but only ``check --repair`` removes them."""
    from diversion.sources.integrity import repair_warehouse

    engine.execute("INSERT INTO distributors VALUES ('Okuma', 'X', 'DE', NULL, ?, 1, 'h')", ["0" * 64])
    ingest_file(engine, "shipments", DATA / "shipments" / "standard.csv")
    assert engine.count("distributors") == 1
    assert [(p.kind, p.table) for p in check_warehouse(engine)] == [("orphan rows", "distributors")]
    assert repair_warehouse(engine) == {"distributors": 1} and check_warehouse(engine) == []


def test_check_reports_counts_that_do_not_add_up(engine: DuckDBEngine) -> None:
    ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
    assert check_warehouse(engine) == []
    engine.execute("DELETE FROM quarantine WHERE line = (SELECT min(line) FROM quarantine)")
    engine.execute("UPDATE sources SET rows_read = rows_read + 1")
    details = [p.detail for p in check_warehouse(engine)]
    assert len(details) == 2 and "quarantine table" in details[1] and "read 18" in details[0]


def test_status_and_check_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from diversion.cli import app

    db = tmp_path / "w.duckdb"
    with DuckDBEngine(db) as engine:
        ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
        engine.execute("DELETE FROM sources")  # as if the load had been killed before its sources row
    runner = CliRunner()
    status = runner.invoke(app, ["status", "--db", str(db)])
    assert status.exit_code == 0 and "orphan rows" in status.output and "--repair" in status.output
    check = runner.invoke(app, ["check", "--db", str(db)])
    assert check.exit_code == 1 and "2 row(s) of shipments" in check.output
    repaired = runner.invoke(app, ["check", "--db", str(db), "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "OK" in runner.invoke(app, ["check", "--db", str(db)]).output
    with DuckDBEngine(db) as engine:
        assert engine.count("shipments") == engine.count("quarantine") == 0


@pytest.mark.spark
@pytest.mark.slow
def test_killed_spark_load_leaves_only_orphans_that_the_next_ingest_removes(tmp_path: Path) -> None:
    """Spark has no transactions: the Parquet files a killed load wrote stay, without a sources row."""
    pytest.importorskip("pyspark")
    big = tmp_path / "big.csv"
    write_shipments(big, 300)
    db = tmp_path / "w.duckdb"
    child = _child(db, big, "quarantine", engine="spark")  # shipments and quarantine written, no sources row
    _, err = child.communicate(timeout=600)
    assert child.returncode == -signal.SIGKILL, err.decode()[-2000:]
    with open_engine(db, "spark") as engine:
        problems = check_warehouse(engine)
        assert {p.table for p in problems} == {"shipments", "quarantine"}
        assert all(p.kind == "orphan rows" and p.source_id == file_sha256(big) for p in problems)
        result = ingest_file(engine, "shipments", big)
        assert check_warehouse(engine) == []
    with DuckDBEngine(":memory:") as fresh:
        clean = ingest_file(fresh, "shipments", big)
    counts = (clean.rows_loaded, clean.rows_quarantined, clean.rows_duplicate)
    assert (result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == counts == (295, 3, 2)


def test_a_table_folder_moved_aside_by_a_killed_swap_is_put_back(tmp_path: Path) -> None:
    """Spark rewrites a table into a fresh folder and swaps it in; a kill between the two renames loses nothing."""
    from diversion.engine.spark import recover_interrupted_swaps

    (tmp_path / ".shipments.tx-1a2b3c4d").mkdir()
    (tmp_path / ".shipments.tx-1a2b3c4d" / "part-0.parquet").write_bytes(b"rows")
    (tmp_path / ".shipments.5e6f7a8b").mkdir()  # the fresh folder never renamed in
    (tmp_path / "sources").mkdir()
    (tmp_path / ".sources.tx-00000000").mkdir()  # moved aside, then the transaction committed
    assert recover_interrupted_swaps(tmp_path, ["shipments", "sources"]) == ["shipments"]
    assert (tmp_path / "shipments" / "part-0.parquet").read_bytes() == b"rows"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shipments", "sources"]
