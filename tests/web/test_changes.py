"""``/changes`` and ``/ui/changes``: the run log's delta, as ``diversion changes`` lists it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.runs import recorded_run
from diversion.web import create_app
from tests.web.case_network import AMEGINO, TEST_ENV


@pytest.fixture
def updated(case_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The case warehouse after two recorded runs: an unchanged one, then one where Amegino is newly listed."""
    copy = tmp_path / "case.duckdb"
    shutil.copy(case_db, copy)
    with DuckDBEngine(copy) as engine:
        with recorded_run(engine, "run") as log, log.stage("resolve"), log.stage("leads"):
            pass
        with recorded_run(engine, "run") as log:
            with log.stage("resolve"):
                engine.insert_arrow("sanctions_matches", pa.Table.from_pylist([{
                    "entity_id": AMEGINO, "sanction_entity_id": "ofac-3003", "list_name": "OFAC SDN",
                    "programs": ["RUSSIA-EO14024"], "listing_date": date(2024, 2, 23), "score": 0.99,
                    "matched_name": "AMEGINO FZE", "explanation": "same name"}]))
            with log.stage("leads"):
                engine.execute("UPDATE leads SET score = 0.97, flags = 'sanctioned;' || flags WHERE entity_id = ?",
                               [AMEGINO])
    with TestClient(create_app(load_settings(environ=TEST_ENV, db_path=copy))) as c:
        yield c


def test_api_lists_the_latest_runs_changes(updated: TestClient) -> None:
    body = updated.get("/changes").json()
    assert (body["since"], body["latest"]) == (1, 2)
    got = [(r["kind"], r["entity_id"], r["item"]) for r in body["results"]]
    assert got == [("match_new", AMEGINO, "ofac-3003"), ("lead_changed", AMEGINO, "")]
    lead = body["results"][1]
    assert lead["before"]["score"] == 0.86 and lead["after"]["score"] == 0.97
    assert "new flag sanctioned" in lead["summary"]
    assert updated.get("/changes", params={"since": 2}).json()["results"] == []
    assert updated.get("/changes", params={"since": 9}).status_code == 404


def test_page_shows_the_same_list(updated: TestClient) -> None:
    page = updated.get("/ui/changes")
    assert page.status_code == 200
    assert "ofac-3003" in page.text and "score 0.86 → 0.97" in page.text and "Amegino FZE" in page.text
    empty = updated.get("/ui/changes", params={"since": 2})
    assert 'id="nothing"' in empty.text and "ofac-3003" not in empty.text
    assert updated.get("/ui/changes", params={"since": 9}).status_code == 404


def test_a_warehouse_without_runs_says_so(client: TestClient) -> None:
    assert client.get("/changes").json() == {"since": 0, "latest": 0, "hidden": 0, "results": []}
    assert "No runs recorded yet" in client.get("/ui/changes").text
