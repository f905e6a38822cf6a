"""Entity resolution (Splink), analyst decisions and sanctions screening.

Pipeline order: ``mentions`` (collect and normalise every party name) →
``linkage_input`` (name forms and blocking keys) → ``model``/``training``/
``linkage`` (Splink) → ``clustering`` (threshold, decisions, stable ids) →
``entities`` and ``sanctions_matches``. ``explain``, ``review``,
``decisions`` and ``screening`` serve the CLI and the web app.
"""

from diversion.resolve.pipeline import ResolveReport, resolve

__all__ = ["ResolveReport", "resolve"]
