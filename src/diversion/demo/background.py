"""The ordinary market around the case, one month at a time, fully vectorised.

Three kinds of ordinary shipments: market goods into the market's country
(their GBP values per origin are scaled so that, with the case's shipments,
each (month, origin) cell hits its target exactly), ordinary goods outside the
market (so HS filtering matters), and shipments to importers in neighbouring
countries (so the importer-country filter matters). Origin, exporter country
and dispatch country are the same for ordinary shipments: the background is
clean, so detectors' false positives on it can be counted.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from diversion.demo.goods import HS_GOODS, OTHER_GOODS, currency_shares
from diversion.demo.rows import Rows
from diversion.demo.world import World

#: Market shipments per month at scale 1, on average (``--scale N`` multiplies them).
MARKET_ROWS_PER_SCALE = 24_000
#: Ordinary goods outside the market, and shipments to other countries, per market shipment.
OTHER_GOODS_RATIO = 0.2
OTHER_IMPORTERS_RATIO = 0.06

_MODEL_PREFIX = np.array(["X", "MC", "VT", "HL", "K", "CNC", "TP", "S"])


class Goods:
    """HS codes with their descriptions as Arrow arrays, for ``take`` by index."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = np.array(codes)
        self.en = pa.array([HS_GOODS[c][0] for c in codes], pa.string())
        self.ru = pa.array([HS_GOODS[c][1] for c in codes], pa.string())
        self.kg = np.array([HS_GOODS[c][2] for c in codes], dtype=float)
        self.gbp = np.array([HS_GOODS[c][3] for c in codes], dtype=float)


def _split_values(rng: np.random.Generator, total: float, n: int) -> np.ndarray:
    values = rng.lognormal(0.0, 1.0, n)
    shares: np.ndarray = values * (total / values.sum())
    return shares


def _currencies(rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    out = np.full(len(countries), "USD", dtype="<U3")
    for country in np.unique(countries):
        mask = countries == country
        shares = currency_shares(str(country))
        keys = list(shares)
        p = np.array([shares[k] for k in keys])
        out[mask] = np.array(keys)[rng.choice(len(keys), size=int(mask.sum()), p=p / p.sum())]
    return out


def _rows(world: World, rng: np.random.Generator, month: str, goods: Goods, hs_idx: np.ndarray,
          exporters: np.ndarray, importers: np.ndarray, values: np.ndarray) -> Rows:
    pool = world.pool
    n = len(hs_idx)
    origin = pool.country[exporters]
    quantity = np.maximum(1, np.round(values / goods.gbp[hs_idx] * rng.uniform(0.7, 1.3, n)))
    brands = pc.if_else(pa.array(rng.random(n) < 0.5), pool.brand.take(pa.array(exporters)),
                        pa.scalar(None, pa.string()))
    with_model = rng.random(n) < 0.4
    models = np.char.add(np.char.add(_MODEL_PREFIX[rng.integers(len(_MODEL_PREFIX), size=n)], "-"),
                         rng.integers(100, 9999, n).astype(str))
    year = int(month[:4])
    return Rows(
        day=(np.datetime64(month + "-01") + rng.integers(0, 28, n)).astype("datetime64[D]"),
        hs=goods.codes[hs_idx],
        desc_en=goods.en.take(pa.array(hs_idx)),
        desc_ru=goods.ru.take(pa.array(hs_idx)),
        brand=brands,
        model=pc.if_else(pa.array(with_model), pa.array(models), pa.scalar(None, pa.string())),
        year=np.where(rng.random(n) < 0.1, year, 0).astype(np.int32),
        exporter=exporters,
        exp_slot=pool.pick_variants(rng, exporters),
        importer=importers,
        imp_slot=pool.pick_variants(rng, importers),
        origin=origin,
        dispatch=origin.copy(),
        trading=np.full(n, "", dtype="<U2"),
        value_gbp=values,
        currency=_currencies(rng, origin),
        quantity=quantity,
        weight=np.round(quantity * goods.kg[hs_idx] * rng.uniform(0.9, 1.1, n), 1),
        has_id=rng.random(n) < 0.9,
        flow=np.full(n, -1, dtype=np.int16),
    )


def mean_row_gbp(world: World, background: dict[tuple[str, str], float]) -> float:
    """Average GBP value of one market row, so the market has its number of rows at this scale."""
    return sum(background.values()) / (MARKET_ROWS_PER_SCALE * world.scale)


def background_month(world: World, rng: np.random.Generator, month: str,
                     background: dict[str, float], mean_gbp: float) -> Rows:
    """Ordinary shipments of one month; ``background`` is the GBP each origin must add to the market."""
    spec = world.scenario.market
    market = Goods(list(spec.hs_codes))
    other = Goods([c for c in OTHER_GOODS if c[:4] not in spec.headings])
    parts = []
    n_market = 0
    for origin, total in sorted(background.items()):
        if total <= 0 or origin not in world.exporters:
            continue
        n = max(1, round(total / mean_gbp))
        n_market += n
        exporters = world.exporters[origin].draw(rng, n)
        parts.append(_rows(world, rng, month, market, rng.integers(len(market.codes), size=n), exporters,
                           world.ru_importers.draw(rng, n), _split_values(rng, total, n)))
    countries = sorted(world.exporters)
    n_other = max(1, round(n_market * OTHER_GOODS_RATIO))
    exporters = _draw_by_country(world, rng, rng.choice(countries, size=n_other))
    parts.append(_rows(world, rng, month, other, rng.integers(len(other.codes), size=n_other), exporters,
                       world.ru_importers.draw(rng, n_other), rng.lognormal(np.log(mean_gbp * 0.3), 1.0, n_other)))
    n_abroad = max(1, round(n_market * OTHER_IMPORTERS_RATIO))
    exporters = _draw_by_country(world, rng, rng.choice(countries, size=n_abroad))
    parts.append(_rows(world, rng, month, market, rng.integers(len(market.codes), size=n_abroad), exporters,
                       world.other_importers.draw(rng, n_abroad), rng.lognormal(np.log(mean_gbp), 1.0, n_abroad)))
    return Rows.concat(parts)


def _draw_by_country(world: World, rng: np.random.Generator, countries: np.ndarray) -> np.ndarray:
    out = np.empty(len(countries), dtype=np.int64)
    for country in np.unique(countries):
        mask = countries == country
        out[mask] = world.exporters[str(country)].draw(rng, int(mask.sum()))
    return out
