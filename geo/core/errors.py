"""Every error PlaceSafe raises on purpose, in one place (a caller can catch by stage)."""

from __future__ import annotations

__all__ = [
    "BoundaryError",
    "ConfigError",
    "DisclosureError",
    "FetchError",
    "FileRefusedError",
    "InsufficientDataError",
    "PackError",
    "StoreError",
    "StoreLockedError",
]


# raised by the statistics (geo.stats) and the lenses when the data cannot support them
class InsufficientDataError(ValueError):
    """The data cannot support the analysis (too few periods, cells or no variance)."""


# raised by geo.render.briefing
class PackError(ValueError):
    """The pack cannot be built as asked (unknown quarter or audience)."""


# raised by geo.ingest (readers, personal_data, the adapters in sources/)
class FileRefusedError(ValueError):
    """The whole file is refused; nothing from it is stored.

    The message states a rule and never quotes file content.
    """


# raised by geo.ingest.fetch
class FetchError(RuntimeError):
    """The API could not be read (after retries), or answered outside its documentation."""


# raised by geo.store (database, batches)
class StoreError(RuntimeError):
    """The store cannot do what was asked (locked file, unknown batch...)."""


# raised by geo.store.database
class StoreLockedError(StoreError):
    """Another process (the app) holds the store for writing."""


class AuditUnavailableError(StoreError):
    """The audit log cannot be written (its events are kept, to write when it can)."""


# raised by geo.core.config
class ConfigError(ValueError):
    """The configuration file is missing, malformed or inconsistent."""


# raised by geo.core.area
class BoundaryError(ValueError):
    """The boundary file cannot serve as a study area."""


# raised by geo.disclosure.policy
class DisclosureError(PermissionError):
    """A role asked for something it may not see."""
