"""Name normalisation for matching: legal forms, transliteration, scripts.

Built on the OpenSanctions libraries rather than hand-written tables:
``rigour`` (tokenising, casefolding, legal-form database, transliteration,
script detection, metaphone), ``fingerprints`` (legal forms written in Han
characters, after transliteration) and ``normality`` (fallback transliteration
for scripts rigour does not admit, via ICU).
"""

from diversion.names.normalise import NameForms, name_forms, normalise_name
from diversion.names.scripts import script_families, unusable_reason
from diversion.names.similarity import NameScore, name_similarity

__all__ = [
    "NameForms",
    "NameScore",
    "name_forms",
    "name_similarity",
    "normalise_name",
    "script_families",
    "unusable_reason",
]
