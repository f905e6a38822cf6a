"""The one shape every detector returns."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One red flag raised on one entity, with everything an analyst needs to check it.

    ``score`` is the detector's confidence in 0..1; ``summary`` is one human
    sentence; ``evidence`` holds the record ids (``shipment_ids``, ``edge_ids``,
    ``sanction_ids``, ``domains``), labelled ``facts`` for the evidence
    table, and the detector's own detail.
    """

    detector: str
    entity_id: str
    score: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from diversion.detect.registry import flags  # the registry imports the detectors, which import this

        if self.detector not in flags():
            raise ValueError(f"unknown detector flag {self.detector!r}; use one of {', '.join(flags())}")
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
        evidence = dict(self.evidence)
        if isinstance(evidence.get("facts"), dict):  # labelled facts keep the detector's order
            evidence["facts"] = [[label, value] for label, value in evidence["facts"].items()]
        return json.dumps(_rounded(evidence), ensure_ascii=False, default=str, sort_keys=True)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
