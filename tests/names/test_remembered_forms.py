"""Names' forms remembered through a resolve (``remembered_forms``) are the forms worked out afresh."""

from __future__ import annotations

import pytest

from diversion.names import normalise
from diversion.names.normalise import _name_forms, name_forms, nothing_new, remembered_forms

NAMES = ['ООО "АМГ"', "深圳市易络科技有限公司", "Amegino FZCO", "Ivan Petrovich SIDOROV", "YK-ATA",
         "Deutsche Bank (Schweiz) AG", "شركة الأمل", "Общество с ограниченной ответственностью «АМГ»"]
SCHEMAS = [None, "LegalEntity", "Company", "Organization", "Person", "Vessel", "Airplane"]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_remembered_forms_are_the_forms(schema: str | None) -> None:
    _name_forms.cache_clear()
    fresh = [name_forms(n, schema) for n in NAMES]
    _name_forms.cache_clear()
    with remembered_forms():
        remembered = [name_forms(n, schema) for n in NAMES]
        again = [name_forms(n, schema) for n in NAMES]
    assert remembered == fresh
    assert all(a is b for a, b in zip(again, remembered, strict=True))  # worked out once


def test_schemata_of_one_kind_share_their_forms() -> None:
    with remembered_forms():
        company = name_forms("OOO Promsnab", "Company")
        assert name_forms("OOO Promsnab", "LegalEntity") is company
        assert name_forms("OOO Promsnab", None) is company
        assert name_forms("OOO Promsnab", "Person") is not company
        assert name_forms("OOO Promsnab", "Vessel").core == "ooo promsnab"  # a vessel keeps its name whole
        assert company.core == "promsnab"


def test_the_block_forgets_what_it_remembered() -> None:
    with remembered_forms():
        name_forms("АО Комета")
        assert normalise._REMEMBERED and normalise._REMEMBERED_WORDS
    assert normalise._REMEMBERED is None and normalise._REMEMBERED_WORDS is None


def test_nothing_new_reads_what_is_remembered_and_keeps_nothing() -> None:
    with remembered_forms():
        org = name_forms("OOO Promsnab")
        kept = len(normalise._REMEMBERED or {})
        with nothing_new():
            assert name_forms("OOO Promsnab") is org
            person = name_forms("OOO Promsnab", "Person")
            vessel = name_forms("OOO Promsnab", "Vessel")
            assert len(normalise._REMEMBERED or {}) == kept
        _name_forms.cache_clear()
        assert person == name_forms("OOO Promsnab", "Person") and vessel == name_forms("OOO Promsnab", "Vessel")


def test_the_block_leaves_the_bounded_cache_alone() -> None:
    # Inside a resolve the bounded cache would keep the forms ``nothing_new`` drops (200,000 names' worth).
    _name_forms.cache_clear()
    with remembered_forms():
        name_forms("OOO Promsnab")
        with nothing_new():
            person = name_forms("OOO Promsnab", "Person")
    assert _name_forms.cache_info().currsize == 0
    assert name_forms("OOO Promsnab", "Person") == person


def test_derived_forms_read_late_change_neither_equality_nor_hash() -> None:
    """``sorted``, ``compact`` and ``phonetic`` are filled in when first read (slots, no instance dict)."""
    _name_forms.cache_clear()
    read = name_forms("Zeta Alpha Trading LLC")
    assert (read.sorted, read.compact, read.phonetic) == ("alpha trading zeta", "zetaalphatrading", "ST ALF TRTNK")
    _name_forms.cache_clear()
    fresh = name_forms("Zeta Alpha Trading LLC")
    assert fresh == read and hash(fresh) == hash(read) and fresh is not read
    assert not hasattr(read, "__dict__")
    same_order = name_forms("Alpha Trading")
    assert same_order.sorted == same_order.core == "alpha trading"
