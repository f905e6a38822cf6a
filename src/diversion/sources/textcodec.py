"""One decoding policy for every text format: which encoding a file is in, and what to do with bad bytes.

In order:

1. a byte-order mark decides: UTF-8, UTF-16 or UTF-32 (LE or BE);
2. content that is valid UTF-8 is UTF-8 (even where another encoding was
   declared: exports are re-saved as UTF-8 while mappings keep their old word);
3. a declared encoding (``--encoding``, a mapping's ``encoding:``) is used,
   strictly: a byte it cannot read refuses the file;
4. content that is *mostly* UTF-8 (its valid multi-byte sequences are at
   least a third of its bad bytes) stays UTF-8: the bad bytes are kept as
   markers (``surrogateescape``) and the rows holding them are quarantined
   ("bytes that are not valid UTF-8"), never re-read in another encoding;
5. otherwise an undeclared legacy encoding is accepted only when the text
   reads as one: Windows-1251 when it has Russian words, Windows-1252 when
   its accented letters sit in Latin words. Anything else is refused, naming
   the first bad byte and how to declare the encoding.

JSON lines are UTF-8 (or UTF-16/32 by BOM) line by line: ``text_lines``
splits on ``\\n``, ``\\r\\n`` and ``\\r`` and drops a BOM at the start of
any line; a line that is not UTF-8 (nor the declared encoding) is quarantined.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import AnyStr, BinaryIO

from diversion.errors import SourceError

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Undeclared single-byte encodings tried, in order, on text that is not UTF-8.
LEGACY = ("cp1251", "cp1252")
_ESCAPED = re.compile("[\udc80-\udcff]")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
# Letters of Latin-script languages that Windows-1252 text holds; other high characters
# (þ, ÿ, ð, ¤, ¦...) are what other bytes look like when misread as it.
_LATIN_TEXT = set("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýŒœŠšŽžŸ"
                  "«»‘’“”–—…°€£§©®±µ·¿¡º ")


@dataclass(frozen=True)
class DecodedText:
    """A whole file's text and its codec name; bad bytes of a mostly-UTF-8 file are kept as markers."""

    text: str
    encoding: str


def bom_encoding(head: bytes) -> str | None:
    """The codec a byte-order mark names (``utf-8-sig``, ``utf-16``, ``utf-32``), else ``None``."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    return None


def head_text(head: bytes) -> str:
    """The first bytes of a file as text to recognise its format by (BOM-aware; never fails)."""
    bom = bom_encoding(head)
    if bom is None:
        return head.decode("latin-1")
    return codecs.getincrementaldecoder(bom)("replace").decode(head).removeprefix("\ufeff")


def has_bad_bytes(text: str) -> bool:
    """Whether decoded text holds markers of bytes that were not valid UTF-8."""
    return _ESCAPED.search(text) is not None


def shown(text: str) -> str:
    """Text safe to store and print: markers of bad bytes become U+FFFD."""
    return _ESCAPED.sub("\ufffd", text)


def utf8_balance(data: bytes) -> tuple[int, int]:
    """``(valid multi-byte characters, bad bytes)`` of ``data`` read as UTF-8."""
    text = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED.findall(text))
    return sum(1 for ch in text if ord(ch) > 127) - bad, bad


def mostly_utf8(data: bytes) -> bool:
    """Whether bytes that are not all valid UTF-8 are still UTF-8 text with a few bad bytes."""
    valid, bad = utf8_balance(data)
    return valid > 0 and bad <= 3 * valid


def _reads_as_russian(text: str) -> bool:
    # Latin-1 accents decoded as cp1251 turn into lone Cyrillic letters inside Latin words ("CAFЙ");
    # real Russian text has whole words of them.
    high = [i for i, ch in enumerate(text) if ord(ch) > 127 and ch.isalpha()]
    if len(high) < 3:
        return False
    marks = set(high)
    in_words = sum(1 for i in high if i - 1 in marks or i + 1 in marks)
    return in_words >= 0.6 * len(high)


def _reads_as_latin(text: str) -> bool:
    return all(ch in _LATIN_TEXT for ch in text if ord(ch) > 127)


def reads_as(text: str, encoding: str) -> bool:
    """Whether text decoded with an undeclared legacy ``encoding`` reads as text of it."""
    if encoding == "cp1251":
        return _reads_as_russian(text)
    if encoding == "cp1252":
        return _reads_as_latin(text)
    return False


def _first_bad(data: bytes, encoding: str) -> str:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"byte {exc.start} (line {line})"
    return "an incomplete character at the end"


def choose_encoding(path: str, data: bytes, declared: str | None = None, whole: bool = True,
                    legacy: tuple[str, ...] = LEGACY) -> str:
    """The codec to read ``data`` (a file, or its first bytes when not ``whole``) with; ``SourceError`` if none.

    ``utf-8`` may be returned for mostly-UTF-8 content with bad bytes: decode
    it with ``errors="surrogateescape"`` and quarantine what holds markers.
    """
    bom = bom_encoding(data)
    if bom is not None:
        return bom
    if b"\x00" in data[:65536]:
        raise SourceError(path, "binary file, not text (UTF-16 and UTF-32 text needs a byte-order mark)")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(data, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if declared and codecs.lookup(declared).name not in ("utf-8", "utf-8-sig"):
        try:
            codecs.getincrementaldecoder(declared)("strict").decode(data, final=whole)
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"unreadable encoding: cannot decode {_first_bad(data, declared)} as "
                              f"{declared}") from exc
        return declared
    if mostly_utf8(data):
        return "utf-8"
    for encoding in legacy:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if reads_as(text, encoding):
            return encoding
    raise SourceError(path, f"unreadable encoding: cannot decode {_first_bad(data, 'utf-8')} as UTF-8, and the "
                      f"text does not read as {' or '.join(legacy) or 'another encoding'}; declare the "
                      "file's encoding (--encoding, or 'encoding:' in a --mapping file)")


def decode_text(path: Path, declared: str | None = None, legacy: tuple[str, ...] = LEGACY) -> DecodedText:
    """Read a whole text file under the policy above (``SourceError`` when it cannot be read)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    encoding = choose_encoding(str(path), data, declared, legacy=legacy)
    if encoding == "utf-8":
        return DecodedText(data.decode("utf-8", errors="surrogateescape"), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"unreadable encoding: cannot decode {_first_bad(data, encoding)} as "
                          f"{encoding}") from exc
    return DecodedText(text.removeprefix("\ufeff"), "utf-8" if encoding == "utf-8-sig" else encoding)


