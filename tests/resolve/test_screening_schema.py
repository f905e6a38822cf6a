"""Screening with FtM's schema hierarchy, people as people, and an index saved beside the warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diversion.config import load_settings
from diversion.engine import DuckDBEngine
from diversion.resolve import screen_cache
from diversion.resolve.screening import ListedEntity, ScreeningIndex
from tests.resolve.conftest import Case

LISTED = [
    ("ofac-15613", "Airplane", "YK-ATA"),
    ("ofac-2", "Person", "DERIPASKA, Oleg Vladimirovich"),
    ("ofac-3", "Vessel", "SEA DREAM"),
    ("ofac-4", "Organization", "STATE CORPORATION ROSTEC"),
    ("ofac-5", "Person", "PRIGOZHIN, Yevgeniy Viktorovich"),
    ("ofac-6", "Person", "ZARIF, Mohammad Javad"),
    ("ofac-7", "Company", "URALMASH"),
]


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex([ListedEntity(i, s, n, names=[(n, "primary")]) for i, s, n in LISTED])


def _ids(index: ScreeningIndex, name: str, schema: str | None = None) -> list[str]:
    return [h.sanction_entity_id for h in index.search(name, schema=schema, threshold=0.82)]


def test_an_aircraft_mark_is_no_company(index: ScreeningIndex) -> None:
    assert _ids(index, "ATA LLC", "Company") == []
    assert _ids(index, "ATA LLC") == []
    assert _ids(index, "YK-ATA", "Airplane") == ["ofac-15613"]


def test_assets_only_when_asked(index: ScreeningIndex) -> None:
    assert _ids(index, "Sea Dream") == [] and _ids(index, "Sea Dream", "Company") == []
    assert _ids(index, "Sea Dream", "Vessel") == ["ofac-3"] and _ids(index, "Sea Dream", "Thing") == ["ofac-3"]


def test_legal_entity_query_finds_people(index: ScreeningIndex) -> None:
    assert _ids(index, "Oleg Deripaska", "LegalEntity") == ["ofac-2"]
    assert _ids(index, "Oleg Deripaska", "Company") == []
    assert _ids(index, "oleg deripaska", "person") == ["ofac-2"]  # schema names in any case


@pytest.mark.parametrize(("schema", "kinds"), [
    ("Company", ("org",)), (None, ("person", "org")), ("Person", ("person", "org")), ("Vessel", ("object",)),
    ("Thing", ("person", "object", "org")), ("no such schema", ("person", "org")),
])
def test_a_query_is_read_only_as_the_kinds_it_may_match(index: ScreeningIndex, schema: str | None,
                                                        kinds: tuple[str, ...]) -> None:
    """A company's name is never normalised as a vessel's or a person's: screening a million parties reads each
    name once or twice, not three times (and the readings it skips could not have decided a hit)."""
    assert index.query_kinds(schema) == kinds
    assert set(index.query_forms("Sea Dream LLC", index.query_kinds(schema))) == set(kinds)
    everything = index.query_forms("Sea Dream LLC")
    assert set(everything) == {"person", "object", "org"}


@pytest.mark.parametrize(("query", "expected"), [
    ("Evgenii Prigozhin", "ofac-5"), ("Евгений Пригожин", "ofac-5"), ("محمد جواد ظریف", "ofac-6"),
    ("Rostec", "ofac-4"),
])
def test_people_and_single_distinctive_words(index: ScreeningIndex, query: str, expected: str) -> None:
    assert _ids(index, query)[:1] == [expected]


def test_look_alike_with_a_distinctive_extra_word(index: ScreeningIndex) -> None:
    assert _ids(index, "Uralmash-Servis") == []


def test_unknown_schema_is_an_error_for_the_user(index: ScreeningIndex) -> None:
    with pytest.raises(ValueError, match="unknown schema"):
        index.query_schema("Firm")


def test_saved_index_answers_without_opening_the_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    engine = DuckDBEngine(db)
    Case(engine).sanctioned("ofac-1", "STROYTRANSGAZ LLC")
    engine.close()
    settings = load_settings(environ={}, db_path=db)
    first = screen_cache.screening_index(settings)
    assert screen_cache.cache_path(db).is_file()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the warehouse was opened")

    monkeypatch.setattr("diversion.engine.open_engine", refuse)
    again = screen_cache.screening_index(settings)
    assert [e.entity_id for e in again.entities] == [e.entity_id for e in first.entities]
    assert again.search("Stroytransgaz")[0].sanction_entity_id == "ofac-1"
    monkeypatch.undo()
    # a new listing: the saved index is stale and rebuilt
    engine = DuckDBEngine(db)
    Case(engine).sanctioned("ofac-2", "KOMETA JSC")
    engine.close()
    assert [e.entity_id for e in screen_cache.screening_index(settings).entities] == ["ofac-1", "ofac-2"]


def test_a_cold_screen_with_a_saved_index_loads_no_warehouse_engine(tmp_path: Path) -> None:
    """`diversion screen` from a cold shell must stay under 1 s: no pyarrow, DuckDB or Splink imports."""
    db = tmp_path / "w.duckdb"
    engine = DuckDBEngine(db)
    Case(engine).sanctioned("ofac-1", "STROYTRANSGAZ LLC")
    engine.close()
    screen_cache.screening_index(load_settings(environ={}, db_path=db))  # saves the index
    probe = (
        "import sys\n"
        "from diversion.cli import main\n"
        f"sys.argv = ['diversion', 'screen', 'Stroytransgaz', '--db', {str(db)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in ('pyarrow', 'duckdb', 'splink', 'diversion.engine') if m in sys.modules)\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert "ofac-1" in done.stdout
    assert "LOADED []" in done.stdout, done.stdout[-500:]
