"""Entity resolution (Splink), analyst decisions and sanctions screening.

Pipeline order: ``mentions`` (collect and normalise every party name, half
the names in a worker: ``normalising``, ``worker``) →
``linkage_input`` (name forms and blocking keys) → ``model``/``training``/
``linkage`` (Splink) → ``clustering`` (threshold, decisions, stable ids) →
``entities`` (canonical names picked in a worker beside screening:
``picking``) and ``sanctions_matches``. ``explain``, ``review``,
``decisions`` and ``screening`` serve the CLI and the web app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diversion.resolve.pipeline import ResolveReport, resolve

__all__ = ["ResolveReport", "resolve"]


def __getattr__(name: str) -> Any:
    # The pipeline (Splink, scipy, Arrow) loads on first use: screening a name needs none of it.
    if name in __all__:
        from diversion.resolve import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'diversion.resolve' has no attribute {name!r}")
