"""The one shape every detector returns."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

#: The flag vocabulary of the leads list (DESIGN.md), in report order.
FLAGS = (
    "sanctioned",
    "sanctions_proximity",
    "intermediary_surge",
    "brand_diversion",
    "transshipment",
    "impersonation",
    "hosting_mismatch",
    "priority_goods",
    "military_end_user",
)


@dataclass(frozen=True)
class Finding:
    """One red flag raised on one entity, with everything an analyst needs to check it.

    ``score`` is the detector's confidence in 0..1; ``summary`` is one human
    sentence; ``evidence`` holds the record ids, names, scores and hops.
    """

    detector: str
    entity_id: str
    score: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.detector not in FLAGS:
            raise ValueError(f"unknown detector flag {self.detector!r}; use one of {', '.join(FLAGS)}")
        # Scores are clipped rather than rejected: detectors combine factors that may overshoot.
        object.__setattr__(self, "score", round(min(1.0, max(0.0, float(self.score))), 4))

    @property
    def finding_id(self) -> str:
        """Stable id: the same finding on the same data gets the same id."""
        key = json.dumps([self.detector, self.entity_id, self.summary], ensure_ascii=False)
        return f"{self.detector}:{hashlib.sha1(key.encode()).hexdigest()[:16]}"

    def evidence_json(self) -> str:
        """The evidence as JSON text (dates and other values as strings).

        Floats keep ten significant digits: sums over many shipments differ in
        the last bits with the order an engine adds them in.
        """
        return json.dumps(_rounded(self.evidence), ensure_ascii=False, default=str, sort_keys=True)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def money(value: float | None) -> str:
    """A dollar amount the way a reader scans it: $1.2m, $530k, $900."""
    v = float(value or 0)
    if abs(v) >= 1e6:
        return f"${v / 1e6:,.1f}m"
    if abs(v) >= 1e3:
        return f"${v / 1e3:,.0f}k"
    return f"${v:,.0f}"
