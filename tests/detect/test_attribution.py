from datetime import date

import pytest

from diversion.flows.attribution import growth_attribution

CUT = date(2022, 2, 24)


def test_new_counterparts_carry_all_growth():
    rows = [("official", 490.0, date(2021, 6, 1)), ("broker", 25_000.0, date(2023, 1, 1)),
            ("front", 15_000.0, date(2023, 5, 1))]
    a = growth_attribution(rows, CUT)
    assert a.before_total == 490 and a.after_total == 40_000 and a.growth_factor == pytest.approx(40_000 / 490)
    assert a.new_share() == pytest.approx(1.0 + 490 / (40_000 - 490))
    assert sum(c.share_of_growth for c in a.counterparts) == pytest.approx(1.0)
    assert [c.counterpart for c in a.counterparts if c.is_new] == ["broker", "front"]


def test_explicit_periods_and_newness_judged_on_all_earlier_rows():
    rows = [("old", 10.0, date(2019, 1, 1)), ("old", 50.0, date(2023, 1, 1)), ("x", 5.0, date(2021, 1, 1))]
    a = growth_attribution(rows, CUT, before=(date(2021, 1, 1), date(2022, 1, 1)),
                           after=(date(2023, 1, 1), date(2024, 1, 1)))
    old = next(c for c in a.counterparts if c.counterpart == "old")
    assert old.before == 0 and old.after == 50 and old.is_new is False  # seen in 2019
    assert a.before_total == 5


def test_no_change_gives_zero_shares_and_no_before_gives_no_factor():
    flat = growth_attribution([("a", 1.0, date(2021, 1, 1)), ("a", 1.0, date(2023, 1, 1))], CUT)
    assert flat.change == 0 and flat.counterparts[0].share_of_growth == 0
    fresh = growth_attribution([("a", 1.0, date(2023, 1, 1))], CUT)
    assert fresh.growth_factor is None and fresh.counterparts[0].is_new
