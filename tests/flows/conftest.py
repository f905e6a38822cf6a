"""Flow fixtures: the shipment and rate factory (``tests/flows/factory.py``)."""

from __future__ import annotations

import pytest

from tests.flows.factory import add_rates, add_shipments


@pytest.fixture
def make_shipments():
    return add_shipments


@pytest.fixture
def make_rates():
    return add_rates
