"""Pure comparison of two snapshots (``state.snapshot``) into change rows.

A lead changes when its score, flags or section change; a rank that moves
only because other leads moved is not a change of its own (it is shown beside
the changes that are). Sanctions matches and flags are new or removed; a
match's score moving is not listed (the lead's score says what it does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diversion.runs.state import Items

#: Scores are stored to four places; a smaller difference is rounding, not a change.
_SCORE_STEP = 5e-5


@dataclass(frozen=True)
class Change:
    """One thing a run changed: a lead, a sanctions match or a flag of one entity."""

    kind: str  # lead_new|lead_changed|lead_removed|match_new|match_removed|flag_new|flag_removed
    entity_id: str
    name: str | None
    item: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    summary: str


def compare(kind: str, before: Items, after: Items) -> list[Change]:
    """Everything of ``kind`` (``lead``, ``match`` or ``flag``) that differs between two snapshots, sorted."""
    out: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        change = change_of(kind, key[0], key[1], before.get(key), after.get(key))
        if change is not None:
            out.append(change)
    return out


def change_of(kind: str, entity_id: str, item: str, old: dict[str, Any] | None,
              new: dict[str, Any] | None) -> Change | None:
    """The change from ``old`` to ``new`` of one item (``None`` when nothing that counts changed)."""
    if old is None and new is None:
        return None
    name = (new or old or {}).get("name")
    if old is None:
        return Change(f"{kind}_new", entity_id, name, item, None, new, _new_summary(kind, item, new or {}))
    if new is None:
        return Change(f"{kind}_removed", entity_id, name, item, old, None, _removed_summary(kind, item, old))
    if kind != "lead" or not _lead_changed(old, new):
        return None
    return Change("lead_changed", entity_id, name, item, old, new, _lead_summary(old, new))


def _lead_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return (abs(old["score"] - new["score"]) > _SCORE_STEP or set(old["flags"]) != set(new["flags"])
            or old["section"] != new["section"])


def _lead_summary(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = []
    if old["rank"] != new["rank"] or old["section"] != new["section"]:
        parts.append(f"rank {_place(old)} → {_place(new)}")
    parts.append(f"score {old['score']:.2f} → {new['score']:.2f}")
    gained = [f for f in new["flags"] if f not in old["flags"]]
    lost = [f for f in old["flags"] if f not in new["flags"]]
    if gained:
        parts.append("new flag" + ("s " if len(gained) > 1 else " ") + ", ".join(gained))
    if lost:
        parts.append("lost flag" + ("s " if len(lost) > 1 else " ") + ", ".join(lost))
    return ", ".join(parts)


def _place(lead: dict[str, Any]) -> str:
    return f"{lead['rank']}" + ("" if lead["section"] == "lead" else f" ({lead['section']})")


def _new_summary(kind: str, item: str, new: dict[str, Any]) -> str:
    if kind == "lead":
        return f"new at rank {_place(new)}, score {new['score']:.2f}, flags {', '.join(new['flags'])}"
    if kind == "match":
        return (f"matches {new.get('matched_name') or item!r} on {new.get('list_name') or 'a sanctions list'} "
                f"(score {new['score']:.2f})")
    return f"new flag {item} (score {new['score']:.2f})"


def _removed_summary(kind: str, item: str, old: dict[str, Any]) -> str:
    if kind == "lead":
        return f"no longer a lead (was rank {old['rank']}, score {old['score']:.2f})"
    if kind == "match":
        return f"no longer matches {old.get('matched_name') or item!r} on {old.get('list_name') or 'a sanctions list'}"
    return f"flag {item} no longer raised"
