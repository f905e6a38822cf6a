"""Settings in one typed object.

Values come, in order of precedence, from ``DIVERSION_*`` environment
variables, an optional TOML config file (``DIVERSION_CONFIG`` or
``diversion.toml`` in the working directory), and the defaults below.
Nothing else in the package reads the environment.

Each section is a frozen dataclass whose fields carry their documented
defaults; ``describe()`` lists them for the README and the report's method
section.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from diversion.errors import ConfigError

DEFAULT_DB = "diversion.duckdb"


@dataclass(frozen=True)
class ResolveSettings:
    """Entity resolution and screening."""

    #: Splink match probability at or above which two mentions are one entity.
    link_threshold: float = 0.9
    #: Pairs between these probabilities are queued for analyst review.
    review_low: float = 0.5
    review_high: float = 0.97
    #: Screening score (0..1) at or above which a name counts as a sanctions match.
    screen_threshold: float = 0.82


@dataclass(frozen=True)
class DetectSettings:
    """Red-flag detectors; each field is documented where it is used."""

    #: The cut-off date that separates "before" and "after" (full-scale invasion).
    cutoff_date: date = date(2022, 2, 24)
    #: Hops through trade or ownership within which sanctions proximity is flagged.
    proximity_max_hops: int = 2
    #: OFAC 50% rule: aggregate listed ownership at or above this share blocks an entity.
    ofac_ownership_share: float = 0.5
    #: A counterpart carrying at least this share of a flow's growth is flagged.
    surge_min_growth_share: float = 0.2
    #: Minimum growth (in reporting currency) of a flow before surge is considered.
    surge_min_growth_value: float = 100_000.0
    #: Jaccard similarity of website text at or above which it counts as a copy.
    impersonation_jaccard: float = 0.6
    #: Destination country of the flows under investigation.
    destination_country: str = "RU"


@dataclass(frozen=True)
class LeadSettings:
    """How findings combine into a lead score (see ``leads.py``)."""

    #: Leads scoring at or above this are shown by default.
    threshold: float = 0.5
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "sanctioned": 1.0,
            "sanctions_proximity": 0.6,
            "intermediary_surge": 0.8,
            "brand_diversion": 0.5,
            "transshipment": 0.4,
            "impersonation": 0.8,
            "hosting_mismatch": 0.5,
            "priority_goods": 0.3,
            "military_end_user": 0.9,
        }
    )


@dataclass(frozen=True)
class Settings:
    """All settings of one run."""

    db_path: Path = Path(DEFAULT_DB)
    #: ``duckdb`` (embedded, default) or ``spark``.
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    #: Currency that flows and reports are stated in (converted via the rates table).
    report_currency: str = "GBP"
    resolve: ResolveSettings = field(default_factory=ResolveSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    leads: LeadSettings = field(default_factory=LeadSettings)


def _coerce(value: Any, current: Any, name: str) -> Any:
    """Convert a config/env value to the type of the default it replaces."""
    try:
        if isinstance(current, bool):
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
        if isinstance(current, date):
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if isinstance(current, Path):
            return Path(value)
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise TypeError("expected a table")
            return {**current, **{str(k): float(v) for k, v in value.items()}}
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {value!r} ({exc})") from exc


def _apply(obj: Any, values: dict[str, Any], prefix: str) -> Any:
    changes: dict[str, Any] = {}
    known = {f.name: f for f in fields(obj)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {prefix}{key}")
        current = getattr(obj, key)
        if is_dataclass(current) and isinstance(value, dict):
            changes[key] = _apply(current, value, f"{prefix}{key}.")
        else:
            changes[key] = _coerce(value, current, prefix + key)
    return replace(obj, **changes)


def _env_values(environ: dict[str, str]) -> dict[str, Any]:
    """``DIVERSION_DB`` → db_path; ``DIVERSION_DETECT__CUTOFF_DATE`` → detect.cutoff_date."""
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith("DIVERSION_") or key == "DIVERSION_CONFIG":
            continue
        name = key[len("DIVERSION_") :].lower()
        if name == "db":
            name = "db_path"
        parts = name.split("__")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def load_settings(
    config_file: Path | None = None, environ: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the settings from defaults, a TOML file, the environment and overrides.

    >>> load_settings(environ={"DIVERSION_DB": "x.duckdb"}).db_path
    PosixPath('x.duckdb')
    """
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    path = config_file or (Path(env["DIVERSION_CONFIG"]) if "DIVERSION_CONFIG" in env else None)
    if path is None and Path("diversion.toml").is_file():
        path = Path("diversion.toml")
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        settings = _apply(settings, data, "")
    settings = _apply(settings, _env_values(env), "")
    clean = {k: v for k, v in overrides.items() if v is not None}
    return _apply(settings, clean, "") if clean else settings


def describe(obj: Any = None, prefix: str = "") -> list[tuple[str, Any]]:
    """List every setting as ``(dotted name, value)``, for reports and docs."""
    obj = Settings() if obj is None else obj
    rows: list[tuple[str, Any]] = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            rows.extend(describe(value, f"{prefix}{f.name}."))
        else:
            rows.append((prefix + f.name, value))
    return rows
