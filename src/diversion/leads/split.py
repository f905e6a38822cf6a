"""The lead rows of many entities made on two cores: a worker process makes the first part's, this one the rest.

Making a lead's row (its best findings' evidence parsed, its sentence and quoted ids, its flags'
contributions) is pure Python and holds the GIL: at 10M shipment rows a month's update makes the rows of
182,000 entities from 339,000 findings, and a full ranking those of 405,000. When a ranking reads at
least ``SPLIT_ROWS`` findings, the first ``CHILD_SHARE`` (a third) of them (whole entities: the rows come in entity
order) go to a ``diversion.workers`` child, which makes those entities' rows with the same code
(``leads.lead_rows``, from the findings, the entities' labels, which of them trade, and the weights); every
row is then ranked in SQL with the others (``leads.carry.write_ranked``). A child that cannot start or
fails leaves its entities to this process: the rows are the same whichever process makes them.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from diversion import workers
from diversion.leads import MADE_SCHEMA, Labels, lead_rows

#: Findings from which a ranking's entities are shared with a worker (below, the child's start, about 2 s
#: with its imports, costs more than it saves).
SPLIT_ROWS = 50_000

#: The share of the findings (whole entities) whose rows the worker makes. A third: the child also starts
#: (importing the detectors), takes the findings and hands its rows back (a 10M update's 339k findings: with
#: half of them this process waited 5.5 s for the child, with 40 % 3.8 s, with a third 0.3 s).
CHILD_SHARE = 0.33


def start(rows: pa.Table, labels: Labels, traders: set[str],
          weights: dict[str, float]) -> tuple[pa.Table, workers.Share | None]:
    """The findings (``findings_query`` rows in entity order) whose rows this process makes, and the share a
    worker makes (``None``: none started): its answer is a ``MADE_SCHEMA`` table, or ``None`` when it failed
    (its findings, ``held``, are then to be made here)."""
    if rows.num_rows < SPLIT_ROWS:
        return rows, None
    cut = entity_boundary(rows, int(rows.num_rows * CHILD_SHARE))
    if not 0 < cut < rows.num_rows:
        return rows, None
    theirs = rows.slice(0, cut)
    ids = set(theirs.column("entity_id").to_pylist())
    payload = (theirs, {i: labels[i] for i in ids if i in labels}, traders & ids, weights)
    worker = workers.share("diversion.leads.split", theirs, payload, _valid)
    return (rows, None) if worker is None else (rows.slice(cut), worker)


def entity_boundary(rows: pa.Table, at: int) -> int:
    """The first row from ``at`` on that starts another entity than the row before it (rows in entity order).

    >>> entity_boundary(pa.table({"entity_id": ["a", "b", "b", "c"]}), 2)
    3
    """
    ids = rows.column("entity_id")
    while 0 < at < rows.num_rows and ids[at].as_py() == ids[at - 1].as_py():
        at += 1
    return at


def _valid(answer: Any) -> bool:
    return isinstance(answer, pa.Table) and answer.schema == MADE_SCHEMA


def make(payload: tuple[pa.Table, Labels, set[str], dict[str, float]]) -> pa.Table:
    """The worker's work: the rows of the entities whose findings it was given."""
    rows, labels, traders, weights = payload
    return lead_rows(rows, labels, weights, traders)[1]


if __name__ == "__main__":
    workers.serve(make)
