"""Generate every shipment file, month by month: the case's rows inside the ordinary market.

Rows go to one standard-profile CSV per year, except that about a third of
the market country's imports in 2023 go to a Windows-1251 Russian customs
extract and a third of those in the second half of 2022 to a UTF-8 one (both
with Russian column names and a mapping file).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diversion.demo.background import background_month, mean_row_gbp
from diversion.demo.case_rows import case_market_gbp, case_rows
from diversion.demo.market import market_targets
from diversion.demo.rows import Rows
from diversion.demo.shipment_files import RU_COLUMNS, ShipmentWriter, WrittenFile
from diversion.demo.world import World

#: Share of the market country's imports that go to a Russian customs extract.
EXTRACT_SHARE = 0.3
EXTRACTS = {  # file stem -> (encoding, customs post prefix, months it covers)
    "ru_customs_extract_2023": ("cp1251", "10702030", ("2023-01", "2023-12")),
    "ru_customs_extract_2022h2": ("utf-8", "10013160", ("2022-07", "2022-12")),
}


@dataclass
class ShipmentOutput:
    """What the shipment generator wrote, and the market it measured while writing."""

    files: dict[str, WrittenFile] = field(default_factory=dict)
    mappings: dict[str, Path] = field(default_factory=dict)  # file stem -> mapping file
    market: dict[tuple[str, str], float] = field(default_factory=dict)  # (month, origin) -> GBP
    targets: dict[tuple[str, str], float] = field(default_factory=dict)
    case_by_flow: dict[int, float] = field(default_factory=lambda: defaultdict(float))


def write_mapping(path: Path, encoding: str | None) -> None:
    """The YAML mapping of a Russian customs extract onto the standard profile."""
    columns = ", ".join(f'"{src}": {std}' for src, std in RU_COLUMNS.items())
    lines = ['delimiter: ";"']
    if encoding:
        lines.append(f"encoding: {encoding}")
    lines += ['date_format: "%d.%m.%Y"', 'decimal: ","', "currency: USD            # when a row has none",
              f"columns: {{{columns}}}", "constants: {importer_country: RU}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _route(world: World, rows: Rows, month: str, rng: np.random.Generator) -> np.ndarray:
    """File stem for every row."""
    market_country = world.scenario.market.importer_country
    out = np.full(len(rows), f"shipments_{month[:4]}", dtype=object)
    to_market = world.pool.country[rows.importer] == market_country
    for stem, (_, _, (first, last)) in EXTRACTS.items():
        if first <= month <= last:
            out[to_market & (rng.random(len(rows)) < EXTRACT_SHARE)] = stem
    return out


def write_shipments(world: World, out_dir: Path, rng: np.random.Generator) -> ShipmentOutput:
    """Write all shipment files under ``out_dir/shipments`` and return what was written."""
    scenario = world.scenario
    folder = out_dir / "shipments"
    folder.mkdir(parents=True, exist_ok=True)
    by_month = case_rows(world, rng)
    case_gbp = case_market_gbp(world, by_month)
    cutoff_month = scenario.cutoff.strftime("%Y-%m")
    targets = market_targets(scenario.market, world.months, cutoff_month, case_gbp, rng)
    background = {cell: value - case_gbp.get(cell, 0.0) for cell, value in targets.items()}
    mean_gbp = mean_row_gbp(world, background)
    result = ShipmentOutput(targets=targets)
    writers: dict[str, ShipmentWriter] = {}
    for stem, (encoding, _, _) in EXTRACTS.items():
        result.mappings[stem] = folder / f"{stem}.mapping.yaml"
        write_mapping(result.mappings[stem], encoding)
    headings = list(scenario.market.headings)
    for month in world.months:
        cells = {origin: value for (m, origin), value in background.items() if m == month}
        rows = background_month(world, rng, month, cells, mean_gbp)
        if month in by_month:
            rows = Rows.concat([rows, by_month[month]])
        rows = rows.take(np.argsort(rows.day, kind="stable"))
        in_market = (np.isin(rows.hs.astype("<U4"), headings)
                     & (world.pool.country[rows.importer] == scenario.market.importer_country))
        for origin in np.unique(rows.origin[in_market]):
            result.market[(month, str(origin))] = float(rows.value_gbp[in_market & (rows.origin == origin)].sum())
        for flow in np.unique(rows.flow[rows.flow >= 0]):
            result.case_by_flow[int(flow)] += float(rows.value_gbp[rows.flow == flow].sum())
        route = _route(world, rows, month, rng)
        for stem in sorted(set(route)):
            if stem not in writers:
                if stem in EXTRACTS:
                    encoding, prefix, _ = EXTRACTS[stem]
                    writers[stem] = ShipmentWriter(world, folder / f"{stem}.csv", "ru", encoding, prefix, rng)
                else:
                    writers[stem] = ShipmentWriter(world, folder / f"{stem}.csv", "standard", "utf-8",
                                                   f"SHP{stem[-4:]}", rng)
            writers[stem].write(rows.take(np.flatnonzero(route == stem)), month)
    result.files = {stem: writer.close() for stem, writer in sorted(writers.items())}
    return result
