"""``diversion changes``: what the last run (or every run since one) changed, for review of a month's delta."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from diversion.cli.app import app, console, warehouse, warehouse_command
from diversion.config import Settings
from diversion.errors import DiversionError


@app.command()
@warehouse_command
def changes(
    settings: Settings,
    since: Annotated[int | None, typer.Option("--since", help="List what changed after this run "
                                              "(default: what the latest run changed; 0: everything).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    show_all: Annotated[bool, typer.Option("--all", help="Include leads below the threshold and context "
                                           "entities.")] = False,
    runs: Annotated[bool, typer.Option("--runs", help="List the recorded runs instead.")] = False,
) -> None:
    """New and changed leads, new sanctions matches and new flags since a run (see `--runs` for run ids)."""
    from diversion.read.changes import COLUMNS, changes_since, list_runs

    if fmt not in ("table", "csv", "json"):
        raise DiversionError(f"unknown format {fmt!r}; choose table, csv or json")
    with warehouse(settings, read_only=settings.db_path.exists()) as engine:  # read-only: runs beside serve
        if runs:
            _print_runs(list_runs(engine, since or 0), fmt)
            return
        found = changes_since(engine, settings, since, show_all)
    rows = found.rows()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**r, "before": json.dumps(r["before"], ensure_ascii=False) if r["before"] else "",
                          "after": json.dumps(r["after"], ensure_ascii=False) if r["after"] else ""} for r in rows)
        return
    if not found.latest:
        console.print("No runs recorded yet: `diversion run` records what each run changes.")
        return
    span = (f"run {found.latest}" if found.since == found.latest - 1
            else f"runs {found.since + 1} to {found.latest}" if found.since < found.latest else "no run")
    if not rows:
        console.print(f"Nothing changed in {span}" + (f" (the leads below the threshold changed in {found.hidden:,} "
                      "place(s): --all lists them)" if found.hidden else "") + ".")
        if found.last_changed:
            console.print(f"Run {found.last_changed} changed something: "
                          f"`diversion changes --since {found.last_changed - 1}`.")
        return
    table = Table("run", "change", "entity", "name", "what", title=f"What changed in {span}", show_lines=True)
    for r in rows:
        table.add_row(str(r["run_id"]), r["kind"].replace("_", " "), r["entity_id"], r["name"] or "",
                      (f"{r['item']}: " if r["item"] else "") + r["summary"])
    console.print(table)
    if found.hidden:
        console.print(f"{found.hidden:,} change(s) of leads below the threshold {settings.leads.threshold} or of "
                      "context entities left out (--all lists them).")


def _print_runs(rows: list[dict[str, Any]], fmt: str) -> None:
    fields = ["run_id", "command", "started_at", "finished_at", "status", "stages", "changes", "counts"]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=fields)
        writer.writeheader()
        writer.writerows({**r, "counts": json.dumps(r["counts"])} for r in rows)
        return
    table = Table("run", "command", "started", "seconds", "status", "stages", "changes", "counts", title="Runs")
    for r in rows:
        seconds = (r["finished_at"] - r["started_at"]).total_seconds()
        table.add_row(str(r["run_id"]), r["command"], f"{r['started_at']:%Y-%m-%d %H:%M:%S}", f"{seconds:.1f}",
                      r["status"], r["stages"].replace(";", " → "), f"{r['changes']:,}",
                      ", ".join(f"{k} {v:,}" for k, v in r["counts"].items()))
    console.print(table)
