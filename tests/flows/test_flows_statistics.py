"""Flows over trade statistics, mirror statistics with known figures, attribution that names no old partner new."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli.app import app
from diversion.config import load_settings
from diversion.detect import mirror_gap
from diversion.engine import DuckDBEngine
from diversion.errors import ConfigError
from diversion.flows import FlowQuery, compute_flows, make_filter, parse_period
from diversion.flows.mirror import compute_mirror, mirror_pairs
from diversion.sources import ingest_file

TRADE = Path(__file__).parents[1] / "data" / "trade"
HEADER = "Classification,Year,Trade Flow Code,Trade Flow,Reporter Code,Reporter,Partner Code,Partner," \
         "Commodity Code,Commodity,Trade Value (US$),Flag"
#: (year, reporter, flow, partner, code, value): machine tools through Kyrgyzstan, invented figures.
ROUTE = [
    (2021, "Germany", "Export", "Kyrgyzstan", "8458", 1_000_000), (2023, "Germany", "Export", "Kyrgyzstan", "8458",
                                                                    8_000_000),
    (2021, "Kyrgyzstan", "Import", "Germany", "8458", 1_100_000), (2023, "Kyrgyzstan", "Import", "Germany", "8458",
                                                                    2_000_000),
    (2021, "Japan", "Export", "Kyrgyzstan", "8458", 500_000), (2023, "Japan", "Export", "Kyrgyzstan", "8458",
                                                               2_000_000),
    (2021, "Kyrgyzstan", "Export", "Russian Federation", "8458", 200_000),
    (2023, "Kyrgyzstan", "Export", "Russian Federation", "8458", 7_500_000),
    (2021, "Germany", "Export", "Russian Federation", "8458", 5_000_000),
    (2023, "Germany", "Export", "Russian Federation", "8458", 300_000),
    (2021, "Germany", "Export", "Kazakhstan", "8458", 3_000_000), (2023, "Germany", "Export", "Kazakhstan", "8458",
                                                                   3_300_000),
    (2021, "Kazakhstan", "Export", "Russian Federation", "8458", 1_000_000),
    (2023, "Kazakhstan", "Export", "Russian Federation", "8458", 1_100_000),
    (2023, "Germany", "Export", "World", "8458", 99_000_000),  # an aggregate: never a pair
    (2023, "Germany", "Export", "Kyrgyzstan", "0101", 123),  # another commodity
]


def _route_file(tmp_path: Path) -> Path:
    codes = {"Import": 1, "Export": 2}
    lines = [HEADER] + [f"H5,{y},{codes[f]},{f},0,{r},0,{p},{c},x,{v},0" for y, r, f, p, c, v in ROUTE]
    path = tmp_path / "route.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def stats(engine) -> DuckDBEngine:
    for name in ("sstaple15_US-CNtrade_comtrade.csv", "hkhsieh_Trade_cal_comtrade.csv",
                 "shjain6670_IBE_China_comtrade.csv"):
        ingest_file(engine, "stats", TRADE / name, profile="comtrade")
    return engine


def test_us_china_imports_sum_to_the_import_figure_and_say_what_they_are(stats) -> None:
    r = compute_flows(stats, FlowQuery(source="statistics", by="importer_country", currency="USD",
                                       filter=make_filter(importer_countries=["US"], origins=["CN"])))
    assert [(x["period_label"], x["group"]) for x in r.series] == [("2017", "US")]
    assert r.series[0]["value"] == pytest.approx(526_022_013_512)
    assert r.period == "year" and r.series[0]["period"] == date(2017, 1, 1)
    assert r.source["kind"] == "statistics" and "reported by the importer" in r.source["note"]
    exports = compute_flows(stats, FlowQuery(source="statistics", flow="export", by="importer_country",
                                             currency="USD", filter=make_filter(origins=[])))
    assert {x["group"]: x["value"] for x in exports.series if x["period_label"] == "2017"}["CN"] == pytest.approx(
        129_893_514_886)


def test_aggregate_partners_stand_in_only_for_missing_countries(stats) -> None:
    r = compute_flows(stats, FlowQuery(source="statistics", by="origin", currency="USD",
                                       filter=make_filter(hs_codes=["8712"], importer_countries=["DE"])))
    assert {x["group"] for x in r.series} == {"aggregate:World"}  # World is all there is: labelled, not a country


def test_sitc_statistics_are_refused_for_hs_filters_with_the_reason(stats) -> None:
    with pytest.raises(ConfigError, match="cannot select SITC4 statistics.*SITC 84 is clothing"):
        compute_flows(stats, FlowQuery(source="statistics", currency="USD", classification="SITC",
                                       filter=make_filter(hs_codes=["84"])))
    china = compute_flows(stats, FlowQuery(source="statistics", currency="USD", classification="SITC",
                                           by="origin", filter=make_filter(importer_countries=["CN"])))
    assert china.source["classification"] == "SITC" and {x["group"] for x in china.series} == {
        "JP", "KR", "US", "DE", "HK"}
    # Without --classification, HS is read: the SITC rows never mix into HS figures.
    hs = compute_flows(stats, FlowQuery(source="statistics", currency="USD", filter=make_filter(
        importer_countries=["CN"], origins=["JP"])))
    assert hs.series == []


def test_levels_are_not_counted_twice(tmp_path: Path, engine) -> None:
    path = tmp_path / "levels.csv"
    rows = [("TOTAL", 1000), ("84", 600), ("8458", 250), ("845811", 200), ("85", 300)]
    path.write_text(HEADER + "\n" + "".join(f"H5,2023,1,Import,0,Kazakhstan,0,Germany,{c},x,{v},0\n"
                                            for c, v in rows), encoding="utf-8")
    ingest_file(engine, "stats", path, profile="comtrade")

    def total(*codes: str) -> float:
        r = compute_flows(engine, FlowQuery(source="statistics", by="total", currency="USD",
                                            filter=make_filter(hs_codes=list(codes))))
        return sum(x["value"] for x in r.series)

    assert total() == 1000  # TOTAL holds the rest
    assert total("84") == 600
    assert total("8458") == 250
    assert total("84", "85") == 900


def test_growth_attribution_never_calls_an_existing_partner_new(engine, make_shipments) -> None:
    """flows --before 2023 --after 2024: a partner that declined from $6.73m was shown as new."""
    make_shipments(
        engine,
        {"date": "2023-03-01", "value": 6_730_000.0, "exporter_name": "Old Partner"},
        {"date": "2024-03-01", "value": 50_000.0, "exporter_name": "Old Partner"},
        {"date": "2024-05-01", "value": 2_000_000.0, "exporter_name": "Newcomer"},
    )
    r = compute_flows(engine, FlowQuery(by="exporter", currency="USD", before=parse_period("2023"),
                                        after=parse_period("2024"), cutoff=date(2022, 2, 24)))
    new = {c["counterpart"]: c["is_new"] for c in r.attribution["counterparts"]}
    assert new == {"Old Partner": False, "Newcomer": True}
    assert r.before.label() == "2023" and r.after.label() == "2024"


def test_mirror_pairs_and_route_with_known_figures(tmp_path: Path, engine) -> None:
    ingest_file(engine, "stats", _route_file(tmp_path), profile="comtrade")
    result = compute_mirror(engine, make_filter(hs_codes=["8458"]), "USD", parse_period("2021"),
                            parse_period("2023"), "RU", ["KG", "KZ", "AM"])
    pair = next(p for p in result.pairs if (p.exporter, p.importer, p.period) == ("DE", "KG", "2023"))
    assert (pair.exports_reported, pair.imports_reported) == (8_000_000, 2_000_000)
    assert (pair.gap, pair.ratio) == (-6_000_000, 0.25)
    assert not any("aggregate" in p.importer or p.importer == "WLD" for p in result.pairs)
    routes = {r.hub: r for r in result.routes}
    kg = routes["KG"]
    assert (kg.inflow_before, kg.inflow_after) == (1_500_000, 10_000_000)  # DE and JP as they report exports
    assert (kg.outflow_before, kg.outflow_after, kg.outflow_factor) == (200_000, 7_500_000, 37.5)
    assert kg.sources == {"DE": (1_000_000, 8_000_000), "JP": (500_000, 2_000_000)}
    assert kg.rising(2.0) and not routes["KZ"].rising(2.0)
    assert "AM" not in routes  # no figures through Armenia


def test_mirror_pairs_is_pure_and_needs_both_sides() -> None:
    pairs = mirror_pairs([("DE", "KG", "export", "2023", 10.0), ("JP", "KG", "import", "2023", 4.0)])
    assert [(p.exporter, p.gap, p.ratio) for p in pairs] == [("DE", None, None), ("JP", None, None)]


def test_mirror_route_is_a_transshipment_finding_with_evidence(tmp_path: Path, engine) -> None:
    ingest_file(engine, "stats", _route_file(tmp_path), profile="comtrade")
    findings = mirror_gap.detect(engine, load_settings())
    assert [(f.detector, f.entity_id) for f in findings] == [("transshipment", "country:KG")]
    evidence = findings[0].evidence
    assert (evidence["before"], evidence["after"], evidence["outflow_after"]) == ("2021", "2023", 7_500_000)
    assert evidence["mirror_pairs"][0]["ratio"] == 0.25 and evidence["statistics_files"]
    slower = 10_000_000 / 1_500_000  # the inflow grew less than the outflow
    assert findings[0].score == pytest.approx(0.5 + 0.5 * math.log10(slower), abs=1e-4)


def test_flows_cli_statistics_and_mirror(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    runner = CliRunner()
    load = runner.invoke(app, ["ingest", "stats", str(_route_file(tmp_path)), "--profile", "comtrade", "--db", str(db)])
    assert load.exit_code == 0, load.output
    table = runner.invoke(app, ["flows", "--source", "statistics", "--by", "importer_country", "--currency", "USD",
                                "--db", str(db)])
    assert table.exit_code == 0, table.output
    assert "per year" in table.output and "2023" in table.output and "2023-01-01" not in table.output
    out = runner.invoke(app, ["flows", "--mirror", "--hs", "8458", "--before", "2021", "--after", "2023",
                              "--via", "KG", "--format", "json", "--db", str(db)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["currency"] == "USD" and data["routes"][0]["hub"] == "KG"
    sitc = runner.invoke(app, ["flows", "--source", "statistics", "--classification", "SITC", "--hs", "84",
                               "--currency", "USD", "--db", str(db)])
    assert sitc.exit_code != 0 and "--classification SITC: the statistics hold HS" in str(sitc.exception)
