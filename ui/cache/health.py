"""Cached wrappers of the Health and police page: the view and its map layer."""

from __future__ import annotations

from geo.core.filters import Filters
from geo.lenses import health_police_view as view_lens
from geo.render.health_layers import known_to_health_layer
from geo.render.hexlayer import HexLayer
from ui.cache.base import cache_data, get_area, get_config, store_as

__all__ = ["health_layer", "health_view"]


@cache_data(show_spinner="Comparing A&E with police records…", max_entries=16)
def health_view(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> view_lens.HealthPoliceView:
    """Places known to health and not to police, for ``role`` (disclosure-controlled for
    the partnership)."""
    config = get_config()
    return view_lens.health_police_view(
        store_as(config, role), get_area(config), res, filters, role, config
    )


@cache_data(show_spinner=False, max_entries=16)
def health_layer(fingerprint: str, version: str, role: str, res: int, filters: Filters) -> HexLayer:
    """The listed places as a map layer (coloured by the strength of evidence)."""
    return known_to_health_layer(health_view(fingerprint, version, role, res, filters))