def _split_lines(chunks: Iterator[AnyStr], newline: re.Pattern[AnyStr], cr: AnyStr) -> Iterator[AnyStr]:
    """Lines of a stream of blocks split on ``\\r\\n``, ``\\r`` or ``\\n``, line endings dropped."""
    rest = cr[:0]
    for chunk in chunks:
        data = rest + chunk
        # A trailing \r is held back: it may be the first half of a \r\n split across two blocks.
        held = data.endswith(cr)
        parts = newline.split(data[:-1] if held else data)
        rest = parts.pop() + (cr if held else cr[:0])
        yield from parts
    if rest:
        parts = newline.split(rest)
        if not parts[-1]:  # the file ends with a line ending
            parts.pop()
        yield from parts


def _blocks(handle: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := handle.read(size):
        yield chunk


@dataclass(frozen=True)
class Line:
    """One line of a text file: its 1-based number, its text (``None`` when undecodable) and its bytes."""

    number: int
    text: str | None
    raw: bytes


def text_lines(path: Path, declared: str | None = None) -> Iterator[Line]:
    """The lines of a line-oriented text file (JSON lines), decoded one by one under the policy above."""
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except OSError as exc:
        raise SourceError(str(path), f"cannot read file ({exc.strerror or exc})") from exc
    with handle:
        bom = bom_encoding(handle.read(4))
        handle.seek(0)
        if bom in ("utf-16", "utf-32"):
            yield from _wide_lines(path, handle, bom)
            return
        for number, raw in enumerate(_split_lines(_blocks(handle), _NEWLINE_BYTES, b"\r"), start=1):
            yield Line(number, _decode_line(raw, declared), raw)


class JsonError(ValueError):
    """A JSON line that cannot be read: invalid, nested too deeply, or using NaN/Infinity."""


def _no_constants(name: str) -> None:
    raise JsonError(f"{name} is not a JSON value")


def loads_json(text: str) -> object:
    """One JSON document, strictly: ``NaN``/``Infinity`` refused, deep nesting a ``JsonError``, not a crash."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError as exc:
        raise JsonError("JSON nested too deeply") from exc
    except JsonError:
        raise
    except ValueError as exc:
        raise JsonError("invalid JSON") from exc


def _decode_line(raw: bytes, declared: str | None) -> str | None:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return raw.decode(declared).removeprefix("\ufeff")
        except UnicodeDecodeError:
            return None
    return None


def _wide_lines(path: Path, handle: BinaryIO, encoding: str) -> Iterator[Line]:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    number = 0

    def texts() -> Iterator[str]:
        for chunk in _blocks(handle):
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)

    try:
        for number, text in enumerate(_split_lines(texts(), _NEWLINE, "\r"), start=1):  # noqa: B007 - read below
            yield Line(number, text.removeprefix("\ufeff"), text.encode("utf-8", errors="replace"))
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"unreadable encoding: not valid {encoding} after line {number}") from exc
