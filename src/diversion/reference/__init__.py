"""Reference data shipped with the package (no downloads): HS nomenclature,
CHPL tiers, countries and transshipment hubs. See ``data/SOURCES.md``."""

from diversion.reference.countries import country_name, to_iso2
from diversion.reference.hs import (
    chpl_tier,
    hs_chapter_title,
    hs_description,
    is_machine_tool,
    load_chpl,
    load_hubs,
    normalise_hs,
)

__all__ = [
    "chpl_tier",
    "country_name",
    "hs_chapter_title",
    "hs_description",
    "is_machine_tool",
    "load_chpl",
    "load_hubs",
    "normalise_hs",
    "to_iso2",
]
