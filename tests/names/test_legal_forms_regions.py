"""Legal forms before or after the name, in the forms of the countries this trade runs through (issue #14)."""

from __future__ import annotations

import pytest

from diversion.names import name_forms


@pytest.mark.parametrize(("a", "b"), [
    ("JSC Prombelvost", "Prombelvost JSC"),
    ("Kartelmash Makina Ltd. Şti.", "KARTELMASH MAKINA LIMITED SIRKETI"),  # TR
    ("Kartelmash A.Ş.", "Kartelmash Anonim Şirketi"),  # TR
    ("ОсОО Айсберг", "Aisberg OsOO"),  # KG
    ("ТОО «Айсберг»", "Aisberg TOO"),  # KZ, Cyrillic and Latin
    ("MChJ Aysberg", "Aysberg MCHJ"),  # UZ
    ("Aysberg Xususiy Korxona", "Aysberg XK"),  # UZ
    ("ՓԲԸ Այսբերգ", "Aysberg CJSC"),  # AM
    ("შპს აისბერგი", "Aisbergi LLC"),  # GE
    ("Aysberg FZ-LLC", "Aysberg FZE"),  # AE
    ("深圳市艾斯伯格有限公司", "艾斯伯格有限公司"),  # CN
    ("Aysberg (HK) Limited", "Aysberg Limited"),  # HK
    ("ООО «Айсберг»", "Aisberg OOO"),  # RU
])
def test_legal_forms_either_side_of_the_name(a: str, b: str) -> None:
    assert name_forms(a).core == name_forms(b).core


@pytest.mark.parametrize("schema", ["Airplane", "Vessel"])
def test_registration_marks_are_no_legal_forms(schema: str) -> None:
    assert name_forms("YK-ATA", schema).core == "yk ata"
    assert name_forms("YK-ATA", schema).legal_forms == ()
