"""Screening: aliases, Cyrillic-only names, countries, schemata, files, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diversion.cli import app
from diversion.engine import DuckDBEngine
from diversion.errors import SourceError
from diversion.resolve.screen_file import read_parties, screen_parties, write_results
from diversion.resolve.screening import build_index


@pytest.fixture
def index(minicase: DuckDBEngine):  # noqa: ANN201 - fixture
    return build_index(minicase)


def test_alias_only_name_is_found(index) -> None:  # noqa: ANN001
    hits = index.search("Krasny Oktyabr Plant", threshold=0.82)
    assert hits[0].sanction_entity_id == "ofac-1002"
    assert hits[0].name_type == "alias" and hits[0].matched_name == "KRASNY OKTYABR PLANT"
    assert hits[0].score >= 0.97


def test_cyrillic_only_listing_found_from_latin_query(index) -> None:  # noqa: ANN001
    hits = index.search("Gorizont Tekhnolodzhi", threshold=0.82)
    assert [h.sanction_entity_id for h in hits] == ["ofac-1004"]
    assert hits[0].matched_name == "Горизонт Технолоджи"
    assert "gorizont" in hits[0].explanation


def test_cyrillic_query_finds_latin_listing(index) -> None:  # noqa: ANN001
    hits = index.search("ООО АМГ", threshold=0.82)
    assert hits[0].sanction_entity_id == "ofac-1001" and hits[0].score == 1.0


def test_country_and_schema(index) -> None:  # noqa: ANN001
    home = index.search("AMG LLC", country="RU")[0]
    abroad = index.search("AMG LLC", country="DE")[0]
    assert abroad.score < home.score and "not DE" in abroad.explanation
    assert index.search("Ivan Sidorov", schema="Person")[0].sanction_entity_id == "ofac-1003"
    assert all(h.sanction_entity_id != "ofac-1003" for h in index.search("Ivan Sidorov", schema="Company"))


@pytest.mark.parametrize("name", ["", "   ", "!!!", "x" * 10_000, "ООО AMG شركة 深圳"])
def test_bad_queries_return_nothing(index, name: str) -> None:  # noqa: ANN001
    assert index.search(name) == []


def test_no_false_hit_for_unrelated_name(index) -> None:  # noqa: ANN001
    assert index.search("Okuma Corporation", threshold=0.82) == []


def test_screen_file(index, tmp_path: Path) -> None:  # noqa: ANN001
    src = tmp_path / "parties.csv"
    src.write_text("name,country,schema\nOOO AMG,Russia,\nOkuma Corporation,JP,\n,,\n", encoding="utf-8")
    results = list(screen_parties(index, read_parties(src), 0.82, 5))
    assert [p.country for p, _ in results] == ["RU", "JP", None]
    assert results[0][1][0].sanction_entity_id == "ofac-1001" and results[1][1] == []
    out = tmp_path / "out.csv"
    assert write_results(iter(results), out) == 3
    assert "ofac-1001" in out.read_text(encoding="utf-8")


def test_screen_file_without_name_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("company,country\nAMG,RU\n", encoding="utf-8")
    with pytest.raises(SourceError, match="'name' column"):
        list(read_parties(bad))


def test_cli_screen_json(minicase: DuckDBEngine, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    minicase.execute(f"ATTACH '{db}' AS f")
    for table in ("sanctions", "sanction_names"):
        minicase.execute(f"CREATE TABLE f.{table} AS SELECT * FROM {table}")
    minicase.execute("DETACH f")
    result = CliRunner().invoke(app, ["screen", "Krasny Oktyabr Plant", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert hits[0]["sanction_entity_id"] == "ofac-1002" and hits[0]["listing_date"] == "2022-06-28"


@pytest.mark.parametrize(
    "query", ["ZAVOD KRASNYY OKTYABR", "ZAVD KRASNY OKTYABR", "ZavodKrasny Oktyabr", "OOOO Zavod Krasny Oktyabr"]
)
def test_typos_glued_and_stuttered_forms_are_found(index, query: str) -> None:  # noqa: ANN001
    """A letter added or dropped, a lost space, a legal form typed twice: still the listed entity."""
    hits = index.search(query, threshold=0.82)
    assert hits and hits[0].sanction_entity_id == "ofac-1002"


def test_remembered_listed_forms_change_no_answer(minicase: DuckDBEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The listed names' forms an index remembers (a few at a time here) give the answers of forms made anew."""
    import pickle

    from diversion.resolve import screening

    queries = ["Krasny Oktyabr Plant", "AMG LLC", "ООО АМГ", "Gorizont Tekhnolodzhi", "Ivan Sidorov", "Okuma"]
    fresh = [build_index(minicase).search(q) for q in queries]  # one index per query: nothing remembered
    assert sum(map(bool, fresh)) >= 3
    monkeypatch.setattr(screening, "LISTED_FORMS", 2)
    index = build_index(minicase)
    assert [index.search(q) for q in queries * 2] == fresh * 2
    assert 0 < len(index._forms) <= 2
    assert pickle.loads(pickle.dumps(index))._forms == {}  # never saved with the index
