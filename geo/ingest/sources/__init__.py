"""Partner formats: one module per format, each declaring its :class:`Adapter` objects in
a module-level ``ADAPTERS`` tuple. :func:`adapter_for` finds them, so a new format is one
new module here (and, for a new kind of record, its table in :mod:`geo.core.schema`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from geo.core.errors import FileRefusedError
from geo.ingest.sources.base import Adapter

__all__ = [
    "adapter_for",
    "adapters",
    "area_stats",
    "base",
    "boundaries",
    "ethnicity_list",
    "istv",
    "mapped",
    "place_lookups",
    "police_uk",
    "profiles",
    "schools",
    "stop_search_file",
]


@cache
def adapters() -> dict[str, Adapter]:
    """Every registered format by the kind of file it reads (each kind read by one)."""
    found: dict[str, Adapter] = {}
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for adapter in getattr(loaded, "ADAPTERS", ()):
            for kind in adapter.kinds:
                if kind in found:
                    raise RuntimeError(f"two adapters read kind '{kind}'")
                found[kind] = adapter
    return found


def adapter_for(kind: str) -> Adapter:
    """The adapter that reads ``kind``; refuses a kind no adapter reads."""
    adapter = adapters().get(kind)
    if adapter is None:
        raise FileRefusedError(f"unknown kind '{kind}'")
    return adapter
