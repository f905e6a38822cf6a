"""Screen a list of parties from a CSV file (``name`` [, ``country``, ``schema``])."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from diversion.errors import SourceError
from diversion.resolve.screening import ScreenHit, ScreeningIndex


@dataclass(frozen=True)
class Party:
    """One row of a screening list."""

    line: int
    name: str
    country: str | None = None
    schema: str | None = None


def read_parties(path: Path) -> Iterator[Party]:
    """Rows of a parties CSV; the header must name a ``name`` column."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SourceError(str(path), f"cannot read the parties file ({exc.strerror})") from exc
    with handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "name" not in fields:
            raise SourceError(str(path), f"needs a 'name' column (found: {', '.join(fields) or 'no header'})")
        for i, row in enumerate(reader, start=2):
            clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            country = clean.get("country") or None
            if country:
                from diversion.reference import to_iso2  # country names in any language: a large table
            yield Party(i, clean.get("name", ""), to_iso2(country) or country if country else None,
                        clean.get("schema") or None)


def screen_parties(
    index: ScreeningIndex, parties: Iterator[Party], threshold: float, limit: int
) -> Iterator[tuple[Party, list[ScreenHit]]]:
    """Each party with its sanctions hits (empty list when none)."""
    for party in parties:
        yield party, index.search(party.name, party.country, party.schema, threshold, limit)


def write_results(results: Iterator[tuple[Party, list[ScreenHit]]], out: Path) -> int:
    """Write one CSV row per hit (and one per party without hits); returns the number of parties."""
    n = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "name", "country", "rank", "score", "sanction_entity_id", "caption", "list_name",
                         "programs", "listing_date", "matched_name", "explanation"])
        for party, hits in results:
            n += 1
            if not hits:
                writer.writerow([party.line, party.name, party.country or "", "", "", "", "", "", "", "", "", ""])
            for rank, h in enumerate(hits, start=1):
                writer.writerow([party.line, party.name, party.country or "", rank, h.score, h.sanction_entity_id,
                                 h.caption, h.list_name or "", ";".join(h.programs),
                                 h.listing_date.isoformat() if h.listing_date else "", h.matched_name, h.explanation])
    return n


def results_json(results: Iterator[tuple[Party, list[ScreenHit]]]) -> str:
    """JSON lines: one object per party with its hits."""
    return "\n".join(
        json.dumps({"line": p.line, "name": p.name, "country": p.country, "hits": [h.as_dict() for h in hits]},
                   ensure_ascii=False)
        for p, hits in results
    )
