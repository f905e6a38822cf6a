"""Loading shipments: idempotent re-ingest, one transaction per file, CLI errors, value_usd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diversion.cli import main
from diversion.engine import DuckDBEngine
from diversion.sources import ingest_file

DATA = Path(__file__).parents[1] / "data"
DIVERSION = str(Path(sys.executable).parent / "diversion")


def test_reingest_adds_nothing(engine) -> None:
    first = ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
    second = ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
    assert first.rows_loaded == 2 and second.already_loaded
    assert engine.count("shipments") == 2
    assert engine.count("quarantine") == 15
    assert engine.count("sources") == 1


def test_same_rows_in_another_file_are_duplicates(engine, tmp_path: Path) -> None:
    ingest_file(engine, "shipments", DATA / "shipments" / "standard.csv")
    copy = tmp_path / "copy.csv"
    copy.write_bytes((DATA / "shipments" / "standard.csv").read_bytes() + b"\n")  # another hash, same rows
    result = ingest_file(engine, "shipments", copy)
    assert (result.rows_loaded, result.rows_duplicate) == (0, 4)
    assert engine.count("shipments") == 4 and engine.count("sources") == 2


def test_crash_mid_file_leaves_nothing_and_retry_works(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    real_insert = engine.insert_arrow

    def crash(table: str, data):  # the shipments are written before the quarantine rows
        if table == "quarantine":
            raise OSError("disk full")
        return real_insert(table, data)

    monkeypatch.setattr(engine, "insert_arrow", crash)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
    assert engine.count("shipments") == engine.count("quarantine") == engine.count("sources") == 0
    monkeypatch.setattr(engine, "insert_arrow", real_insert)
    result = ingest_file(engine, "shipments", DATA / "shipments" / "bad_rows.csv")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 15)
    assert engine.count("shipments") == 2 and engine.count("sources") == 1


def test_value_usd_from_rates_whichever_is_loaded_first(engine) -> None:
    ingest_file(engine, "shipments", DATA / "shipments" / "standard.csv")
    assert engine.scalar("SELECT value_usd FROM shipments WHERE record_id = 'D-003'") is None  # no EUR rate yet
    ingest_file(engine, "rates", DATA / "rates" / "rates.csv")
    usd = dict(engine.fetch_all("SELECT record_id, value_usd FROM shipments"))
    assert usd["D-001"] == 245000.0  # USD as is
    assert usd["D-003"] == pytest.approx(12.5 / 0.91)  # EUR, July 2023
    assert usd["D-004"] == pytest.approx(98000 / 7.2)  # CNY, July 2023
    assert engine.scalar("SELECT value FROM shipments WHERE record_id = 'D-003'") == 12.5  # original kept


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DIVERSION, *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False)


def test_cli_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    done = run_cli("ingest", "shipments", "nowhere.csv", "--db", str(tmp_path / "w.duckdb"), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert [line for line in done.stderr.splitlines() if line.strip()] == ["error: nowhere.csv: file not found"]


@pytest.mark.parametrize(("content", "message"), [
    (b"\x00\x01binary\x00" * 40, "binary content"),
    (b"\x81\x98\x98\x81" * 100, "unreadable encoding"),
    (b"PK\x03\x04broken", "not a readable XLSX"),
    (b"%PDF-1.4 report", "unknown format"),
])
def test_cli_unreadable_file_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], content: bytes,
                                                message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    monkeypatch.setattr(sys, "argv", ["diversion", "ingest", "shipments", str(path), "--db", str(tmp_path / "w.db")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_cli_ingest_with_mapping_and_rates(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shipments = DATA / "shipments"
    done = run_cli("ingest", "shipments", str(shipments / "ru_extract_cp1251.csv"), str(shipments / "standard.csv"),
                   "--mapping", str(shipments / "ru_extract.yaml"), "--db", str(db), cwd=tmp_path)
    # The Russian mapping does not fit the standard file: that file fails, after the first loaded.
    assert done.returncode == 2 and "standard.csv" in done.stderr
    done = run_cli("ingest", "rates", str(DATA / "rates" / "rates.csv"), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with DuckDBEngine(db) as engine:
        assert engine.count("shipments") == 2 and engine.count("rates") == 4
        assert engine.scalar("SELECT count(*) FROM shipments WHERE value_usd IS NULL") == 0
