"""Cached wrappers of the Missing from home page: its tables and its map layers."""

from __future__ import annotations

from geo.core import hexes
from geo.core.filters import Filters
from geo.disclosure.counts import disclosed_counts
from geo.lenses import missing
from geo.lenses import missing_view as missing_view_lens
from geo.render import layers
from geo.render.hexlayer import HexLayer, outline_layer
from geo.store import queries as overview
from ui.cache.base import cache_data, get_area, get_config, store_as

__all__ = ["missing_map_layers", "missing_view"]


@cache_data(show_spinner="Building the missing-from-home view…", max_entries=16)
def missing_view(
    fingerprint: str, version: str, role: str, res: int, area_key: int | str, filters: Filters
) -> missing_view_lens.MissingView:
    """The Missing page's tables for ``role`` (disclosure-controlled for the partnership)."""
    config = get_config()
    store = store_as(config, role)
    names = overview.schools(store)[["urn", "name"]]
    key: missing.AreaKey = "home" if area_key == "home" else 8 if area_key == 8 else 7
    return missing_view_lens.missing_view(
        store, get_area(config), filters, role, config, res, key, names
    )


@cache_data(show_spinner=False, max_entries=16)
def missing_map_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, HexLayer]:
    """Found / last-seen places (controlled counts) and the places also hot for SYV."""
    config = get_config()
    levels = disclosed_counts(store_as(config, role), "missing", role, res, filters, config)
    found = layers.missing_layer_from(levels, res, config)
    view = missing_view(fingerprint, version, role, res, 7, filters)
    overlap = outline_layer(
        "Also an SYV hot spot",
        hexes.str_to_cells(view.overlap["cell"]),
        ["Hot spot of missing episodes and of SYV incidents"] * len(view.overlap),
        "#e7298a",
    )
    named_from = store_as(config, role)  # names come from public sources only
    return layers.named_layer(found, named_from), layers.named_layer(overlap, named_from)
