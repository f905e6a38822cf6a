"""The HTML pages read through the read layer: one threshold, records by id, evidence as tables, synthetic marks."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.read.stages import mark_synthetic
from diversion.web import create_app
from tests.web.case_network import AMEGINO, AMG, TEST_ENV

PAGES = ["/", "/ui/leads", f"/ui/entities/{AMG}", "/ui/search?q=AMG", "/ui/flows", "/ui/review", "/login",
         "/ui/records/amegino-amg-000"]


def _app(path: Path, **environ: str) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(environ={**TEST_ENV, **environ}, db_path=path))) as c:
        yield c


@pytest.fixture
def strict(case_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The case app with a lead threshold that only the top two leads pass."""
    copy = tmp_path / "case.duckdb"
    shutil.copy(case_db, copy)
    yield from _app(copy, DIVERSION_LEADS__THRESHOLD="0.85")


@pytest.fixture
def synthetic(case_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The case app on a warehouse the demo marked synthetic."""
    copy = tmp_path / "demo.duckdb"
    shutil.copy(case_db, copy)
    with DuckDBEngine(copy) as engine:
        mark_synthetic(engine, "the diversion demo data set")
    yield from _app(copy)


def test_home_and_leads_apply_the_one_threshold(strict: TestClient) -> None:
    home = strict.get("/").text
    assert re.search(r"<b>2</b> leads at or above the threshold 0.85", home)
    assert home.count("/ui/entities/e-ele") == 0  # 0.80: below the threshold, not a top lead
    leads = strict.get("/ui/leads").text
    assert "e-amegino" in leads and "e-ele" not in leads
    every = strict.get("/ui/leads", params={"show": "all"}).text
    assert "e-ele" in every and 'class="below"' in every


def test_record_id_search_finds_the_shipment(client: TestClient) -> None:
    page = client.get("/ui/search", params={"q": "amegino-amg-003"}).text
    assert 'id="record-hit"' in page and "/ui/records/amegino-amg-003" in page
    record = client.get("/ui/records/amegino-amg-003").text
    assert "amegino-amg-003" in record and "line 18" in record  # its line in the (fixture) file
    assert f'href="/ui/entities/{AMEGINO}"' in record and f'href="/ui/entities/{AMG}"' in record
    # Findings that name the record are listed with it.
    assert "intermediary_surge" in client.get("/ui/records/amegino-amg-000").text
    assert client.get("/ui/records/no-such-record").status_code == 404


def test_entity_page_lists_shipments_with_record_ids_and_evidence_as_tables(client: TestClient) -> None:
    page = client.get(f"/ui/entities/{AMEGINO}").text
    shipments = page.split('id="shipments"')[1].split('id="counterparts"')[0]
    assert 'href="/ui/records/amegino-amg-029"' in shipments and "Record id" in shipments and "Value (GBP)" in shipments
    flags = page.split('id="flags"')[1].split('id="sanctions"')[0]
    assert "Shipments behind this flag" in flags and "<code>amegino-amg-000</code>" in flags
    assert "<pre>" not in flags and '{"' not in flags and "{&#34;" not in flags  # labelled tables, never JSON


def test_every_page_of_a_demo_warehouse_says_synthetic(synthetic: TestClient, client: TestClient) -> None:
    for url in PAGES:
        r = synthetic.get(url)
        assert r.status_code == 200, url
        assert "SYNTHETIC DATA" in r.text, url
        assert "SYNTHETIC DATA" not in client.get(url).text, url


def test_flows_page_defaults_to_the_report_currency(client: TestClient) -> None:
    page = client.get("/ui/flows").text
    assert 'name="currency" value="GBP"' in page and "£" in page
