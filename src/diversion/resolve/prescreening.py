"""Part of the screening answered ahead: a worker asks some questions while the linkage input is made.

Screening asks, of every name and alias of a mention with its country and schema, which listed
names score at or above the threshold (``sanctions_matches.match_rows``): pure Python, about 40 s
of a 3M-row resolve, run after clustering while a worker picks the entities' canonical names
(``picking``), both cores busy. The questions do not depend on clustering, and while the linkage
input is made and the pairs are clustered (Python, one core) the second core is idle. So, from
``AHEAD_MIN`` to ``AHEAD_MAX`` mentions, a ``resolve.worker`` child answers the questions of the first
``AHEAD_SHARE`` of the mentions screening may ask about, with the same index, as soon as the mentions
are collected; screening takes those answers instead of searching, and searches the rest itself.

Only a share: the child works out every name's forms again (this process remembers them from
collecting the mentions, the child cannot), so answering every question takes it half as long again
as screening takes here, longer than the idle time; it then delayed screening (tried, December 5).

The answers are the ones screening would give (the same index, the same question keys, the same
search; tested). A child that cannot start or fails leaves every question to screening, as before.
An update does not ask ahead: it asks few questions (``incremental.stored_answers``).
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from diversion.names.normalise import nothing_new, remembered_forms
from diversion.resolve import worker as workers
from diversion.resolve.sanctions_matches import Answer, Answers, Searches
from diversion.resolve.screening import ScreeningIndex

#: Mentions beyond which part of the screening is answered ahead (below, starting a child costs more than it saves).
AHEAD_MIN = 50_000

#: Mentions beyond which nothing is answered ahead. The child's memory (half a GiB at 2.8M mentions) would sit on
#: top of the linkage input's, resolve's peak on a large warehouse, and DuckDB's predict starves it: at 10M
#: shipment rows the process tree peaked at 8.19 GiB instead of 7.74, the child done only as screening began.
AHEAD_MAX = 2_000_000

#: The share of the mentions screening may ask about whose questions the child answers (the first ones): what
#: it gets through in the idle time of a 3M-row resolve (its index built, every name's forms made again).
AHEAD_SHARE = 0.5

#: How much the child yields the processor to the parent's own work (``os.nice``: 19 yields the most).
NICENESS = 19

#: The mention columns a question is made of.
_COLUMNS = ["name", "aliases", "country", "schema"]


class Ahead:
    """A child answering the screening questions of some mentions; ``result`` waits for its answers."""

    def __init__(self, worker: workers.Worker) -> None:
        self.worker: workers.Worker | None = worker

    def result(self) -> Answers | None:
        """The answers by question key (``None``: the child failed; screening then asks every question)."""
        worker, self.worker = self.worker, None
        if worker is None:
            return None
        try:
            answer = worker.result()
        finally:
            worker.stop()
        if answer is None:
            return None
        keys, hits = answer
        return {key: tuple(Answer(*a) for a in found) for key, found in zip(keys, hits, strict=True)}

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


def asks_ahead(mentions: int) -> bool:
    """Whether a full resolve of ``mentions`` mentions answers part of its screening ahead."""
    return AHEAD_MIN <= mentions <= AHEAD_MAX


def start(index: ScreeningIndex, mentions: pa.Table, threshold: float, limit: int,
          share: float | None = None) -> Ahead | None:
    """A child answering, with ``index``, the questions of the first ``share`` (default ``AHEAD_SHARE``) of the
    ``mentions`` (``collect_mentions``' columns) screening may ask about.

    ``None`` when there are too few mentions to pay for a child or too many to hold one (``AHEAD_MAX``), no list
    is loaded, or no child could start.
    """
    if not asks_ahead(mentions.num_rows) or not index.entities:
        return None
    asked = screened_mentions(mentions)
    # Taken, not sliced: a slice would send the whole table's buffers to the child.
    part = asked.take(pa.array(range(round(asked.num_rows * (AHEAD_SHARE if share is None else share))), pa.int64()))
    if part.num_rows == 0:
        return None
    worker = workers.start("diversion.resolve.prescreening", (index, part, threshold, limit), _valid)
    return Ahead(worker) if worker is not None else None


def _valid(answer: Any) -> bool:
    return (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], list)
            and isinstance(answer[1], list) and len(answer[0]) == len(answer[1]))


def answer_all(index: ScreeningIndex, mentions: pa.Table, threshold: float, limit: int) -> Answers:
    """Every question of ``mentions`` (``_COLUMNS``) answered: each name and alias, with its country and schema."""
    search = Searches(index, threshold, limit)
    index.postings.for_bulk()
    for part in mentions.to_batches(50_000):
        columns = [part.column(c).to_pylist() for c in _COLUMNS]
        for name, aliases, country, schema in zip(*columns, strict=True):
            for each in [name, *(aliases or [])]:
                search(each or "", country, schema)
    return search.by_name


def _answer(payload: Any) -> tuple[list[bytes], list[list[tuple[Any, ...]]]]:
    """The worker's work: ``answer_all``, as plain lists (question keys, and each one's hits as tuples)."""
    # The child works while the parent makes the linkage input on one core; should it still work while
    # DuckDB scores pairs on both, it yields to DuckDB's threads, taking only the time they leave.
    os.nice(NICENESS)
    index, mentions, threshold, limit = payload
    # Words repeat across names: each transliterated once; the forms themselves are not kept.
    with remembered_forms(), nothing_new():
        answers = answer_all(index, mentions, threshold, limit)
    return list(answers), [[tuple(a) for a in found] for found in answers.values()]


if __name__ == "__main__":
    workers.serve(_answer)
