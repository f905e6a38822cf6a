"""The cycle collector is paused while resolve, detection and lead ranking build their objects, then restored."""

import gc

import pytest

from diversion.collector import collector_paused
from diversion.config import Settings


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_the_collector_is_paused_inside_and_restored_after(collector_on):
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a nested block leaves the outer one paused
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a stage that fails")
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused(collector_on):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_detection_and_leads_run_with_the_collector_paused(case_engine, collector_on, monkeypatch):
    import diversion.detect.run as run
    import diversion.leads as leads

    seen: dict[str, bool] = {}
    iter_one, made_rows = run.iter_one, leads.made_rows

    def watched_iter_one(found, *args, **kwargs):
        seen.setdefault("detect", gc.isenabled())
        yield from iter_one(found, *args, **kwargs)

    def watched_rows(*args, **kwargs):  # a ranking from the findings table makes its rows here
        seen["leads"] = gc.isenabled()
        return made_rows(*args, **kwargs)

    monkeypatch.setattr(run, "iter_one", watched_iter_one)
    monkeypatch.setattr(leads, "made_rows", watched_rows)
    engine, _ = case_engine
    assert sum(run.detect_counts(engine, Settings()).values()) > 0
    assert leads.build_leads(engine, Settings())
    assert seen == {"detect": False, "leads": False}
    assert gc.isenabled()
