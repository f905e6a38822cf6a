"""Which writing systems a name uses, and whether it can be matched at all."""

from __future__ import annotations

from rigour.text.scripts import text_scripts

#: Scripts that commonly mix inside one East Asian name (株式会社ツガミ): one family.
_CJK = {"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"}

#: Names using more distinct script families than this are not matched.
MAX_SCRIPT_FAMILIES = 2


def script_families(text: str) -> set[str]:
    """The writing systems of the letters and digits in ``text`` (CJK scripts count as one).

    >>> sorted(script_families('ООО "AMG"'))
    ['Cyrillic', 'Latin']
    """
    return {"CJK" if s in _CJK else s for s in text_scripts(text)}


def unusable_reason(name: str | None, max_length: int, families: set[str] | None = None) -> str | None:
    """Why ``name`` cannot be matched, in words, or ``None`` when it can.

    Empty names, names without a single letter or digit, names longer than
    ``max_length`` characters and names mixing three or more writing systems
    (e.g. Latin, Cyrillic and Arabic in one string: usually broken encoding or
    concatenated fields) are kept as mentions but never linked.
    Two systems are normal (``ООО "AMG"``, ``深圳 ELE Technology``) and allowed.
    ``families``: ``script_families(name)`` when the caller has it already.
    """
    if name is None or not name.strip():
        return "empty name"
    if len(name) > max_length:
        return f"name longer than {max_length} characters ({len(name):,})"
    if families is None:
        families = script_families(name)
    if not families:
        return "name has no letters or digits"
    if len(families) > MAX_SCRIPT_FAMILIES:
        return f"name mixes {len(families)} writing systems ({', '.join(sorted(families))})"
    return None
