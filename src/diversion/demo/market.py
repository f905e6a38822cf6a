"""Monthly market targets: what each origin country ships into the market, in GBP.

Pure function of the scenario's ``MarketSpec``, the case shipments' values and
a seeded RNG. The anchors are exact: the rising origin holds exactly its
pre-war share in every month up to the cut-off, exactly ``cutoff_value_gbp``
in the cut-off month, and exactly ``peak_value_gbp`` at ``peak_share`` in the
peak month. The case's own shipments count inside these totals.
"""

from __future__ import annotations

import math

import numpy as np

from diversion.demo.scenario import MarketSpec


def month_range(start: str, end: str) -> list[str]:
    """Months from ``start`` to ``end`` inclusive, as YYYY-MM."""
    year, month = int(start[:4]), int(start[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _path(i: int, anchors: list[int], values: list[float]) -> float:
    return float(np.interp(i, anchors, values))


def market_targets(
    spec: MarketSpec,
    months: list[str],
    cutoff_month: str,
    case_gbp: dict[tuple[str, str], float],
    rng: np.random.Generator,
) -> dict[tuple[str, str], float]:
    """Target GBP value of every (month, origin) cell, the case's shipments included.

    Raises ``ValueError`` when the case alone exceeds a cell's target or the
    anchors cannot be met with positive values.
    """
    c, p, last = months.index(cutoff_month), months.index(spec.peak_month), len(months) - 1
    anchors = [c, c + 2, c + 6, p, last]
    if not anchors == sorted(set(anchors)):
        raise ValueError(f"market anchors out of order: cut-off {cutoff_month}, peak {spec.peak_month}")
    rising = spec.rising_origin
    others = [o for o in spec.origins if o.country != rising]
    season = rng.uniform(0.93, 1.07, len(months))
    season[c] = 1.0
    noise = rng.uniform(0.95, 1.05, (len(months), len(others)))
    raw = np.zeros((len(months), len(others)))
    for i in range(len(months)):
        for j, origin in enumerate(others):
            mult = 1.0 if i <= c else _path(i, anchors, [1.0, *origin.path])
            raw[i, j] = origin.prewar_gbp * mult * (season[i] if i <= c else noise[i, j])
    flex = np.array([o.flex for o in others])
    case_rest = np.array([sum(case_gbp.get((m, o.country), 0.0) for o in others) for m in months])

    def flex_factor(i: int, rest_target: float) -> float:
        fixed = raw[i, ~flex].sum() + case_rest[i]
        factor = float((rest_target - fixed) / raw[i, flex].sum())
        if factor <= 0:
            raise ValueError(f"market in {months[i]}: non-flex origins already exceed the target")
        return factor

    f_c = flex_factor(c, spec.cutoff_value_gbp * (1 - spec.prewar_share) / spec.prewar_share)
    f_p = flex_factor(p, spec.peak_value_gbp * (1 - spec.peak_share) / spec.peak_share)
    targets: dict[tuple[str, str], float] = {}
    log_c, log_p = math.log(spec.cutoff_value_gbp), math.log(spec.peak_value_gbp)
    for i, month in enumerate(months):
        factor = f_c if i <= c else (f_p if i >= p else f_c + (f_p - f_c) * (i - c) / (p - c))
        rest = 0.0
        for j, origin in enumerate(others):
            value = raw[i, j] * (factor if origin.flex else 1.0) + case_gbp.get((month, origin.country), 0.0)
            targets[(month, origin.country)] = value
            rest += value
        if i <= c:
            rising_value = rest * spec.prewar_share / (1 - spec.prewar_share)
        elif i == p:
            rising_value = spec.peak_value_gbp
        elif i < p:
            t = (i - c) / (p - c)
            rising_value = math.exp(log_c + (log_p - log_c) * t) * rng.uniform(0.93, 1.07)
            if i == c + 1:
                rising_value *= 0.8  # the first month of the war: orders paused
        else:
            rising_value = spec.peak_value_gbp * rng.uniform(0.88, 1.0)
        targets[(month, rising)] = rising_value
    for (month, country), value in targets.items():
        if value < case_gbp.get((month, country), 0.0) - 1e-6:
            raise ValueError(f"market cell {month}/{country}: case shipments exceed the target")
    return targets
