"""Small helpers the detectors share: value scaling, tag lists, old-machine evidence."""

from __future__ import annotations

import math
from typing import Any


def value_factor(value: float | None, full_at: float) -> float:
    """0.2..1 on a log scale: 1 at ``full_at`` dollars or more, 0.2 for trivial amounts.

    >>> value_factor(1_000_000, 1_000_000), value_factor(10, 1_000_000)
    (1.0, 0.2)
    """
    v = float(value or 0.0)
    if v <= 1 or full_at <= 1:
        return 0.2
    return max(0.2, min(1.0, math.log10(v) / math.log10(full_at)))


def split_tags(text: str) -> list[str]:
    """A comma-separated setting as a clean list of lower-case tags."""
    return [t.strip().lower() for t in text.split(",") if t.strip()]


#: SQL aggregates of the old machines among shipments ``s``. The minimum age comes from the one-row
#: ``_detect_settings ds`` lookup (``CROSS JOIN _detect_settings ds``), not from a bound parameter: Spark's
#: rewrite of an ordered list aggregate copies its FILTER, and a copied ``?`` would shift every later parameter.
OLD_MACHINES = """
    count(*) FILTER (WHERE year(s.date) - s.manufacture_year >= ds.old_machine_age) AS old_machines,
    min(s.manufacture_year) FILTER (WHERE year(s.date) - s.manufacture_year >= ds.old_machine_age) AS oldest_year,
    list(s.record_id ORDER BY s.manufacture_year, s.record_id)
        FILTER (WHERE year(s.date) - s.manufacture_year >= ds.old_machine_age)[1:5] AS old_machine_ids"""


def old_machines(row: dict[str, Any], min_age: int) -> tuple[str, dict[str, Any]]:
    """A clause for the sentence and the evidence entries of the old machines an ``OLD_MACHINES`` row counted."""
    n = int(row.get("old_machines") or 0)
    if not n:
        return "", {}
    ids = list(row.get("old_machine_ids") or [])
    clause = f", including {n} machine(s) at least {min_age} years old (the oldest made in {row['oldest_year']})"
    return clause, {"old_machines": n, "oldest_year": row["oldest_year"], "old_machine_ids": ids}
