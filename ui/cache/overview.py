"""Cached wrappers of the Overview: headline figures, the layered hex map, schools as
markers, one cell's summary and the neighbourhood rates (also the incident layer the
Schools page and the playback draw)."""

from __future__ import annotations

import pandas as pd

from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.disclosure import protected_records_note
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.lenses import area_tables
from geo.render import layers
from geo.render.hexlayer import HexLayer
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.place_names import place_names
from ui.cache.base import (
    cache_data,
    cache_resource,
    feeds,
    get_area,
    get_config,
    get_store,
    store_as,
)

__all__ = [
    "cell_summary",
    "ed_assault_layers",
    "kpi_coverage",
    "kpis",
    "neighbourhood_rates",
    "overview_layers",
    "overview_map_layers",
    "protected_note",
    "school_markers",
]


@cache_data(show_spinner=False, max_entries=64)
def kpis(fingerprint: str, version: str, role: str, filters: Filters) -> pd.DataFrame:
    """Headline figures for the period and the previous one, disclosure-controlled for ``role``."""
    config = get_config()
    return disclosed_kpis(store_as(config, role), role, filters, config)


@cache_data(show_spinner=False, max_entries=64)
def kpi_coverage(fingerprint: str, version: str, role: str, filters: Filters) -> pd.DataFrame:
    """Which headline figures a loaded feed can tell, per period (False = not loaded)."""
    return catalogue.kpi_coverage(feeds(fingerprint, version, role), filters)


@cache_data(show_spinner=False, max_entries=16)
def neighbourhood_rates(
    fingerprint: str, version: str, filters: Filters
) -> area_tables.NeighbourhoodRates | str:
    """Harm per 1,000 residents by neighbourhood with IMD (analysts only: the page
    never calls this for the partnership), or why it cannot be given."""
    config = get_config()
    try:
        return area_tables.neighbourhood_rates(get_store(config), get_area(config), filters)
    except InsufficientDataError as exc:
        return str(exc)


@cache_data(show_spinner=False, max_entries=64)
def protected_note(fingerprint: str, version: str, filters: Filters) -> str | None:
    """That records at protected places are left out, and how many (published)."""
    config = get_config()
    return protected_records_note(get_store(config), config, filters)


# the same layer objects every run (no copy per hit), so their packed form is remembered
@cache_resource(show_spinner=False, max_entries=64)
def overview_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's hex layers after disclosure control for ``role``: incidents,
    missing found / last seen, youth-work coverage and A&E assaults (empty when no
    emergency department feed is loaded: pages leave it out and say so).

    Found / last-seen places and A&E assaults are drawn at resolution 9 at the finest
    (an A&E assault's place is a postcode centroid or a named place at best, not a
    street corner)."""
    config = get_config()
    store = store_as(config, role)
    found_res = min(res, 9)
    incidents = disclosed_counts(store, "incidents", role, res, filters, config)
    missing = disclosed_counts(store, "missing", role, found_res, filters, config)
    assaults = disclosed_counts(store, "ed_assaults", role, found_res, filters, config)
    return (
        layers.incident_layer_from(incidents, res, config),
        layers.missing_layer_from(missing, found_res, config),
        layers.youth_work_layer(overview.youth_work_cells(store, found_res, filters)),
        layers.ed_assault_layer_from(assaults, found_res, config),
    )


# the same layer objects every run (no copy per hit), so their packed form is remembered
@cache_resource(show_spinner=False, max_entries=64)
def overview_map_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's layers for the map: each hexagon's tooltip led by its place name."""
    store = store_as(get_config(), role)
    return tuple(
        layers.named_layer(x, store)
        for x in overview_layers(fingerprint, version, role, res, filters)
    )


def ed_assault_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters, held: bool
) -> list[HexLayer]:
    """The A&E assaults layer for a page's map beside its incident or missing layers
    (named places, off until ticked in the map's layer control), or none when no
    emergency department feed covers the period (``held`` false)."""
    if not held:
        return []
    return [overview_map_layers(fingerprint, version, role, res, filters)[3]]


@cache_data(show_spinner=False, max_entries=16)
def school_markers(fingerprint: str, version: str) -> tuple[tuple[float, float, str, bool], ...]:
    """School markers ``(lat, lng, name, is_alternative_provision)``."""
    frame = overview.schools(get_store(get_config()))
    return layers.school_markers(frame)


@cache_data(show_spinner=False, max_entries=64)
def cell_summary(
    fingerprint: str, version: str, role: str, res: int, filters: Filters, cell: str
) -> str:
    """Plain-English summary of one cell from the disclosure-controlled layers, led by
    the place's name."""
    config = get_config()
    name = str(place_names(store_as(config, role), [cell]).iloc[0])
    summary = layers.cell_summary(overview_layers(fingerprint, version, role, res, filters), cell)
    return f"{name} · {summary}"
