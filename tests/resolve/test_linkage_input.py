"""The Splink input table: one row per matchable mention, worked out per distinct name and address."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from diversion.resolve.linkage_input import (
    KnownRows,
    _mention_words,
    _without_keys,
    content_digests,
    linkage_rows,
    linkage_table,
)
from diversion.resolve.mentions import mentions_frame


def _mention(mid: str, name: str | None, **extra: Any) -> dict[str, Any]:
    return {"mention_id": mid, "name": name, "source_table": "shipments", "role": "importer", "aliases": [],
            "countries": ["RU"], "identifiers": [], **extra}


def _rows(mentions: list[dict[str, Any]], max_block_size: int = 1000) -> dict[str, dict[str, Any]]:
    table = linkage_table(mentions_frame(mentions), 500, max_block_size)
    ids = table.column("unique_id").to_pylist()
    assert ids == sorted(ids)
    return {r["unique_id"]: r for r in table.to_pylist()}


def test_mentions_of_one_name_share_its_columns_and_keep_their_own() -> None:
    rows = _rows([
        _mention("m-2", 'ООО "АМГ"', address="ul. Lenina 5, Moscow", identifiers=["inn:7701234567"]),
        _mention("m-1", "AMG LLC", address="Tverskaya 1, Moscow"),
        _mention("m-3", "Ivan Petrov", schema="Person", role="website", domain="amg.ru", lists=["ofac"]),
    ])
    assert list(rows) == ["m-1", "m-2", "m-3"]
    assert rows["m-1"]["names_core"] == rows["m-2"]["names_core"] == ["amg"]
    assert rows["m-1"]["address_fp"] != rows["m-2"]["address_fp"]
    assert [r["kind"] for r in rows.values()] == ["org", "org", "person"]
    assert [r["claimed"] for r in rows.values()] == [False, False, True]
    assert rows["m-2"]["id_key"] == "inn:7701234567" and rows["m-2"]["id_schemes"] == ["inn"]
    assert rows["m-1"]["identifiers"] is None and rows["m-1"]["id_schemes"] == []  # never null
    assert rows["m-1"]["lists"] == [] and rows["m-3"]["lists"] == ["ofac"]
    assert "i:inn:7701234567" in rows["m-2"]["block_keys"] and "d:amg.ru" in rows["m-3"]["block_keys"]
    assert not any(k.startswith(("i:", "d:")) for k in rows["m-1"]["block_keys"])
    assert rows["m-2"]["block_keys"] == sorted(rows["m-2"]["block_keys"])


def test_aliases_give_every_name_form() -> None:
    rows = _rows([_mention("m-1", "Amegino FZCO", aliases=["Амегино"], source_table="sanctions")])
    assert rows["m-1"]["names_core"] == ["amegino"]  # both names normalise alike: one form
    rows = _rows([_mention("m-1", "Amegino FZCO", aliases=["Kometa LLC"], source_table="sanctions")])
    assert rows["m-1"]["names_core"] == ["amegino", "kometa"]


def test_unmatchable_mentions_are_left_out() -> None:
    rows = _rows([
        _mention("m-1", "AMG LLC"),
        _mention("m-2", "!!!", unresolved_reason="name has no letters or digits"),
        _mention("m-3", "???"),  # not marked (an ad hoc name in explain): no usable form all the same
    ])
    assert list(rows) == ["m-1"]


def test_keys_shared_by_too_many_mentions_are_dropped() -> None:
    mentions = [_mention(f"m-{i}", f"Machine Tools {word}") for i, word in enumerate(["Alpha", "Beta", "Gamma"])]
    mentions.append(_mention("m-9", "Machine Tools"))
    rows = _rows(mentions, max_block_size=3)
    assert all("w:machine" not in (r["block_keys"] or []) for r in rows.values())
    assert rows["m-0"]["block_keys"] and "w:alpha" in rows["m-0"]["block_keys"]
    rows = _rows(mentions, max_block_size=1000)
    assert all("w:machine" in r["block_keys"] or "w:tools" in r["block_keys"] for r in rows.values())


def test_no_mentions_give_an_empty_table() -> None:
    table = linkage_table(mentions_frame([]))
    assert table.num_rows == 0 and "block_keys" in table.column_names


def _spread() -> list[dict[str, Any]]:
    """Mentions whose word rarities a month's new ones change: "Kometa" grows common, "Zarya" stays rare."""
    names = ["Kometa Zarya", "Kometa Machine Tools", "Zarya Trading", "Stanko Kometa", "AMG LLC", "Amegino FZCO",
             "Kometa Plus", "NPO Kometa", "Zarya-M", "Kometa Service", "Ural Stanko", "Sibir Kometa"]
    return [_mention(f"m-{i:02d}", name, identifiers=["inn:770123456" + str(i % 10)] if i % 3 == 0 else [])
            for i, name in enumerate(names)]


def test_known_rows_taken_as_they_are_give_the_same_table() -> None:
    frame = mentions_frame(_spread())
    full = linkage_rows(frame, 500, 3)
    again = linkage_rows(frame, 500, 3, known=full)
    assert again.rows.equals(full.rows) and again.dropped == full.dropped and full.dropped


