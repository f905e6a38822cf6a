"""Growth attribution: which counterparts account for the change in a trade flow.

One implementation, used by ``diversion flows`` and the ``intermediary_surge``
detector. Pure: rows in, numbers out.

Method: a flow's value is summed per counterpart in a period before a cut-off
date and in a period after it. Each counterpart's change (after − before) is
divided by the flow's total change to give its *share of growth*; shares sum
to 1 across counterparts when the total changed. A counterpart is *new* when
it has no value dated before the cut-off anywhere in the rows given, and some
value after it. A counterpart with value in the *before* period is never new,
whatever the cut-off (periods chosen after the cut-off compare existing
partners).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

Period = tuple[date, date]  # half-open: start <= d < end


@dataclass(frozen=True)
class CounterpartChange:
    """One counterpart's part in a flow's change."""

    counterpart: str
    before: float
    after: float
    change: float
    share_of_growth: float
    is_new: bool


@dataclass(frozen=True)
class Attribution:
    """A flow's totals before and after, and each counterpart's share of the change (largest first)."""

    before_total: float
    after_total: float
    change: float
    #: after / before; ``None`` when nothing was traded before.
    growth_factor: float | None
    counterparts: list[CounterpartChange]

    def new_share(self) -> float:
        """Share of the growth carried by counterparts new after the cut-off."""
        return sum(c.share_of_growth for c in self.counterparts if c.is_new)


def _within(day: date, period: Period) -> bool:
    return period[0] <= day < period[1]


def growth_attribution(
    rows: Iterable[tuple[str, float, date]],
    cutoff: date,
    before: Period | None = None,
    after: Period | None = None,
) -> Attribution:
    """Attribute the change of a flow between two periods to its counterparts.

    ``rows`` are ``(counterpart, value, date)``: shipments, or already-summed
    monthly aggregates dated on any day of their month. ``before`` defaults to
    everything before ``cutoff``, ``after`` to everything from ``cutoff`` on;
    both are half-open ``(start, end)`` date ranges. Rows outside both
    periods only count for deciding whether a counterpart is new.

    >>> from datetime import date
    >>> rows = [("official", 490.0, date(2021, 5, 1)), ("official", 10.0, date(2023, 1, 1)),
    ...         ("broker", 24_000.0, date(2023, 3, 1)), ("front", 16_000.0, date(2023, 6, 1))]
    >>> a = growth_attribution(rows, date(2022, 2, 24))
    >>> [(c.counterpart, round(c.share_of_growth, 3), c.is_new) for c in a.counterparts]
    [('broker', 0.607, True), ('front', 0.405, True), ('official', -0.012, False)]
    """
    before = before or (date.min, cutoff)
    after = after or (cutoff, date.max)
    sums: dict[str, list[float]] = {}
    seen_before: set[str] = set()
    for counterpart, value, day in rows:
        v = float(value or 0.0)
        slot = sums.setdefault(counterpart, [0.0, 0.0])
        if day < cutoff and v:
            seen_before.add(counterpart)
        if _within(day, before):
            slot[0] += v
        elif _within(day, after):
            slot[1] += v
    before_total = sum(s[0] for s in sums.values())
    after_total = sum(s[1] for s in sums.values())
    change = after_total - before_total
    parts = [
        CounterpartChange(
            counterpart=name,
            before=b,
            after=a,
            change=a - b,
            share_of_growth=(a - b) / change if change else 0.0,
            is_new=name not in seen_before and not b and a > 0,
        )
        for name, (b, a) in sums.items()
    ]
    parts.sort(key=lambda c: (-c.change, c.counterpart))
    return Attribution(
        before_total=before_total,
        after_total=after_total,
        change=change,
        growth_factor=after_total / before_total if before_total else None,
        counterparts=parts,
    )
