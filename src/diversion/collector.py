"""Python's cycle collector, paused while a stage builds millions of small objects that hold no cycles.

A full collection walks every object the process holds. Resolve (name forms, per-name columns,
union-find records), detection (the network's labels, each detector's rows and findings) and lead
ranking hold millions of such objects for minutes; the collector's full passes over them were 14 %
of a detection run at 3M shipment rows (the test suite sharing the machine), and none of it was ever
garbage: they hold no cycles, and reference counting frees them as soon as they go.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector inside the block (as it was before, after it; nested blocks are fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
