"""Write shipment rows as real files: standard-profile CSV and Russian customs extracts.

Each ``ShipmentWriter`` streams one file month by month (pyarrow's CSV
writer, never a Python object per row), plants a few percent of bad rows
among the ordinary ones, and records what it wrote for the truth files:
which name variant of which company appears where, the case's record ids,
and the line of every planted bad row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from diversion.demo.exchange_rates import gbp_to
from diversion.demo.names import SAFE_SLOT, SLOTS
from diversion.demo.rows import Rows
from diversion.demo.words import COUNTRY_EN, COUNTRY_RU
from diversion.demo.world import World

STANDARD_COLUMNS = (
    "record_id", "date", "hs_code", "description", "brand", "model", "manufacture_year",
    "exporter_name", "exporter_address", "exporter_country", "importer_name", "importer_address",
    "importer_country", "importer_id", "origin_country", "dispatch_country", "trading_country",
    "value", "currency", "quantity", "unit", "net_weight_kg",
)
#: Russian customs extract: source column -> standard column (no importer country: a constant RU).
RU_COLUMNS = {
    "Номер декларации": "record_id", "Дата декларации": "date", "Код ТН ВЭД": "hs_code",
    "Описание товара": "description", "Товарный знак": "brand", "Модель": "model",
    "Год выпуска": "manufacture_year", "Отправитель": "exporter_name", "Адрес отправителя": "exporter_address",
    "Страна отправителя": "exporter_country", "Получатель": "importer_name",
    "Адрес получателя": "importer_address", "ИНН получателя": "importer_id",
    "Страна происхождения": "origin_country", "Страна отправления": "dispatch_country",
    "Торгующая страна": "trading_country", "Стоимость": "value", "Валюта": "currency",
    "Количество": "quantity", "Ед. изм.": "unit", "Вес нетто, кг": "net_weight_kg",
}
BAD_KINDS = ("bad_date", "bad_hs", "negative_value", "missing_importer", "unknown_country", "too_few_fields")
#: Share of planted bad rows among a file's ordinary rows.
BAD_RATE = 0.025


@dataclass
class WrittenFile:
    """What one writer put into its file (for truth files and tests)."""

    path: Path
    rows: int = 0
    lines: int = 1  # the header
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, record_id, kind)
    case: list[tuple[str, int, float]] = field(default_factory=list)  # (record_id, flow, gbp)
    mentions: dict[str, list[tuple[np.ndarray, list[str]]]] = field(default_factory=dict)


def _names(world: World, company: np.ndarray, slot: np.ndarray, cp1251: bool) -> tuple[pa.Array, np.ndarray]:
    if cp1251:
        slot = np.where(world.pool.encodable[company * SLOTS + slot], slot, SAFE_SLOT)
    keys = company * SLOTS + slot
    return world.pool.names.take(pa.array(keys)), keys


def _country_column(codes: np.ndarray, names: dict[str, str] | None, named: np.ndarray | None = None) -> pa.Array:
    """ISO codes as written: all as ``names`` (when ``named`` is None), or as names where ``named``."""
    encoded = pa.array(codes).dictionary_encode()
    values = encoded.dictionary.to_pylist()
    as_code = pa.array([v or None for v in values], pa.string()).take(encoded.indices)
    if names is None:
        return as_code
    as_name = pa.array([names.get(v, v) if v else None for v in values], pa.string()).take(encoded.indices)
    return as_name if named is None else pc.if_else(pa.array(named), as_name, as_code)


def _decimal_comma(values: np.ndarray, digits: int) -> pa.Array:
    scaled = np.round(np.abs(values) * 10**digits).astype(np.int64)
    whole = pa.array(scaled // 10**digits).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(scaled % 10**digits).cast(pa.string()), width=digits, padding="0")
    sign = pa.array(np.where(values < 0, "-", ""))
    return pc.binary_join_element_wise(sign, pc.binary_join_element_wise(whole, frac, ","), "")


class ShipmentWriter:
    """Streams one shipment file (``style`` standard or ru; ``encoding`` utf-8 or cp1251)."""

    def __init__(self, world: World, path: Path, style: str, encoding: str, id_prefix: str,
                 rng: np.random.Generator) -> None:
        self.world, self.style, self.encoding, self.id_prefix, self.rng = world, style, encoding, id_prefix, rng
        self.delimiter = ";" if style == "ru" else ","
        self.newline = "\r\n" if style == "ru" else "\n"  # extracts come from Windows tools
        self.out = WrittenFile(path)
        self.seq = 0
        self.handle = path.open("wb")
        header = list(RU_COLUMNS) if style == "ru" else list(STANDARD_COLUMNS)
        self.handle.write((self.delimiter.join(header) + self.newline).encode(encoding))

    def _ids(self, days: np.ndarray, n: int) -> pa.Array:
        seq = pa.array(np.arange(self.seq + 1, self.seq + n + 1)).cast(pa.string())
        self.seq += n
        seq = pc.utf8_lpad(seq, width=7, padding="0")
        if self.style == "ru":  # customs post / ddmmyy / number, as on a Russian declaration
            stamp = pc.strftime(pa.array(days).cast(pa.timestamp("s")), format="%d%m%y")
            return pc.binary_join_element_wise(self.id_prefix, stamp, seq, "/")
        return pc.binary_join_element_wise(self.id_prefix, seq, "-")

    def _table(self, rows: Rows, month: str) -> tuple[pa.Table, np.ndarray, np.ndarray]:
        world, n, ru = self.world, len(rows), self.style == "ru"
        cp1251 = self.encoding == "cp1251"
        currencies, inverse = np.unique(rows.currency, return_inverse=True)
        factor = np.array([gbp_to(str(c), month) for c in currencies])[inverse]
        decimals = np.where(rows.currency == "JPY", 0, 2)
        value = np.round(rows.value_gbp * factor * 100) / 100
        value = np.where(decimals == 0, np.round(value), value)
        exp_names, exp_keys = _names(world, rows.exporter, rows.exp_slot, cp1251)
        imp_names, imp_keys = _names(world, rows.importer, rows.imp_slot, cp1251)
        address = world.pool.address_safe if cp1251 else world.pool.address
        countries = {}
        for col, codes in (("exporter_country", world.pool.country[rows.exporter]),
                           ("importer_country", world.pool.country[rows.importer]),
                           ("origin_country", rows.origin), ("dispatch_country", rows.dispatch),
                           ("trading_country", rows.trading)):
            if ru:
                countries[col] = _country_column(codes, COUNTRY_RU)
            else:  # most rows write ISO codes, some the English name
                countries[col] = _country_column(codes, COUNTRY_EN, self.rng.random(n) < 0.08)
        inn = pc.if_else(pa.array(rows.has_id), world.pool.inn.take(pa.array(rows.importer)),
                         pa.scalar(None, pa.string()))
        year = pa.array(np.where(rows.year > 0, rows.year, 0), pa.int32())
        year = pc.if_else(pa.array(rows.year > 0), year, pa.scalar(None, pa.int32()))
        cols = {
            "record_id": self._ids(rows.day, n),
            "date": (pc.strftime(pa.array(rows.day).cast(pa.timestamp("s")), format="%d.%m.%Y") if ru
                     else pa.array(rows.day).cast(pa.string())),
            "hs_code": pa.array(rows.hs.astype(str), pa.string()),
            "description": rows.desc_ru if ru else rows.desc_en,
            "brand": rows.brand, "model": rows.model, "manufacture_year": year,
            "exporter_name": exp_names,
            "exporter_address": address.take(pa.array(rows.exporter)),
            "exporter_country": countries["exporter_country"],
            "importer_name": imp_names,
            "importer_address": address.take(pa.array(rows.importer)),
            "importer_country": countries["importer_country"],
            "importer_id": inn,
            "origin_country": countries["origin_country"], "dispatch_country": countries["dispatch_country"],
            "trading_country": countries["trading_country"],
            "value": _decimal_comma(value, 2) if ru else pa.array(value),
            "currency": pa.array(rows.currency.astype(str)),
            "quantity": pa.array(rows.quantity.astype(np.int64)),
            "unit": pa.array(np.full(n, "шт" if ru else "pcs")),
            "net_weight_kg": _decimal_comma(rows.weight, 1) if ru else pa.array(np.round(rows.weight, 1)),
        }
        if ru:
            table = pa.table({src: cols[std] for src, std in RU_COLUMNS.items()})
        else:
            table = pa.table({c: cols[c] for c in STANDARD_COLUMNS})
        return table, exp_keys, imp_keys

    def _bad_rows(self, table: pa.Table, rows: Rows, month: str) -> tuple[pa.Table, list[str], list[str]]:
        ordinary = np.flatnonzero(rows.flow < 0)
        k = int(self.rng.binomial(len(ordinary), BAD_RATE)) if len(ordinary) else 0
        picked = self.rng.choice(ordinary, size=k, replace=False) if k else np.array([], dtype=np.int64)
        records = table.take(pa.array(picked, pa.int64())).to_pylist()
        names = table.column_names
        ru = self.style == "ru"
        ids = self._ids(rows.day[picked], k).to_pylist()
        kinds, short_lines = [], []
        keep = []
        for i, record in enumerate(records):
            kind = BAD_KINDS[int(self.rng.integers(len(BAD_KINDS)))]
            record[names[0]] = ids[i]
            year = month[:4]
            if kind == "bad_date":
                record[names[1]] = f"31.02.{year}" if ru else f"{year}-02-31"
            elif kind == "bad_hs":
                record[names[2]] = "ABC"
            elif kind == "negative_value":
                col = "Стоимость" if ru else "value"
                record[col] = f"-{record[col]}" if ru else -abs(record[col])
            elif kind == "missing_importer":
                record["Получатель" if ru else "importer_name"] = None
            elif kind == "unknown_country":
                record["Страна происхождения" if ru else "origin_country"] = "АТЛАНТИДА" if ru else "Atlantis"
            else:
                short_lines.append(self.delimiter.join(str(record[c] or "") for c in names[:5]))
                kinds.append(kind)
                continue
            kinds.append(kind)
            keep.append(record)
        bad = pa.Table.from_pylist(keep, schema=table.schema) if keep else table.slice(0, 0)
        ordered_kinds = [kd for kd in kinds if kd != "too_few_fields"] + ["too_few_fields"] * len(short_lines)
        return bad, ordered_kinds, short_lines

    def write(self, rows: Rows, month: str) -> None:
        """Append one month of rows (already sorted by date), with planted bad rows among them."""
        if not len(rows):
            return
        table, exp_keys, imp_keys = self._table(rows, month)
        bad, kinds, short_lines = self._bad_rows(table, rows, month)
        n, k = table.num_rows, bad.num_rows
        # Scatter the bad rows among the good ones.
        position = np.concatenate([np.arange(n, dtype=float), self.rng.uniform(0, n, k)])
        order = np.argsort(position, kind="stable")
        combined = pa.concat_tables([table, bad]).take(pa.array(order))
        line_of = np.empty(n + k, dtype=np.int64)
        line_of[order] = np.arange(n + k) + self.out.lines + 1
        bad_ids = bad.column(0).to_pylist()
        for j in range(k):
            self.out.bad.append((int(line_of[n + j]), str(bad_ids[j]), kinds[j]))
        buffer = io.BytesIO()
        pacsv.write_csv(combined, buffer, pacsv.WriteOptions(include_header=False, delimiter=self.delimiter))
        base = self.out.lines + n + k
        for j, line in enumerate(short_lines):
            self.out.bad.append((base + j + 1, line.split(self.delimiter)[0], "too_few_fields"))
        tail = "".join(line + self.newline for line in short_lines)
        if self.encoding == "utf-8" and self.newline == "\n":
            self.handle.write(buffer.getbuffer())
            self.handle.write(tail.encode("utf-8"))
        else:
            text = buffer.getvalue().decode("utf-8").replace("\n", self.newline) + tail
            self.handle.write(text.encode(self.encoding, errors="replace"))
        self.out.lines += n + k + len(short_lines)
        self.out.rows += n
        self._track(rows, table.column(0), exp_keys, imp_keys)

    def _track(self, rows: Rows, ids: pa.ChunkedArray, exp_keys: np.ndarray, imp_keys: np.ndarray) -> None:
        for role, keys in (("exporter", exp_keys), ("importer", imp_keys)):
            unique, first = np.unique(keys, return_index=True)
            self.out.mentions.setdefault(role, []).append((unique, ids.take(pa.array(first)).to_pylist()))
        case = np.flatnonzero(rows.flow >= 0)
        for i, record_id in zip(case, ids.take(pa.array(case, pa.int64())).to_pylist(), strict=True):
            self.out.case.append((record_id, int(rows.flow[i]), float(rows.value_gbp[i])))

    def close(self) -> WrittenFile:
        """Close the file and return what was written."""
        self.handle.close()
        return self.out
