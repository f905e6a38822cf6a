"""Red-flag detectors: one module per flag, each a function over the warehouse returning ``Finding``s.

Every detector module has a ``NAME`` (its flag), a ``detect(engine, settings)``
function whose docstring is the method text the report shows, and its
thresholds in ``config.DetectSettings``. ``run_detection`` runs them all over
the network (building it when missing) and rewrites the ``findings`` table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType

import pyarrow as pa

from diversion.config import Settings
from diversion.detect import (
    brand_diversion,
    hosting_mismatch,
    impersonation,
    intermediary_surge,
    military_end_user,
    priority_goods,
    sanctioned,
    sanctions_proximity,
    transshipment,
)
from diversion.detect.finding import FLAGS, Finding
from diversion.engine import Engine
from diversion.errors import DiversionError
from diversion.graph.keys import prepare_keys

Detector = Callable[[Engine, Settings], list[Finding]]

#: The detectors in flag-vocabulary order.
MODULES: tuple[ModuleType, ...] = (
    sanctioned,
    sanctions_proximity,
    intermediary_surge,
    brand_diversion,
    transshipment,
    impersonation,
    hosting_mismatch,
    priority_goods,
    military_end_user,
)
DETECTORS: dict[str, Detector] = {m.NAME: m.detect for m in MODULES}


def method_text(name: str) -> str:
    """The user-facing explanation of a detector (its docstring), for reports."""
    doc = DETECTORS[name].__doc__ or ""
    lines = doc.strip().splitlines()
    return "\n".join(line.strip() for line in lines)


def _network_ready(engine: Engine) -> bool:
    return engine.table_exists("edges") and engine.table_exists("nodes") and engine.count("nodes") > 0


def run_detection(engine: Engine, settings: Settings, only: Iterable[str] | None = None) -> list[Finding]:
    """Run the detectors (all, or those named in ``only``) and rewrite the ``findings`` table.

    The network is built first when the warehouse has none.

    >>> findings = run_detection(engine, load_settings())  # doctest: +SKIP
    >>> sorted({f.detector for f in findings})  # doctest: +SKIP
    ['brand_diversion', 'impersonation', ...]
    """
    names = list(only) if only else list(DETECTORS)
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise DiversionError(f"unknown detector(s) {', '.join(unknown)}; choose from {', '.join(FLAGS)}")
    if not _network_ready(engine):
        from diversion.graph import build_graph

        build_graph(engine, settings)
    # Lookups are temporary tables of this connection: make them once for every detector.
    prepare_keys(engine)
    findings: list[Finding] = []
    for name in names:
        findings.extend(DETECTORS[name](engine, settings))
    write_findings(engine, findings)
    return findings


def write_findings(engine: Engine, findings: list[Finding]) -> None:
    """Replace the ``findings`` table with ``findings`` (same finding twice is written once)."""
    unique = {f.finding_id: f for f in findings}
    data = pa.table({
        "finding_id": pa.array(list(unique), pa.string()),
        "detector": pa.array([f.detector for f in unique.values()], pa.string()),
        "entity_id": pa.array([f.entity_id for f in unique.values()], pa.string()),
        "score": pa.array([f.score for f in unique.values()], pa.float64()),
        "summary": pa.array([f.summary for f in unique.values()], pa.string()),
        "evidence": pa.array([f.evidence_json() for f in unique.values()], pa.string()),
    })
    with engine.transaction():
        engine.reset_table("findings")
        engine.insert_arrow("findings", data)


def load_findings(engine: Engine) -> list[Finding]:
    """The findings the last detection run wrote."""
    import json

    if not engine.table_exists("findings"):
        return []
    rows = engine.fetch_all("SELECT detector, entity_id, score, summary, evidence FROM findings")
    return [Finding(d, e, s, t, json.loads(ev) if ev else {}) for d, e, s, t, ev in rows]


__all__ = ["DETECTORS", "FLAGS", "MODULES", "Finding", "load_findings", "method_text", "run_detection",
           "write_findings"]
