"""The websites' near copies kept beside the warehouse: an update whose pages did not change takes them as found.

``near_copies.near_copies`` compares every website's text with the others' (MinHash LSH, then exact
Jaccard on the candidates): 14.6 s of detection at 10M shipment rows, for 29,523 sites. A month of
customs declarations adds no web page, yet detection ran it again on every update. The pairs are a
function of the sites' texts (in domain order), the three near-copy settings and that module's code alone
(``near_copies.basis``), so a run keeps them in ``<warehouse>.nearcopies`` (an Arrow IPC file) under a
digest of all three, and a run that carries findings over (``detect.carry``) takes them from there when
the digest is the same: a changed threshold of another detector, or an upgrade that leaves that module
alone, does not compare the sites again. Anything else (no file, another digest, an unreadable file, a
warehouse that is not one file) means they are worked out again: the file is a cache, never needed, and
never changes a finding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from diversion.detect.near_copies import Pairs
from diversion.engine import Engine
from diversion.resolve.kept_file import read_table_beside, write_table_beside

#: Bumped when the file's layout changes (2: Arrow IPC instead of Parquet).
FORMAT = 2
_KEY = b"diversion.nearcopies"



def cache_path(db_path: Path) -> Path:
    """Where the near copies of the warehouse at ``db_path`` are kept."""
    return db_path.with_name(db_path.name + ".nearcopies")


def texts_digest(texts: Sequence[str], said: str) -> str:
    """A digest of the sites' texts in order and of ``said`` (the settings and the code they are compared with)."""
    digest = hashlib.sha1(said.encode())
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))  # lengths first: no two lists of texts read alike
        digest.update(data)
    return digest.hexdigest()


def near_copies_kept(engine: Engine, texts: Sequence[str], said: str, find: Callable[[], Pairs],
                     reuse: bool, keep: bool) -> tuple[Pairs, bool]:
    """``find()``'s pairs, or the ones kept beside the warehouse for the same texts and ``said``; and whether
    they were taken from there.

    ``reuse``: take kept pairs when the digest matches; ``keep``: keep what ``find`` gives for the next run.
    """
    db_path = engine.file_path()
    if db_path is None:
        return find(), False
    digest = texts_digest(texts, said)
    if reuse:
        found = _load(cache_path(db_path), digest)
        if found is not None:
            return found, True
    pairs = find()
    if keep:
        _save(cache_path(db_path), digest, pairs)
    return pairs, False


def _load(path: Path, digest: str) -> Pairs | None:
    """The pairs kept at ``path`` under ``digest``, or ``None`` (none, another digest, unreadable)."""
    found = read_table_beside(path, _KEY, {"format": FORMAT, "digest": digest})
    if found is None:
        return None
    table = found[0]
    try:
        return list(zip(table.column("i").to_pylist(), table.column("j").to_pylist(),
                        table.column("score").to_pylist(), strict=True))
    except KeyError:  # a file of that name and digest, but not of these columns
        return None


def _save(path: Path, digest: str, pairs: Pairs) -> None:
    """Keep ``pairs`` at ``path`` under ``digest`` (not kept when it cannot be written: no room, read-only)."""
    table = pa.table({"i": pa.array([p[0] for p in pairs], pa.int64()),
                      "j": pa.array([p[1] for p in pairs], pa.int64()),
                      "score": pa.array([p[2] for p in pairs], pa.float64())})
    write_table_beside(path, table, _KEY, {"format": FORMAT, "digest": digest})
