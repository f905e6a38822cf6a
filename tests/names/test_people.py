"""Person names as people: any order, transliterated given names, optional patronymics, Arabic script."""

from __future__ import annotations

import pytest

from diversion.names import name_forms, name_similarity


def _score(a: str, b: str) -> float:
    return name_similarity(name_forms(a, "Person"), name_forms(b, "Person")).score


@pytest.mark.parametrize(("query", "listed"), [
    ("Oleg Deripaska", "DERIPASKA, Oleg Vladimirovich"),
    ("Евгений Пригожин", "PRIGOZHIN, Yevgeniy Viktorovich"),
    ("Evgenii Prigozhin", "PRIGOZHIN, Yevgeniy Viktorovich"),
    ("Yevgeniy Viktorovich Prigozhin", "Пригожин Евгений"),
    ("محمد جواد ظریف", "ZARIF, Mohammad Javad"),
    ("قاسم سلیمانی", "SOLEIMANI, Qasem"),
])
def test_same_person(query: str, listed: str) -> None:
    assert _score(query, listed) >= 0.9


@pytest.mark.parametrize(("query", "listed"), [
    ("Ivan Sidorov", "Ivan Petrov"),
    ("Oleg Petrov", "Olga Petrova"),
    ("Sergei Ivanov", "Sergei Petrovich Smirnov"),
    ("Deripaska", "DERIPASKA, Oleg Vladimirovich"),
])
def test_other_person(query: str, listed: str) -> None:
    assert _score(query, listed) < 0.82
