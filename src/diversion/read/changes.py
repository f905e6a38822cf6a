"""What changed: the run log as the CLI's ``changes`` and the web app's ``/changes`` show it.

The changes since a run are the net difference between the warehouse that
run left and today's: an item changed in several runs is listed once (its
state before the first change against its state now), an item that changed
and changed back is not listed. Entity ids recorded by older runs are read
under today's ids (``runs.state``), so a party whose entity gained a mention
keeps one row.

What is shown, as the lead list shows it: lead changes of trade parties
scoring at or above ``leads.threshold`` before or after (``show_all`` lists
every entity, context entries included); every new or removed sanctions
match; a flag only where its entity's lead row does not already show it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from diversion.config import Settings
from diversion.engine import Engine
from diversion.errors import WarehouseError
from diversion.runs.diff import Change, change_of

#: The order the listing shows kinds of item in.
_ORDER = {"match": 0, "lead": 1, "flag": 2}
#: The columns of a listed change (CSV and JSON).
COLUMNS = ["run_id", "kind", "entity_id", "name", "item", "summary", "before", "after"]


class NoSuchRun(WarehouseError):
    """``--since`` names a run the log does not hold."""


@dataclass(frozen=True)
class ChangeList:
    """The changes after run ``since`` up to run ``latest``, and what was left out."""

    since: int
    latest: int
    runs: list[dict[str, Any]]
    changes: list[tuple[int, Change]]  # (the last run that changed it, the change)
    hidden: int = 0  # changes of leads below the threshold or of context entities (shown with show_all)
    last_changed: int | None = None  # the latest run that changed anything, when none since ``since`` did
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The changes as plain rows (``COLUMNS``)."""
        return [{"run_id": run, "kind": c.kind, "entity_id": c.entity_id, "name": c.name, "item": c.item,
                 "summary": c.summary, "before": c.before, "after": c.after} for run, c in self.changes]


def list_runs(engine: Engine, since: int = 0) -> list[dict[str, Any]]:
    """The recorded runs after run ``since``, oldest first (counts as a dict)."""
    if not engine.table_exists("pipeline_runs"):
        return []
    rows = engine.fetch_dicts("SELECT run_id, command, started_at, finished_at, status, stages, counts, changes "
                              "FROM pipeline_runs WHERE run_id > ? ORDER BY run_id", [since])
    for r in rows:
        r["counts"] = json.loads(r["counts"]) if isinstance(r["counts"], str) else (r["counts"] or {})
    return rows


def changes_since(engine: Engine, settings: Settings, since: int | None = None, show_all: bool = False) -> ChangeList:
    """What the runs after run ``since`` changed (default: what the latest run changed)."""
    latest = int(engine.scalar("SELECT max(run_id) FROM pipeline_runs") or 0) if engine.table_exists(
        "pipeline_runs") else 0
    if since is None:
        since = max(latest - 1, 0)
    elif since < 0 or since > latest:
        known = f"runs 1 to {latest}" if latest else "no runs yet (`diversion run` records one)"
        raise NoSuchRun(f"no run {since} in the run log; it holds {known} (--since 0 lists everything)")
    net = _net(engine, since)
    shown, hidden = _shown(net, settings.leads.threshold, show_all)
    last_changed = None
    if not net and latest:
        found = engine.scalar("SELECT max(run_id) FROM pipeline_runs WHERE changes > 0 AND run_id <= ?", [since])
        last_changed = int(found) if found else None
    return ChangeList(since, latest, list_runs(engine, since), shown, hidden, last_changed)


def _net(engine: Engine, since: int) -> list[tuple[int, Change]]:
    """The net change of every item changed after run ``since``, under today's entity ids."""
    if not engine.table_exists("run_changes"):
        return []
    rows = engine.fetch_all(
        "SELECT c.run_id, c.kind, coalesce(em.entity_id, c.entity_id), c.name, c.item, c.before, c.after "
        "FROM run_changes c LEFT JOIN entity_mentions em ON em.mention_id = 'm-' || substr(c.entity_id, 3) "
        "WHERE c.run_id > ? ORDER BY c.run_id, c.kind, c.entity_id, c.item", [since])
    first: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    last: dict[tuple[str, str, str], tuple[int, dict[str, Any] | None, str | None]] = {}
    for run, kind, eid, name, item, before, after in rows:
        key = (kind.split("_")[0], eid, item)
        if key not in first:
            first[key] = _json(before)
        last[key] = (run, _json(after), name)
    out = []
    for key, (run, after, name) in last.items():
        what, eid, item = key
        before = first[key]
        for side in (before, after):
            if side is not None and name is not None:
                side.setdefault("name", name)
        change = change_of(what, eid, item, before, after)
        if change is not None:
            out.append((run, change))
    return out


def _json(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else dict(value)


def _shown(net: list[tuple[int, Change]], threshold: float, show_all: bool) -> tuple[list[tuple[int, Change]], int]:
    """The changes to list, in order, and how many lead changes were left out."""
    with_lead = {c.entity_id for _, c in net if c.kind.startswith("lead_")}
    shown, hidden = [], 0
    for run, c in net:
        if c.kind.startswith("flag_") and c.entity_id in with_lead:
            continue  # the lead's own row shows the flag gained or lost
        if c.kind.startswith("lead_") and not show_all and not _notable(c, threshold):
            hidden += 1
            continue
        shown.append((run, c))
    shown.sort(key=lambda rc: _sort_key(rc[1]))
    return shown, hidden


def _notable(c: Change, threshold: float) -> bool:
    """A lead change a reviewer sees by default: a trade party at or above the threshold before or after."""
    return any(side is not None and side.get("section", "lead") == "lead" and side["score"] >= threshold
               for side in (c.before, c.after))


def _sort_key(c: Change) -> tuple[Any, ...]:
    rank = (c.after or c.before or {}).get("rank")
    return (_ORDER.get(c.kind.split("_")[0], 9), rank if rank is not None else 1 << 30, c.name or "", c.item)
