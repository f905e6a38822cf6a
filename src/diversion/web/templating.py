"""Jinja2 filters the page templates use to show numbers, dates and flags."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from jinja2 import Environment

#: Flags shown in red (the strongest evidence), the rest in amber.
SEVERE_FLAGS = frozenset({"sanctioned", "military_end_user", "impersonation", "intermediary_surge"})


def money(value: float | None, currency: str = "USD") -> str:
    """``1234567.8`` → ``USD 1.23M``; missing values show as an en dash."""
    if value is None:
        return "–"
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{currency} {value / limit:.2f}{suffix}"
    return f"{currency} {value:,.0f}"


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
    """CSS class of a flag badge."""
    return "flag severe" if flag in SEVERE_FLAGS else "flag"


def pretty(value: Any) -> str:
    """Evidence as indented JSON text (for a <pre> block)."""
    return json.dumps(value, ensure_ascii=False, indent=1, default=str, sort_keys=True)


def add_filters(env: Environment) -> None:
    """Register the filters on a Jinja2 environment."""
    env.filters.update(
        money=money, number=number, score=score, day=day, flags=flag_list, flag_class=flag_class, pretty=pretty
    )
