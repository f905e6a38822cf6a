"""Collecting mentions: shipment parties' identifiers and countries, and names known from the last resolve."""

from __future__ import annotations

import pyarrow as pa

from diversion.engine import Engine
from diversion.resolve.mentions import _first_of_each_id, collect_mentions

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
    known = pa.table({"mention_id": ids[:2], "name_norm": ["stored one", None],
                      "unresolved_reason": [None, "stored reason"]})
    again = {m["mention_id"]: m for m in collect_mentions(engine, 200, known).to_pylist()}
    assert (again[ids[0]]["name_norm"], again[ids[0]]["unresolved_reason"]) == ("stored one", None)
    assert (again[ids[1]]["name_norm"], again[ids[1]]["unresolved_reason"]) == (None, "stored reason")
    for m in first.to_pylist()[2:]:
        assert (again[m["mention_id"]]["name_norm"], again[m["mention_id"]]["unresolved_reason"]) == (
            m["name_norm"], m["unresolved_reason"])
    assert {m["name_norm"] for m in first.to_pylist()} >= {"amg", "kometa"}


def test_one_row_per_mention_id_the_first_source_s() -> None:
    frame = pa.table({"mention_id": ["m-b", "m-a", "m-b", "m-a", "m-c"], "source": [1, 2, 3, 4, 5]})
    assert _first_of_each_id(frame).to_pydict() == {"mention_id": ["m-a", "m-b", "m-c"], "source": [2, 1, 5]}
    one = pa.table({"mention_id": ["m-a"], "source": [1]})
    assert _first_of_each_id(one).equals(one)
    assert _first_of_each_id(one.slice(0, 0)).num_rows == 0
