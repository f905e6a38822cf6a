"""Collecting mentions: shipment parties' identifiers and countries, names known from the last resolve, and an
update's parties: the last resolve's with the new sources'."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.engine import DuckDBEngine, Engine
from diversion.resolve.fields import clean_identifier
from diversion.resolve.mentions import (
    Since,
    _cleaned_identifiers,
    _first_of_each_id,
    collect_mentions,
    mentions_frame,
    mentions_table,
    shipment_sources,
)

#: (importer name, country, id) of each shipment; every exporter is the same firm, of no country.
_PARTIES = [
    ("OOO AMG", "RU", "7701-234567"),   # ten digits in Russia: an INN
    ("AMG GmbH", "DE", "7701-234567"),  # the same digits elsewhere: an id
    ("OOO Kometa", None, "7701 234 567"),  # no country: read as an INN
    ("Kometa LLC", "RU", ""),           # an empty id: none
    ("Stanko", "RU", "--"),             # nothing left once cleaned: none
    ("Stanko", "RU", None),
]


def _ship(engine: Engine) -> None:
    for line, (name, country, ident) in enumerate(_PARTIES, start=1):
        engine.execute(
            "INSERT INTO shipments (record_id, date, hs_code, exporter_name, exporter_country, importer_name, "
            "importer_country, importer_id, value, source_id, line, record_hash) "
            "VALUES (?, DATE '2023-05-01', '845811', 'Amegino FZE', '', ?, ?, ?, 1.0, 'src', ?, ?)",
            [f"r{line}", name, country, ident, line, f"h{line}"])


def _parties(mentions: pa.Table) -> list[tuple]:
    return sorted(((m["role"], m["name"], m["country"], m["identifiers"], m["countries"])
                   for m in mentions.to_pylist()), key=repr)


def test_shipment_parties_carry_their_cleaned_identifier_and_country(engine: Engine) -> None:
    _ship(engine)
    assert _parties(collect_mentions(engine, 200)) == sorted([
        ("exporter", "Amegino FZE", "", [], []),
        ("importer", "OOO AMG", "RU", ["inn:7701234567"], ["RU"]),
        ("importer", "AMG GmbH", "DE", ["id:7701234567"], ["DE"]),
        ("importer", "OOO Kometa", None, ["inn:7701234567"], []),
        ("importer", "Kometa LLC", "RU", [], ["RU"]),
        ("importer", "Stanko", "RU", [], ["RU"]),  # "--"
        ("importer", "Stanko", "RU", [], ["RU"]),  # no id
    ], key=repr)


def test_names_known_from_the_last_resolve_are_taken_and_the_others_normalised(engine: Engine) -> None:
    _ship(engine)
    first = collect_mentions(engine, 200)
    ids = first.column("mention_id").to_pylist()
    # What the last resolve stored for two of them (a marker, to tell taken from worked out again).
    stored = first.to_pylist()[:2]
    stored[0].update(name_norm="stored one", unresolved_reason=None)
    stored[1].update(name_norm=None, unresolved_reason="stored reason")
    engine.insert_arrow("mentions", mentions_table(mentions_frame(stored)))
    # The sources as they were are not known: every shipment is grouped again, the names known are taken.
    since = Since(shipment_sources(engine), None)
    assert not since.only_added
    again = {m["mention_id"]: m for m in collect_mentions(engine, 200, since).to_pylist()}
    assert (again[ids[0]]["name_norm"], again[ids[0]]["unresolved_reason"]) == ("stored one", None)
    assert (again[ids[1]]["name_norm"], again[ids[1]]["unresolved_reason"]) == (None, "stored reason")
    for m in first.to_pylist()[2:]:
        assert (again[m["mention_id"]]["name_norm"], again[m["mention_id"]]["unresolved_reason"]) == (
            m["name_norm"], m["unresolved_reason"])
    assert {m["name_norm"] for m in first.to_pylist()} >= {"amg", "kometa"}


def test_a_registered_partys_stored_forms_are_taken_while_it_bears_the_same_name(engine: Engine) -> None:
    """An update takes a registered party's stored name forms while its record names it as before (and as
    the same schema); a renamed one, or one read as another schema, is normalised again."""
    for n, (name, schema) in enumerate([("OOO Kometa", "Company"), ("AMG LLC", "Company"),
                                        ("Ivan Petrov", "Person")]):
        engine.execute("INSERT INTO registry_entities (entity_id, schema, name, source_id, line, record_hash) "
                       "VALUES (?, ?, ?, 'reg', ?, ?)", [f"reg-{n}", schema, name, n, f"h{n}"])
    first = collect_mentions(engine, 200)
    marked = [dict(m, name_norm=f"stored {m['source_key']}") for m in first.to_pylist()]
    engine.insert_arrow("mentions", mentions_table(mentions_frame(marked)))
    engine.execute("UPDATE registry_entities SET name = 'AMG Trading LLC' WHERE entity_id = 'reg-1'")
    engine.execute("UPDATE registry_entities SET schema = 'Company' WHERE entity_id = 'reg-2'")
    again = {m["source_key"]: m["name_norm"]
             for m in collect_mentions(engine, 200, Since(shipment_sources(engine), {})).to_pylist()}
    fresh = {m["source_key"]: m["name_norm"] for m in collect_mentions(engine, 200).to_pylist()}
    assert again["reg-0"] == "stored reg-0"  # the same name and schema: taken
    assert again["reg-1"] == fresh["reg-1"] != "stored reg-1"  # renamed: normalised again
    assert again["reg-2"] == fresh["reg-2"] != "stored reg-2"  # read as a company now: normalised again


# --- an update collecting only the new sources' parties -------------------------------------------------------
_NAMES = ["OOO AMG", "AMG LLC", "Kometa", "Stanko", "Amegino FZE", "  ", "Хуа Лин"]
_party = st.tuples(st.sampled_from(_NAMES), st.sampled_from([None, "Moscow", "Dubai"]),
                   st.sampled_from([None, "", "RU", "AE"]), st.sampled_from([None, "", "7701234567", "x"]))
#: A declaration: its record id (drawn small, so that a new one can name a party first) and its two parties.
_declaration = st.tuples(st.integers(0, 60), _party, _party)


def _declare(engine: Engine, source: str, rows: list[tuple]) -> None:
    for line, (record, (ex, ex_address, ex_country, _), (im, im_address, im_country, im_id)) in enumerate(rows):
        engine.execute(
            "INSERT INTO shipments (record_id, date, hs_code, exporter_name, exporter_address, exporter_country, "
            "importer_name, importer_address, importer_country, importer_id, value, source_id, line, record_hash) "
            "VALUES (?, DATE '2023-05-01', '845811', ?, ?, ?, ?, ?, ?, ?, 1.0, ?, ?, ?)",
            [f"r{record:03d}", ex, ex_address, ex_country, im, im_address, im_country, im_id, source, line,
             f"{source}:{line}"])


def _resolved(engine: Engine) -> dict[str, int]:
    """What a resolve leaves for the next: the mentions it collected, the sources they came from."""
    engine.reset_table("mentions")
    engine.insert_arrow("mentions", mentions_table(collect_mentions(engine, 200)))
    return shipment_sources(engine)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(old=st.lists(st.lists(_declaration, max_size=6), min_size=1, max_size=3),
       new=st.lists(st.lists(_declaration, max_size=6), max_size=3),
       change=st.sampled_from([None, "gone", "row added", "row removed"]))
def test_an_update_collects_what_a_collection_from_scratch_does(
        old: list[list[tuple]], new: list[list[tuple]], change: str | None) -> None:
    # Random parties spread over old and new sources, a party of both first named by either; and an old
    # source removed or changed, after which every shipment is grouped again.
    engine = DuckDBEngine(":memory:")
    for i, rows in enumerate(old):
        _declare(engine, f"old{i}", rows)
    then = _resolved(engine)
    for i, rows in enumerate(new):
        _declare(engine, f"new{i}", rows)
    if change == "gone":
        engine.execute("DELETE FROM shipments WHERE source_id = 'old0'")
    elif change == "row added":
        _declare(engine, "old0", [(61, ("New Firm", None, "AE", None), ("OOO AMG", None, "RU", "7701234567"))])
    elif change == "row removed":
        engine.execute("DELETE FROM shipments WHERE source_id = 'old0' AND line = 0")
    since = Since(shipment_sources(engine), then)
    # (A source that held no rows was never seen: rows added to it make it a new one.)
    assert since.only_added == (change is None or not old[0])
    assert since.added == sorted([f"new{i}" for i, rows in enumerate(new) if rows]
                                 + (["old0"] if change == "row added" and not old[0] else []))
    assert collect_mentions(engine, 200, since).equals(collect_mentions(engine, 200))


def test_one_row_per_mention_id_the_first_source_s() -> None:
    frame = pa.table({"mention_id": ["m-b", "m-a", "m-b", "m-a", "m-c"], "source": [1, 2, 3, 4, 5]})
    assert _first_of_each_id(frame).to_pydict() == {"mention_id": ["m-a", "m-b", "m-c"], "source": [2, 1, 5]}
    one = pa.table({"mention_id": ["m-a"], "source": [1]})
    assert _first_of_each_id(one).equals(one)
    assert _first_of_each_id(one.slice(0, 0)).num_rows == 0


@pytest.mark.parametrize(("old_country", "new_country"), [(None, ""), ("", None)])
def test_a_party_an_old_and_a_new_file_name_by_one_record_is_the_one_a_full_collection_takes(
        engine: Engine, old_country: str | None, new_country: str | None) -> None:
    # One declaration id in an old and a new file (ids are the declarants', not unique across files), naming
    # one exporter once with no country and once with an empty one: one mention (its id hashes both alike),
    # the empty country first (missing values last), whichever file has it.
    _declare(engine, "old", [(1, ("Kometa", None, old_country, None), ("OOO AMG", None, "RU", None))])
    then = _resolved(engine)
    _declare(engine, "new", [(1, ("Kometa", None, new_country, None), ("OOO AMG", None, "RU", None))])
    since = Since(shipment_sources(engine), then)
    assert since.only_added
    got = collect_mentions(engine, 200, since)
    assert got.equals(collect_mentions(engine, 200))
    assert [m["country"] for m in got.to_pylist() if m["role"] == "exporter"] == [""]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(alphabet="0123456789-. AБ٣", max_size=14)),
                          st.sampled_from([None, "", "RU", "KZ", "ru"])), min_size=1, max_size=40))
def test_a_partys_identifier_is_cleaned_as_clean_identifier_cleans_it(
        rows: list[tuple[str | None, str | None]]) -> None:
    """An identifier of 10 or 12 digits of a Russian party, or of one with no country, reads as an INN;
    any other as an id; none (or nothing usable) gives null: per row, as ``clean_identifier`` gives it."""
    idents, countries = pa.chunked_array([pa.array([r[0] for r in rows], pa.string())]), \
        pa.chunked_array([pa.array([r[1] for r in rows], pa.string())])
    expected = []
    for ident, country in rows:
        digits = sum(ch.isdigit() for ch in ident or "")
        inn = digits in (10, 12) and country in (None, "", "RU")
        expected.append(clean_identifier("inn" if inn else "id", ident) if ident else None)
    assert _cleaned_identifiers(idents, countries).to_pylist() == expected
