"""Jinja2 filters the page templates use to show numbers, dates and flags."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from diversion.detect.registry import severity
from diversion.read.money import amount as format_amount
from diversion.read.money import money as format_money


def money(value: float | None, currency: str = "USD") -> str:
    """The one money formatter (``read.money``): ``£1.23m``; missing values show as an en dash."""
    return "–" if value is None else format_money(value, currency)


def amount(value: float | None, currency: str = "USD") -> str:
    """A row's full amount: ``£1,234,567``."""
    return "–" if value is None else format_amount(value, currency)


def number(value: float | None) -> str:
    """``1234567.8`` → ``1,234,568`` (tables of values)."""
    return "–" if value is None else f"{value:,.0f}"


def score(value: float | None) -> str:
    """A 0..1 score with two decimals."""
    return "–" if value is None else f"{value:.2f}"


def day(value: date | datetime | str | None) -> str:
    """A date as ISO text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, date) else str(value)


def flag_list(value: str | list[str] | None) -> list[str]:
    """``"a;b"`` or ``["a", "b"]`` → ``["a", "b"]``."""
    if not value:
        return []
    items = value.split(";") if isinstance(value, str) else value
    return [f for f in items if f]


def flag_class(flag: str) -> str:
    """CSS class of a flag badge: its severity in the detector registry (severe, warning, supporting)."""
    return f"flag {severity(flag)}"


def pretty(value: Any) -> str:
    """Evidence as indented JSON text (for a <pre> block)."""
    return json.dumps(value, ensure_ascii=False, indent=1, default=str, sort_keys=True)


def add_filters(env: Environment) -> None:
    """Register the filters on a Jinja2 environment."""
    env.filters.update(
        money=money, amount=amount, number=number, score=score, day=day, flags=flag_list, flag_class=flag_class,
        pretty=pretty, basename=lambda v: "" if v is None else Path(str(v)).name,
    )
