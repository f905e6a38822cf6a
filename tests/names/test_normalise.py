"""Name normalisation in each script: legal forms, transliteration, quotes, bad input."""

from __future__ import annotations

import pytest

from diversion.names import name_forms, name_similarity, normalise_name, unusable_reason


@pytest.mark.parametrize(
    "name",
    [
        'ООО "АМГ"',  # Cyrillic, Russian legal form, straight quotes
        "Общество с ограниченной ответственностью «АМГ»",  # spelt-out legal form, guillemets
        "OOO AMG",  # transliterated abbreviation
        "Obshchestvo s ogranichennoy otvetstvennostyu AMG",  # transliterated spelt-out form
        "AMG LLC",
        "A.M.G. L.L.C.",
        "„AMG“ Ltd.",
    ],
)
def test_amg_variants_share_one_key(name: str) -> None:
    assert normalise_name(name) in {"amg", "a m g"}
    assert name_forms(name).compact == "amg"


@pytest.mark.parametrize(
    ("name", "key", "legal"),
    [
        ("Amegino FZE", "amegino", "llc"),
        ("AMEGINO FZCO", "amegino", "llc"),
        ("Amegino General Trading L.L.C.", "amegino general trading", "llc"),
        ("АО «Комета»", "kometa", "jsc"),
        ("ПАО Сбербанк", "sberbank", "jsc"),
        ("ЗАО \"Ромашка\"", "romashka", "jsc"),
    ],
)
def test_latin_and_cyrillic_legal_forms(name: str, key: str, legal: str) -> None:
    forms = name_forms(name)
    assert forms.core == key
    assert legal in forms.legal_forms


def test_chinese_city_prefix_and_legal_form_removed() -> None:
    plain = name_forms("易络科技有限公司")
    with_city = name_forms("深圳市易络科技有限公司")
    with_province = name_forms("广东省深圳市易络科技股份有限公司")
    assert plain.core == with_city.core == with_province.core
    assert "you xian gong si" not in with_city.core and "shen zhen" not in with_city.core
    assert with_city.legal_forms and with_city.core.isascii()


def test_arabic_is_transliterated() -> None:
    forms = name_forms("شركة أميجينو")
    assert forms.usable and forms.core.isascii() and forms.tokens


def test_person_honorifics_dropped_not_legal_forms() -> None:
    assert name_forms("Mr. Ivan Sidorov", "Person").core == "ivan sidorov"
    assert name_forms("Иван Сидоров", "Person").core == "ivan sidorov"


def test_full_width_and_case_fold() -> None:
    assert name_forms("ＡＭＥＧＩＮＯ").core == "amegino"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (None, "empty name"),
        ("   ", "empty name"),
        ("!!! ... ---", "no letters or digits"),
        ("x" * 10_000, "longer than"),
        ("ООО AMG شركة", "writing systems"),
    ],
)
def test_bad_names_get_a_reason(name: str | None, reason: str) -> None:
    forms = name_forms(name)
    assert not forms.usable
    assert reason in (forms.reason or "")
    assert unusable_reason(name, 500) is not None


def test_two_scripts_are_fine() -> None:
    assert name_forms('ООО "AMG"').core == "amg"


def test_similarity_explains_itself() -> None:
    same = name_similarity(name_forms('ООО "АМГ"'), name_forms("AMG LLC"))
    reordered = name_similarity(name_forms("Krasny Oktyabr"), name_forms("Oktyabr Krasny"))
    different = name_similarity(name_forms("Kometa"), name_forms("Rostec"))
    assert same.score == 1.0 and "same name" in same.reason
    assert reordered.score == pytest.approx(0.97) and "order" in reordered.reason
    assert different.score < 0.5
    assert name_similarity(name_forms(""), name_forms("AMG")).score == 0.0


def test_trade_words_are_kept_and_stuttered_legal_forms_dropped() -> None:
    """``Import & Export`` tells sibling firms apart; ``OOOO``/``LLLC`` are typos of legal forms."""
    assert name_forms("Foshan Chuangyi Import & Export Co., Ltd.").tokens == ("foshan", "chuangyi", "import", "export")
    assert name_forms("OOOO Stanro").core == name_forms("Lingeneta LLLC").core.replace("lingeneta", "stanro")
    assert name_forms("Lingeneta LLLC").core == "lingeneta"
    assert name_forms("Coo Trading").core == "coo trading"  # a real word with a doubled letter stays
