"""Word-level similarity: typos join, look-alike short names and extra distinctive words do not."""

from __future__ import annotations

from collections import Counter

import pytest

from diversion.names import name_forms, name_similarity
from diversion.names.similarity import WordWeights, word_similarity


@pytest.mark.parametrize(
    ("x", "y"),
    [("kamiro", "kamro"), ("kamiro", "kammiro"), ("apple", "appel"), ("sergei", "sergey"), ("krasny", "krasnyy"),
     ("oktyabr", "oktiabr"), ("ooomizansor", "mizansor")],
)
def test_typos_and_transliterations_are_close(x: str, y: str) -> None:
    assert word_similarity(x, y) >= 0.88


@pytest.mark.parametrize(
    ("x", "y"),
    [("orion", "corion"), ("orion", "vorion"), ("orion", "orian"), ("orion", "toreon"), ("orion", "iriion"),
     ("promsnab", "promstan"), ("amg", "amk")],
)
def test_short_look_alikes_are_other_names(x: str, y: str) -> None:
    """Another first letter, a changed letter in a short word, two edits: a different name."""
    assert word_similarity(x, y) < 0.5


def test_lone_letter_is_part_of_the_name() -> None:
    """fingerprints drops any trailing single letter; 'Promsnab-M' is not 'Promsnab'."""
    assert name_forms("Promsnab-M LLC").core == "promsnab m"
    assert name_forms('ООО "Промснаб-М"').core == "promsnab m"
    assert name_forms("ООО «Промснаб»").core == "promsnab"
    assert name_similarity(name_forms("ООО «Промснаб»"), name_forms("Promsnab-M LLC")).score < 1.0


@pytest.mark.parametrize("name", ["OO Bekton", "OOOO Bekton", "Bekton LC"])
def test_legal_form_with_a_letter_too_few_or_too_many(name: str) -> None:
    assert name_forms(name).core == "bekton"


def _weights(*names: str) -> WordWeights:
    df: Counter[str] = Counter()
    for n in names:
        df.update(set(name_forms(n).tokens))
    return WordWeights.from_counts(df, len(names))


def test_common_word_does_not_carry_a_match() -> None:
    corpus = [f"{w} Machinery" for w in ("Corion", "Vorion", "Toreon", "Korino", "Orbant", "Sarion", "Zanion",
                                          "Atlas", "Baltic", "Delta", "Nordic")] + ["Orion Machinery Limited"]
    weights = _weights(*corpus)
    orion = name_forms("Orion Machinery Limited")
    for near in ("Corion Machinery Industrial Corp.", "Vorion Machinery AG", "Korino Machinery S.r.l."):
        assert name_similarity(name_forms(near), orion, weights).score < 0.82, near
    assert name_similarity(name_forms("Orrion Machinery"), orion, weights).score >= 0.82  # a doubled letter
    assert name_similarity(name_forms("ORION MACHINERY LTD"), orion, weights).score == 1.0


def test_distinctive_extra_word_falls_below_the_threshold() -> None:
    weights = _weights("Promsnab-M LLC", "ООО «Промснаб»", "Promstan", "Stankoprom", "AMG LLC")
    listed = name_forms("Promsnab-M LLC")
    assert name_similarity(name_forms("ООО «Промснаб»"), listed, weights).score < 0.82
    assert name_similarity(name_forms('OOO "Promstan"'), listed, weights).score < 0.82


def test_slip_in_a_common_word_is_still_a_typo() -> None:
    weights = _weights(*[f"N{i} Trading" for i in range(300)], "Genser Trading")
    assert name_similarity(name_forms("GENSER TRADINNG"), name_forms("Genser Trading"), weights).score >= 0.82
