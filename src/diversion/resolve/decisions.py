"""Analyst decisions: "these two are the same" or "these two are different".

Decisions are stored by mention id in ``decisions`` (never rebuilt) with who,
when and why; the latest decision on a pair wins. Every ``resolve`` honours
them (see ``clustering``). A reference may be a mention id (``m-…``), an
entity id (``e-…``, meaning its first mention) or a name as written in a source.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from diversion.engine import Engine
from diversion.errors import DiversionError
from diversion.names.normalise import normalise_name

JUDGEMENTS = ("same", "different")


@dataclass(frozen=True)
class Decision:
    """One recorded judgement."""

    left_id: str
    right_id: str
    judgement: str
    author: str | None
    decided_at: datetime
    reason: str | None


def _require(engine: Engine, table: str) -> None:
    if not engine.table_exists(table) or (table == "mentions" and engine.count("mentions") == 0):
        raise DiversionError(f"the warehouse has no {table} yet: run `diversion resolve` first")


def find_mention(engine: Engine, ref: str) -> str | None:
    """The mention id a reference names (mention id, entity id or name), or ``None``."""
    ref = ref.strip()
    if ref.startswith("m-") and engine.scalar("SELECT count(*) FROM mentions WHERE mention_id = ?", [ref]):
        return ref
    if ref.startswith("e-") and engine.table_exists("entity_mentions"):
        found = engine.scalar("SELECT min(mention_id) FROM entity_mentions WHERE entity_id = ?", [ref])
        if found:
            return str(found)
    found = engine.scalar("SELECT min(mention_id) FROM mentions WHERE lower(name) = lower(?)", [ref])
    if found:
        return str(found)
    norm = normalise_name(ref)
    if norm:
        found = engine.scalar("SELECT min(mention_id) FROM mentions WHERE name_norm = ?", [norm])
    return str(found) if found else None


def require_mention(engine: Engine, ref: str) -> str:
    """Like ``find_mention`` but raises a one-line error when nothing matches."""
    _require(engine, "mentions")
    found = find_mention(engine, ref)
    if found is None:
        raise DiversionError(f"no mention, entity or name matches {ref!r} (see `diversion review` for ids)")
    return found


def record_decision(
    engine: Engine, a: str, b: str, judgement: str, author: str | None = None, reason: str | None = None
) -> Decision:
    """Store a judgement on two references; returns it with the mention ids it resolved to."""
    if judgement not in JUDGEMENTS:
        raise DiversionError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
    left, right = sorted((require_mention(engine, a), require_mention(engine, b)))
    if left == right:
        raise DiversionError(f"{a!r} and {b!r} are the same mention ({left}); nothing to decide")
    decision = Decision(left, right, judgement, author or _user(), datetime.now(UTC).replace(tzinfo=None), reason)
    engine.insert_arrow("decisions", pa.table({
        "left_id": [left], "right_id": [right], "judgement": [judgement], "author": [decision.author],
        "decided_at": pa.array([decision.decided_at], pa.timestamp("us")), "reason": [reason],
    }))
    return decision


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def current_decisions(engine: Engine) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(same pairs, different pairs): the latest decision per pair of mentions."""
    if not engine.table_exists("decisions"):
        return [], []
    rows = engine.fetch_all("SELECT left_id, right_id, judgement, decided_at FROM decisions ORDER BY decided_at")
    latest: dict[tuple[str, str], str] = {}
    for left, right, judgement, _ in rows:
        low, high = sorted((left, right))
        latest[(low, high)] = judgement
    same = sorted(pair for pair, j in latest.items() if j == "same")
    different = sorted(pair for pair, j in latest.items() if j == "different")
    return same, different
