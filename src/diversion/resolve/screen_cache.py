"""The screening index saved beside the warehouse, so ``diversion screen`` starts in a blink.

Building the index (every listed name normalised, keys and word rarities)
takes seconds; a screening call should not. The index is saved with pickle to
``<warehouse>.screening`` together with two keys:

- the warehouse file's size and modification time: when they are unchanged,
  the saved index is used without opening the warehouse at all;
- a fingerprint of what the index is built from (``sanctions``,
  ``sanction_names``, the resolved names in ``mentions``, the name length
  setting): when the file changed (another stage wrote to it) but the
  fingerprint did not, the saved index is still used.

Otherwise it is rebuilt and saved again. Only DuckDB warehouse files get a
saved index; a file that cannot be written (read-only folder) is skipped, the
index is simply built in memory. The file is only ever read back by the
process that trusts the warehouse beside it (same owner, same folder).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diversion.resolve.kept_file import write_beside

if TYPE_CHECKING:
    from diversion.config import Settings
    from diversion.engine import Engine
    from diversion.resolve.screening import ScreeningIndex

#: Bumped whenever the index's pickled form or its normalisation changes.
FORMAT_VERSION = 3

#: Per table, the columns the index is built from (a warehouse made by an older version may lack a table).
_FINGERPRINTED = {"sanctions": "entity_id, schema, name, list_name", "sanction_names": "entity_id, name, name_type",
                  "mentions": "name_norm"}


@dataclass
class _Saved:
    version: int
    #: The engine that built it (``Settings.engine``): only single-file engines save one.
    engine: str
    file_key: tuple[int, int]
    fingerprint: str
    index: ScreeningIndex


def cache_path(db_path: Path) -> Path:
    """Where the index of the warehouse at ``db_path`` is saved."""
    return db_path.with_name(db_path.name + ".screening")


def _file_key(db_path: Path) -> tuple[int, int] | None:
    try:
        stat = db_path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def fingerprint(engine: Engine, max_name_length: int) -> str:
    """What the index of ``engine``'s warehouse is built from, as one string."""
    parts = [f"(SELECT count(*) FROM {t}), (SELECT sum(hash({c})) FROM {t})" for t, c in _FINGERPRINTED.items()
             if engine.table_exists(t)]
    return repr((FORMAT_VERSION, max_name_length, *engine.fetch_all("SELECT " + ", ".join(parts))[0]))


def _read(path: Path) -> _Saved | None:
    try:
        with path.open("rb") as handle:
            saved = pickle.load(handle)  # noqa: S301 - our own file, written beside the warehouse we open
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return saved if isinstance(saved, _Saved) and saved.version == FORMAT_VERSION else None


def save_index(db_path: Path, index: ScreeningIndex, engine: Engine, engine_name: str, max_name_length: int) -> bool:
    """Save ``index`` beside the warehouse; False when the folder cannot be written."""
    key = _file_key(db_path)
    if key is None:
        return False
    saved = _Saved(FORMAT_VERSION, engine_name, key, fingerprint(engine, max_name_length), index)

    def write(path: Path) -> None:
        with path.open("wb") as handle:
            pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)

    return write_beside(cache_path(db_path), write)


def screening_index(settings: Settings, **build: Any) -> ScreeningIndex:
    """The warehouse's screening index: the saved one when it is current, else built (and saved).

    ``build``: extra arguments of ``screening.build_index``.
    """
    rs = settings.resolve
    db_path = Path(settings.db_path)
    saved = _read(cache_path(db_path)) if db_path.is_file() else None
    if saved is not None and saved.engine == settings.engine and saved.file_key == _file_key(db_path):
        return saved.index  # before the engines are imported (pyarrow, DuckDB: 0.1 s of a cold call)
    from diversion.engine import engine_class, open_engine
    from diversion.resolve.screening import build_index

    cacheable = engine_class(settings.engine).single_file and db_path.is_file()
    if not cacheable or (saved is not None and saved.engine != settings.engine):
        saved = None
    engine = open_engine(db_path, settings.engine, read_only=True, spark_master=settings.spark_master,
                         spark_driver_memory=settings.spark_driver_memory, memory_limit=settings.memory_limit)
    try:
        if saved is not None and saved.fingerprint == fingerprint(engine, rs.max_name_length):
            index = saved.index
        else:
            index = build_index(engine, rs.max_name_length, **build)
        if cacheable:
            save_index(db_path, index, engine, settings.engine, rs.max_name_length)
    finally:
        engine.close()
    return index
