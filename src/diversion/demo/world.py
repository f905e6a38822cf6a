"""The demo's cast: every company (the scenario's parties and the ordinary ones) in one pool.

Shipment rows refer to companies by their index in this pool, so the
vectorised generator only moves integers until the writer turns them into
names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diversion.demo.market import month_range
from diversion.demo.names import CompanyPool, FrozenPool, add_exporters, add_importers, add_party
from diversion.demo.scenario import Scenario

#: Ordinary companies at scale 1 (``--scale N`` multiplies them).
EXPORTERS_PER_SCALE = 1500
RU_IMPORTERS_PER_SCALE = 700
OTHER_IMPORTERS_PER_SCALE = {"KZ": 40, "BY": 30, "AM": 15, "KG": 15}
#: Countries that always have exporters (ordinary goods outside the market come from them too).
BASE_EXPORTER_COUNTRIES = ("CN", "DE", "IT", "TR", "KR", "JP", "IN")


@dataclass
class Group:
    """Companies to draw from, with a few big ones and a long tail (Zipf-like weights)."""

    index: np.ndarray
    cum: np.ndarray

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` company indices, drawn by weight."""
        slots = np.searchsorted(self.cum, rng.random(n), side="right").clip(0, len(self.index) - 1)
        picks: np.ndarray = self.index[slots]
        return picks


def _group(rng: np.random.Generator, index: np.ndarray) -> Group:
    weights = 1.0 / np.arange(1, len(index) + 1) ** 0.8
    rng.shuffle(weights)
    cum = np.cumsum(weights)
    return Group(np.asarray(index, dtype=np.int64), cum / cum[-1])


@dataclass
class World:
    """Everything the shipment generator draws from."""

    scenario: Scenario
    scale: int
    months: list[str]
    pool: FrozenPool
    party_index: dict[str, int]
    exporters: dict[str, Group]  # by country
    ru_importers: Group
    other_importers: Group
    background_ids: list[int]  # pool indices of ordinary companies (near-misses included)


def exporter_counts(scenario: Scenario, scale: int) -> dict[str, int]:
    """How many ordinary exporters each country gets: more where the market is bigger."""
    levels = {o.country: o.prewar_gbp * (1 + sum(o.path)) for o in scenario.market.origins}
    levels[scenario.market.rising_origin] = scenario.market.peak_value_gbp * 8
    for country in BASE_EXPORTER_COUNTRIES:
        levels.setdefault(country, min(levels.values()))
    roots = {c: v ** 0.5 for c, v in levels.items()}
    total = sum(roots.values())
    return {c: max(8, round(EXPORTERS_PER_SCALE * scale * r / total)) for c, r in sorted(roots.items())}


def build_world(scenario: Scenario, scale: int, rng: np.random.Generator) -> World:
    """Make every company of the demo and index them for drawing."""
    pool = CompanyPool()
    for party in scenario.parties:
        if party.variants and party.role != "near_miss":
            add_party(pool, party)
    n_case = len(pool.ids)
    near_misses = [p for p in scenario.parties if p.role == "near_miss"]
    for party in near_misses:
        add_party(pool, party)
    start_exporters = len(pool.ids)
    add_exporters(pool, rng, exporter_counts(scenario, scale))
    start_importers = len(pool.ids)
    add_importers(pool, rng, RU_IMPORTERS_PER_SCALE * scale,
                  {c: n * scale for c, n in OTHER_IMPORTERS_PER_SCALE.items()})
    frozen = pool.freeze()
    countries = frozen.country
    exp_idx = np.arange(start_exporters, start_importers)
    exporters = {c: _group(rng, exp_idx[countries[exp_idx] == c]) for c in sorted(set(countries[exp_idx]))}
    imp_idx = np.arange(start_importers, len(pool.ids))
    ru = np.concatenate([np.arange(n_case, start_exporters), imp_idx[countries[imp_idx] == "RU"]])
    return World(
        scenario=scenario,
        scale=scale,
        months=month_range(scenario.start_month, scenario.end_month),
        pool=frozen,
        party_index={pool.ids[i]: i for i in range(start_exporters)},
        exporters=exporters,
        ru_importers=_group(rng, ru),
        other_importers=_group(rng, imp_idx[countries[imp_idx] != "RU"]),
        background_ids=list(range(n_case, len(pool.ids))),
    )
