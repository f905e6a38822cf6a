"""``diversion changes`` on the demo: a list update shows as the new match, then as the changed lead; nothing else.

Through the CLI, as a user runs it: demo (run 1), a sanctions-list entry that
names an existing trade party, ``resolve`` alone (run 2: the new match),
``run`` (run 3: the party's lead gains ``sanctioned``), an unchanged ``run``
(run 4: nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.read.changes import NoSuchRun
from tests.detect.test_carry import CARRIED

pytestmark = pytest.mark.slow


def _cli(*args: str) -> str:
    out = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})  # wide: a table cell in one line
    assert out.exit_code == 0, out.output
    return out.output


def _changes(db: Path, *args: str) -> list[dict[str, Any]]:
    return json.loads(_cli("changes", "--db", str(db), "--format", "json", *args))


def _party(db: Path) -> tuple[str, str, str]:
    """A trade party mid-list with no sanctions link: name, country, entity id."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT name, country, entity_id FROM leads WHERE section = 'lead' AND rank >= 15 "
            "AND flags NOT LIKE '%sanction%' AND entity_id NOT IN (SELECT entity_id FROM sanctions_matches) "
            "AND regexp_matches(name, '^[A-Za-z]') ORDER BY rank LIMIT 1").fetchone()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("changes")
    db = root / "w.duckdb"
    _cli("demo", "--out", str(root / "demo"), "--db", str(db))
    name, country, old_id = _party(db)
    listing = root / "update.ftm.json"
    listing.write_text(json.dumps({
        "id": "NK-update-1", "caption": name, "schema": "Company", "datasets": ["us_ofac_sdn"], "target": True,
        "properties": {"name": [name], "country": [country.lower()], "topics": ["sanction"]},
        "first_seen": "2025-01-10T00:00:00", "last_seen": "2025-01-10T00:00:00",
    }) + "\n", encoding="utf-8")
    _cli("ingest", "sanctions", str(listing), "--db", str(db))
    _cli("resolve", "--db", str(db))
    after_resolve = _changes(db)
    _cli("run", "--db", str(db))
    after_run = _changes(db)
    both = _changes(db, "--since", "1")
    again = _cli("run", "--db", str(db))
    return {"db": db, "name": name, "old_id": old_id, "after_resolve": after_resolve, "after_run": after_run,
            "both": both, "unchanged": _changes(db), "unchanged_all": _changes(db, "--all"), "again": again}


def test_a_list_update_alone_lists_exactly_the_new_match(runs: dict[str, Any]) -> None:
    [match] = runs["after_resolve"]
    assert match["kind"] == "match_new" and match["item"] == "NK-update-1" and match["name"] == runs["name"]
    assert match["run_id"] == 2


def test_the_next_run_lists_exactly_the_changed_lead(runs: dict[str, Any]) -> None:
    [lead] = runs["after_run"]
    assert lead["kind"] == "lead_changed" and lead["run_id"] == 3
    # The party keeps its history though the listed mention gave its entity a new id.
    assert lead["entity_id"] == runs["after_resolve"][0]["entity_id"]
    assert "sanctioned" in lead["after"]["flags"] and "sanctioned" not in lead["before"]["flags"]
    assert lead["after"]["score"] > lead["before"]["score"] and lead["after"]["rank"] < lead["before"]["rank"]
    assert "new flag sanctioned" in lead["summary"]


def test_since_a_run_lists_the_match_and_the_lead_together(runs: dict[str, Any]) -> None:
    assert [(c["kind"], c["entity_id"]) for c in runs["both"]] == [
        ("match_new", runs["after_run"][0]["entity_id"]), ("lead_changed", runs["after_run"][0]["entity_id"])]


def test_an_unchanged_run_lists_nothing(runs: dict[str, Any]) -> None:
    assert runs["unchanged"] == [] and runs["unchanged_all"] == []
    # ... and its detection carried the findings of the detectors that carry over (none made again)
    with duckdb.connect(str(runs["db"]), read_only=True) as con:
        carried = con.execute("SELECT count(*) FROM findings WHERE detector IN (SELECT unnest(?))",
                              [list(CARRIED)]).fetchone()[0]
    assert carried and f"({carried:,} carried over unchanged)" in runs["again"]


def test_every_run_is_logged_with_its_stages_and_counts(runs: dict[str, Any]) -> None:
    logged = json.loads(_cli("changes", "--db", str(runs["db"]), "--runs", "--format", "json"))
    assert [(r["run_id"], r["command"], r["status"], r["changes"]) for r in logged] == [
        (1, "demo", "finished", logged[0]["changes"]), (2, "resolve", "finished", 1), (3, "run", "finished", 2),
        (4, "run", "finished", 0)]  # run 3 logs the new flag and the lead; the listing shows the flag in the lead
    assert logged[0]["changes"] > 0  # the first run finds every lead new
    assert logged[2]["stages"] == "resolve;graph;detect;leads"
    assert logged[3]["counts"]["sanctions_matches"] == logged[0]["counts"]["sanctions_matches"] + 1


def test_since_names_a_run_the_log_holds(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["changes", "--since", "99", "--db", str(tmp_path / "new.duckdb")])
    assert isinstance(out.exception, NoSuchRun) and "no run 99" in str(out.exception), out.output
