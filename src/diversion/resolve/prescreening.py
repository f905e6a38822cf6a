"""Screening answered on both cores: a worker from the first mention on, as soon as the mentions are collected.

Screening asks, of every name and alias of a mention with its country and schema, which listed
names score at or above the threshold (``sanctions_matches.match_rows``): pure Python, about 40 s
of a 3M-row resolve. The questions do not depend on clustering. So, from ``AHEAD_MIN`` to
``AHEAD_MAX`` mentions, a ``diversion.workers`` child starts answering them, mention by mention from
the first one, as soon as the mentions are collected: on the second core, idle while this process
makes the linkage input and clusters (niced, it yields to DuckDB's threads during the predict).
It hands its answers back ``PART`` mentions at a time (``PartsWorker``). When screening begins,
this process answers from the last mention backwards, looking after each part at how far the
worker got, until the two meet (``worker.meet``); screening then finds every question answered.

Neither waits for the other: the worker makes every name's forms again (this process remembers them
from collecting the mentions, the worker cannot) and is slower per question, and how much of the
idle time it gets depends on the predict; a fixed share for it (the first half, December 5) left
screening waiting in one run and a core idle in another.

The answers are the ones screening would give (the same index, the same question keys, the same
search; tested). A child that cannot start or fails leaves its questions to this process.
An update asks ahead only about its new mentions (``new_mentions``): the questions of the others were
answered by the last resolve (``incremental.stored_answers``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from diversion import workers
from diversion.names.normalise import nothing_new, remembered_forms
from diversion.resolve.sanctions_matches import NO_HITS, Answer, Answers, Searches, question_key
from diversion.resolve.screening import ScreeningIndex

#: Mentions beyond which part of the screening is answered ahead (below, starting a child costs more than it saves).
AHEAD_MIN = 50_000

#: Mentions beyond which nothing is answered ahead. The child's memory (half a GiB at 2.8M mentions) would sit on
#: top of the linkage input's, resolve's peak on a large warehouse, and DuckDB's predict starves it: at 10M
#: shipment rows the process tree peaked at 8.19 GiB instead of 7.74, the child done only as screening began.
#: Started only when screening begins (December 6) it gained nothing there: this process answered 30 % fewer
#: questions a second beside it, and it, making every name's forms again, half as many as this process.
AHEAD_MAX = 2_000_000

#: Mentions per part: the worker hands back their answers together, and this process answers as many between
#: two looks at how far the worker got (about 0.1 s).
PART = 2_000

#: How much the child yields the processor to the parent's own work (``os.nice``: 19 yields the most).
NICENESS = 19

#: The mention columns a question is made of.
_COLUMNS = ["name", "aliases", "country", "schema"]


class Ahead:
    """A child answering the screening questions of ``asked`` (``screened_mentions``) from the first on;
    ``result`` answers the rest from the last one back."""

    def __init__(self, worker: workers.PartsWorker, index: ScreeningIndex, asked: pa.Table, threshold: float,
                 limit: int) -> None:
        self.worker: workers.PartsWorker | None = worker
        self.index, self.asked, self.threshold, self.limit = index, asked, threshold, limit

    def result(self) -> Answers:
        """Every question of the asked mentions answered, by question key: the worker's from the first mention
        on, this process's from the last back to them (all of them here, if the worker failed)."""
        worker, self.worker = self.worker, None
        search = Searches(self.index, self.threshold, self.limit)
        self.index.postings.for_bulk()
        workers.meet(worker, self.asked.num_rows, PART,
                     lambda start, end: _ask(search, self.asked.slice(start, end - start)))
        answers = search.by_name
        # Every part the worker handed back, those past the meeting point too: the same search's answers.
        parts = worker.parts if worker is not None else []
        while parts:
            for found in parts.pop(0):
                for key, hits in found or ():
                    answers.setdefault(key, tuple(Answer(*a) for a in hits) or NO_HITS)
        return answers

    def stop(self) -> None:
        """End the child if its answers are no longer wanted (a resolve that failed on the way)."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


def screened_mentions(mentions: pa.Table) -> pa.Table:
    """The mentions whose names screening may ask about (``_COLUMNS``): every usable name but the lists' own.

    A listed entity's own mention is never screened (its entity holds a listed member, and is matched to
    it directly): its names, the lists' many aliases, are not asked.
    """
    asked = pc.and_(pc.is_null(mentions.column("unresolved_reason")),
                    pc.not_equal(mentions.column("source_table"), "sanctions"))
    return mentions.filter(asked).select(_COLUMNS)


def new_mentions(mentions: pa.Table, known: pa.Array | pa.ChunkedArray) -> pa.Table:
    """The ``mentions`` whose ids are not among ``known`` (the last resolve's mention ids)."""
    ids = known.combine_chunks() if isinstance(known, pa.ChunkedArray) else known
    return mentions.filter(pc.invert(pc.is_in(mentions.column("mention_id"), value_set=ids)))


def asks_ahead(mentions: int) -> bool:
    """Whether a resolve asking about ``mentions`` mentions (every one in full, an update's new ones) has a worker
    answer their screening questions."""
    return AHEAD_MIN <= mentions <= AHEAD_MAX


def start(index: ScreeningIndex, mentions: pa.Table, threshold: float, limit: int) -> Ahead | None:
    """A child answering, with ``index``, the questions of the ``mentions`` (``collect_mentions``' columns)
    screening may ask about, from the first one on.

    ``None`` when there are too few mentions to pay for a child or too many to hold one (``AHEAD_MAX``), no list
    is loaded, nothing is asked, or no child could start.
    """
    if not asks_ahead(mentions.num_rows) or not index.entities:
        return None
    asked = screened_mentions(mentions)  # filtered: buffers of its own, not a slice of every mention's
    if asked.num_rows == 0:
        return None
    worker = workers.start_parts("diversion.resolve.prescreening", (index, asked, threshold, limit, PART), _valid)
    return Ahead(worker, index, asked, threshold, limit) if worker is not None else None


def _valid(part: Any) -> bool:
    return all(found is None or (isinstance(found, tuple) and all(isinstance(q, tuple) and len(q) == 2
                                                                  for q in found)) for found in part)


def _ask(search: Searches, mentions: pa.Table) -> None:
    """Ask ``search`` every question of ``mentions`` (``_COLUMNS``): each name and alias, with its country and
    schema; the answers are in ``search.by_name``."""
    for part in mentions.to_batches(50_000):
        columns = [part.column(c).to_pylist() for c in _COLUMNS]
        for name, aliases, country, schema in zip(*columns, strict=True):
            for each in [name, *(aliases or [])]:
                search(each or "", country, schema)


def answer_all(index: ScreeningIndex, mentions: pa.Table, threshold: float, limit: int) -> Answers:
    """Every question of ``mentions`` (``_COLUMNS``) answered: each name and alias, with its country and schema."""
    search = Searches(index, threshold, limit)
    index.postings.for_bulk()
    _ask(search, mentions)
    return search.by_name


#: One mention's questions as the worker hands them back: those first asked at it, each with its hits as plain
#: tuples (``()``: none, most of them); ``None`` when it asked nothing new.
Asked = tuple[tuple[bytes, tuple[tuple[Any, ...], ...]], ...] | None


def _answer_parts(payload: Any) -> Iterator[list[Asked]]:
    """The worker's work: each mention's new questions with their answers (``Asked``), in order, ``part``
    mentions at a time."""
    # The child works while the parent makes the linkage input on one core; should it still work while
    # DuckDB scores pairs on both, it yields to DuckDB's threads, taking only the time they leave.
    os.nice(NICENESS)
    index, mentions, threshold, limit, part = payload
    search = Searches(index, threshold, limit)
    index.postings.for_bulk()
    # Words repeat across names: each transliterated once; the forms themselves are not kept.
    with remembered_forms(), nothing_new():
        for start in range(0, mentions.num_rows, part):
            rows = mentions.slice(start, part)
            columns = [rows.column(c).to_pylist() for c in _COLUMNS]
            out: list[Asked] = []
            for name, aliases, country, schema in zip(*columns, strict=True):
                found = []
                for each in [name, *(aliases or [])]:
                    key = question_key(each or "", country, schema)
                    if key not in search.by_name:
                        found.append((key, tuple(tuple(a) for a in search(each or "", country, schema))))
                out.append(tuple(found) if found else None)
            yield out


if __name__ == "__main__":
    workers.serve_parts(_answer_parts)
