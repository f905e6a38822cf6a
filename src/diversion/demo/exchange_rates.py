"""Monthly exchange rates the demo writes and converts with (units of currency per US dollar).

Rounded monthly averages that follow the real 2020-12..2024-01 paths closely
enough for a demo (GBP 0.71..0.87, EUR 0.82..1.02, JPY 104..150, CNY 6.3..7.3).
The generator converts its GBP targets into declared currencies with these
same numbers, so summing the written files in GBP gives the targets back.
"""

from __future__ import annotations

from functools import cache

FIRST_MONTH = "2020-12"

# One value per month from 2020-12 to 2024-01 (38 months).
_PER_USD: dict[str, tuple[float, ...]] = {
    "GBP": (0.745,
            0.732, 0.720, 0.721, 0.724, 0.708, 0.713, 0.725, 0.725, 0.729, 0.730, 0.745, 0.754,
            0.739, 0.739, 0.759, 0.775, 0.804, 0.809, 0.832, 0.836, 0.861, 0.865, 0.846, 0.821,
            0.818, 0.826, 0.823, 0.804, 0.802, 0.790, 0.778, 0.786, 0.803, 0.822, 0.807, 0.792,
            0.787),
    "EUR": (0.822,
            0.822, 0.826, 0.839, 0.835, 0.823, 0.831, 0.846, 0.849, 0.852, 0.862, 0.876, 0.885,
            0.884, 0.882, 0.909, 0.925, 0.949, 0.948, 0.979, 0.988, 1.010, 1.020, 0.981, 0.946,
            0.929, 0.934, 0.933, 0.910, 0.918, 0.921, 0.906, 0.918, 0.937, 0.946, 0.925, 0.917,
            0.916),
    "JPY": (103.8,
            103.8, 105.4, 108.7, 109.1, 109.1, 110.1, 110.2, 109.8, 110.2, 113.1, 114.0, 113.8,
            114.8, 115.2, 118.5, 126.2, 128.8, 133.9, 136.6, 135.2, 143.1, 147.1, 142.1, 135.3,
            130.3, 132.7, 133.0, 133.3, 137.1, 141.2, 140.8, 144.8, 147.0, 149.6, 149.6, 144.3,
            146.5),
    "CNY": (6.54,
            6.47, 6.46, 6.51, 6.52, 6.43, 6.43, 6.47, 6.48, 6.46, 6.42, 6.39, 6.37,
            6.36, 6.33, 6.35, 6.43, 6.71, 6.70, 6.74, 6.79, 7.00, 7.20, 7.20, 6.98,
            6.78, 6.87, 6.90, 6.90, 7.02, 7.17, 7.19, 7.27, 7.30, 7.31, 7.16, 7.12,
            7.16),
}

CURRENCIES = ("USD", "EUR", "JPY", "CNY", "GBP")


@cache
def _month_index() -> dict[str, int]:
    return {m: i for i, m in enumerate(rate_months())}


def rate_months() -> list[str]:
    """Every month the table covers, as YYYY-MM."""
    year, month = 2020, 12
    out = []
    for _ in range(len(_PER_USD["GBP"])):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def per_usd(currency: str, month: str) -> float:
    """Units of ``currency`` per US dollar in ``month`` (YYYY-MM)."""
    if currency == "USD":
        return 1.0
    return _PER_USD[currency][_month_index()[month]]


def rate_rows() -> list[tuple[str, str, float]]:
    """(month, currency, per_usd) rows for the rates file: every month × every currency."""
    return [(m, c, per_usd(c, m)) for m in rate_months() for c in CURRENCIES]


def gbp_to(currency: str, month: str) -> float:
    """Factor that turns a GBP amount into ``currency`` in ``month``."""
    return per_usd(currency, month) / per_usd("GBP", month)
