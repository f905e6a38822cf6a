"""Flow statistics on tiny fixture warehouses: conversion, filters, shares, growth and attribution."""

from __future__ import annotations

from datetime import date

import pytest

from diversion.errors import ConfigError
from diversion.flows import FlowQuery, compute_flows, make_filter, parse_period, series_sql
from diversion.flows.queries import Period

CUT = date(2022, 2, 24)


def by_key(series, period, group):
    return next(r for r in series if str(r["period"]) == period and r["group"] == group)


def test_values_convert_month_by_month_and_native_currency_is_kept(engine, make_shipments, make_rates):
    make_rates(engine, "GBP", 0.8, ["2021-01"])
    make_rates(engine, "GBP", 0.5, ["2021-02"])
    make_rates(engine, "EUR", 0.9, ["2021-01", "2021-02"])
    make_shipments(
        engine,
        {"date": "2021-01-05", "value": 100.0},
        {"date": "2021-02-05", "value": 100.0},
        {"date": "2021-02-06", "value": 90.0, "currency": "EUR", "origin_country": "DE"},
        {"date": "2021-02-07", "value": 7.0, "currency": "GBP", "origin_country": "JP"},
    )
    r = compute_flows(engine, FlowQuery(currency="GBP"))
    assert r.currency == "GBP" and r.unconverted == 0
    assert by_key(r.series, "2021-01-01", "CN")["value"] == pytest.approx(80.0)
    assert by_key(r.series, "2021-02-01", "CN")["value"] == pytest.approx(50.0)
    assert by_key(r.series, "2021-02-01", "DE")["value"] == pytest.approx(50.0)  # 90 EUR = 100 USD = 50 GBP
    assert by_key(r.series, "2021-02-01", "JP")["value"] == pytest.approx(7.0)
    assert by_key(r.series, "2021-02-01", "JP")["share"] == pytest.approx(7 / 107)
    usd = compute_flows(engine, FlowQuery(currency="usd"))
    assert usd.currency == "USD" and by_key(usd.series, "2021-02-01", "DE")["value"] == pytest.approx(100.0)


def test_rows_without_a_rate_are_counted_not_guessed(engine, make_shipments, make_rates):
    make_rates(engine, "GBP", 0.8, ["2021-01"])
    make_shipments(
        engine,
        # The ECB never quoted the dirham, so neither the rates table nor the shipped reference converts it.
        {"date": "2021-01-05", "value": 100.0, "currency": "AED", "value_usd": None},
        {"date": "2021-01-06", "value": 10.0},
    )
    r = compute_flows(engine, FlowQuery(currency="GBP"))
    assert r.unconverted == 1
    assert by_key(r.series, "2021-01-01", "CN")["value"] == pytest.approx(8.0)


def test_unknown_currency_names_the_fix(engine, make_shipments):
    make_shipments(engine, {"date": "2021-01-05", "value": 1.0})
    with pytest.raises(ConfigError, match="ingest rates"):
        compute_flows(engine, FlowQuery(currency="AED"))
    with pytest.raises(ConfigError, match="three-letter"):
        compute_flows(engine, FlowQuery(currency="pounds"))


def test_filters_combine(engine, make_shipments):
    make_shipments(
        engine,
        {
            "date": "2021-01-05",
            "value": 1.0,
            "hs_code": "8458110000",
            "brand": "Tsugami",
            "importer_name": "AMG-Stanki",
        },
        {"date": "2021-01-05", "value": 2.0, "hs_code": "8501100000", "brand": "TSUGAMI"},
        {"date": "2021-01-05", "value": 4.0, "hs_code": "8542310000", "origin_country": "TW"},
        {"date": "2022-01-05", "value": 8.0, "hs_code": "8466930000", "dispatch_country": "AE"},
    )

    def total(**kw):
        return sum(
            r["value"] for r in compute_flows(engine, FlowQuery(filter=make_filter(**kw), currency="USD")).series
        )

    assert total() == 15.0
    assert total(machine_tools=True) == 9.0
    assert total(hs_codes=["8458.11"]) == 1.0
    assert total(hs_codes=["85"]) == 6.0
    assert total(chpl_tiers=["1"]) == 4.0
    assert total(brands=["tsugami"]) == 3.0
    assert total(importers=["amg"]) == 1.0
    assert total(origins=["Taiwan"]) == 4.0
    assert total(dispatch=["AE"]) == 8.0
    assert total(date_from=date(2022, 1, 1)) == 8.0
    assert total(machine_tools=True, date_to=date(2021, 12, 31)) == 1.0


