"""Read the CSV files in ``reference/data`` (cached, read once per process)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files


@cache
def read_rows(name: str) -> tuple[dict[str, str], ...]:
    """Rows of the shipped reference file ``name`` as dictionaries."""
    text = files("diversion.reference").joinpath("data", name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))
