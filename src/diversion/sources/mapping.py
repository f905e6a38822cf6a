"""Column mapping: which source column feeds which standard shipment column.

A file in the standard profile needs no mapping: its columns are recognised by
name (case, spaces and ``-`` ignored). Other layouts come with a small YAML
file::

    delimiter: ";"
    encoding: cp1251          # used when the file is not valid UTF-8
    date_format: "%d.%m.%Y"   # or a list of formats
    decimal: ","
    thousands: " "
    currency: USD             # when the file has no currency column
    columns:
      "Дата декларации": date
      "Код ТН ВЭД": hs_code
    constants:
      importer_country: RU

Every key but ``columns`` is optional.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from diversion.errors import ConfigError, SourceError

#: The standard shipment profile (DESIGN.md), in contract order.
STANDARD_COLUMNS: tuple[str, ...] = (
    "record_id", "date", "hs_code", "description", "brand", "model", "manufacture_year",
    "exporter_name", "exporter_address", "exporter_country", "importer_name", "importer_address",
    "importer_country", "importer_id", "origin_country", "dispatch_country", "trading_country",
    "value", "currency", "quantity", "unit", "net_weight_kg",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("date", "hs_code", "exporter_name", "importer_name", "value")
_KEYS = {"delimiter", "encoding", "date_format", "decimal", "thousands", "currency", "columns", "constants"}
_DELIMITERS = {",", ";", "\t", "|"}


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (all fields optional; the empty mapping is the standard profile)."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    date_formats: tuple[str, ...] = ()
    decimal: str | None = None
    thousands: str | None = None
    currency: str | None = None
    path: str | None = None


def column_key(name: str) -> str:
    """How column names are compared: case, surrounding/inner spaces, ``-`` and BOM ignored.

    >>> column_key(" Exporter Name"), column_key("HS-Code")
    ('exporter_name', 'hs_code')
    """
    text = name.replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").replace("_", " ").split())


def _fail(path: Path, key: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: mapping key '{key}': {message}")


def _text(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _fail(path, key, f"expected a text value, got {value!r}")
    return str(value)


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; errors name the file and the key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise SourceError(str(path), "mapping file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot read mapping file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a mapping file is a YAML dictionary with at least 'columns'")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown key; allowed: {', '.join(sorted(_KEYS))}")
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise _fail(path, "columns", "expected 'source column: standard column' pairs")
    renames: dict[str, str] = {}
    for source, target in columns.items():
        target_text = column_key(_text(path, f"columns.{source}", target))
        if target_text not in STANDARD_COLUMNS:
            raise _fail(path, f"columns.{source}",
                        f"unknown standard column {target!r}; one of {', '.join(STANDARD_COLUMNS)}")
        renames[str(source)] = target_text
    constants_raw = data.get("constants") or {}
    if not isinstance(constants_raw, dict):
        raise _fail(path, "constants", "expected 'standard column: value' pairs")
    constants: dict[str, str] = {}
    for target, value in constants_raw.items():
        if column_key(str(target)) not in STANDARD_COLUMNS:
            raise _fail(path, f"constants.{target}", f"unknown standard column {target!r}")
        constants[column_key(str(target))] = _text(path, f"constants.{target}", value)
    delimiter = data.get("delimiter")
    if delimiter is not None:
        delimiter = _text(path, "delimiter", delimiter).replace("\\t", "\t")
        if delimiter not in _DELIMITERS:
            raise _fail(path, "delimiter", f"{delimiter!r} is not one of , ; | or a tab")
    encoding = data.get("encoding")
    if encoding is not None:
        encoding = _text(path, "encoding", encoding)
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise _fail(path, "encoding", f"unknown encoding {encoding!r}") from exc
    formats = data.get("date_format") or ()
    if isinstance(formats, str):
        formats = (formats,)
    if not isinstance(formats, list | tuple) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise _fail(path, "date_format", "expected a strptime format like '%d.%m.%Y' or a list of them")
    decimal = data.get("decimal")
    if decimal is not None and _text(path, "decimal", decimal) not in {".", ","}:
        raise _fail(path, "decimal", "expected '.' or ','")
    thousands = data.get("thousands")
    currency = data.get("currency")
    if currency is not None and (len(str(currency).strip()) != 3 or not str(currency).strip().isalpha()):
        raise _fail(path, "currency", f"{currency!r} is not an ISO-4217 code like USD")
    return Mapping(
        columns=renames,
        constants=constants,
        delimiter=delimiter,
        encoding=encoding,
        date_formats=tuple(formats),
        decimal=str(decimal) if decimal is not None else None,
        thousands=_text(path, "thousands", thousands) if thousands is not None else None,
        currency=str(currency).strip().upper() if currency is not None else None,
        path=str(path),
    )


def resolve_columns(header: list[str], mapping: Mapping, path: str) -> dict[str, str]:
    """Standard column -> source column, from the mapping first, then by name.

    Raises ``SourceError`` naming the required columns that neither the file
    nor the mapping's constants provide.
    """
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(column_key(name), name)
    out: dict[str, str] = {}
    for source, target in mapping.columns.items():
        actual = source if source in header else by_key.get(column_key(source))
        if actual is not None and target not in out:
            out[target] = actual
    for name in header:
        key = column_key(name)
        if key in STANDARD_COLUMNS and key not in out and name not in out.values():
            out[key] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in out and c not in mapping.constants]
    if missing:
        hint = "" if mapping.columns else "; give a --mapping file for other layouts"
        if len(header) == 1:
            hint = "; the header is a single column: is the delimiter right?"
        shown = ", ".join(header[:30]) or "none"
        raise SourceError(
            path, f"missing required column(s) {', '.join(missing)} (file has: {shown}){hint}"
        )
    return out
