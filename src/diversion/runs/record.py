"""Recording a run: its row in ``pipeline_runs`` and what each tracked stage changed in ``run_changes``.

Each tracked stage (``state.KIND_OF_STAGE``) reads its output table before it
runs and again after, and writes the difference. The baseline is therefore
the warehouse the stage found, whoever wrote it: a stage run through the
library without a recorder changes nothing in the log, and the next recorded
run compares against what it left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import pyarrow as pa

from diversion.engine import Engine
from diversion.runs.diff import Change, compare
from diversion.runs.state import KIND_OF_STAGE, current_ids, snapshot, translated

#: The tables counted in a run's ``counts``, by the name the count is given.
COUNTED = {"mentions": "mentions", "entities": "entities", "sanctions_matches": "sanctions_matches",
           "findings": "findings", "leads": "leads"}


class RunRecorder:
    """One run being recorded: wrap each stage in ``stage(name)``."""

    def __init__(self, engine: Engine, command: str) -> None:  # noqa: D107
        self.engine = engine
        self.command = command
        self.enabled = engine.table_exists("pipeline_runs") and engine.table_exists("run_changes")
        last = engine.scalar("SELECT max(run_id) FROM pipeline_runs") if self.enabled else None
        self.run_id = int(last or 0) + 1
        self.started_at = datetime.now()
        self.stages: list[str] = []
        self.changes = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run the stage ``name`` inside; if it is tracked, record what it changed once it finished."""
        kind = KIND_OF_STAGE.get(name) if self.enabled else None
        before = snapshot(self.engine, kind) if kind else {}
        yield
        if kind:
            mapping = current_ids(self.engine, sorted({eid for eid, _ in before}))
            self._write(compare(kind, translated(before, mapping, kind), snapshot(self.engine, kind)))
        self.stages.append(name)

    def _write(self, changes: list[Change]) -> None:
        if not changes:
            return

        def text(values: list[dict[str, Any] | None]) -> pa.Array:
            return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)
                             for v in values], pa.string())

        self.engine.insert_arrow("run_changes", pa.table({
            "run_id": pa.array([self.run_id] * len(changes), pa.int64()),
            "kind": pa.array([c.kind for c in changes], pa.string()),
            "entity_id": pa.array([c.entity_id for c in changes], pa.string()),
            "name": pa.array([c.name for c in changes], pa.string()),
            "item": pa.array([c.item for c in changes], pa.string()),
            "before": text([c.before for c in changes]),
            "after": text([c.after for c in changes]),
            "summary": pa.array([c.summary for c in changes], pa.string()),
        }))
        self.changes += len(changes)

    def finish(self, status: str) -> None:
        """Write the run's row (``status`` ``finished`` or ``failed``)."""
        if not self.enabled:
            return
        counts = {name: self.engine.count(table) for name, table in COUNTED.items() if self.engine.table_exists(table)}
        self.engine.insert_arrow("pipeline_runs", pa.table({
            "run_id": pa.array([self.run_id], pa.int64()),
            "command": pa.array([self.command], pa.string()),
            "started_at": pa.array([self.started_at], pa.timestamp("us")),
            "finished_at": pa.array([datetime.now()], pa.timestamp("us")),
            "status": pa.array([status], pa.string()),
            "stages": pa.array([";".join(self.stages)], pa.string()),
            "counts": pa.array([json.dumps(counts, sort_keys=True)], pa.string()),
            "changes": pa.array([self.changes], pa.int64()),
        }))


@contextmanager
def recorded_run(engine: Engine, command: str) -> Iterator[RunRecorder]:
    """Record the run inside as one row of ``pipeline_runs`` (``failed`` if it raises), changes included.

    >>> with recorded_run(engine, "run") as run:  # doctest: +SKIP
    ...     with run.stage("resolve"):
    ...         resolve(engine, settings)
    """
    recorder = RunRecorder(engine, command)
    try:
        yield recorder
    except BaseException:
        # The stage's own error is the one to report: a log row that cannot be written must not replace it.
        with suppress(Exception):
            recorder.finish("failed")
        raise
    recorder.finish("finished")
