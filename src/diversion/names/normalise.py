"""Turn a raw party name into the forms that matching compares.

The pipeline, in order (each step is a library call, not a local table):

1. ``unusable_reason``: empty, punctuation-only, over-long and 3+-script names stop here.
2. Unicode NFKC + casefold + tokenise (``rigour.text.normalize``): quotes «» „" and
   punctuation go, full-width letters fold, ``ß`` → ``ss``.
3. A leading Chinese administrative prefix (``深圳市``, ``广东省``) is dropped: the
   English name of the same firm usually omits it.
4. Legal forms are taken out in the original script with rigour's org-type database
   (``ООО``, ``Общество с ограниченной ответственностью``, ``LLC``, ``FZE``, ``FZCO``,
   ``L.L.C.``, ``GmbH``...) and kept apart in their generic form (``llc``, ``jsc``).
5. Transliteration to ASCII (``rigour.text.translit.ascii_text``: rigour's own spellings
   for Cyrillic/Greek/..., ICU via normality for Han, Arabic and the rest).
6. Legal forms again on the ASCII text: transliterated forms (``Obshchestvo s
   ogranichennoy otvetstvennostyu``) via rigour, Han forms (``有限公司`` →
   ``you xian gong si``) and trailing ``Corporation``/``Co``/``Company`` via
   fingerprints' type table.
7. A legal form typed with a letter doubled or a double letter halved at either end (``OOOO``, ``LLLC``,
   ``OO``) is dropped too.
8. Stopwords (``and``, ``of``, ``the``; rigour's list) are dropped.

Person names skip the legal forms and lose honorifics (``Mr``, ``Dr``) instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from sys import intern

import fingerprints
from rigour.names import extract_org_types, remove_org_types, remove_person_prefixes
from rigour.text import is_stopword, metaphone, remove_bracketed_text
from rigour.text.normalize import Normalize, normalize
from rigour.text.translit import ascii_text, maybe_ascii

from diversion.names.scripts import script_families, unusable_reason

#: Default upper bound on name length; longer strings are concatenated fields or garbage.
MAX_NAME_LENGTH = 500

_FLAGS = Normalize.NFKC | Normalize.CASEFOLD | Normalize.NAME
# A county/city/province prefix in Han script: 2-3 characters then 省/市/区/县, at the start.
_HAN_ADMIN_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}?[省市区县])+(?=[\u4e00-\u9fff]{2})")
_PERSON_SCHEMATA = {"Person"}
#: Assets named by a registration mark or a plain name (``YK-ATA``, ``SEA DREAM``): no legal forms to remove.
OBJECT_SCHEMATA = frozenset({"Vessel", "Airplane", "Vehicle", "Asset", "Thing", "Security", "CryptoWallet",
                             "BankAccount"})
#: Legal forms of the countries this trade runs through that rigour's org-type database (2.6) lacks, as words
#: at either end of a name (casefolded, in their own script and transliterated) -> generic form.
#: Kyrgyz ОсОО, Kazakh ТОО written in Latin letters, Uzbek AJ, Armenian ՍՊԸ/ՓԲԸ/ԲԲԸ, a UAE "FZ" left
#: over from "FZ-LLC".
EDGE_FORMS = {
    "осоо": "llc", "osoo": "llc", "too": "llp", "aj": "jsc", "սպը": "llc", "spy": "llc", "փբը": "jsc",
    "բբը": "jsc", "fz": "fz", "mchj": "llc",
}
# Fingerprints' type table also holds trade words ("Import & Export" → imp, exp). They are no legal form
# and they tell sibling firms apart ("Foshan Chuangyi Import & Export" / "Foshan Chuangyi Electronics").
_TRADE_WORDS = frozenset({"imp", "exp"})


@dataclass(frozen=True, slots=True)
class NameForms:
    """The matching forms of one name. ``reason`` is set when it cannot be matched.

    Slotted, its derived forms filled in when first read: a resolve remembers the forms of every distinct
    name (millions at 10M shipment rows), and an instance dictionary alone cost more than its strings.
    """

    original: str
    core: str = ""  # ASCII, casefolded, legal forms removed, word order kept
    tokens: tuple[str, ...] = ()
    legal_forms: tuple[str, ...] = ()  # generic legal forms found: llc, jsc, ...
    reason: str | None = None
    scripts: frozenset[str] = field(default_factory=frozenset)
    person: bool = False  # a person's name: compared part by part in any order (``names.people``)
    _sorted: str | None = field(default=None, init=False, repr=False, compare=False)
    _compact: str | None = field(default=None, init=False, repr=False, compare=False)
    _phonetic: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def usable(self) -> bool:
        """Whether the name can be compared with others."""
        return self.reason is None and bool(self.core)

    @property
    def sorted(self) -> str:
        """Tokens in alphabetical order: catches reordered words (``AMG LLC`` / ``LLC AMG``)."""
        found = self._sorted
        if found is None:
            found = " ".join(sorted(self.tokens))
            object.__setattr__(self, "_sorted", self.core if found == self.core else found)  # one string if same
        return found

    @property
    def compact(self) -> str:
        """Tokens glued together: catches spacing (``J.P. Morgan`` / ``JP Morgan``, ``SiemensAG``)."""
        found = self._compact
        if found is None:
            found = "".join(self.tokens)
            object.__setattr__(self, "_compact", found)
        return found

    @property
    def phonetic(self) -> str:
        """Metaphone codes of the tokens in order: catches transliteration variants."""
        found = self._phonetic
        if found is None:
            found = " ".join(metaphone(t) if t.isalpha() else t for t in self.tokens)
            object.__setattr__(self, "_phonetic", found)
        return found

    @property
    def display(self) -> str:
        """The original name with surrounding whitespace removed."""
        return " ".join(self.original.split())


def _tokens(text: str) -> list[str]:
    return (normalize(text, _FLAGS) or "").split()


def _strip_legal_forms(text: str, found: list[str]) -> str:
    """Remove rigour org types from ``text`` (casefolded tokens), collecting their generic forms.

    A form rigour knows without a generic equivalent (Uzbek ``Xususiy korxona`` → ``xk``) is
    removed too, under its compare form.
    """
    forms = extract_org_types(text, generic=True) or extract_org_types(text)
    if not forms:
        return text
    stripped = " ".join(remove_org_types(text, replacement=" ").split())
    if len(stripped.replace(" ", "")) < 2:  # the name is (nearly) all legal form ("LLC", "AT&T Inc"): keep it
        return text
    found.extend(target for _, target in forms)
    return stripped


def _strip_trailing_types(tokens: list[str], found: list[str]) -> list[str]:
    """Drop trailing words that fingerprints' type table knows (``Corporation``, ``Co``, ``Company``).

    Only at the end of the name, where legal forms sit in Latin-script names:
    fingerprints' table also holds words that are names elsewhere (``JP`` in
    ``JP Morgan``), and it drops every lone letter (``M`` in ``Promsnab-M``).
    """
    # fingerprints drops every single letter too; a lone letter is part of the name ("Promsnab-M").
    while len(tokens) > 1 and len(tokens[-1]) > 1 and not fingerprints.remove_types(tokens[-1]).strip():
        generic = fingerprints.replace_types(tokens[-1])
        if generic in _TRADE_WORDS:
            break
        found.append(generic)
        tokens = tokens[:-1]
    return tokens


def _stutter_fixes(word: str) -> list[str]:
    """``word`` with one doubled letter undone, or one letter doubled (``OOOO`` → ``OOO``, ``OO`` → ``OOO``)."""
    undone = [word[:i] + word[i + 1 :] for i in range(len(word) - 1) if word[i] == word[i + 1]]
    doubled = [word[: i + 1] + word[i:] for i in range(len(word))]
    return [w for w in dict.fromkeys(undone + doubled) if len(w) >= 3]


def _strip_stuttered_forms(tokens: list[str], found: list[str]) -> list[str]:
    """Drop a first or last word that is a legal form with one letter typed twice or once too few.

    ``OOOO``, ``LLLC``, ``OO``, ``LC``: only a doubled letter is undone (or
    made), and only when the result is (in rigour's org-type database) a legal
    form of three letters or more, so real words stay.
    """
    for edge in (0, -1):
        if len(tokens) < 2:
            break
        generic = _stuttered_form(tokens[edge])
        if generic is not None:
            found.append(generic)
            tokens = tokens[1:] if edge == 0 else tokens[:-1]
    return tokens


@lru_cache(maxsize=100_000)  # the same edge words (legal forms, common name words) recur in most names
def _stuttered_form(word: str) -> str | None:
    """The generic legal form ``word`` is a stutter of (``OOOO`` → ``llc``), or ``None``."""
    for fixed in _stutter_fixes(word):
        forms = extract_org_types(fixed, generic=True)
        if forms and forms[0][0] == fixed:
            return forms[0][1]
    return None


def _strip_edge_forms(tokens: list[str], found: list[str]) -> list[str]:
    """Drop ``EDGE_FORMS`` words at the start or end of a name (``ОсОО Айсберг``, ``Aysberg TOO``)."""
    while len(tokens) > 1 and tokens[0] in EDGE_FORMS:
        found.append(EDGE_FORMS[tokens[0]])
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in EDGE_FORMS:
        found.append(EDGE_FORMS[tokens[-1]])
        tokens = tokens[:-1]
    return tokens


def _strip_han_legal_forms(text: str, found: list[str]) -> str:
    """Remove legal forms written in Han characters, recognisable only once transliterated."""
    replaced = fingerprints.replace_types(text)
    if replaced == text:
        return text
    stripped = " ".join(fingerprints.remove_types(text).split())
    if len(stripped.replace(" ", "")) < 2:
        return text
    found.extend(target for _, target in extract_org_types(replaced, generic=True))
    return stripped


#: Every name's forms while a ``remembered_forms`` block runs (``None`` outside one).
_REMEMBERED: dict[tuple[str | None, str | None, int], NameForms] | None = None
#: Every word transliterated while a ``remembered_forms`` block runs (``None`` outside one).
_REMEMBERED_WORDS: dict[str, str] | None = None


@contextmanager
def remembered_forms() -> Iterator[None]:
    """Inside the block, each name is normalised once whatever the count of names; forgotten after it.

    A resolve reads every distinct name three times (mentions, linkage input, screening): past
    ``name_forms``' own bounded cache (200,000 names, the size a long-lived server keeps) each read did all
    the work again (241k names at 1M shipment rows: 12 s per read). Transliteration, the costly part, is
    remembered per word (``_ascii``): a name read as a person's repeats the words of its organisation reading.
    """
    global _REMEMBERED, _REMEMBERED_WORDS
    outer, outer_words = _REMEMBERED, _REMEMBERED_WORDS
    _REMEMBERED = {} if outer is None else outer
    _REMEMBERED_WORDS = {} if outer_words is None else outer_words
    try:
        yield
    finally:
        _REMEMBERED, _REMEMBERED_WORDS = outer, outer_words


#: Inside ``nothing_new``: what is remembered is read, nothing new is kept.
_FROZEN = False


@contextmanager
def nothing_new() -> Iterator[None]:
    """Inside a ``remembered_forms`` block: use the forms remembered so far, keep no new ones.

    Screening reads each name as a person's, an object's and an organisation's: the organisation's forms
    were remembered by the steps before; the other two are read once per name, so keeping them would only
    grow the memory (three times the names). Words' transliterations are still kept: far fewer than names.
    """
    global _FROZEN
    outer = _FROZEN
    _FROZEN = True
    try:
        yield
    finally:
        _FROZEN = outer


#: ``maybe_ascii`` of single words outside a ``remembered_forms`` block (a long-lived server's).
_word_ascii = lru_cache(maxsize=100_000)(maybe_ascii)


def _ascii(text: str) -> str:
    """``ascii_text`` of ``text``, a word at a time, each word's transliteration remembered.

    rigour transliterates its admitted scripts (Latin, Cyrillic, Greek, Armenian, Georgian, Hangul) a word
    on its own terms (a Ukrainian word's ``г`` is ``h`` beside a Russian ``Гриценко``'s ``g`` in the same
    string), and a fresh string costs tens of µs a letter: names repeat their words (legal forms,
    ``Trading``, ``Плюс``) far more than they repeat whole. A word rigour leaves non-ASCII (Han, Arabic, a
    symbol) sends the whole text through ``ascii_text``: rigour then hands all of it to normality. So does
    text in two scripts besides Latin: rigour reads a Cyrillic word after a Greek one otherwise than alone.
    """
    if text.isascii():
        return text
    if len(script_families(text) - {"Latin"}) > 1:
        return ascii_text(text)
    out = []
    for word in text.split():
        found = _word(word)
        if not found.isascii():
            return ascii_text(text)
        out.append(found)
    return " ".join(out)


def _word(word: str) -> str:
    """``maybe_ascii`` of one word, remembered for the ``remembered_forms`` block or in a bounded cache."""
    remembered = _REMEMBERED_WORDS
    if remembered is None:
        return _word_ascii(word)
    found = remembered.get(word)
    if found is None:
        found = remembered[word] = maybe_ascii(word)
    return found


def name_forms(name: str | None, schema: str | None = None, max_length: int = MAX_NAME_LENGTH) -> NameForms:
    """All matching forms of ``name``; never raises.

    >>> name_forms('ООО "АМГ"').core, name_forms("AMG L.L.C.").core
    ('amg', 'amg')
    """
    # The forms depend on the schema only through its kind (person, object, organisation): one entry per kind.
    schema = _KIND_SCHEMA[_kind_of(schema)]
    remembered = _REMEMBERED
    if remembered is None:
        return _name_forms(name, schema, max_length)
    key = (name, schema, max_length)
    found = remembered.get(key)
    if found is None:
        # Past the bounded cache: inside the block it would only hold a second reference to what the block
        # remembers, and keep the forms ``nothing_new`` means to forget (200,000 of them).
        found = _name_forms.__wrapped__(name, schema, max_length)
        if not _FROZEN:
            remembered[key] = found
    return found


#: One frozenset per set of script families (a handful): remembered forms share them instead of one each.
_SCRIPT_SETS: dict[frozenset[str], frozenset[str]] = {}
#: The last name ``_prepared`` and what it gave: screening reads each name as each kind, one after the other.
_LAST_PREPARED: tuple[str | None, int, tuple[str | None, frozenset[str], str]] = (None, -1, (None, frozenset(), ""))


_HAN_ADMIN_UNIT = re.compile(r"[\u4e00-\u9fff]{2,3}?[省市区县]")


def han_place(name: str | None) -> str | None:
    """The place a Chinese firm's name is registered under (its leading ``…市``, else its first admin unit).

    Normalisation drops the prefix (the English name usually omits it); but a Chinese firm's name is unique
    only within its place, so two names with other places are two firms.

    >>> han_place("佛山市永信进出口有限公司"), han_place("广东省深圳市易络科技有限公司")
    ('佛山市', '深圳市')
    >>> han_place("永信进出口有限公司") is None, han_place("Foshan Yongxin") is None
    (True, True)
    """
    if not name or not "\u4e00" <= name.lstrip()[:1] <= "\u9fff":  # most names: not Han at the start
        return None
    found = _HAN_ADMIN_PREFIX.match(normalize(name, Normalize.NFKC | Normalize.STRIP) or "")
    if found is None:
        return None
    units = _HAN_ADMIN_UNIT.findall(found.group(0))
    return next((u for u in units if u.endswith("市")), units[0] if units else None)


def _prepared(name: str | None, max_length: int) -> tuple[str | None, frozenset[str], str]:
    """The part of ``_name_forms`` every kind of name shares: why it is unusable, its scripts, its tokens."""
    global _LAST_PREPARED
    last = _LAST_PREPARED  # one read: another thread may replace it
    if last[0] == name and last[1] == max_length and name is not None:
        return last[2]
    raw = name or ""
    families = script_families(raw) if raw.strip() and len(raw) <= max_length else set()
    reason = unusable_reason(name, max_length, families)
    text = ""
    if reason is None:
        text = normalize(raw, Normalize.NFKC | Normalize.STRIP) or ""
        text = " ".join(_tokens(_HAN_ADMIN_PREFIX.sub("", text)))
    scripts = frozenset(families)
    out = (reason, _SCRIPT_SETS.setdefault(scripts, scripts), text)
    _LAST_PREPARED = (name, max_length, out)
    return out


# One schema standing for each kind of name ``_name_forms`` tells apart.
_KIND_SCHEMA: dict[str, str | None] = {"person": "Person", "object": "Vessel", "org": None}


def _kind_of(schema: str | None) -> str:
    if schema in _PERSON_SCHEMATA:
        return "person"
    return "object" if schema in OBJECT_SCHEMATA else "org"


@lru_cache(maxsize=200_000)
def _name_forms(name: str | None, schema: str | None = None, max_length: int = MAX_NAME_LENGTH) -> NameForms:
    """All matching forms of ``name`` (``name_forms``, cached for a long-lived process).

    >>> name_forms("Общество с ограниченной ответственностью «АМГ»").legal_forms
    ('llc',)
    """
    raw = name or ""
    reason, scripts, text = _prepared(name, max_length)
    if reason is not None:
        return NameForms(original=raw, reason=reason)
    found: list[str] = []
    # People lose honorifics, organisations their legal forms; an aircraft's or a vessel's name is a mark
    # or a plain name ("YK-ATA": YK is no Japanese legal form there).
    is_person, is_org = _kind_of(schema) == "person", _kind_of(schema) == "org"
    if is_person:
        text = remove_person_prefixes(text) or text
    elif is_org:
        text = " ".join(_strip_edge_forms(_strip_legal_forms(text, found).split(), found))
    latin = " ".join(_tokens(_ascii(text)))
    if is_org:
        latin = _strip_legal_forms(latin, found)
        if "CJK" in scripts:
            latin = _strip_han_legal_forms(latin, found)
    words = latin.split()
    if is_org:
        words = _strip_trailing_types(_strip_stuttered_forms(_strip_edge_forms(words, found), found), found)
    # Words like "and", "of", "the" carry no identity ("AT and T" / "AT&T").
    tokens = tuple(intern(t) for t in words if not is_stopword(t)) or tuple(intern(t) for t in words)
    if not tokens:
        return NameForms(original=raw, reason="name has no letters or digits", scripts=scripts)
    return NameForms(
        original=raw,
        core=" ".join(tokens),
        tokens=tokens,
        legal_forms=tuple(dict.fromkeys(found)),
        scripts=scripts,
        person=is_person,
    )


#: A name's forms as plain values (``packed_forms``): what a worker process hands back.
PackedForms = tuple[str, tuple[str, ...], tuple[str, ...], str | None, tuple[str, ...], bool]


def packed_forms(forms: NameForms) -> PackedForms:
    """``forms`` as plain values, the derived forms left out (``unpacked_forms`` makes them again)."""
    return forms.core, forms.tokens, forms.legal_forms, forms.reason, tuple(sorted(forms.scripts)), forms.person


def unpacked_forms(name: str | None, schema: str | None, max_length: int, packed: PackedForms) -> NameForms:
    """The forms ``packed_forms`` packed, of ``name`` read as ``schema``: remembered as ``name_forms`` would
    remember them (words interned, script sets shared), so that later reads find them."""
    core, tokens, legal_forms, reason, scripts, person = packed
    families = frozenset(scripts)
    forms = NameForms(original=name or "", core=core, tokens=tuple(intern(t) for t in tokens),
                      legal_forms=legal_forms, reason=reason, scripts=_SCRIPT_SETS.setdefault(families, families),
                      person=person)
    if _REMEMBERED is not None and not _FROZEN:
        _REMEMBERED[(name, _KIND_SCHEMA[_kind_of(schema)], max_length)] = forms
    return forms


def remembered_words() -> dict[str, str]:
    """The words transliterated in the current ``remembered_forms`` block (empty outside one)."""
    return dict(_REMEMBERED_WORDS or {})


def remember_words(words: dict[str, str]) -> None:
    """Take ``words``' transliterations (another process's ``remembered_words``) into the current block."""
    if _REMEMBERED_WORDS is not None:
        for word, ascii_word in words.items():
            _REMEMBERED_WORDS.setdefault(word, ascii_word)


def name_variants(name: str | None, schema: str | None = None, max_length: int = MAX_NAME_LENGTH) -> list[NameForms]:
    """The forms of ``name`` and, when it holds bracketed text, of the name without it.

    ``Deutsche Bank (Schweiz) AG`` is also compared as ``Deutsche Bank AG``.
    """
    first = name_forms(name, schema, max_length)
    out = [first]
    if first.usable and name and "(" in name:
        bare = name_forms(remove_bracketed_text(name), schema, max_length)
        if bare.usable and bare.core != first.core:
            out.append(bare)
    return out


def normalise_name(name: str | None, schema: str | None = None) -> str | None:
    """The normalised matching key of ``name`` (``None`` when it cannot be matched).

    >>> normalise_name("Amegino FZCO"), normalise_name("AMEGINO F.Z.E.")
    ('amegino', 'amegino')
    """
    forms = name_forms(name, schema)
    return forms.core if forms.usable else None
