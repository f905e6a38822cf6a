"""Ingest: one module per input format, all loaded through ``loader.load_parsed``.

``ingest_files`` is the library entry point behind ``diversion ingest KIND``.
Parsers are registered per source kind in ``PARSERS``; each takes a path and
``ParseOptions`` and returns a ``ParsedFile`` without touching the warehouse.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diversion.config import IngestSettings
from diversion.engine import Engine
from diversion.errors import SourceError
from diversion.sources.bounds import enforce_bounds
from diversion.sources.integrity import begin_load, end_load, remove_interrupted_loads
from diversion.sources.loader import (
    LoadResult,
    ParsedFile,
    already_loaded,
    file_sha256,
    load_parsed,
    reached,
)

__all__ = ["KINDS", "LoadResult", "ParseOptions", "ingest_file", "ingest_files"]


@dataclass(frozen=True)
class ParseOptions:
    """What a parser may need besides the file itself."""

    source_id: str
    mapping: Path | None = None
    #: A built-in layout (``comtrade``, ``comtrade-plus``, ``comext``) for trade statistics.
    profile: str | None = None
    #: The file's encoding when it is not UTF-8 (``--encoding``); see ``textcodec`` for the policy.
    encoding: str | None = None
    #: ``Engine.scratch``'s connection (a DuckDB warehouse): a parser may leave its rows there (``Staged``)
    #: instead of copying them out to Arrow. ``None``: it works in a database of its own.
    scratch: Any = None


Parser = Callable[[Path, ParseOptions], ParsedFile]


def _parsers() -> dict[str, Parser]:
    # Imported lazily so that one broken optional format cannot break the others.
    from diversion.sources import distributors, rates, registry, sanctions, shipments, stats, web

    return {
        "shipments": shipments.parse_shipments,
        "sanctions": sanctions.parse_sanctions,
        "registry": registry.parse_registry,
        "web": web.parse_web,
        "distributors": distributors.parse_distributors,
        "rates": rates.parse_rates,
        "stats": stats.parse_stats,
    }


KINDS = ("shipments", "sanctions", "registry", "web", "distributors", "rates", "stats")


def ingest_file(
    engine: Engine,
    kind: str,
    path: Path,
    strict: bool = False,
    mapping: Path | None = None,
    profile: str | None = None,
    encoding: str | None = None,
    limits: IngestSettings | None = None,
) -> LoadResult:
    """Parse and load one file of the given kind; a file loaded before is skipped.

    ``encoding`` declares the file's encoding when it is not UTF-8 (the policy is ``textcodec``'s);
    ``limits`` bound what loaded numbers may be (``bounds``; default ``IngestSettings()``).
    """
    if kind not in KINDS:
        raise SourceError(str(path), f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")
    path = Path(path)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise SourceError(str(path), f"unknown encoding {encoding!r} (e.g. cp1251, cp1252, latin-1)") from exc
    source_id = file_sha256(path)
    # Rows of a load that was killed would count this file's rows as duplicates of nothing.
    remove_interrupted_loads(engine)
    if already_loaded(engine, source_id):
        return LoadResult(str(path), kind, "-", source_id, already_loaded=True)
    # Parsed rows may stay in the warehouse's own database until they are written (``Staged``).
    with engine.scratch() as scratch:
        parsed = _parsers()[kind](path, ParseOptions(source_id=source_id, mapping=mapping, profile=profile,
                                                    encoding=encoding, scratch=scratch))
        enforce_bounds(parsed, limits or IngestSettings())
        # The pending mark is committed first and removed after the load's commit: after a kill it stays, and the
        # next ingest or write open removes whatever of the file was written (``integrity``).
        begin_load(engine, source_id, str(path))
        try:
            # One transaction for the rows, their sources row and the value_usd they give.
            with engine.transaction():
                result = load_parsed(engine, path, kind, parsed, source_id, strict=strict)
                if kind in ("shipments", "rates"):
                    from diversion.sources.rates import fill_value_usd

                    fill_value_usd(engine)
                reached("commit")
            reached("committed")
        except BaseException:
            with contextlib.suppress(Exception):  # the load's own error is the one to report
                end_load(engine, source_id)
            raise
    end_load(engine, source_id)
    return result


def ingest_files(
    engine: Engine,
    kind: str,
    paths: Iterable[Path],
    strict: bool = False,
    mapping: Path | None = None,
    on_file: Callable[[LoadResult], None] | None = None,
    profile: str | None = None,
    encoding: str | None = None,
    limits: IngestSettings | None = None,
) -> list[LoadResult]:
    """Load several files of one kind, each in its own transaction."""
    results = []
    for path in paths:
        result = ingest_file(engine, kind, Path(path), strict=strict, mapping=mapping, profile=profile,
                             encoding=encoding, limits=limits)
        results.append(result)
        if on_file is not None:
            on_file(result)
    return results
