"""Cached wrapper of the Location profile: one cell's profile as a role may see it (its
hot spot history is :func:`ui.cache.hotspots.cell_hotspot_history`, its rank
:func:`ui.cache.recurring.recurring`)."""

from __future__ import annotations

from geo.core.filters import Filters
from geo.lenses.profiles import LocationProfile, build_profile
from ui.cache.base import cache_data, get_config, months, store_as

__all__ = ["profile"]


@cache_data(show_spinner="Building the location profile…", max_entries=32)
def profile(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> LocationProfile:
    """One cell's profile as ``role`` may see it."""
    config = get_config()
    return build_profile(
        store_as(config, role), cell, filters, months(fingerprint, version), role, config
    )
