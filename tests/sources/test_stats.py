"""Trade statistics: the real Comtrade files with their profile, Comtrade's current and Comext layouts, aggregates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from diversion.errors import ConfigError, SourceError
from diversion.sources import ParseOptions, ingest_file
from diversion.sources.stats import parse_stats

TRADE = Path(__file__).parents[1] / "data" / "trade"
SID = "d" * 64

#: Comtrade's current layout (comtradeapicall / comtradeplus downloads); figures invented.
PLUS_HEADER = ("typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,flowCode,"
               "flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,classificationCode,"
               "classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,aggrLevel,isLeaf,customsCode,"
               "customsDesc,mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,qty,isQtyEstimated,altQtyUnitCode,"
               "altQtyUnitAbbr,altQty,isAltQtyEstimated,netWgt,isNetWgtEstimated,grossWgt,isGrossWgtEstimated,"
               "cifvalue,fobvalue,primaryValue,legacyEstimationFlag,isReported,isAggregate")


def _plus_row(period: str, reporter: tuple[str, str, str], flow: tuple[str, str], partner: tuple[str, str, str],
              cmd: str, level: str, value: str, mot: str = "0") -> str:
    return ",".join([
        "C", "M" if len(period) == 6 else "A", period + "01" if len(period) == 6 else period + "0101", period[:4],
        period[4:] or "52", period, *reporter, *flow, *partner, "0", "W00", "World", "H6", "HS", "true", cmd,
        f'"Commodity {cmd}"', level, "true", "C00", "TOTAL CPC", "0", mot, "TOTAL MOT", "8", "kg", "10", "false",
        "-1", "N/A", "0", "false", "1000", "false", "", "false", "", "", value, "0", "true", "false",
    ])


def _load(engine, path: Path, profile: str | None = "comtrade", mapping: Path | None = None):
    result = ingest_file(engine, "stats", path, profile=profile, mapping=mapping)
    row = engine.fetch_dicts("SELECT * FROM sources WHERE source_id = ?", [result.source_id])[0]
    assert row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"] + row["rows_duplicate"]
    return result


@pytest.mark.parametrize("name", ["sstaple15_US-CNtrade_comtrade.csv", "hkhsieh_Trade_cal_comtrade.csv",
                                  "shjain6670_IBE_China_comtrade.csv"])
def test_every_real_comtrade_file_loads_whole_with_its_profile(engine, name: str) -> None:
    result = _load(engine, TRADE / name)
    assert result.rows_quarantined == 0 and result.rows_loaded == result.rows_read > 0


def test_us_china_imports_are_the_import_figure_and_chapters_keep_their_zero(engine) -> None:
    _load(engine, TRADE / "sstaple15_US-CNtrade_comtrade.csv")
    by_flow = dict(engine.fetch_all("SELECT flow, sum(value) FROM trade_stats GROUP BY flow"))
    assert by_flow["import"] == pytest.approx(526_022_013_512)
    assert set(by_flow) == {"import", "export", "re-export"}
    codes = {r[0] for r in engine.fetch_all("SELECT DISTINCT commodity_code FROM trade_stats")}
    assert {"01", "09", "84", "97"} <= codes and not {c for c in codes if len(c) != 2}
    assert engine.fetch_all("SELECT DISTINCT reporter, partner, period, period_kind, classification, currency "
                            "FROM trade_stats") == [("US", "CN", date(2017, 1, 1), "year", "HS2017", "USD")]


def test_aggregate_partners_and_reporters_are_kept_as_aggregates(engine) -> None:
    _load(engine, TRADE / "hkhsieh_Trade_cal_comtrade.csv")
    partners = engine.fetch_all("SELECT DISTINCT partner, partner_name, partner_aggregate FROM trade_stats")
    assert partners == [("WLD", "World", True)]  # 1,302 of 1,302 rows, none quarantined
    other_asia = engine.fetch_all("SELECT DISTINCT reporter, reporter_aggregate FROM trade_stats "
                                  "WHERE reporter_name = 'Other Asia, nes'")
    assert other_asia == [("OAS", True)]  # no ISO code, never a country
    assert engine.scalar("SELECT count(*) FROM trade_stats WHERE NOT reporter_aggregate AND length(reporter) <> 2") == 0
    flows = dict(engine.fetch_all("SELECT flow, count(*) FROM trade_stats GROUP BY flow"))
    assert flows == {"import": 610, "export": 530, "re-export": 110, "re-import": 52}
    assert engine.fetch_all("SELECT DISTINCT period_kind FROM trade_stats") == [("year",)]


def test_sitc_file_keeps_its_classification(engine) -> None:
    _load(engine, TRADE / "shjain6670_IBE_China_comtrade.csv")
    assert engine.fetch_all("SELECT DISTINCT classification FROM trade_stats") == [("SITC4",)]
    assert engine.scalar("SELECT count(*) FROM trade_stats WHERE commodity_code = '00'") == 49


def test_reload_is_idempotent(tmp_path: Path, engine) -> None:
    first = _load(engine, TRADE / "sstaple15_US-CNtrade_comtrade.csv")
    again = _load(engine, TRADE / "sstaple15_US-CNtrade_comtrade.csv")
    assert again.already_loaded
    copy = tmp_path / "copy.csv"
    copy.write_bytes((TRADE / "sstaple15_US-CNtrade_comtrade.csv").read_bytes() + b"\r\n")
    third = _load(engine, copy)
    assert (third.rows_loaded, third.rows_duplicate) == (0, first.rows_loaded)
    assert engine.count("trade_stats") == 290


def test_comtrade_current_layout(tmp_path: Path, engine) -> None:
    us, kg, wld = ("842", "USA", "USA"), ("417", "KGZ", "Kyrgyzstan"), ("0", "W00", "World")
    lines = [
        PLUS_HEADER,
        _plus_row("202304", kg, ("M", "Import"), ("276", "DEU", "Germany"), "8458", "4", "250000"),
        _plus_row("202304", kg, ("M", "Import"), ("276", "DEU", "Germany"), "8458", "4", "100000", mot="2100"),
        _plus_row("202304", kg, ("X", "Export"), ("643", "RUS", "Russian Federation"), "8458", "4", "240000"),
        _plus_row("202304", kg, ("RX", "Re-export"), ("643", "RUS", "Russian Federation"), "101", "4", "5000"),
        _plus_row("2023", us, ("M", "Import"), wld, "TOTAL", "0", "3.1E+12"),
        _plus_row("2023", us, ("M", "Import"), ("490", "S19", '"Other Asia, nes"'), "84", "2", "1000"),
        _plus_row("2023", us, ("Q", "Sideways"), ("156", "CHN", "China"), "84", "2", "1000"),
    ]
    path = tmp_path / "TradeData_2023.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _load(engine, path, profile="comtrade-plus")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 5, 2)
    assert result.quarantine_reasons == {
        "motCode: left out by the mapping's keep (motCode in (, 0))": 1,
        "flow: not a trade flow (expected import, export, re-export, re-import, or their codes 1-4, M, X, RX, RM)": 1,
    }
    rows = engine.fetch_dicts("SELECT reporter, partner, partner_aggregate, flow, commodity_code, period, period_kind, "
                              "value FROM trade_stats ORDER BY line")
    assert rows[0] == {"reporter": "KG", "partner": "DE", "partner_aggregate": False, "flow": "import",
                       "commodity_code": "8458", "period": date(2023, 4, 1), "period_kind": "month", "value": 250000.0}
    assert rows[2]["flow"] == "re-export" and rows[2]["commodity_code"] == "0101"  # level 4: zero restored
    assert (rows[3]["partner"], rows[3]["partner_aggregate"], rows[3]["commodity_code"]) == ("WLD", True, "TOTAL")
    assert (rows[3]["period"], rows[3]["period_kind"], rows[3]["value"]) == (date(2023, 1, 1), "year", 3.1e12)
    assert (rows[4]["partner"], rows[4]["partner_aggregate"]) == ("OAS", True)


def test_comext_bulk_and_sdmx_layouts(tmp_path: Path, engine) -> None:
    bulk = tmp_path / "full_v2_202352.dat"
    bulk.write_text(
        "REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,PRODUCT_BEC,PRODUCT_BEC5,"
        "PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT\n"
        "DE,KG,E,84581100,73111,2841,2841,410,41,16,2,1,p/st,202352,1200000,1200000,9000,3\n"
        "DE,KZ,E,84581100,73111,2841,2841,410,41,16,2,1,p/st,202304,300000,300000,2500,1\n"
        "EL,QU,E,84589100,73111,2841,2841,410,41,16,2,1,NO_SU,202304,5000,5000,10,0\n"
        "DE,CN,E,99XXXXXX,,,,,,,2,1,NO_SU,202304,77000,77000,0,0\n"
        "FR,CN,E,84581100,73111,2841,2841,410,41,16,1,1,p/st,202305,400000,400000,3000,2\n",
        encoding="utf-8",
    )
    result = _load(engine, bulk, profile="comext")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 4, 1)
    reasons = list(result.quarantine_reasons)
    assert reasons[0].startswith("commodity_code: not a commodity code")  # 99XXXXXX: confidential
    rows = engine.fetch_dicts("SELECT reporter, partner, partner_aggregate, flow, classification, period, "
                              "period_kind, currency, net_weight_kg FROM trade_stats ORDER BY line")
    assert rows[0] == {"reporter": "DE", "partner": "KG", "partner_aggregate": False, "flow": "export",
                       "classification": "CN", "period": date(2023, 1, 1), "period_kind": "year", "currency": "EUR",
                       "net_weight_kg": 9000.0}
    assert (rows[2]["reporter"], rows[2]["partner"], rows[2]["partner_aggregate"]) == ("GR", "NSP", True)
    assert rows[3]["flow"] == "import"
    sdmx = tmp_path / "ds-045409.csv"
    sdmx.write_text(
        "DATAFLOW,LAST UPDATE,freq,reporter,partner,product,flow,indicators,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:DS-045409(1.0),15/01/24 23:00:00,M,IT,AM,8458,2,VALUE_IN_EUROS,2023-04,81000,\n"
        "ESTAT:DS-045409(1.0),15/01/24 23:00:00,M,IT,AM,8458,2,QUANTITY_IN_100KG,2023-04,12,\n"
        "ESTAT:DS-045409(1.0),15/01/24 23:00:00,M,EU27_2020,AM,8458,2,VALUE_IN_EUROS,2023-04,95000,\n",
        encoding="utf-8",
    )
    result = _load(engine, sdmx, profile="comext")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    eu = engine.fetch_all("SELECT reporter, reporter_aggregate, value FROM trade_stats WHERE partner = 'AM' "
                          "ORDER BY value")
    assert eu == [("IT", False, 81000.0), ("EU", True, 95000.0)]


def test_bad_rows_are_quarantined_with_a_reason(tmp_path: Path, engine) -> None:
    path = tmp_path / "stats.csv"
    path.write_text(
        "reporter,partner,flow,commodity_code,period,value\n"
        "Kazakhstan,Russia,export,8458,2023,100\n"
        "Atlantis,Russia,export,8458,2023,100\n"
        "Kazakhstan,,export,8458,2023,100\n"
        "Kazakhstan,Russia,export,84x,2023,100\n"
        "Kazakhstan,Russia,export,8458,Q3-2023,100\n"
        "Kazakhstan,Russia,export,8458,2023,-5\n"
        "Kazakhstan,Russia,export,8458,2022,100,extra\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("classification: HS\ncurrency: USD\ncolumns:\n  reporter: reporter\n", encoding="utf-8")
    result = _load(engine, path, profile=None, mapping=mapping)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 1, 6)
    reasons = dict(engine.fetch_all("SELECT line, reason FROM quarantine"))
    assert reasons[3] == "reporter: not a known country or aggregate (World, Areas nes...)"
    assert reasons[4] == "partner: missing"
    assert reasons[5].startswith("commodity_code: not a commodity code")
    assert reasons[6].startswith("period: not a period")
    assert reasons[7] == "value: negative"
    assert reasons[8] == "row: too many fields (expected 6)"


def test_a_layout_is_required_and_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--profile comtrade, comtrade-plus or comext"):
        parse_stats(TRADE / "hkhsieh_Trade_cal_comtrade.csv", ParseOptions(SID))
    with pytest.raises(ConfigError, match="unknown profile"):
        parse_stats(TRADE / "hkhsieh_Trade_cal_comtrade.csv", ParseOptions(SID, profile="wits"))
    with pytest.raises(SourceError, match="comext layout"):
        parse_stats(TRADE / "hkhsieh_Trade_cal_comtrade.csv", ParseOptions(SID, profile="comext"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text("classification: HS\ncolumns:\n  Reporter ISO: reporter\n  Partner ISO: partner\n"
                       "  Trade Flow: flow\n  Commodity Code: commodity_code\n  Year: period\n"
                       "  Trade Value (US$): value\n", encoding="utf-8")
    with pytest.raises(SourceError, match="currency"):
        parse_stats(TRADE / "hkhsieh_Trade_cal_comtrade.csv", ParseOptions(SID, mapping=mapping))
