"""Browser walk-through in headless Debian Chromium (Playwright): search, entity, network, review, flows.

Screenshots go to ``test-artifacts/web/``. Needs the ``playwright`` package and
``/usr/bin/chromium`` (``apt-get install chromium fonts-wqy-zenhei``); never
downloads a browser.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from diversion.config import load_settings
from diversion.report.export import HEADLESS_ARGS
from diversion.web import create_app
from tests.web.case_network import AMEGINO, AMG, AMG_NAME, API_KEY

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = list(HEADLESS_ARGS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(case_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with an API key, served by uvicorn on a free loopback port in a thread."""
    import uvicorn

    copy = tmp_path_factory.mktemp("browser") / "case.duckdb"
    shutil.copy(case_db, copy)
    app = create_app(load_settings(environ={"DIVERSION_WEB__API_KEY": API_KEY}, db_path=copy))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium fonts-wqy-zenhei)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=server)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.on("request", lambda r: problems.append("external " + r.url) if not r.url.startswith(server) else None)
    pg.problems = problems
    yield pg
    context.close()


def shot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_search_entity_network_review(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.fill(".big-search input[name=q]", AMG_NAME)
    page.click(".big-search button")
    page.wait_for_selector("#results")
    shot(page, "1-search")
    first = page.locator("#results a.entity-link").first
    assert first.inner_text() == AMG_NAME

    first.click()
    page.wait_for_selector("#entity-name")
    assert page.inner_text("#entity-name") == AMG_NAME
    flags = page.locator(".entity-head .flag").all_inner_texts()
    assert "sanctioned" in flags and "military_end_user" in flags
    assert "OFAC SDN" in page.inner_text("#sanctions")
    page.wait_for_selector("#network[data-ready=true]")
    nodes = page.evaluate("window.diversionNetwork.nodes().map(n => [n.id(), n.data('sanctioned')])")
    assert [AMG, True] in nodes and [AMEGINO, False] in nodes
    shot(page, "2-entity-amg")

    # Sort the shipments by value and page on (server-side).
    page.click("#shipments th a:has-text('Value')")
    page.wait_for_url("**sort=value_usd**")
    page.click("#shipments .pager a[rel=next]")
    page.wait_for_url("**page=2**")
    assert "page 2 of 2" in page.inner_text("#shipments .pager")

    # Click through the network to the broker.
    page.wait_for_selector("#network[data-ready=true]")
    with page.expect_navigation():
        page.evaluate(f"() => {{ window.diversionNetwork.getElementById('{AMEGINO}').emit('tap'); }}")
    assert page.inner_text("#entity-name") == "Amegino FZE"
    assert "intermediary_surge" in page.locator(".entity-head .flag").all_inner_texts()
    page.wait_for_selector("#network[data-ready=true]")
    shot(page, "3-entity-broker")

    # Record a review decision with the API key.
    page.goto("/login")
    page.fill("input[name=api_key]", API_KEY)
    page.click("form.login button")
    page.wait_for_url("**/ui/review**")
    pairs_before = page.locator("article.pair").count()
    page.locator("article.pair").first.locator("input[name=reason]").fill("same INN in the registry")
    page.locator("article.pair").first.locator("button.same").click()
    page.wait_for_selector("#decisions")
    assert "Recorded: same." in page.inner_text(".notice")
    assert page.locator("article.pair").count() == pairs_before - 1
    assert "same INN in the registry" in page.inner_text("#decisions")
    shot(page, "4-review")
    assert page.problems == []


def test_leads_and_flows_dashboard(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/ui/leads?flag=intermediary_surge")
    assert page.locator("#leads tbody tr").count() == 1
    shot(page, "5-leads")
    page.goto("/ui/flows")
    page.wait_for_selector("#chart-origin[data-ready=true]")
    page.wait_for_selector("#chart-exporter[data-ready=true]")
    assert page.locator("#chart-origin .main-svg").count() > 0
    shot(page, "6-flows")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert "/match/{dataset}" in page.inner_text(".swagger-ui")
    shot(page, "7-api-docs")
    assert page.problems == []


def test_entity_page_network_uses_its_canvas_and_shipments_show_record_ids(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/ui/entities/{AMG}")
    page.wait_for_selector("#network[data-ready=true]")
    box = page.locator("#network").bounding_box()
    assert box and box["width"] > 500 and box["height"] >= 500
    drawn = page.evaluate("""() => { const cy = window.diversionNetwork, bb = cy.elements().renderedBoundingBox();
        return {w: bb.w / cy.width(), h: bb.h / cy.height(),
                amounts: cy.edges("[kind = 'trade']").map(e => e.data('amount')),
                labels: cy.nodes().map(n => [n.data('label'), n.data('short')])}; }""")
    # The drawing fills its canvas (it used to sit in a quarter of it) and trade edges carry amounts.
    assert drawn["w"] > 0.6 or drawn["h"] > 0.6, drawn
    assert drawn["amounts"] and all(a.startswith("£") for a in drawn["amounts"])
    # Hovering a node shows its full name, whatever its short label.
    page.evaluate(f"() => window.diversionNetwork.getElementById('{AMEGINO}').emit('mouseover')")
    assert page.inner_text("#network-tip").startswith("Amegino FZE")
    legend = page.inner_text("#network-legend")
    assert "sanctioned" in legend and "trade" in legend and "shipped on the order of" in legend
    shipments = page.locator("#shipments a.record-link")
    assert shipments.count() == 25 and shipments.first.inner_text().startswith("amegino-amg-")
    page.locator("#network").screenshot(path=str(ARTIFACTS / "8-entity-network.png"))
    shot(page, "8-entity-amg-full")
    with page.expect_navigation():
        shipments.first.click()
    assert page.inner_text("#record-id").startswith("Shipment amegino-amg-")
    assert page.problems == []