def test_importer_filter_takes_resolved_entity_ids(engine, make_shipments):
    make_shipments(
        engine,
        {"date": "2021-01-05", "value": 5.0, "importer_name": "АМГ"},
        {"date": "2021-01-05", "value": 1.0, "importer_name": "Other"},
    )
    engine.execute("INSERT INTO shipment_entities VALUES ('r0', 'x1', 'e-amg'), ('r1', 'x1', 'e-other')")
    engine.execute("INSERT INTO entities VALUES ('e-amg', 'AMG', ['АМГ'], ['RU'], [], 'Company', 1)")
    r = compute_flows(engine, FlowQuery(filter=make_filter(importers=["e-amg"]), by="importer", currency="USD"))
    assert [(x["group"], x["value"]) for x in r.series] == [("AMG", 5.0)]


def test_bad_filters_say_what_is_wrong():
    with pytest.raises(ConfigError, match="HS code"):
        make_filter(hs_codes=["84x"])
    with pytest.raises(ConfigError, match="CHPL tier"):
        make_filter(chpl_tiers=["9"])
    with pytest.raises(ConfigError, match="unknown country"):
        make_filter(origins=["Atlantis"])
    with pytest.raises(ConfigError, match="--period"):
        series_sql(make_filter(), "origin", "fortnight", "USD")
    with pytest.raises(ConfigError, match="--by"):
        series_sql(make_filter(), "colour", "month", "USD")
    with pytest.raises(ConfigError, match="START:END"):
        parse_period("last year")


def test_periods_and_quarters(engine, make_shipments):
    make_shipments(
        engine,
        {"date": "2021-01-05", "value": 1.0},
        {"date": "2021-03-31", "value": 2.0},
        {"date": "2021-04-01", "value": 4.0},
    )
    r = compute_flows(engine, FlowQuery(period="quarter", by="total", currency="USD"))
    assert [(str(x["period"]), x["value"], x["count"]) for x in r.series] == [
        ("2021-01-01", 3.0, 2),
        ("2021-04-01", 4.0, 1),
    ]
    assert parse_period("2021") == Period(date(2021, 1, 1), date(2021, 12, 31))


def test_growth_is_attributed_to_new_intermediaries(any_engine, make_shipments):
    engine = any_engine
    make_shipments(
        engine,
        {"date": "2020-06-01", "value": 50.0, "exporter_name": "Old Friend"},
        {"date": "2021-05-01", "value": 490.0, "exporter_name": "Tsugami Official"},
        {"date": "2023-03-01", "value": 24_000.0, "exporter_name": "Amegino"},
        {"date": "2023-06-01", "value": 16_000.0, "exporter_name": "ELE Technology"},
        {"date": "2023-07-01", "value": 50.0, "exporter_name": "Old Friend"},
    )
    r = compute_flows(
        engine,
        FlowQuery(by="exporter", currency="USD", before=parse_period("2021"), after=parse_period("2023"), cutoff=CUT),
    )
    a = r.attribution
    assert a["before_total"] == 490.0 and a["after_total"] == 40_050.0
    shares = {c["counterpart"]: c for c in a["counterparts"]}
    assert shares["Amegino"]["is_new"] and shares["ELE Technology"]["is_new"]
    assert not shares["Old Friend"]["is_new"]  # traded in 2020, before the cut-off, outside both periods
    assert shares["Amegino"]["share_of_growth"] + shares["ELE Technology"]["share_of_growth"] == pytest.approx(
        40_000 / (40_050 - 490)
    )
    assert r.totals["factor_per_month"] == pytest.approx(40_050 / 490)


def test_default_periods_split_at_the_cutoff(engine, make_shipments):
    make_shipments(
        engine,
        {"date": "2021-02-24", "value": 12.0},
        {"date": "2022-02-24", "value": 12.0},
        {"date": "2023-02-23", "value": 12.0},
    )
    r = compute_flows(engine, FlowQuery(by="origin", currency="USD", cutoff=CUT))
    assert str(r.before) == "2021-02-24:2022-02-23" and str(r.after) == "2022-02-24:2023-02-23"
    assert r.totals["before"] == 12.0 and r.totals["after"] == 24.0
    assert r.totals["factor_per_month"] == pytest.approx(2.0, rel=1e-3)


def test_empty_warehouse_gives_empty_result(engine):
    r = compute_flows(engine, FlowQuery(currency="USD", cutoff=CUT))
    assert r.series == [] and r.growth == [] and r.to_dict()["currency"] == "USD"
