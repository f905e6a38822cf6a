"""Which pipeline stages have run, so that a stage whose input has not run says so and stops.

Each stage after resolve records when it finished in ``stage_runs``. A later
stage checks its input stage ran, and ran after the stage before it (a
network rebuilt after detection makes the findings stale). Warehouses written
before ``stage_runs`` existed are judged by their tables' contents.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from diversion.engine import Engine
from diversion.errors import WarehouseError

#: The stage before each stage, and the command that runs it.
INPUT_OF = {"graph": "resolve", "detect": "graph", "leads": "detect", "report": "leads"}
COMMANDS = {"resolve": "diversion resolve", "graph": "diversion graph", "detect": "diversion detect",
            "leads": "diversion leads"}
#: The table each stage fills, for warehouses without ``stage_runs`` rows.
OUTPUT_OF = {"graph": "nodes", "detect": "findings", "leads": "leads"}


class StageNotRun(WarehouseError):
    """The stage a command needs has not run (or its output is stale); the message names the command to run."""


def record_stage(engine: Engine, stage: str, summary: str) -> None:
    """Note that ``stage`` finished now."""
    if not engine.table_exists("stage_runs"):
        return
    engine.execute("DELETE FROM stage_runs WHERE stage = ?", [stage])
    engine.insert_arrow("stage_runs", pa.table({
        "stage": pa.array([stage], pa.string()),
        "finished_at": pa.array([datetime.now()], pa.timestamp("us")),
        "summary": pa.array([summary], pa.string()),
    }))


def finished_at(engine: Engine, stage: str) -> datetime | None:
    """When ``stage`` last finished, or ``None`` (never, or not recorded)."""
    if not engine.table_exists("stage_runs"):
        return None
    rows = engine.fetch_all("SELECT finished_at FROM stage_runs WHERE stage = ?", [stage])
    return rows[0][0] if rows else None


def has_run(engine: Engine, stage: str) -> bool:
    """Whether ``stage`` ran: recorded in ``stage_runs``, or (older warehouses) its table holds rows."""
    if finished_at(engine, stage) is not None:
        return True
    table = OUTPUT_OF.get(stage)
    return bool(table and engine.table_exists(table) and engine.scalar(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)"))  # noqa: S608 (fixed table names)


def stale(engine: Engine, stage: str) -> bool:
    """Whether ``stage`` has not run since its input stage last ran (its output no longer matches its input)."""
    mine, theirs = finished_at(engine, stage), finished_at(engine, INPUT_OF.get(stage, ""))
    return theirs is not None and (mine is None or mine < theirs)


def require_stage(engine: Engine, stage: str) -> None:
    """Stop with the command to run when the stage ``stage`` reads from has not run, or ran before its own input.

    ``report`` only insists on ``leads`` once detection has run: a report on
    loaded shipments alone is allowed (its sections say what is not run yet).
    """
    wanted = INPUT_OF[stage]
    if wanted == "resolve":
        from diversion.graph.keys import require_resolved  # graph imports this module

        require_resolved(engine)
        return
    if stage == "report" and not has_run(engine, "detect"):
        return
    if not has_run(engine, wanted):
        before = f" after `{COMMANDS['detect']}`" if stage == "report" else ""
        raise StageNotRun(f"`diversion {stage}` needs the {wanted} stage{before}: run `{COMMANDS[wanted]}` first"
                          + (" (or `diversion run` for every stage)" if wanted != "leads" else ""))
    if stale(engine, wanted):
        raise StageNotRun(f"the {INPUT_OF[wanted]} stage ran after `{COMMANDS[wanted]}`, so its output is stale: "
                          f"run `{COMMANDS[wanted]}` again")


def mark_synthetic(engine: Engine, note: str) -> None:
    """Record that the warehouse holds a synthetic (demo) data set; every report and web page will say so."""
    record_stage(engine, "synthetic", note)


def synthetic_note(engine: Engine) -> str | None:
    """The synthetic-data note of a demo warehouse, or ``None`` for real data."""
    if not engine.table_exists("stage_runs"):
        return None
    rows = engine.fetch_all("SELECT summary FROM stage_runs WHERE stage = 'synthetic'")
    return rows[0][0] if rows else None
