"""Shipment rows in columnar form, before they are written.

Rows refer to companies by pool index and name-variant slot; strings that
vary per row (descriptions, brand, model) are Arrow arrays. ``value_gbp`` is
the row's value in GBP; the writer converts it to the declared currency with
the demo's rates.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa


@dataclass
class Rows:
    """A batch of shipments (see module docstring); every field has one entry per row."""

    day: np.ndarray  # datetime64[D]
    hs: np.ndarray  # str
    desc_en: pa.Array
    desc_ru: pa.Array
    brand: pa.Array
    model: pa.Array
    year: np.ndarray  # manufacture year, 0 = not given
    exporter: np.ndarray  # pool index
    exp_slot: np.ndarray
    importer: np.ndarray
    imp_slot: np.ndarray
    origin: np.ndarray  # ISO2
    dispatch: np.ndarray
    trading: np.ndarray  # "" = not given
    value_gbp: np.ndarray
    currency: np.ndarray
    quantity: np.ndarray
    weight: np.ndarray
    has_id: np.ndarray  # importer id written
    flow: np.ndarray  # index of the scenario flow, -1 for ordinary shipments

    def __len__(self) -> int:
        return len(self.day)

    def take(self, index: np.ndarray) -> Rows:
        """The rows at ``index``, in that order."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.take(pa.array(index)) if isinstance(value, pa.Array) else value[index]
        return Rows(**out)

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        """All rows of ``parts``, one after the other."""
        out = {}
        for f in fields(Rows):
            values = [getattr(p, f.name) for p in parts]
            if isinstance(values[0], pa.Array):
                out[f.name] = pa.concat_arrays([v.cast(pa.string()) for v in values])
            else:
                out[f.name] = np.concatenate(values)
        return Rows(**out)