def test_new_rows_are_made_with_the_rarities_of_all_mentions() -> None:
    """An update's new mentions get the rows a rebuild gives them (word rarities, name counts over all); the
    known ones are taken as the earlier run made them."""
    mentions = _spread()
    old, new = mentions[:6], mentions[6:]
    full = linkage_rows(mentions_frame(mentions), 500, 1000)
    earlier = linkage_rows(mentions_frame(old), 500, 1000)
    update = linkage_rows(mentions_frame(mentions), 500, 1000, known=earlier)
    by_id = {r["unique_id"]: r for r in update.rows.to_pylist()}
    assert list(by_id) == sorted(by_id) == full.rows.column("unique_id").to_pylist()
    rebuilt = {r["unique_id"]: r for r in full.rows.to_pylist()}
    assert all(by_id[m["mention_id"]] == rebuilt[m["mention_id"]] for m in new)
    assert [by_id[m["mention_id"]] for m in old] == earlier.rows.to_pylist()
    # "Kometa" was rare among the first six names and is common now: a rebuild blocks on other words
    assert earlier.rows.to_pylist() != [rebuilt[m["mention_id"]] for m in old]


def test_a_key_grown_too_common_is_dropped_from_the_known_rows_too() -> None:
    mentions = [_mention(f"m-{i}", f"Machine Tools {word}") for i, word in enumerate(["Alpha", "Beta", "Gamma"])]
    earlier = linkage_rows(mentions_frame(mentions[:2]), 500, 2)
    assert not earlier.dropped
    update = linkage_rows(mentions_frame(mentions), 500, 2, known=earlier)
    assert "w:machine" in update.dropped
    assert all("w:machine" not in (keys or []) for keys in update.rows.column("block_keys").to_pylist())
    # and a key left out before stays left out, though fewer mentions hold it now
    again = linkage_rows(mentions_frame(mentions[1:]), 500, 2, known=update)
    assert all("w:machine" not in (keys or []) for keys in again.rows.column("block_keys").to_pylist())


def test_known_rows_of_mentions_gone_are_left_out() -> None:
    mentions = _spread()
    earlier = linkage_rows(mentions_frame(mentions), 500, 1000)
    update = linkage_rows(mentions_frame(mentions[1:]), 500, 1000, known=earlier)
    assert update.rows.column("unique_id").to_pylist() == [m["mention_id"] for m in mentions[1:]]


def test_without_keys_empties_a_list_to_null() -> None:
    keys = pa.chunked_array([pa.array([["a", "b"], ["b"], None, ["c"]], pa.list_(pa.string()))])
    assert _without_keys(keys, {"b": 5}).to_pylist() == [["a"], None, None, ["c"]]
    assert _without_keys(keys, {}).to_pylist() == [["a", "b"], ["b"], None, ["c"]]


def test_a_known_row_is_taken_only_for_a_mention_that_says_the_same() -> None:
    """A registered company's id names its record: an alias added since means its row is made again."""
    listed = _mention("m-r1", "Kometa Zarya", source_table="registry_entities", role="registry", aliases=["Zarya"])
    other = _mention("m-r2", "Ural Stanko", source_table="registry_entities", role="registry")
    mentions = [*_spread(), listed, other]
    earlier = linkage_rows(mentions_frame(mentions), 500, 1000)
    changed = [*_spread(), {**listed, "aliases": ["Zarya", "Kometa Trade House"]}, other]
    update = linkage_rows(mentions_frame(changed), 500, 1000, known=earlier)
    rebuilt = linkage_rows(mentions_frame(changed), 500, 1000)
    rows = {r["unique_id"]: r for r in update.rows.to_pylist()}
    assert rows["m-r1"] == {r["unique_id"]: r for r in rebuilt.rows.to_pylist()}["m-r1"]  # made again
    assert "kometa trade house" in " ".join(rows["m-r1"]["names_core"])
    assert rows["m-r2"] == {r["unique_id"]: r for r in earlier.rows.to_pylist()}["m-r2"]  # taken
    assert update.contents is not None and len(update.contents) == update.rows.num_rows
    # rows kept without digests (a file of an older layout) are never taken
    bare = linkage_rows(mentions_frame(changed), 500, 1000, known=KnownRows(earlier.rows, earlier.dropped))
    assert bare.rows.equals(rebuilt.rows)


def test_content_digests_tell_what_a_mention_says_not_its_id() -> None:
    base = _mention("m-1", "AMG LLC", address="Tverskaya 1", identifiers=["inn:7701234567"])
    frame = mentions_frame([base, {**base, "mention_id": "m-2"}, {**base, "address": "Tverskaya 2"},
                            {**base, "identifiers": []}, {**base, "role": "exporter"}, {**base, "aliases": ["AMG"]}])
    digests = content_digests(frame).to_pylist()
    assert digests[0] == digests[1] and len(set(digests[1:])) == 5


def test_known_rows_count_each_word_once_per_row() -> None:
    # A row's name forms share words ("kometa plus" and its alias "kometa"): the row counts once per word, as the
    # mentions made anew count (``_name_sets``), or an update's rarities would differ from a rebuild's.
    rows = pa.table({"names_sorted": pa.array([["kometa plus", "kometa"], ["kometa"], ["plus ural", "ural"], []],
                                              pa.list_(pa.string()))})
    assert _mention_words(rows) == {"kometa": 2, "plus": 2, "ural": 1}
    assert _mention_words(rows.slice(3)) == {}
