"""Partner files in: adapters per format (``sources/``), validation, personal-identifier
checks and the load pipeline that writes one transaction to the store.
"""

__all__ = [
    "archive",
    "fetch",
    "gazetteer",
    "geocode",
    "name_matching",
    "personal_data",
    "pipeline",
    "privacy",
    "readers",
    "report",
    "sources",
    "validate",
]
