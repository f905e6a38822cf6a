"""The seeds' figures come out of the generated files (summed in GBP through the shipped rates)."""

from __future__ import annotations

import pandas as pd
import pytest

EU = {"DE", "IT", "AT", "CZ", "FR", "ES", "PL"}


@pytest.fixture(scope="module")
def market(ships: pd.DataFrame) -> pd.DataFrame:
    mt = ships[ships["hs_code"].str[:4].between("8456", "8466") & (ships["importer_country"] == "RU")]
    return mt.pivot_table(index="month", columns="origin_country", values="gbp", aggfunc="sum").fillna(0.0)


def test_chinese_origin_machine_tools_rise_from_6_5m_to_68m(market: pd.DataFrame) -> None:
    assert market.loc["2022-02", "CN"] == pytest.approx(6.5e6, rel=0.02)
    assert market.loc["2023-07", "CN"] == pytest.approx(68e6, rel=0.02)


def test_china_share_12_percent_before_the_war_and_57_in_july_2023(market: pd.DataFrame) -> None:
    share = market["CN"] / market.sum(axis=1)
    prewar = share.loc["2021-01":"2022-02"]
    assert len(prewar) == 14
    assert prewar.between(0.115, 0.125).all()
    assert share.loc["2023-07"] == pytest.approx(0.57, abs=0.01)
    assert market.sum(axis=1).loc["2023-07"] == pytest.approx(68e6 / 0.57, rel=0.02)


def test_eu_shares_fall_while_taiwan_and_korea_continue(market: pd.DataFrame) -> None:
    eu = market[[c for c in market.columns if c in EU]].sum(axis=1) / market.sum(axis=1)
    assert eu.loc["2021-01":"2022-01"].mean() > 0.4
    assert eu.loc["2023-01":"2023-12"].mean() < 0.12
    for origin in ("TW", "KR"):
        ratio = market.loc["2023-01":"2023-12", origin].mean() / market.loc["2021-01":"2021-12", origin].mean()
        assert 0.7 < ratio < 1.6, origin


def test_importer_figures_and_all_growth_through_the_two_intermediaries(ships: pd.DataFrame, truth: dict) -> None:
    importer = truth["roles"]["importer"][0]
    names = set(importer["aliases_used"])
    rows = ships[ships["importer_name"].isin(names)].copy()
    assert set(rows["importer_id"]) - {""} == {importer["inn"]}
    rows["year"] = rows["month"].str[:4]
    by_year = rows.groupby("year")["gbp"].sum()
    assert by_year["2021"] == pytest.approx(490_000, rel=0.02)
    assert by_year["2023"] == pytest.approx(40e6, rel=0.02)
    assert 2e6 < by_year["2022"] < by_year["2023"]
    official = set(truth["roles"]["official_supplier"][0]["aliases_used"])
    middle = {n for role in ("broker", "front") for n in truth["roles"][role][0]["aliases_used"]}
    by_kind = rows.assign(kind=rows["exporter_name"].map(lambda n: "official" if n in official
                                                          else ("middle" if n in middle else "other")))
    table = by_kind.pivot_table(index="year", columns="kind", values="gbp", aggfunc="sum").fillna(0.0)
    assert table.loc["2021", "official"] == pytest.approx(490_000, rel=0.02)
    assert table.loc["2023"].get("official", 0.0) == 0.0
    assert table.loc["2023"].get("other", 0.0) == 0.0
    growth = by_year["2023"] - by_year["2021"]
    assert table.loc["2023", "middle"] - table.loc["2021"].get("middle", 0.0) >= growth


def test_official_supplier_stops_after_february_2022(ships: pd.DataFrame, truth: dict) -> None:
    official = set(truth["roles"]["official_supplier"][0]["aliases_used"])
    months = ships.loc[ships["exporter_name"].isin(official), "month"]
    assert months.max() <= "2022-02"


def test_front_ships_used_machines_made_2001_and_2005_via_china(ships: pd.DataFrame, truth: dict) -> None:
    front = set(truth["roles"]["front"][0]["aliases_used"])
    rows = ships[ships["exporter_name"].isin(front)]
    assert {"2001", "2005"} <= set(rows["manufacture_year"])
    assert set(rows["origin_country"]) == {"JP"}
    assert set(rows["dispatch_country"]) == {"CN"}


def test_broker_organised_front_shipments_worth_2_2m_early_2023(ships: pd.DataFrame, truth: dict) -> None:
    front = set(truth["roles"]["front"][0]["aliases_used"])
    rows = ships[ships["exporter_name"].isin(front) & (ships["trading_country"] == "AE")]
    assert rows["gbp"].sum() == pytest.approx(2.2e6, rel=0.02)
    assert rows["month"].max() <= "2023-03"
