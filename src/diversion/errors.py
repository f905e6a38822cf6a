"""Typed exceptions. Each carries a message a user can act on.

Two kinds of source errors, after nomenklatura's enrichment exceptions:
``RowError`` skips one record (it goes to quarantine), ``SourceError`` aborts
the whole file (the CLI prints one line and exits with code 2).
"""

from __future__ import annotations


class DiversionError(Exception):
    """Base class: an error the CLI reports as one line, exit code 2."""


class ConfigError(DiversionError):
    """A setting or a mapping file is invalid."""


class SourceError(DiversionError):
    """A whole input file cannot be loaded (missing, unknown format, bad encoding)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class StrictModeError(SourceError):
    """``--strict`` was given and the file has at least one bad row."""


class RowError(Exception):
    """One record is malformed; it is quarantined and the load goes on.

    ``field`` names the offending column (``None`` when the whole record is
    bad, e.g. invalid JSON), ``reason`` says what is wrong in words a person
    can act on.
    """

    def __init__(self, field: str | None, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class WarehouseError(DiversionError):
    """The warehouse is missing a table a stage needs, or a query failed."""


class EngineUnavailable(DiversionError):
    """An optional engine (PySpark) is not installed or cannot start."""
