"""Files kept beside the warehouse (the screening index, the linkage input): written whole or not at all."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path


def write_beside(target: Path, write: Callable[[Path], None],
                 errors: tuple[type[BaseException], ...] = (OSError,)) -> bool:
    """Write ``target`` through ``write(path)`` on a temporary name, then rename it over ``target``.

    A reader sees the old file or the new one, never half of one. When ``write`` raises one of
    ``errors`` (no room, a read-only folder) nothing is left behind and the answer is ``False``. What
    an earlier write left when its process was killed (``<name>.<pid>.tmp`` of a process that is gone)
    is removed first.
    """
    partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    for stale in target.parent.glob(f"{glob.escape(target.name)}.*.tmp"):  # a name may hold [ or *
        if stale != partial and not _alive(stale.name[len(target.name) + 1:-len(".tmp")]):
            stale.unlink(missing_ok=True)
    try:
        write(partial)
        partial.replace(target)  # atomic on one file system
    except errors:
        partial.unlink(missing_ok=True)
        return False
    return True


def _alive(pid_text: str) -> bool:
    """Whether the process numbered ``pid_text`` still runs (text that is no number: kept, as if it did)."""
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
