"""A stage whose input stage has not run says so and stops; `run` chains them."""

from __future__ import annotations

import pytest

from diversion.config import Settings
from diversion.detect import DETECTORS, FLAGS, registry, run_detection
from diversion.detect.registry import SEVERITIES, weights
from diversion.graph import build_graph
from diversion.leads import build_leads
from diversion.pipeline import run_pipeline
from diversion.read.stages import StageNotRun, finished_at
from tests.detect.minicase import build_minicase

S = Settings()


def test_detect_needs_the_network_and_leads_need_detection(engine):
    build_minicase(engine)
    with pytest.raises(StageNotRun, match="run `diversion graph` first"):
        run_detection(engine, S)
    assert not engine.count("nodes")  # it did not build the network silently
    build_graph(engine, S)
    with pytest.raises(StageNotRun, match="run `diversion detect` first"):
        build_leads(engine, S)
    assert not engine.count("findings")  # it did not detect silently
    run_detection(engine, S)
    build_graph(engine, S)  # the network changed after detection: the findings are stale
    with pytest.raises(StageNotRun, match="run `diversion detect` again"):
        build_leads(engine, S)


def test_run_chains_the_stages(engine, monkeypatch):
    build_minicase(engine)
    monkeypatch.setattr("diversion.resolve.pipeline.resolve", lambda engine, settings: _Resolved())
    done = [stage.stage for stage in run_pipeline(engine, S).stages]
    assert done == ["resolve", "graph", "detect", "leads"]
    assert finished_at(engine, "graph") <= finished_at(engine, "detect") <= finished_at(engine, "leads")


class _Resolved:
    mentions = entities = sanctions_matches = decisions = 0


def test_every_flag_is_a_registered_detector_that_declares_itself():
    assert tuple(DETECTORS) == FLAGS == tuple(registry())
    for name, found in registry().items():
        assert found.name == name and found.severity in SEVERITIES and 0 < found.weight <= 1
        assert all(hasattr(S.detect, s) for s in found.settings)
    assert weights(S)["priority_goods"] == 0.25 and not registry()["priority_goods"].standalone


def test_settings_reach_sql_as_values_never_as_text(engine):
    """A setting with a quote in it would break SQL it was formatted into; bound, it is just a value."""
    from dataclasses import replace

    build_minicase(engine)
    build_graph(engine, S)
    odd = replace(S, detect=replace(S.detect, destination_country="R'U", military_topics="m'il"))
    findings = run_detection(engine, odd)
    assert findings and not any(f.detector in ("priority_goods", "transshipment") for f in findings)
