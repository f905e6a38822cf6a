"""Open the report in headless Debian Chromium: every chart renders, nothing leaves the machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from diversion.config import load_settings
from diversion.report import build_report
from diversion.report.export import HEADLESS_ARGS

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = list(HEADLESS_ARGS)
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "report"


def check_report_in_browser(html: Path, shots: Path, prefix: str) -> dict[str, int]:
    """Load ``html``, assert charts drew and no request went off the machine; save screenshots."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    shots.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0", timeout=30_000)
        page.wait_for_timeout(500)
        charts = page.eval_on_selector_all(
            "figure.chart",
            """figs => figs.map(f => {
                 const MARKS = 'svg .trace, svg path.bars, svg .point, svg .sankey-node, canvas';
                 const plot = f.querySelector('.js-plotly-plot');
                 const marks = plot ? plot.querySelectorAll(MARKS).length : 0;
                 const box = plot ? plot.getBoundingClientRect() : {width: 0, height: 0};
                 return {slug: f.dataset.chart, marks: marks, w: box.width, h: box.height};
               })""",
        )
        page.screenshot(path=str(shots / f"{prefix}-full.png"), full_page=True)
        for i, section in enumerate(["#summary", "#leads", "#dossiers", "#flows", "#method"]):
            page.locator(section).scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{prefix}-{i}-{section[1:]}.png"))
        for c in charts:
            page.locator(f"figure[data-chart='{c['slug']}']").screenshot(
                path=str(shots / f"{prefix}-chart-{c['slug']}.png")
            )
        browser.close()
    assert not errors, errors
    off_machine = [u for u in requests if not u.startswith(("file://", "data:", "about:", "blob:"))]
    assert not off_machine, off_machine
    assert charts
    for c in charts:
        assert c["marks"] > 0 and c["w"] > 200 and c["h"] > 200, c
    return {c["slug"]: c["marks"] for c in charts}


def test_report_opens_offline_and_every_chart_renders(case_engine, tmp_path):
    result = build_report(case_engine, load_settings(environ={}), tmp_path / "out", png=False)
    drawn = check_report_in_browser(result.html, ARTIFACTS, "fixture")
    assert set(drawn) == set(result.charts)
    assert {
        "flows_monthly_by_origin",
        "flows_origin_shares",
        "flows_growth_attribution",
        "flows_sankey",
        "lead1_timeline",
        "lead1_network",
    } <= set(drawn)


def test_pdf_is_printed_when_chromium_exists(case_engine, tmp_path):
    if not shutil.which("chromium"):
        pytest.skip("no chromium")
    result = build_report(case_engine, load_settings(environ={}), tmp_path / "out", top=1, pdf=True, png=True)
    assert result.pdf is not None and result.pdf.read_bytes()[:5] == b"%PDF-"
    assert len(result.pngs) == len(result.charts)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in result.pngs)


@pytest.mark.slow
def test_demo_report_in_browser(tmp_path):
    """The demo through resolve and leads, then the report: charts drawn, the seeds' figures in the summary."""
    demo = pytest.importorskip("diversion.demo")
    from typer.testing import CliRunner

    from diversion.cli import app
    from diversion.engine import DuckDBEngine

    files = demo.generate_demo(tmp_path / "files", scale=1, seed=7)
    db = tmp_path / "demo.duckdb"
    engine = DuckDBEngine(db)
    demo.load_demo(engine, files)
    engine.close()
    runner = CliRunner()
    for command in (["resolve"], ["graph"], ["detect"], ["leads"]):  # each stage in turn: none runs another silently
        r = runner.invoke(app, [*command, "--db", str(db)])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", "--db", str(db), "--out", str(tmp_path / "out"), "--no-png"])
    assert r.exit_code == 0, r.output
    html = tmp_path / "out" / "report.html"
    text = html.read_text(encoding="utf-8")
    # Summary: China £6.50m (Feb 2022) → £68.0m (Jul 2023), 12% → 57%; AMG £490k (2021) → £40.0m (2023).
    for figure in ("£6.50m", "£68.0m", "<b>12%</b>", "<b>57%</b>", "£490k", "£40.0m"):
        assert figure in text, figure
    assert "SYNTHETIC DATA" in text and "<tr class=\"cut\">" in text
    assert (tmp_path / "out" / "evidence.csv").read_text(encoding="utf-8").count("\n") > 20
    drawn = check_report_in_browser(html, ARTIFACTS, "demo")
    assert {"flows_monthly_by_origin", "flows_origin_shares", "flows_growth_attribution", "flows_sankey"} <= set(drawn)
    assert any(slug.endswith("_network") for slug in drawn)


def test_report_prints_on_a4_without_toolbars_with_titles_that_fit(case_engine, tmp_path):
    """Print view at A4 width: no chart toolbar, every chart title inside its chart, no table wider than the page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from diversion.read.stages import mark_synthetic

    mark_synthetic(case_engine, "the diversion demo data set")
    result = build_report(case_engine, load_settings(environ={}), tmp_path / "out", png=False, pdf=True)
    pdf = result.pdf.read_bytes() if result.pdf else b""
    assert b"/MediaBox [0 0 594.95996 841.91998]" in pdf  # A4, not US Letter
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
        page.goto(result.html.resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length > 0", timeout=30_000)
        page.emulate_media(media="print")
        page.wait_for_timeout(800)
        checks = page.evaluate("""() => ({
            modebars: document.querySelectorAll('.modebar').length,
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            titles: [...document.querySelectorAll('figure.chart')].map(f => {
                const svg = f.querySelector('svg.main-svg'), t = f.querySelector('.gtitle');
                if (!svg || !t) return null;
                const a = svg.getBoundingClientRect(), b = t.getBoundingClientRect();
                return {slug: f.dataset.chart, inside: b.top >= a.top - 1 && b.left >= a.left - 1
                        && b.right <= a.right + 1 && b.bottom <= a.bottom + 1};
            }).filter(Boolean),
            banner: document.querySelector('.synthetic') ? document.querySelector('.synthetic').innerText : ''})""")
        page.locator("#lead1").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "print-a4-dossier.png"))
        browser.close()
    assert checks["modebars"] == 0
    assert checks["overflow"] <= 2, checks["overflow"]
    outside = [t for t in checks["titles"] if not t["inside"]]
    assert checks["titles"] and not outside, outside
    assert checks["banner"].startswith("SYNTHETIC DATA")
