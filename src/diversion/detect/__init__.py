"""Red-flag detectors: one registered module per flag, each a function of a prepared context returning ``Finding``s.

Every detector module declares ``DETECTOR = Detector(...)`` (``detect.registry``):
its flag name, the settings it reads, its weight in the lead score, its
severity and the lookup tables it needs; its finding function's docstring is
the method text the report shows. ``run_detection`` builds one
``DetectContext`` (``detect.context``) and runs them all over the network,
then rewrites the ``findings`` table. The flag vocabulary is the registry's.
"""

from __future__ import annotations

from diversion.detect import (
    brand_diversion,
    commissioning,
    hosting_mismatch,
    impersonation,
    intermediary_surge,
    military_end_user,
    priority_goods,
    sanctioned,
    sanctions_proximity,
    transshipment,
)
from diversion.detect.context import DetectContext
from diversion.detect.finding import Finding
from diversion.detect.registry import Detector, detector, flags, registry, weights
from diversion.detect.run import detect_counts, load_findings, run_detection, run_one, write_findings

#: The flag vocabulary (from the registry), in report order.
FLAGS: tuple[str, ...] = flags()
#: Each flag's detector.
DETECTORS: dict[str, Detector] = registry()


def method_text(name: str) -> str:
    """The user-facing explanation of a detector (its finding function's docstring), for reports."""
    return detector(name).method()


__all__ = ["DETECTORS", "FLAGS", "DetectContext", "Detector", "Finding", "brand_diversion", "commissioning",
           "detect_counts", "hosting_mismatch", "impersonation", "intermediary_surge", "load_findings", "method_text",
           "military_end_user", "priority_goods", "registry", "run_detection", "run_one", "sanctioned",
           "sanctions_proximity", "transshipment", "weights", "write_findings"]
