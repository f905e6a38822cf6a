"""``match_rows``: every entity's sanctions matches, read entity by entity in batches, each question asked once."""

from __future__ import annotations

import random
from typing import Any

import pyarrow as pa
import pytest

from diversion.resolve import sanctions_matches
from diversion.resolve.clustering import Assignment
from diversion.resolve.sanctions_matches import match_rows
from diversion.resolve.screening import ListedEntity, ScreeningIndex

THRESHOLD = 0.7

LISTED = [
    ListedEntity("promsnab-m", "Company", "Promsnab-M LLC", "us_ofac_sdn", ["RUSSIA-EO14024"], countries=["RU"],
                 names=[("Promsnab-M LLC", "primary"), ('ООО "Промснаб-М"', "alias")]),
    ListedEntity("orion", "Company", "Orion Machinery Limited", "us_trade_csl", countries=["HK"],
                 names=[("Orion Machinery Limited", "primary")]),
    ListedEntity("sidorov", "Person", "Ivan Petrovich SIDOROV", "eu_fsf", countries=["RU"],
                 names=[("Ivan Petrovich SIDOROV", "primary"), ("Sidorov Ivan", "alias")]),
    ListedEntity("ata", "Airplane", "YK-ATA", "us_ofac_sdn", names=[("YK-ATA", "primary")]),
]

# Names that hit a listed entity (as spelled in trade data), and names that hit nothing.
HITTING = [('ООО «Промснаб-М»', "RU", "Company"), ("PROMSNAB M LLC", None, None), ("Promsnab-M", "KZ", "Company"),
           ("ORION MACHINERY LTD", "HK", None), ("Orrion Machinery Limited", None, "Company"),
           ("Sidorov Ivan Petrovich", "RU", "Person"), ("IVAN SIDOROV", None, "Person"), ("YK-ATA", None, "Airplane")]
MISSING = [("Corion Machinery Industrial Corp.", "TW", None), ("Amegino FZE", "AE", "Company"),
           ("Shenzhen Ele Technology Co., Ltd", "CN", "Company"), ("Petrov Sergei", "RU", "Person"), ("", None, None)]


