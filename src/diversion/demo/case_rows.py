"""The case's own shipments: each ``CaseFlow`` becomes shipments whose GBP values sum to its figure exactly."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa

from diversion.demo.rows import Rows
from diversion.demo.world import World


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def case_rows(world: World, rng: np.random.Generator) -> dict[str, Rows]:
    """Shipments of every flow of the scenario, grouped by month (YYYY-MM)."""
    scenario = world.scenario
    brand = scenario.brand
    machines = [p for p in brand.products if p.unit_value_gbp >= 20_000]
    parts = [p for p in brand.products if p.unit_value_gbp < 20_000]
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for flow_no, flow in enumerate(scenario.flows):
        rows: list[dict[str, Any]] = []
        total = 0.0
        # Weights rise through the months: the intermediaries' business grows.
        month_w = np.linspace(1.0, 2.0, len(flow.months))
        month_w /= month_w.sum()
        fixed = list(flow.fixed_years)
        while total < flow.value_gbp or len(rows) < len(flow.months):
            is_part = bool(parts) and rng.random() < 0.12 and not fixed
            product = parts[int(rng.integers(len(parts)))] if is_part else machines[int(rng.integers(len(machines)))]
            quantity = int(rng.integers(5, 40)) if is_part else (1 if fixed else int(rng.integers(1, 4)))
            if fixed:
                year = fixed.pop(0)
            elif flow.used_years and not is_part:
                year = int(rng.integers(flow.used_years[0], flow.used_years[1] + 1))
            else:
                year = 0 if is_part else flow.year
            used = bool(flow.used_years) and year and year < flow.year
            value = product.unit_value_gbp * quantity * rng.uniform(0.85, 1.2) * (0.65 if used else 1.0)
            month = flow.months[len(rows) % len(flow.months)] if len(rows) < len(flow.months) else \
                flow.months[int(rng.choice(len(flow.months), p=month_w))]
            rows.append({"product": product, "quantity": quantity, "year": year, "used": used,
                         "value": value, "month": f"{flow.year:04d}-{month:02d}"})
            total += value
        factor = flow.value_gbp / total
        for row in rows:
            row["value"] *= factor
            row["flow"] = flow_no
            row["origin"] = _choice(rng, flow.origin)
            row["dispatch"] = _choice(rng, flow.dispatch)
            row["currency"] = _choice(rng, flow.currency)
            by_month[row["month"]].append(row)
    return {month: _to_rows(world, rng, rows) for month, rows in sorted(by_month.items())}


def _to_rows(world: World, rng: np.random.Generator, rows: list[dict[str, Any]]) -> Rows:
    scenario, pool = world.scenario, world.pool
    flows = scenario.flows
    n = len(rows)
    exporters = np.array([world.party_index[flows[r["flow"]].exporter] for r in rows], dtype=np.int64)
    importers = np.full(n, world.party_index[scenario.by_role("importer")[0].key], dtype=np.int64)
    desc_en, desc_ru, brands = [], [], []
    for r in rows:
        product, flow = r["product"], flows[r["flow"]]
        brand = str(scenario.brand.variants[int(rng.integers(len(scenario.brand.variants)))])
        en = f"{product.description_en} {brand} {product.model}"
        ru = f"{product.description_ru}, марка {brand}, модель {product.model}"
        if r["used"]:
            en += f", used, manufactured {r['year']}"
            ru += f", б/у, {r['year']} г.в."
        if flow.note_en:
            en += f"; {flow.note_en}"
            ru += f"; {flow.note_ru}"
        desc_en.append(en)
        desc_ru.append(ru)
        brands.append(brand)
    days = np.array([np.datetime64(r["month"] + "-01") + int(rng.integers(0, 28)) for r in rows])
    return Rows(
        day=days.astype("datetime64[D]"),
        hs=np.array([r["product"].hs_code for r in rows]),
        desc_en=pa.array(desc_en, pa.string()),
        desc_ru=pa.array(desc_ru, pa.string()),
        brand=pa.array(brands, pa.string()),
        model=pa.array([r["product"].model for r in rows], pa.string()),
        year=np.array([r["year"] for r in rows], dtype=np.int32),
        exporter=exporters,
        exp_slot=pool.pick_variants(rng, exporters),
        importer=importers,
        imp_slot=pool.pick_variants(rng, importers),
        origin=np.array([r["origin"] for r in rows]),
        dispatch=np.array([r["dispatch"] for r in rows]),
        trading=np.array([flows[r["flow"]].trading_country or "" for r in rows]),
        value_gbp=np.array([r["value"] for r in rows]),
        currency=np.array([r["currency"] for r in rows]),
        quantity=np.array([r["quantity"] for r in rows], dtype=float),
        weight=np.array([r["product"].unit_weight_kg * r["quantity"] * rng.uniform(0.95, 1.05) for r in rows]),
        has_id=rng.random(n) < 0.92,
        flow=np.array([r["flow"] for r in rows], dtype=np.int16),
    )


def case_market_gbp(world: World, by_month: dict[str, Rows]) -> dict[tuple[str, str], float]:
    """GBP value of the case's shipments in each (month, origin) cell of the market."""
    headings = set(world.scenario.market.headings)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for month, rows in by_month.items():
        for hs, origin, value in zip(rows.hs, rows.origin, rows.value_gbp, strict=True):
            if str(hs)[:4] in headings:
                out[(month, str(origin))] += float(value)
    return dict(out)
