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
    value = _settled(value)
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
    value = _settled(value)
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol(currency)}{abs(value):,.0f}"


def _settled(value: float) -> float:
    """``value`` to 12 significant digits: a sum's last bits depend on the order an engine adds it in, and
    at a tie they decided how it rounds (the same three shipments read £603 in one run, £604 in the next).

    >>> money(603.4999999999999, "GBP"), money(603.5000000000001, "GBP")
    ('£604', '£604')
    """
    return float(f"{value:.12g}")
