"""User text is never read as Rich console markup: names, paths and error messages print as written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.cli.app import print_error
from diversion.engine import DuckDBEngine
from diversion.sources import ingest_file

DATA = Path(__file__).parent / "data"
DIVERSION = str(Path(sys.executable).parent / "diversion")
SRC = str(Path(__file__).parents[1] / "src")
ODD = "[/] [bold]x[/bold] :flag_ru: [link=y]"


def test_error_printer_prints_markup_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    print_error(f"{ODD}: file not found")
    assert f"error: {ODD}: file not found" in capsys.readouterr().err


def test_paths_with_markup_in_ingest_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "[bold]["  # "[/]" in a path: a folder ending in "[" and a name starting with "]"
    folder.mkdir()
    path = folder / "]sites.jsonl"
    path.write_bytes((DATA / "web" / "sites.jsonl").read_bytes())
    db = str(tmp_path / "w.duckdb")
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin", "COLUMNS": "300"}
    ok = subprocess.run([DIVERSION, "ingest", "web", str(path), "--db", db], capture_output=True, text=True, env=env,
                        timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "[bold][/]sites.jsonl" in ok.stdout.replace("\n", "") and "Traceback" not in ok.stderr
    missing = subprocess.run([DIVERSION, "ingest", "web", str(folder / "]none.jsonl"), "--db", db],
                             capture_output=True, text=True, env=env, timeout=300)
    assert missing.returncode == 2 and "[/]none.jsonl: file not found" in missing.stderr.replace("\n", "")
    assert "Traceback" not in missing.stderr
    status = subprocess.run([DIVERSION, "status", "--db", db], capture_output=True, text=True, env=env, timeout=300)
    assert status.returncode == 0 and "[/]sites.jsonl" in status.stdout, status.stderr


def test_screening_a_name_that_is_markup(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with DuckDBEngine(db) as engine:
        ingest_file(engine, "sanctions", DATA / "sanctions" / "sdn.csv")
    out = CliRunner().invoke(app, ["screen", ODD, "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert ODD in out.output.replace("\n", "")
