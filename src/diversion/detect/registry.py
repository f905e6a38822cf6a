"""The detector registry: every red flag declares itself here, and the flag vocabulary is read from it.

A detector is a module of ``detect/`` holding one ``DETECTOR = Detector(...)``:
its flag name, the settings it reads (fields of ``config.DetectSettings``), its
default weight in the lead score, its severity, the lookup tables it needs from
the prepared context, and the function that finds. The registry lists the
modules in report order; nothing else names the flags.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from diversion.config import DetectSettings, Settings
from diversion.errors import ConfigError

if TYPE_CHECKING:
    from diversion.detect.context import DetectContext
    from diversion.detect.finding import Finding

#: Severity of a flag: ``severe`` flags are shown in red; ``supporting`` flags never make a lead on their own.
SEVERITIES = ("severe", "warning", "supporting")

#: Detector modules in flag-vocabulary (report) order.
MODULE_NAMES = (
    "sanctioned",
    "sanctions_proximity",
    "intermediary_surge",
    "commissioning",
    "brand_diversion",
    "transshipment",
    "impersonation",
    "hosting_mismatch",
    "priority_goods",
    "military_end_user",
)


@dataclass(frozen=True)
class Detector:
    """One red flag: what it is called, what it reads, how much it weighs, and the function that finds it."""

    name: str
    #: Returns the findings, or yields them (a detector with very many findings: they are written as they come).
    find: Callable[[DetectContext], Iterable[Finding]]
    #: Default weight of the flag in the lead score (``leads.weights`` overrides it).
    weight: float
    severity: str
    #: Fields of ``config.DetectSettings`` the detector reads (shown with its method text).
    settings: tuple[str, ...] = ()
    #: Lookup tables the context must build before ``find`` runs (see ``detect.context.LOOKUPS``).
    tables: tuple[str, ...] = ()
    #: A short label for tables and legends.
    title: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"detector {self.name}: severity {self.severity!r} is not one of {SEVERITIES}")
        known = {f.name for f in fields(DetectSettings)}
        unknown = [s for s in self.settings if s not in known]
        if unknown:
            raise ValueError(f"detector {self.name}: unknown settings {unknown}")

    @property
    def standalone(self) -> bool:
        """Whether this flag alone makes an entity a lead (``supporting`` flags only add weight)."""
        return self.severity != "supporting"

    def method(self) -> str:
        """The user-facing explanation: the finding function's docstring."""
        doc = inspect.getdoc(self.find) or ""
        return "\n".join(line.strip() for line in doc.strip().splitlines())

    def settings_used(self, settings: Settings) -> list[tuple[str, object]]:
        """``(detect.<name>, value)`` for each setting the detector declares."""
        return [(f"detect.{name}", getattr(settings.detect, name)) for name in self.settings]


@cache
def registry() -> dict[str, Detector]:
    """Every detector by flag name, in vocabulary order."""
    out: dict[str, Detector] = {}
    for module_name in MODULE_NAMES:
        detector = import_module(f"diversion.detect.{module_name}").DETECTOR
        if detector.name != module_name:
            raise ValueError(f"detect/{module_name}.py declares the flag {detector.name!r}; name it like its module")
        out[detector.name] = detector
    return out


def flags() -> tuple[str, ...]:
    """The flag vocabulary, in report order."""
    return tuple(registry())


def detector(name: str) -> Detector:
    """The detector of flag ``name``; a typed error naming the choices otherwise."""
    found = registry().get(name)
    if found is None:
        raise ConfigError(f"unknown detector {name!r}; choose from {', '.join(flags())}")
    return found


def weights(settings: Settings) -> dict[str, float]:
    """Each flag's weight: the detector's own, unless ``leads.weights`` overrides it."""
    unknown = sorted(set(settings.leads.weights) - set(registry()))
    if unknown:
        raise ConfigError(f"leads.weights names unknown flag(s) {', '.join(unknown)}; choose from {', '.join(flags())}")
    return {name: float(settings.leads.weights.get(name, d.weight)) for name, d in registry().items()}


def severity(name: str) -> str:
    """``severe``, ``warning`` or ``supporting`` (``warning`` for a flag the registry does not know)."""
    found = registry().get(name)
    return found.severity if found else "warning"
