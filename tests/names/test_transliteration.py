"""Transliterating a word at a time (``normalise._ascii``) gives the words of transliterating the whole text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rigour.text.translit import ascii_text

from diversion.names import normalise
from diversion.names.normalise import _ascii, _name_forms, _tokens, name_forms, remembered_forms

# Names where rigour reads each word's language on its own, and scripts it hands to normality.
REAL = [
    "Абашкін Костянтин Ігорьович", "Гриценко Ігор", "Олег Гриценко Ївгенович", "Александар Вучић",
    'Акционерное общество "Муромский приборостроительный завод"', "アエロスキャン有限会社", "CST有限会社",
    "イジュマシュ R&D センター", "深圳市易络科技有限公司", "नरेन्द्र मोदी", "মোহাম্মদ শামসুদ্দিন", "วชิราลงกรณ",
    "ዐቢይ አሕመድ", 'Εταιρία περιορισμένης ευθύνης "Inter Tobacco"', "Шевченко ქართული", "ООО 深圳",
    "Ελληνικά Шевченко", "ωέ ЮѓЖж", "ЮѓЖж ωέ", "Brentech Precision Ltd. Şti.",
    "شركة الأمل للتجارة", "ՍՊԸ Արմենիա", "ТОВ «Ромашка»",
]

# Letters of the scripts party names come in, with digits and the punctuation names carry.
_RANGES = [(0x400, 0x45F), (0x391, 0x3C9), (0x620, 0x64A), (0x5D0, 0x5EA), (0x10D0, 0x10F0), (0x531, 0x556),
           (0x4E00, 0x4FFF), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xAD00), (0xE01, 0xE30), (0x905, 0x939),
           (0xC0, 0x17F), (0x41, 0x5A), (0x30, 0x39)]
_LETTERS = st.one_of(*(st.characters(min_codepoint=a, max_codepoint=b) for a, b in _RANGES),
                     st.sampled_from("-.&\"«»№"))
_WORDS = st.lists(st.text(_LETTERS, min_size=1, max_size=8), min_size=1, max_size=4).map(" ".join)


@pytest.mark.parametrize("text", REAL)
def test_real_names_transliterate_alike_word_by_word(text: str) -> None:
    assert _tokens(_ascii(text)) == _tokens(ascii_text(text))
    with remembered_forms():
        assert _tokens(_ascii(text)) == _tokens(ascii_text(text))
        assert _tokens(_ascii(text)) == _tokens(ascii_text(text))  # from the remembered words


@settings(max_examples=150, deadline=None)
@given(_WORDS)
def test_any_words_transliterate_alike_word_by_word(text: str) -> None:
    assert _tokens(_ascii(text)) == _tokens(ascii_text(text))


def test_words_are_remembered_in_the_block_only() -> None:
    with remembered_forms():
        _ascii("ООО Плюс")
        assert normalise._REMEMBERED_WORDS == {"ООО": "OOO", "Плюс": "Plyus"}
    assert normalise._REMEMBERED_WORDS is None


def test_each_kind_of_name_read_one_after_another_gets_its_own_forms() -> None:
    """The shared start of the last name read is reused only for the same name and length limit."""
    name = "Dr Ivan Petrov OOO Trading"
    _name_forms.cache_clear()
    alone = {schema: name_forms(name, schema) for schema in ("Person", "Vessel", None)}
    for schema in ("Person", "Vessel", None):
        _name_forms.cache_clear()
        name_forms("something else entirely")
        assert name_forms(name, schema) == alone[schema]
    assert alone["Person"].core != alone[None].core != alone["Vessel"].core
    _name_forms.cache_clear()
    assert name_forms(name, None, 500).usable
    assert not name_forms(name, None, 10).usable  # the same name under a shorter limit is not reused
    assert name_forms(name, None, 500).usable


def _real_list_names() -> list[str]:
    """Every name and alias of the real OpenSanctions entities kept in ``tests/data/yente`` (Cyrillic, Latin...)."""
    import json
    from pathlib import Path

    names = []
    for path in sorted((Path(__file__).parents[1] / "data" / "yente").glob("**/*.json")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                props = json.loads(line).get("properties", {})
                names += [n for key in ("name", "alias", "weakAlias", "previousName") for n in props.get(key, [])]
    return names


def test_a_published_list_transliterates_alike_word_by_word() -> None:
    names = [n for n in _real_list_names() if not n.isascii()]
    assert len(names) > 100  # the data is there: Russian and Ukrainian spellings of the same people and firms
    different = [n for n in names if _tokens(_ascii(n)) != _tokens(ascii_text(n))]
    assert different == []
