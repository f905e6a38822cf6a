"""Names normalised on both cores: half of them in a worker process (``diversion.workers``).

Collecting mentions normalises every distinct name once (``names.name_forms``):
pure Python, about 40 µs a name, 28 s of a 3M-row resolve's 190 on one core.
Above ``FORMS_IN_WORKER`` names, the second half goes to a child while this
process does the first; the child hands back each name's forms as plain values
(``packed_forms``) and the words it transliterated, and both are remembered
here as if this process had made them, so the linkage input and screening read
them as before. The forms are the same whichever process makes them (the
function is pure; tested); a child that fails leaves its half to this process.
"""

from __future__ import annotations

from typing import Any

from diversion import workers
from diversion.names.normalise import (
    NameForms,
    name_forms,
    nothing_new,
    packed_forms,
    remember_words,
    remembered_forms,
    remembered_words,
    unpacked_forms,
)

#: Distinct names beyond which half go to a worker (below, starting one costs more than it saves: ~0.5 s).
FORMS_IN_WORKER = 50_000

#: A name to normalise, with the schema of the party that bears it.
Key = tuple[str | None, str | None]


def forms_of(keys: list[Key], max_length: int) -> list[NameForms]:
    """``name_forms`` of each (name, schema) of ``keys``, in order; half in a worker when there are many."""
    if len(keys) <= FORMS_IN_WORKER:
        return [name_forms(name, schema, max_length) for name, schema in keys]
    half = len(keys) // 2
    theirs = keys[half:]
    worker = workers.start("diversion.resolve.normalising", (theirs, max_length),
                           lambda answer: _valid(answer, len(theirs)))
    try:
        ours = [name_forms(name, schema, max_length) for name, schema in keys[:half]]
        answer = worker.result() if worker is not None else None
    finally:
        if worker is not None:
            worker.stop()
    if answer is None:  # no worker, or it failed: its half is done here
        return ours + [name_forms(name, schema, max_length) for name, schema in theirs]
    packed, words = answer
    remember_words(words)
    return ours + [unpacked_forms(name, schema, max_length, p)
                   for (name, schema), p in zip(theirs, packed, strict=True)]


def _valid(answer: Any, count: int) -> bool:
    return (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], list)
            and len(answer[0]) == count and isinstance(answer[1], dict))


def _normalise(payload: Any) -> tuple[list[Any], dict[str, str]]:
    """The worker's work: the packed forms of each (name, schema), and the words it transliterated."""
    keys, max_length = payload
    # Words repeat across names: each transliterated once; the forms themselves are sent, not kept.
    with remembered_forms(), nothing_new():
        packed = [packed_forms(name_forms(name, schema, max_length)) for name, schema in keys]
        return packed, remembered_words()


if __name__ == "__main__":
    workers.serve(_normalise)
