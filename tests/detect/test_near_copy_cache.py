"""The websites' near copies kept beside the warehouse (``detect.near_copy_cache``): taken again only for the
same texts, settings and code, and never changing a finding."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from diversion.config import Settings
from diversion.detect import detect_counts, impersonation
from diversion.detect.near_copy_cache import cache_path, near_copies_kept, texts_digest
from diversion.engine import Engine
from diversion.graph import build_graph
from tests.conftest import OpenWarehouse
from tests.detect.minicase import build_minicase

S = Settings()


@pytest.fixture
def case_file(open_warehouse: OpenWarehouse, tmp_path: Path) -> Engine:
    """The mini case's network in a warehouse file (near copies are kept beside a file)."""
    engine = open_warehouse("duckdb", tmp_path / "w.duckdb")
    build_minicase(engine)
    build_graph(engine, S)
    return engine


def _impersonation(engine: Engine) -> list[tuple]:
    return engine.fetch_all("SELECT * FROM findings WHERE detector = 'impersonation' ORDER BY finding_id")


def _ural(engine: Engine) -> list[tuple]:
    """Ural Metal's impersonation findings' sentences."""
    return engine.fetch_all("SELECT summary FROM findings WHERE entity_id = 'e-ural' AND detector = 'impersonation'")


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many sites each ``near_copies`` call compared, in order (empty: the pairs were taken as kept)."""
    calls: list[int] = []
    real = impersonation.near_copies

    def spied(sites, *args):  # type: ignore[no-untyped-def]
        calls.append(len(sites))
        return real(sites, *args)

    monkeypatch.setattr(impersonation, "near_copies", spied)
    return calls


def test_an_update_takes_the_kept_pairs_and_makes_the_same_findings(case_file: Engine, compared: list[int]) -> None:
    detect_counts(case_file, S)
    made = _impersonation(case_file)
    assert any("copy of" in row[4] for row in made)  # the case's front copies the distributor's site
    path = cache_path(case_file.file_path())
    assert path.exists() and len(compared) == 1
    detect_counts(case_file, S, carry=True)
    assert len(compared) == 1  # taken as kept
    assert _impersonation(case_file) == made
    detect_counts(case_file, S)  # a run that carries nothing compares the sites again
    assert len(compared) == 2 and _impersonation(case_file) == made


def test_a_changed_page_or_setting_compares_the_sites_again(case_file: Engine, compared: list[int]) -> None:
    detect_counts(case_file, S)
    assert not _ural(case_file)
    # Ural Metal's site now copies the distributor's page: a copy the kept pairs do not hold.
    case_file.execute("UPDATE web_evidence SET text = (SELECT text FROM web_evidence WHERE domain = "
                      "'lakeside-machinery.com') || ' Ural Metal.' WHERE domain = 'uralmetal.ru'")
    detect_counts(case_file, S, carry=True)
    assert len(compared) == 2
    copied = _ural(case_file)
    assert copied and "lakeside-machinery.com" in copied[0][0]
    changed = _impersonation(case_file)
    detect_counts(case_file, S)  # a run comparing every site
    assert _impersonation(case_file) == changed
    other = dataclasses.replace(S, detect=dataclasses.replace(S.detect, impersonation_jaccard=0.5))
    assert len(compared) == 3
    detect_counts(case_file, other, carry=True)
    assert len(compared) == 4
    detect_counts(case_file, other, carry=True)  # kept for the new setting in turn
    assert len(compared) == 4


def test_another_detectors_setting_or_code_keeps_the_pairs(case_file: Engine, compared: list[int],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The pairs depend on the near-copy settings and code alone: what changes other findings keeps them."""
    detect_counts(case_file, S)
    made = _impersonation(case_file)
    other = dataclasses.replace(S, detect=dataclasses.replace(S.detect, brand_base_score=0.5))
    detect_counts(case_file, other, carry=True)  # no finding carried (another token), but the pairs are kept
    assert len(compared) == 1 and _impersonation(case_file) == made
    monkeypatch.setattr("diversion.detect.near_copies._code", lambda: "edited near-copy code")
    detect_counts(case_file, other, carry=True)
    assert len(compared) == 2 and _impersonation(case_file) == made


@pytest.mark.parametrize("damage", ["gone", "garbage", "other digest"])
def test_a_missing_or_damaged_file_means_comparing_again(case_file: Engine, compared: list[int],
                                                         damage: str) -> None:
    detect_counts(case_file, S)
    made = _impersonation(case_file)
    path = cache_path(case_file.file_path())
    if damage == "gone":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not an Arrow file")
    else:  # a file kept for other texts
        near_copies_kept(case_file, ["another site"], "said", lambda: [(0, 1, 0.99)], reuse=False, keep=True)
    detect_counts(case_file, S, carry=True)
    assert len(compared) == 2
    assert _impersonation(case_file) == made


def test_a_warehouse_in_memory_keeps_nothing(case_engine) -> None:
    engine, _ = case_engine
    assert engine.file_path() is None
    found, taken = near_copies_kept(engine, ["a"], "said", lambda: [(0, 1, 0.5)], reuse=True, keep=True)
    assert found == [(0, 1, 0.5)] and not taken


def test_a_read_only_folder_keeps_nothing_and_fails_nothing(case_file: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr("pyarrow.ipc.new_file", refuse)
    found, taken = near_copies_kept(case_file, ["a"], "said", lambda: [(0, 1, 0.5)], reuse=True, keep=True)
    assert found == [(0, 1, 0.5)] and not taken
    assert not cache_path(case_file.file_path()).exists()


def test_the_digest_reads_every_text_in_order() -> None:
    assert texts_digest(["ab", "c"], "s") != texts_digest(["a", "bc"], "s")  # lengths say where a text ends
    assert texts_digest(["a", "b"], "s") != texts_digest(["b", "a"], "s")
    assert texts_digest(["a"], "s") != texts_digest(["a"], "t")
    assert texts_digest(["\ud800 lone surrogate"], "s")  # any text a page may hold
