"""Column mapping: how a file's layout feeds the standard columns of shipments or trade statistics.

A file in the standard profile needs no mapping: its columns are recognised by
name (case, spaces and ``-`` ignored). Other layouts come with a small YAML
file (every key but ``columns`` optional)::

    sheet: Declarations       # XLSX: the sheet to read (default: the first)
    header_row: 6             # the header's row; rows above it are a banner
    skip_rows: 1              # rows right under the header that are not records (units)
    delimiter: ";"
    encoding: cp1251          # used when the file is not valid UTF-8
    date_format: "%d.%m.%Y"   # or a list of formats
    decimal: ","
    thousands: " "
    null_values: [NULL, "-"]  # cells that mean "empty"
    currency: USD             # when the file has no currency column
    multipliers:              # values "in thousands"
      value: 1000
    hs_width: 2               # codes shorter than this lost their leading zeros; or "even"
    classification: HS2017    # HS (any edition), CN, TN VED; SITC is refused for shipments
    keep:                     # only rows whose column holds one of these values
      "Trade Flow": Import
    columns:                  # source column -> standard column (or a list of them)
      "Дата декларации": date
      "Reporter": [importer_name, importer_country]
    constants:                # fixed values for standard columns the file lacks
      importer_country: RU

``load_mapping(path, kind)`` validates all of it and names the key of every
mistake; ``load_profile(name)`` reads a built-in one (``sources/profiles``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from diversion.errors import ConfigError, SourceError
from diversion.reference.trade import Classification, classification

#: The standard shipment profile (DESIGN.md), in contract order.
STANDARD_COLUMNS: tuple[str, ...] = (
    "record_id", "date", "hs_code", "description", "brand", "model", "manufacture_year",
    "exporter_name", "exporter_address", "exporter_country", "importer_name", "importer_address",
    "importer_country", "importer_id", "origin_country", "dispatch_country", "trading_country",
    "value", "currency", "quantity", "unit", "net_weight_kg",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("date", "hs_code", "exporter_name", "importer_name", "value")
#: The standard columns of a trade-statistics record (one reporter's figure for one partner, flow,
#: commodity and period).
STATS_COLUMNS: tuple[str, ...] = (
    "reporter", "reporter_name", "partner", "partner_name", "flow", "classification", "commodity_code",
    "commodity", "commodity_level", "period", "value", "currency", "quantity", "quantity_unit", "net_weight_kg",
)
#: Each group needs one of its columns (a code or a name will do for the countries).
STATS_REQUIRED: tuple[tuple[str, ...], ...] = (
    ("reporter", "reporter_name"), ("partner", "partner_name"), ("flow",), ("commodity_code",), ("period",),
    ("value",),
)
KINDS: dict[str, tuple[str, ...]] = {"shipments": STANDARD_COLUMNS, "stats": STATS_COLUMNS}
NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "shipments": ("value", "quantity", "net_weight_kg"),
    "stats": ("value", "quantity", "net_weight_kg"),
}
_KEYS = {"delimiter", "encoding", "date_format", "decimal", "thousands", "currency", "columns", "constants",
         "sheet", "header_row", "skip_rows", "null_values", "keep", "multipliers", "hs_width", "classification"}
_DELIMITERS = {",", ";", "\t", "|"}
_LOOSE = re.compile(r"[\W_]+", re.UNICODE)
PROFILE_DIR = "profiles"


@dataclass(frozen=True)
class KeepRule:
    """Keep only rows whose ``column`` holds one of ``values`` (compared trimmed, ignoring case)."""

    column: str
    values: tuple[str, ...]

    def describe(self) -> str:
        """``Trade Flow = Import`` or ``Trade Flow in (1, 2)``, for quarantine reasons."""
        if len(self.values) == 1:
            return f"{self.column} = {self.values[0]}"
        return f"{self.column} in ({', '.join(self.values)})"


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (all fields optional; the empty mapping is the standard profile)."""

    #: (source column, standard column) in the file's order; one source may feed several columns,
    #: and several sources may offer one column (the first the file has wins).
    pairs: tuple[tuple[str, str], ...] = ()
    constants: dict[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    encoding: str | None = None
    date_formats: tuple[str, ...] = ()
    decimal: str | None = None
    thousands: str | None = None
    currency: str | None = None
    path: str | None = None
    sheet: str | None = None
    #: 1-based row (sheet row, or CSV line) of the header; ``None``: the first non-empty row.
    header_row: int | None = None
    skip_rows: int = 0
    null_values: tuple[str, ...] = ()
    keep: tuple[KeepRule, ...] = ()
    multipliers: dict[str, float] = field(default_factory=dict)
    #: Pad codes shorter than this many digits with leading zeros; ``"even"``: pad odd lengths by one.
    hs_width: int | str | None = None
    classification: Classification | None = None
    kind: str = "shipments"
    #: Name of the built-in profile this came from; a profile's ``keep`` columns may be absent from a file.
    profile: str | None = None

    @property
    def columns(self) -> dict[str, str]:
        """Source column -> its (first) standard column."""
        out: dict[str, str] = {}
        for source, target in self.pairs:
            out.setdefault(source, target)
        return out


def column_key(name: str) -> str:
    """How column names are compared: case, surrounding/inner spaces, ``-`` and BOM ignored.

    >>> column_key(" Exporter Name"), column_key("HS-Code")
    ('exporter_name', 'hs_code')
    """
    text = name.replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").replace("_", " ").split())


def loose_key(name: str) -> str:
    """Letters and digits only: ``Trade Value (US$)`` and ``TradeValueUS`` are one column.

    >>> loose_key("Trade Value (US$)") == loose_key("TradeValueUS")
    True
    """
    return _LOOSE.sub("", name.replace("\ufeff", "").lower())


def _fail(origin: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"{origin}: mapping key '{key}': {message}")


def _text(origin: str, key: str, value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _fail(origin, key, f"expected a text value, got {value!r}")
    return str(value)


def _texts(origin: str, key: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    if not items:
        raise _fail(origin, key, "expected a value or a list of values, got an empty list")
    return tuple(_text(origin, key, v).strip() for v in items)


def _positive_int(origin: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(origin, key, f"expected a whole number of at least {minimum}, got {value!r}")
    return value


def load_mapping(path: Path, kind: str = "shipments") -> Mapping:
    """Read and validate a mapping file for ``kind`` (``shipments`` or ``stats``); errors name the file and key."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise SourceError(str(path), "mapping file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"cannot read mapping file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    return mapping_from_dict(data, str(path), kind)


def profile_names() -> list[str]:
    """The built-in statistics profiles (``--profile``)."""
    folder = files("diversion.sources").joinpath(PROFILE_DIR)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_profile(name: str, kind: str = "stats") -> Mapping:
    """A built-in mapping by name (``comtrade``, ``comtrade-plus``, ``comext``)."""
    if name not in profile_names():
        raise ConfigError(f"--profile {name!r}: unknown profile; one of {', '.join(profile_names())}")
    resource = files("diversion.sources").joinpath(PROFILE_DIR, f"{name}.yaml")
    data = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return mapping_from_dict(data, f"profile {name}", kind, profile=name)


def _pairs(origin: str, data: dict[str, Any], allowed: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise _fail(origin, "columns", "expected 'source column: standard column' pairs")
    pairs: list[tuple[str, str]] = []
    for source, targets in columns.items():
        key = f"columns.{source}"
        for target in _texts(origin, key, targets):
            if column_key(target) not in allowed:
                raise _fail(origin, key, f"unknown standard column {target!r}; one of {', '.join(allowed)}")
            pairs.append((str(source), column_key(target)))
    return tuple(pairs)


def _keep(origin: str, data: dict[str, Any]) -> tuple[KeepRule, ...]:
    raw = data.get("keep") or {}
    if not isinstance(raw, dict):
        raise _fail(origin, "keep", "expected 'source column: value' (or a list of values) pairs")
    return tuple(KeepRule(str(column), _texts(origin, f"keep.{column}", values)) for column, values in raw.items())


def _multipliers(origin: str, data: dict[str, Any], kind: str) -> dict[str, float]:
    raw = data.get("multipliers") or {}
    if not isinstance(raw, dict):
        raise _fail(origin, "multipliers", "expected 'standard column: number' pairs, e.g. value: 1000")
    out: dict[str, float] = {}
    for target, factor in raw.items():
        key = f"multipliers.{target}"
        if column_key(str(target)) not in NUMBER_COLUMNS[kind]:
            raise _fail(origin, key, f"not a number column; one of {', '.join(NUMBER_COLUMNS[kind])}")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 0:
            raise _fail(origin, key, f"expected a positive number such as 1000, got {factor!r}")
        out[column_key(str(target))] = float(factor)
    return out


def _hs_width(origin: str, value: Any) -> int | str | None:
    if value is None:
        return None
    if value == "even":
        return "even"
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= 10:
        raise _fail(origin, "hs_width", f"expected a number of digits from 2 to 10, or 'even'; got {value!r}")
    return value


def _classification(origin: str, value: Any) -> Classification | None:
    if value is None:
        return None
    found = classification(_text(origin, "classification", value))
    if found is None:
        raise _fail(origin, "classification",
                    f"unknown classification {value!r}; e.g. HS, HS2017 (or Comtrade's H5), CN, SITC4 (S4), BEC")
    return found


def mapping_from_dict(data: Any, origin: str, kind: str = "shipments", profile: str | None = None) -> Mapping:
    """Validate a mapping's parsed YAML; ``origin`` (a path or profile name) starts every error."""
    if kind not in KINDS:
        raise ConfigError(f"{origin}: unknown record kind {kind!r}; one of {', '.join(KINDS)}")
    allowed = KINDS[kind]
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: a mapping file is a YAML dictionary with at least 'columns'")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise _fail(origin, unknown[0], f"unknown key; allowed: {', '.join(sorted(_KEYS))}")
    constants_raw = data.get("constants") or {}
    if not isinstance(constants_raw, dict):
        raise _fail(origin, "constants", "expected 'standard column: value' pairs")
    constants: dict[str, str] = {}
    for target, value in constants_raw.items():
        if column_key(str(target)) not in allowed:
            raise _fail(origin, f"constants.{target}", f"unknown standard column {target!r}")
        constants[column_key(str(target))] = _text(origin, f"constants.{target}", value)
    declared = _classification(origin, data.get("classification"))
    if declared is None and "classification" in constants:
        declared = _classification(origin, constants["classification"])
    delimiter = data.get("delimiter")
    if delimiter is not None:
        delimiter = _text(origin, "delimiter", delimiter).replace("\\t", "\t")
        if delimiter not in _DELIMITERS:
            raise _fail(origin, "delimiter", f"{delimiter!r} is not one of , ; | or a tab")
    encoding = data.get("encoding")
    if encoding is not None:
        encoding = _text(origin, "encoding", encoding)
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise _fail(origin, "encoding", f"unknown encoding {encoding!r}") from exc
    formats = data.get("date_format") or ()
    if isinstance(formats, str):
        formats = (formats,)
    if not isinstance(formats, list | tuple) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise _fail(origin, "date_format", "expected a strptime format like '%d.%m.%Y' or a list of them")
    decimal = data.get("decimal")
    if decimal is not None and _text(origin, "decimal", decimal) not in {".", ","}:
        raise _fail(origin, "decimal", "expected '.' or ','")
    thousands = data.get("thousands")
    currency = data.get("currency")
    if currency is not None and (len(str(currency).strip()) != 3 or not str(currency).strip().isalpha()):
        raise _fail(origin, "currency", f"{currency!r} is not an ISO-4217 code like USD")
    sheet = data.get("sheet")
    header_row = data.get("header_row")
    null_values = data.get("null_values")
    if isinstance(null_values, list):
        # YAML reads a bare NULL (or null, ~) as "no value": the user meant the text NULL.
        null_values = ["NULL" if v is None else v for v in null_values]
    elif "null_values" in data and null_values is None:
        null_values = ["NULL"]
    return Mapping(
        pairs=_pairs(origin, data, allowed),
        constants=constants,
        delimiter=delimiter,
        encoding=encoding,
        date_formats=tuple(formats),
        decimal=str(decimal) if decimal is not None else None,
        thousands=_text(origin, "thousands", thousands) if thousands is not None else None,
        currency=str(currency).strip().upper() if currency is not None else None,
        path=origin,
        sheet=_text(origin, "sheet", sheet) if sheet is not None else None,
        header_row=_positive_int(origin, "header_row", header_row, 1) if header_row is not None else None,
        skip_rows=_positive_int(origin, "skip_rows", data.get("skip_rows") or 0, 0),
        null_values=_texts(origin, "null_values", null_values) if null_values is not None else (),
        keep=_keep(origin, data),
        multipliers=_multipliers(origin, data, kind),
        hs_width=_hs_width(origin, data.get("hs_width")),
        classification=declared,
        kind=kind,
        profile=profile,
    )


def find_column(header: list[str], name: str) -> str | None:
    """The header's column called ``name``: exactly, then as ``column_key``, then by letters and digits."""
    if name in header:
        return name
    for compare in (column_key, loose_key):
        wanted = compare(name)
        for actual in header:
            if wanted and compare(actual) == wanted:
                return actual
    return None


def match_columns(header: list[str], mapping: Mapping) -> tuple[dict[str, str], list[str]]:
    """Standard column -> source column (mapping first, then by name), and the required ones still missing."""
    allowed = KINDS[mapping.kind]
    out: dict[str, str] = {}
    for source, target in mapping.pairs:
        actual = find_column(header, source)
        if actual is not None and target not in out:
            out[target] = actual
    for name in header:
        key = column_key(name)
        if key in allowed and key not in out and name not in out.values():
            out[key] = name
    provided = set(out) | set(mapping.constants)
    if mapping.kind == "stats":
        missing = ["/".join(group) for group in STATS_REQUIRED if not provided & set(group)]
        if "classification" not in provided and mapping.classification is None:
            missing.append("classification (a column, or 'classification:' in the mapping)")
    else:
        missing = [c for c in REQUIRED_COLUMNS if c not in provided]
    return out, missing


def resolve_columns(header: list[str], mapping: Mapping, path: str) -> dict[str, str]:
    """Standard column -> source column, from the mapping first, then by name.

    Raises ``SourceError`` naming the required columns that neither the file
    nor the mapping's constants provide.
    """
    out, missing = match_columns(header, mapping)
    if missing:
        hint = "" if mapping.pairs else "; give a --mapping file for other layouts"
        if mapping.profile:
            hint = f"; is this file in the {mapping.profile} layout?"
        if len(header) == 1:
            hint = "; the header is a single column: is the delimiter right?"
        if mapping.header_row is None and not mapping.profile:
            hint += " (a banner above the header? say on which row the header is with 'header_row:')"
        shown = ", ".join(header[:30]) or "none"
        raise SourceError(
            path, f"missing required column(s) {', '.join(missing)} (file has: {shown}){hint}"
        )
    return out


def resolve_keep(header: list[str], mapping: Mapping, path: str) -> list[tuple[KeepRule, str]]:
    """Each keep rule with the header column it reads; a missing column is an error (a profile's is skipped)."""
    out = []
    for rule in mapping.keep:
        actual = find_column(header, rule.column)
        if actual is None:
            if mapping.profile:
                continue
            raise SourceError(path, f"mapping key 'keep.{rule.column}': the file has no column {rule.column!r} "
                                    f"(file has: {', '.join(header[:30])})")
        out.append((rule, actual))
    return out