def _mentions(seed: int, n: int = 120) -> tuple[pa.Table, dict[str, Assignment]]:
    """``n`` mentions in about n/3 entities, names drawn (with repeats) from both lists, a few listed members."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        name, country, schema = rng.choice(HITTING + MISSING)
        listed = rng.random() < 0.05
        rows.append({
            "mention_id": f"m-{i:04d}",
            "source_table": "sanctions" if listed else "shipments",
            "source_key": rng.choice(LISTED).entity_id if listed else f"r{i}",
            "unresolved_reason": "empty name" if not name else None,
            "name": name or None,
            "aliases": [rng.choice(HITTING)[0]] if rng.random() < 0.1 else None,
            "country": country,
            "schema": schema,
        })
    entities = [f"e-{rng.randrange(n // 3):04d}" for _ in rows]
    assignments = {r["mention_id"]: Assignment(e, round(rng.uniform(0.8, 1.0), 3))
                   for r, e in zip(rows, entities, strict=True)}
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("mention_id", pa.string()), ("source_table", pa.string()), ("source_key", pa.string()),
        ("unresolved_reason", pa.string()), ("name", pa.string()), ("aliases", pa.list_(pa.string())),
        ("country", pa.string()), ("schema", pa.string()),
    ])), assignments


def _index() -> ScreeningIndex:
    return ScreeningIndex(LISTED, corpus=["orion trading", "atlas machinery", "ele technology"])


def _plainly(mentions: pa.Table, assignments: dict[str, Assignment], index: ScreeningIndex) -> list[dict[str, Any]]:
    """What ``match_rows`` must give, worked out without batches or remembered answers."""
    listed = {e.entity_id: e for e in index.entities}
    members: dict[str, list[dict[str, Any]]] = {}
    for m in mentions.to_pylist():
        members.setdefault(assignments[m["mention_id"]].entity_id, []).append(m)
    rows: list[dict[str, Any]] = []
    for eid in sorted(members):
        ms = members[eid]
        direct = [m for m in ms if m["source_table"] == "sanctions" and m["source_key"] in listed]
        for m in direct:
            ent, p = listed[m["source_key"]], assignments[m["mention_id"]].match_probability
            how = "is the listed entity" if len(ms) == 1 else f"linked by entity resolution (p={p:.2f})"
            rows.append(sanctions_matches._row(eid, ent, p, ent.caption, f"{how}: {ent.caption!r} on {ent.list_name}"))
        if direct:
            continue
        best: dict[str, dict[str, Any]] = {}
        for m in ms:
            if m["unresolved_reason"]:
                continue
            for name in [m["name"], *(m["aliases"] or [])]:
                for hit in index.search(name or "", m["country"], m["schema"], THRESHOLD, 10):
                    if hit.sanction_entity_id not in best or hit.score > best[hit.sanction_entity_id]["score"]:
                        best[hit.sanction_entity_id] = sanctions_matches._row(
                            eid, listed[hit.sanction_entity_id], hit.score, hit.matched_name,
                            f"screened name {name!r}: {hit.explanation}")
        rows.extend(sorted(best.values(), key=lambda r: (-r["score"], r["sanction_entity_id"]))[:10])
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("batch", [1, 7, 50_000])
def test_matches_are_those_worked_out_plainly(monkeypatch: pytest.MonkeyPatch, seed: int, batch: int) -> None:
    # Batches of 1 and 7 mentions split entities across batches; 50,000 holds them all at once.
    monkeypatch.setattr(sanctions_matches, "BATCH_ROWS", batch)
    mentions, assignments = _mentions(seed)
    expected = _plainly(mentions, assignments, _index())
    how = {r["explanation"].split(" ")[0] for r in expected}
    assert how >= {"linked", "screened"} and any("'YK-ATA'" in r["explanation"] for r in expected)
    assert match_rows(mentions, assignments, _index(), THRESHOLD) == expected


def test_each_question_is_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    mentions, assignments = _mentions(4, n=300)
    index = _index()
    asked: list[Any] = []
    search_forms = index.search_forms

    def counting(queries: Any, country: str | None, schema: str | None, *rest: Any) -> Any:
        asked.append((index.forms_key(queries), country, schema))
        return search_forms(queries, country, schema, *rest)

    monkeypatch.setattr(index, "search_forms", counting)
    match_rows(mentions, assignments, index, THRESHOLD)
    questions = {(name, m["country"], m["schema"]) for m in mentions.to_pylist() if not m["unresolved_reason"]
                 for name in [m["name"], *(m["aliases"] or [])]}
    assert asked and len(asked) == len(set(asked))  # each question once, however many mentions ask it
    assert len(asked) < len(questions)  # and spellings that normalise alike share one search


def test_an_entity_that_is_listed_is_not_screened_again() -> None:
    mentions, assignments = _mentions(5)
    rows = match_rows(mentions, assignments, _index(), THRESHOLD)
    for eid in {r["entity_id"] for r in rows if "listed entity" in r["explanation"]}:
        assert all("screened" not in r["explanation"] for r in rows if r["entity_id"] == eid)


def test_stored_answers_are_used_for_the_entities_given() -> None:
    mentions, assignments = _mentions(6)
    fresh = match_rows(mentions, assignments, _index(), THRESHOLD)
    screened_one = next(r for r in fresh if r["explanation"].startswith("screened"))
    eid = screened_one["entity_id"]
    stored = {eid: [{**screened_one, "score": 0.5, "explanation": "stored"}]}
    again = match_rows(mentions, assignments, _index(), THRESHOLD, screened=stored)
    assert [r for r in again if r["entity_id"] == eid] == stored[eid]
    assert [r for r in again if r["entity_id"] != eid] == [r for r in fresh if r["entity_id"] != eid]


def test_every_entity_stored_gives_the_same_rows_in_the_same_order() -> None:
    """An update whose entities are all unchanged reads no mention but the listed ones' entities'; those are
    worked out again (their link probability), whatever was stored for them."""
    mentions, assignments = _mentions(7)
    fresh = match_rows(mentions, assignments, _index(), THRESHOLD)
    stored: dict[str, list[dict[str, Any]]] = {a.entity_id: [] for a in assignments.values()}
    for r in fresh:
        stored[r["entity_id"]].append(r)
    listed = {r["entity_id"] for r in fresh if not r["explanation"].startswith("screened")}
    assert listed and len(listed) < len({r["entity_id"] for r in fresh}) < len(stored)
    for eid in listed:
        stored[eid] = [{**stored[eid][0], "explanation": "stale"}]
    assert match_rows(mentions, assignments, _index(), THRESHOLD, screened=stored) == fresh


def test_real_list_names_give_the_plain_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Real OpenSanctions entities (tests/data/yente): trade-data spellings of their own names (case, a dropped
    # letter, words reordered) under several countries and schemata, grouped at random into entities.
    from tests.resolve.test_screening_candidates import _listed

    listed = _listed()
    index = ScreeningIndex(listed)
    rng = random.Random(11)
    rows: list[dict[str, Any]] = []
    for i in range(400):
        name = rng.choice(rng.choice(listed).names)[0]
        spelt = rng.choice([name.upper(), name.lower(), " ".join(reversed(name.split())),
                            name[:len(name) // 2] + name[len(name) // 2 + 1:]])
        rows.append({"mention_id": f"m-{i:04d}", "source_table": "shipments", "source_key": f"r{i}",
                     "unresolved_reason": None, "name": spelt, "aliases": None,
                     "country": rng.choice([None, "RU", "CN", "AE"]),
                     "schema": rng.choice([None, "Company", "Person"])})
    mentions = pa.Table.from_pylist(rows)
    assignments = {r["mention_id"]: Assignment(f"e-{rng.randrange(150):03d}", 1.0) for r in rows}
    expected = _plainly(mentions, assignments, index)
    assert len({r["entity_id"] for r in expected}) > 50  # most entities match something on the real list
    monkeypatch.setattr(sanctions_matches, "BATCH_ROWS", 13)
    assert match_rows(mentions, assignments, index, THRESHOLD) == expected


def test_unchanged_entities_given_in_arrow_read_no_mention_and_give_the_same_rows() -> None:
    """An update hands its unchanged entities as one Arrow array and only the stored rows of those that had
    any: the rows are those of screening every entity, and no unchanged entity's name is searched."""
    mentions, assignments = _mentions(7)
    fresh = match_rows(mentions, assignments, _index(), THRESHOLD)
    screened = {r["entity_id"] for r in fresh if r["explanation"].startswith("screened")}
    assert screened
    stored: dict[str, list[dict[str, Any]]] = {}
    for r in fresh:
        stored.setdefault(r["entity_id"], []).append(r)
    everyone = pa.array(sorted({a.entity_id for a in assignments.values()}), pa.string())
    searched: list[str] = []
    index = _index()
    real = index.search_forms

    def counting(queries: Any, *args: Any, **kwargs: Any) -> Any:
        searched.append(repr(queries))
        return real(queries, *args, **kwargs)

    index.search_forms = counting  # type: ignore[method-assign]
    assert match_rows(mentions, assignments, index, THRESHOLD, screened=stored, unchanged=everyone) == fresh
    assert not searched
    # without the array, the entities with no stored row are screened again: the same rows, searched
    assert match_rows(mentions, assignments, index, THRESHOLD, screened=stored) == fresh
    assert searched
