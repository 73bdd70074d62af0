"""Partner files in: adapters per format (``sources/``), validation, personal-identifier
checks and the load pipeline that writes one transaction to the store.
"""

__all__ = [
    "archive",
    "fetch",
    "geocode",
    "pipeline",
    "personal_data",
    "privacy",
    "readers",
    "report",
    "validate",
    "sources",
]
