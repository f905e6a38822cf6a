"""Pure parts of the generator: market targets, name variants, rates."""

from __future__ import annotations

import numpy as np
import pytest

from diversion.demo.exchange_rates import gbp_to, per_usd, rate_months
from diversion.demo.market import market_targets, month_range
from diversion.demo.names import cp1251_safe, inn_with_checksum, typo
from diversion.demo.second import second_scenario
from diversion.demo.tsugami import tsugami_scenario
from diversion.demo.words import COUNTRY_EN, COUNTRY_RU
from diversion.reference import to_iso2


@pytest.mark.parametrize("make", [tsugami_scenario, second_scenario])
def test_market_targets_hit_the_anchors_exactly(make) -> None:
    scenario = make()
    spec = scenario.market
    months = month_range(scenario.start_month, scenario.end_month)
    case = {("2022-02", "JP"): 30_000.0, (spec.peak_month, "JP"): 3_000_000.0}
    targets = market_targets(spec, months, "2022-02", case, np.random.default_rng(1))

    def total(month: str) -> float:
        return sum(v for (m, _), v in targets.items() if m == month)

    rising = spec.rising_origin
    assert targets[("2022-02", rising)] == pytest.approx(spec.cutoff_value_gbp)
    assert targets[(spec.peak_month, rising)] == pytest.approx(spec.peak_value_gbp)
    assert targets[(spec.peak_month, rising)] / total(spec.peak_month) == pytest.approx(spec.peak_share)
    for month in months[:14]:
        assert targets[(month, rising)] / total(month) == pytest.approx(spec.prewar_share)
    assert targets[(spec.peak_month, "JP")] >= 3_000_000.0


def test_market_targets_refuse_a_case_bigger_than_its_cell() -> None:
    scenario = tsugami_scenario()
    months = month_range("2021-01", "2023-12")
    with pytest.raises(ValueError, match="exceed"):
        market_targets(scenario.market, months, "2022-02", {("2023-07", "CN"): 1e9}, np.random.default_rng(1))


def test_name_helpers() -> None:
    import random

    assert cp1251_safe("Müller Präzisionstechnik GmbH") == "Muller Prazisionstechnik GmbH"
    assert cp1251_safe('ООО "АМГ"') == 'ООО "АМГ"'
    assert cp1251_safe("深圳市易乐科技有限公司") == ""
    rnd = random.Random(3)
    slips = {typo(rnd, "Promsnab LLC") for _ in range(30)}
    assert "Promsnab LLC" not in slips or len(slips) > 1
    assert all(abs(len(s) - len("Promsnab LLC")) <= 1 for s in slips)
    assert inn_with_checksum("772541234") == "7725412340"


def test_rates_and_country_names_round_trip() -> None:
    assert len(rate_months()) == 38 and rate_months()[0] == "2020-12" and rate_months()[-1] == "2024-01"
    assert per_usd("USD", "2022-05") == 1.0
    assert gbp_to("GBP", "2023-07") == 1.0
    assert gbp_to("USD", "2023-07") == pytest.approx(1 / 0.778)
    for code, name in COUNTRY_RU.items():
        assert to_iso2(name) == code, name
    for code, name in COUNTRY_EN.items():
        assert to_iso2(name) == code, name


def test_chinese_firms_never_share_a_registered_name_when_trade_names_run_out():
    """A large demo makes more Chinese firms than one-word trade names allow (15 places x 25 words x 10 trades):
    each still gets its own Chinese name, as a registry would insist, and one English name per Chinese name."""
    import random

    from diversion.demo.names import _chinese, _Unique

    rnd, unique, domains = random.Random(3), _Unique(), _Unique()
    made = [_chinese(rnd, unique, domains)[0] for _ in range(6_000)]
    hanzi = [variants[1] for variants in made]
    english = [variants[0] for variants in made]
    assert len(set(hanzi)) == len(hanzi) == len(set(english))
    assert any(len(h) > 13 for h in hanzi)  # some trade names of several words were needed
