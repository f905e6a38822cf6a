"""A worker child that writes to its standard output while it works (``tests/test_workers.py``): its answer
must still reach the parent whole. ``CHATTY_PARTS`` set: it answers in parts (``serve_parts``)."""

from __future__ import annotations

import os

from diversion.workers import serve, serve_parts


def _chatter() -> None:
    print("a library's chatter")  # noqa: T201 - the point of this module
    os.write(1, b"C code's chatter\n")


def _doubled(payload: list[int]) -> list[int]:
    _chatter()
    return [x * 2 for x in payload]


def _in_parts(payload: list[int]) -> list[list[int]]:
    parts = []
    for x in payload:
        _chatter()
        parts.append([x * 2])
    return parts


if __name__ == "__main__":
    if os.environ.get("CHATTY_PARTS"):
        serve_parts(_in_parts)
    else:
        serve(_doubled)
