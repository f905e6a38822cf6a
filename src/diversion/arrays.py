"""Array helpers the stages share."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct ``values``, sorted: ``np.unique`` without its cost.

    numpy 2.4's ``unique`` took 4 s for 3.9M 64-bit numbers (the word counts at 10M shipment rows), a sort and a
    comparison of neighbours 0.07 s.

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered
