"""diversion: find export-control evasion networks in trade data.

The pipeline runs in stages over one warehouse (DuckDB by default):
``ingest → resolve → graph → detect → leads``, with ``flows`` for trade
statistics and ``report``/``serve`` to show the results.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
