"""Amounts read the same whatever order their sum was added in."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.read.money import amount, money

CENTS = st.integers(min_value=1, max_value=5_000_000_00)


@settings(max_examples=300, deadline=None)
@given(st.lists(CENTS, min_size=2, max_size=40), st.randoms(use_true_random=False))
def test_a_sum_reads_the_same_in_any_adding_order(cents, rng):
    cents.append(150 - sum(cents) % 100)  # the total ends in 50 cents: a tie for whole units, where order showed
    values = [c / 100 for c in cents]
    shuffled = values[:]
    rng.shuffle(shuffled)
    one, two = sum(values), sum(shuffled)
    assert math.isclose(one, two, rel_tol=1e-12)
    for currency in ("GBP", "USD", "AED"):
        assert money(one, currency) == money(two, currency)
        assert amount(one, currency) == amount(two, currency)


def test_the_tie_that_used_to_read_two_ways():
    # Three shipments' pounds, 603.5 in all, summed in two orders by an engine's threads.
    assert money(603.4999999999999, "GBP") == money(603.5000000000001, "GBP") == "£604"
    assert amount(1234567.4999999999, "USD") == amount(1234567.5000000001, "USD")
