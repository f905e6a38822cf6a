"""A digest of the package's own code, for results a later run may keep while the code is unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from diversion import __version__


def code_digest(sources: Iterable[Path]) -> str:
    """SHA-1 (hex) of the package version and of each source file's name and bytes, in the order given.

    Stages that carry results over (``detect.carry``, ``graph.carry``) store it in their token, so an
    upgrade or an edited module makes everything again.
    """
    digest = hashlib.sha1(__version__.encode())
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
