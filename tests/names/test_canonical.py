"""``canonical_name`` gives rigour's ``pick_name``: on random lists, real names, and every code point's letterhood."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

import icu
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rigour.names import pick_name

from diversion.names import canonical
from diversion.names.canonical import canonical_name, latin_share, only_latin_name

DATA = Path(__file__).parents[1] / "data"

#: Characters of every kind a name holds: Latin with and without diacritics, Cyrillic, Greek, Han, Arabic,
#: digits, spaces and punctuation, and the undecided kinds (combining marks, a Roman numeral, a circled letter).
_CHARS = st.sampled_from(list(
    "AbcXyzÉéŞşÖøß" "ОООАМГбалтметлЁё" "ΑΒΓαβγ" "深圳易络科技" "شركة" "0123456789" "  .,-&«»\"'()/"
    "\u0301\u0308\u2162\u24b6\u02bc\u00aa"
))
_NAME = st.text(_CHARS, min_size=1, max_size=12)


def _cyrillic_with_one_latin() -> st.SearchStrategy[list[str]]:
    """Lists where the shortcut applies: Cyrillic spellings and one Latin one, in any order."""
    cyrillic = st.text(st.sampled_from(list("ОООАМГбалтметлЁё «»\"-1")), min_size=1, max_size=14)
    latin = st.text(st.sampled_from(list("OAMGbaltmetl \"-1")), min_size=1, max_size=14)
    return st.tuples(st.lists(cyrillic, min_size=1, max_size=4), latin, st.integers(0, 4)).map(
        lambda t: [*t[0][:t[2]], t[1], *t[0][t[2]:]])


@settings(max_examples=400, deadline=None)
@given(st.lists(_NAME, min_size=1, max_size=6))
@example(["ООО «Балтметалл»", 'OOO "Baltmetall"', "OOO Baltmetall"])  # two Latin names: pick_name ranks them
@example(["Балтметалл", "Baltmetall", "Baltmetall"])  # the one Latin name twice: counted twice, as rigour counts
@example(["Балтметалл", "   ", "Baltmetall"])  # a blank name
@example(["ABCб", "БМа", "МлемА ", "тМа"])  # 0.825 Latin: not a Latin name, and pick_name picks another
@example(["бвгAbcdefghijk", "та ГАаа ", "тБ т", "Ам т"])  # 11 Latin letters and 3 Cyrillic: 0.85 to the bit
def test_canonical_name_is_pick_name(names: list[str]) -> None:
    assert canonical_name(names) == pick_name(names)


@settings(max_examples=300, deadline=None)
@given(_cyrillic_with_one_latin())
def test_one_latin_name_among_cyrillic_ones_is_answered_as_pick_name_answers(names: list[str]) -> None:
    found = only_latin_name(names)
    if found is not None:
        assert found == pick_name(names)
    assert canonical_name(names) == pick_name(names)


def test_the_shortcut_answers_the_costly_lists() -> None:
    # A Russian firm's Cyrillic spellings with its one transliteration: pick_name transliterates each of them.
    names = ["ООО «Северконтракт-М-3»", 'ООО "Северконтракт-М-3"', "ООО «Сверконтракт-М-3»", 'OOO "Severkontrakt-M-3"']
    assert only_latin_name(names) == 'OOO "Severkontrakt-M-3"' == pick_name(names)
    # Two mostly Latin names: pick_name ranks them. A Han name beside its romanisation: the romanisation.
    assert only_latin_name(["Baltmetall", "BALTMETALL", "Балтметалл"]) is None
    han = ["深圳易络", "Shenzhen Yiluo"]
    assert only_latin_name(han) == "Shenzhen Yiluo" == pick_name(han)
    # A combining accent: letterhood left to rigour.
    assert latin_share("Cafe\u0301") is None and only_latin_name(["Cafe\u0301", "Кафе"]) is None


def test_the_share_is_rigours_weighting() -> None:
    assert latin_share("ООО AMG") == (0.3 * 3 + 3) / 6
    assert latin_share("Ωmega") == (0.3 + 4) / 5
    assert latin_share("شركة AB") == 2 / 6
    assert latin_share("--- 123") == 0.0


def test_no_category_taken_for_non_letters_holds_a_letter() -> None:
    """Every code point of ``_NOT_LETTERS``' categories lacks ICU's Alphabetic property, and every code point
    Python calls a letter has it: the letters counted here are the ones rigour counts."""
    wrong = []
    for cp in range(sys.maxunicode + 1):
        char = chr(cp)
        alphabetic = icu.Char.hasBinaryProperty(cp, icu.UProperty.ALPHABETIC)
        if char.isalpha() != alphabetic and (char.isalpha()
                                              or unicodedata.category(char) in canonical._NOT_LETTERS):
            wrong.append(f"U+{cp:04X}")
    assert not wrong


def test_real_name_lists_are_picked_as_rigour_picks_them() -> None:
    """OpenSanctions' labelled name pairs (several scripts) as two- and three-name lists, and the names and
    aliases of real OpenSanctions entities."""
    with (DATA / "er" / "nomenklatura_name_cases.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [r["name1"] for r in rows] + [r["name2"] for r in rows]
    lists = [[r["name1"], r["name2"]] for r in rows]
    lists += [list(t) for t in zip(names, names[7:], names[13:], strict=False)]
    assert sum(only_latin_name(names) is not None for names in lists) >= 30  # the shortcut is exercised
    with (DATA / "sanctions" / "yente_zala.ftm.json").open(encoding="utf-8") as f:
        entities = [json.loads(line) for line in f if line.strip()]
    listed = [[*e["properties"].get("name", []), *e["properties"].get("alias", [])] for e in entities]
    lists += [names for names in listed if len(names) > 1]
    assert [canonical_name(names) for names in lists] == [pick_name(names) for names in lists]
