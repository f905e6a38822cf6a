"""A large row-wise stream's findings made on two cores: a worker process makes the first part's, this one the rest.

Making findings is pure Python and holds the GIL: at 10M shipment rows ``priority_goods`` makes
856,000 of them in a full run (70 s, most of it sentences, evidence and its JSON) and about 300,000
in a month's update, while the second core idles. A detector whose every row's findings are made
from that row alone (the settings, the report currency and the label of the row's ``entity_id``)
streams with ``DetectContext.stream(..., rowwise=True)``; in a run that writes as it goes
(``detect_counts``), a stream of at least ``SPLIT_ROWS`` rows hands its first ``CHILD_SHARE`` (40 %) to a
``diversion.workers`` child. The child runs the same detector on those rows (``GivenRows``: a
context whose stream is those rows) and answers with their ``findings`` rows, which are written
after this process's. A child that cannot start or fails leaves its rows to this process: the
findings are the same whichever process makes them; only the order they are written in differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any, cast

import pyarrow as pa

from diversion import workers
from diversion.config import Settings
from diversion.detect.context import STREAM_BATCH, DetectContext, row_dicts
from diversion.detect.registry import detector
from diversion.detect.run import FINDINGS_COLUMNS, WRITE_CHUNK, findings_table, last_of_each
from diversion.engine import Engine

#: Rows from which a stream's findings are shared with a worker (below, the child's start, about 2 s with
#: its imports, costs more than it saves).
SPLIT_ROWS = 50_000

#: The share of the rows the worker makes (the first ones). Less than half: the child also starts, takes its
#: rows and hands its findings back (``priority_goods`` at 10M rows, 856k findings: with half of them this
#: process waited 10.7 s of 47.8 for the child; with 40 %, 0.9 s of 39.6).
CHILD_SHARE = 0.4

Labels = dict[str, tuple[str, str | None]]


def start(name: str, settings: Settings, rows: pa.Table, labels: Labels) -> tuple[pa.Table, workers.Share | None]:
    """The rows this process makes findings from, and the share a worker makes (``None``: none started): its
    answer is a ``findings`` table, or ``None`` when it failed (its rows, ``held``, are then to be made here).

    ``rows`` below ``SPLIT_ROWS``, or no worker process: every row is made here.
    """
    if rows.num_rows < max(2, SPLIT_ROWS):
        return rows, None
    share = max(1, int(rows.num_rows * CHILD_SHARE))
    theirs = rows.slice(0, share)
    ids = set(theirs.column("entity_id").to_pylist())
    own = {entity_id: labels[entity_id] for entity_id in ids if entity_id in labels}
    worker = workers.share("diversion.detect.split", theirs, (name, settings, theirs, own), _valid)
    return (rows, None) if worker is None else (rows.slice(share), worker)


def _valid(answer: Any) -> bool:
    return isinstance(answer, pa.Table) and answer.schema.names == list(FINDINGS_COLUMNS)


class GivenRows(DetectContext):
    """A worker's context: every stream is its given rows, labels are those of their entities, no engine."""

    def __init__(self, settings: Settings, rows: pa.Table, labels: Labels) -> None:
        super().__init__(cast(Engine, None), settings)  # a detector that reads the warehouse fails: made in the parent
        self.given = rows
        self.__dict__["labels"] = labels

    def stream(self, sql: str, params: list[Any] | None = None, batch: int = STREAM_BATCH,
               carry: str | None = None, rowwise: bool = False) -> Iterator[dict[str, Any]]:
        """The given rows, whatever the query (the parent ran it)."""
        return row_dicts(self.given, batch)


def make(payload: tuple[str, Settings, pa.Table, Labels]) -> pa.Table:
    """The worker's work: the ``findings`` rows one detector makes from the given rows."""
    name, settings, rows, labels = payload
    found = detector(name).find(GivenRows(settings, rows, labels))
    tables = []
    while chunk := list(islice(found, WRITE_CHUNK)):
        tables.append(findings_table(chunk))
    if not tables:
        return findings_table([])
    return last_of_each(pa.concat_tables(tables))


if __name__ == "__main__":
    workers.serve(make)
