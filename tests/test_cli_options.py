"""Every warehouse command takes the same warehouse options, and they reach the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from diversion.cli import app

#: ``serve`` reads a DuckDB warehouse only: it takes ``--db`` and ``--config`` alone.
NOT_WAREHOUSE = {"serve"}


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a command group (Typer's own click classes)
            out |= _commands(command, f"{prefix}{name} ")
        else:
            out[prefix + name] = command
    return out


def test_every_stage_command_has_the_warehouse_options() -> None:
    commands = _commands(typer.main.get_command(app))
    stages = {name: c for name, c in commands.items() if name not in NOT_WAREHOUSE}
    assert {"resolve", "graph", "detect", "leads", "ingest shipments", "flows", "status"} <= set(stages)
    for name, command in stages.items():
        flags = {flag for param in command.params for flag in getattr(param, "opts", [])}
        assert {"--db", "--config", "--engine", "--spark-master"} <= flags, name


def test_the_options_select_the_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "given.duckdb"
    out = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert str(db) in out.output.replace("\n", "") and db.exists()
    out = CliRunner().invoke(app, ["status", "--db", str(db), "--engine", "nosuch"])
    assert out.exit_code != 0
