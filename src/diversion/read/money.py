"""The one money formatter: every amount a person reads (CLI, report, web, flag sentences) goes through it."""

from __future__ import annotations

#: Symbols of the currencies a reader scans most; others are written as their ISO code.
SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}


def symbol(currency: str) -> str:
    """``£`` for GBP; the ISO code and a space for a currency without a common symbol."""
    return SYMBOLS.get(currency, currency + " ")


def money(value: float | None, currency: str) -> str:
    """``£68.0m``-style amounts: three significant digits, k/m/bn, the sign first, ``-`` when unknown.

    >>> money(6_500_000, "GBP"), money(490_000, "GBP"), money(-68_000_000, "USD"), money(900, "AED")
    ('£6.50m', '£490k', '-$68.0m', 'AED 900')
    """
    if value is None:
        return "-"
    sign, size = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if size >= limit:
            scaled = size / limit
            digits = 2 if scaled < 10 and suffix != "k" else (1 if scaled < 100 else 0)
            return f"{sign}{symbol(currency)}{scaled:,.{digits}f}{suffix}"
    return f"{sign}{symbol(currency)}{size:,.0f}"


def amount(value: float | None, currency: str) -> str:
    """A full amount for tables of individual rows: ``£1,234,567``."""
    if value is None:
        return "-"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol(currency)}{abs(value):,.0f}"
