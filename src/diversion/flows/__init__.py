"""Trade-flow statistics: time series, shares, growth and growth attribution.

Library first: :func:`compute_flows` runs one :class:`FlowQuery` on an
``Engine``; the SQL comes from the pure builders in :mod:`.queries`.
The CLI (``diversion flows``), the report and the web app all call it.
"""

from diversion.flows.filters import FlowFilter, filter_sql, make_filter
from diversion.flows.queries import DIMENSIONS, PERIODS, Period, growth_sql, parse_period, series_sql
from diversion.flows.run import FlowQuery, FlowResult, compute_flows

__all__ = [
    "DIMENSIONS",
    "PERIODS",
    "FlowFilter",
    "FlowQuery",
    "FlowResult",
    "Period",
    "compute_flows",
    "filter_sql",
    "growth_sql",
    "make_filter",
    "parse_period",
    "series_sql",
]
