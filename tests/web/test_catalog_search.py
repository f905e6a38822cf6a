"""The catalog's word search and the record fields searches filter on (pure logic, no server)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from diversion.web.catalog import Collection, Record, _absorb
from diversion.web.dataset_search import SearchParams, search_dataset
from diversion.web.screening import NameIndex


def _record(rid: str, name: str, **props: list[str]) -> Record:
    return Record(id=rid, schema="Company", caption=name, properties={"name": [name], **props},
                  datasets=["test"], target=True)


def _collection(records: list[Record]) -> Collection:
    return Collection({r.id: r for r in records}, NameIndex([]))


def test_every_word_must_be_in_one_record() -> None:
    records = [_record("a", "Alpha Moscow"), _record("b", "Beta", address=["Moscow region"]), _record("c", "Gamma")]
    found = _collection(records).containing(["moscow"])
    assert [r.id for r in found] == ["a", "b"]
    assert [r.id for r in _collection(records).containing(["moscow", "region"])] == ["b"]
    # words of two neighbouring records never join into a match
    assert _collection(records).containing(["moscow", "gamma"]) == []


@given(st.lists(st.text(alphabet="abc ", min_size=0, max_size=12), min_size=1, max_size=8),
       st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=3))
def test_the_joined_scan_equals_a_scan_of_each_record(names: list[str], words: list[str]) -> None:
    records = [_record(f"r{i}", n) for i, n in enumerate(names)]
    expected = [r.id for r in records if all(w in r.text() for w in words)]
    assert [r.id for r in _collection(records).containing(words)] == expected


def test_filters_apply_to_what_the_words_found() -> None:
    records = [_record("a", "Alpha Moscow", country=["ru"]), _record("b", "Beta Moscow", country=["ae"])]
    found = search_dataset_of(records, SearchParams(q="moscow", countries=["AE"]))
    assert [r.id for r in found.results] == ["b"] and found.total.value == 1


def test_a_merged_record_shows_the_countries_of_both() -> None:
    one, other = _record("a", "Alpha", country=["ru"]), _record("b", "Alpha", country=["ae"])
    assert one.countries == ["ru"] and "ae" not in one.text()  # both cached
    _absorb(one, other)
    assert sorted(one.countries) == ["ae", "ru"] and "ae" in one.text()


def search_dataset_of(records: list[Record], params: SearchParams):  # type: ignore[no-untyped-def]
    class _Catalog:
        def select(self, _name: str) -> tuple[Collection, None]:
            return _collection(records), None

    result = search_dataset(_Catalog(), "test", params)  # type: ignore[arg-type]
    assert result is not None
    return result
