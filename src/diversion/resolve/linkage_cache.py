"""The linkage input kept beside the warehouse, so that an update makes only its new mentions' rows.

Making the linkage input is Python work per distinct name (its forms, keys and
commonness): at 10M shipment rows, with normalising the names of the mentions,
about 110 s of a monthly update that brings 10 % new names. A resolve writes
its input to ``<warehouse>.linkage`` (an Arrow IPC file) and a token to ``resolve_model``;
the next incremental resolve reads it back when the token matches (the file
belongs to the resolve the warehouse holds) and takes the rows of the mentions
that say what they said then as they are (``linkage_input.KnownRows``). Anything else (no
file, another token, an unreadable file, a warehouse that is not one file)
means the input is made in full, as before: the file is a cache, never needed.

A row is taken only for a mention that says today what it said then: the file
holds each row's digest of the mention's columns it was made of
(``linkage_input.content_digests``). A shipment party's id hashes them anyway; a
listed or registered party's id names a record whose names can change.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from diversion.engine import Engine
from diversion.resolve.incremental import stored_model
from diversion.resolve.kept_file import read_table_beside, write_table_beside
from diversion.resolve.linkage_input import KnownRows

#: Bumped when the file's layout changes (the rows' own format is ``incremental.RESOLVE_FORMAT``); 3: Arrow IPC.
FORMAT = 3
_KEY = b"diversion.linkage"
#: The column of each row's ``linkage_input.content_digests``.
_CONTENT = "_content"
#: Rows per record batch written (each compressed on its own).
ROW_GROUP = 100_000
#: The key of the token in ``resolve_model.model_json``.
ROWS_TOKEN = "linkage_rows"


def cache_path(db_path: Path) -> Path:
    """Where the linkage input of the warehouse at ``db_path`` is kept."""
    return db_path.with_name(db_path.name + ".linkage")


def save_rows(engine: Engine, rows: KnownRows) -> str | None:
    """Keep ``rows`` beside ``engine``'s warehouse; the token to store with the resolve, or ``None`` (not kept)."""
    db_path = engine.file_path()
    if db_path is None:
        return None
    token = uuid.uuid4().hex
    table = rows.rows
    if rows.contents is not None:
        table = table.append_column(_CONTENT, rows.contents)
    # Bounded batches: the writer compresses one batch at a time (at 3M rows the write added nothing to the
    # process's peak either way; at 10M the input it writes is 0.9 GiB). No room, a read-only folder: not
    # kept, and the next update makes every row.
    kept = write_table_beside(cache_path(db_path), table, _KEY, {"format": FORMAT, "token": token,
                                                                 "dropped": rows.dropped},
                              chunk_rows=ROW_GROUP)
    return token if kept else None


def stored_rows_token(engine: Engine) -> str | None:
    """The token of the linkage rows the warehouse's last resolve kept (``None``: none kept)."""
    token = stored_model(engine).get(ROWS_TOKEN)
    return token if isinstance(token, str) else None


def load_rows(engine: Engine, token: str | None) -> KnownRows | None:
    """The rows kept beside ``engine``'s warehouse under ``token``, or ``None`` (none, another run's, unreadable)."""
    db_path = engine.file_path()
    if token is None or db_path is None:
        return None
    found = read_table_beside(cache_path(db_path), _KEY, {"format": FORMAT, "token": token})
    if found is None:
        return None
    table, meta = found
    dropped = meta.get("dropped")
    contents = table.column(_CONTENT).combine_chunks() if _CONTENT in table.column_names else None
    return KnownRows(table.drop_columns([c for c in (_CONTENT,) if c in table.column_names])
                     .replace_schema_metadata(None),
                     {str(k): int(v) for k, v in dropped.items()} if isinstance(dropped, dict) else {}, contents)
