"""Cached wrappers of the Overview: headline figures, the layered hex map, schools as
markers, one cell's summary and the neighbourhood rates (also the incident layer the
Schools page and the playback draw)."""

from __future__ import annotations

import pandas as pd

from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.disclosure import DisclosedLevels, protected_records_note
from geo.disclosure.counts import disclosed_counts, disclosed_kpis
from geo.lenses import area_tables
from geo.render import layers
from geo.render.hexlayer import HexLayer
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.cube import layer_filters
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
    "layer_counts",
    "neighbourhood_rates",
    "overview_counts",
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


def neighbourhood_rates(
    fingerprint: str, version: str, filters: Filters
) -> area_tables.NeighbourhoodRates | str:
    """Harm per 1,000 residents by neighbourhood with IMD (analysts only: the page
    never calls this for the partnership), or why it cannot be given. Serious youth
    violence and police.uk violence are fixed sets of categories: the chosen incident
    categories do not bear on it."""
    return _neighbourhood_rates(fingerprint, version, filters.period_only())


@cache_data(show_spinner=False, max_entries=16)
def _neighbourhood_rates(
    fingerprint: str, version: str, filters: Filters
) -> area_tables.NeighbourhoodRates | str:
    config = get_config()
    try:
        return area_tables.neighbourhood_rates(get_store(config), get_area(config), filters)
    except InsufficientDataError as exc:
        return str(exc)


def protected_note(fingerprint: str, version: str, filters: Filters) -> str | None:
    """That records at protected places are left out, and how many (published): every
    record of the period, whatever incident categories are chosen."""
    return _protected_note(fingerprint, version, filters.period_only())


@cache_data(show_spinner=False, max_entries=64)
def _protected_note(fingerprint: str, version: str, filters: Filters) -> str | None:
    config = get_config()
    return protected_records_note(get_store(config), config, filters)


#: The Overview's layers, in the order of :func:`overview_layers`.
OVERVIEW_LAYERS = ("incidents", "missing", "youth_work", "ed_assaults")


def _shown_res(layer: str, res: int) -> int:
    """Found / last-seen places, A&E assaults and youth-work coverage are drawn at
    resolution 9 at the finest (an A&E assault's place is a postcode centroid or a named
    place at best, not a street corner)."""
    return res if layer == "incidents" else min(res, 9)


# read-only results shared by every session (no copy per hit); a playback asks for every
# month of its window, hence room for many
@cache_resource(show_spinner=False, max_entries=512)
def _layer_counts(
    fingerprint: str, version: str, role: str, layer: str, res: int, filters: Filters
) -> DisclosedLevels:
    config = get_config()
    return disclosed_counts(store_as(config, role), layer, role, res, filters, config)


def layer_counts(
    fingerprint: str, version: str, role: str, layer: str, res: int, filters: Filters
) -> DisclosedLevels:
    """One Overview count layer (``incidents``, ``missing``, ``ed_assaults``) after
    disclosure control for ``role``, at the resolution the Overview draws it for
    ``res``; cached once for every choice of incident categories where they do not
    bear on the layer."""
    shown = _shown_res(layer, res)
    return _layer_counts(fingerprint, version, role, layer, shown, layer_filters(layer, filters))


def overview_counts(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[DisclosedLevels, DisclosedLevels, DisclosedLevels]:
    """The Overview's counts after disclosure control for ``role``: incidents at ``res``,
    missing found / last seen and A&E assaults at ``min(res, 9)``."""
    return (
        layer_counts(fingerprint, version, role, "incidents", res, filters),
        layer_counts(fingerprint, version, role, "missing", res, filters),
        layer_counts(fingerprint, version, role, "ed_assaults", res, filters),
    )


# the same layer objects every run (no copy per hit), so their packed form is remembered
@cache_resource(show_spinner=False, max_entries=128)
def _overview_layer(
    fingerprint: str, version: str, role: str, layer: str, res: int, filters: Filters
) -> HexLayer:
    config = get_config()
    if layer == "youth_work":
        return layers.youth_work_layer(
            overview.youth_work_cells(store_as(config, role), res, filters)
        )
    levels = _layer_counts(fingerprint, version, role, layer, res, filters)
    drawn = {
        "incidents": layers.incident_layer_from,
        "missing": layers.missing_layer_from,
        "ed_assaults": layers.ed_assault_layer_from,
    }[layer]
    return drawn(levels, res, config)


@cache_resource(show_spinner=False, max_entries=128)
def _named_overview_layer(
    fingerprint: str, version: str, role: str, layer: str, res: int, filters: Filters
) -> HexLayer:
    store = store_as(get_config(), role)  # names come from public sources only
    return layers.named_layer(
        _overview_layer(fingerprint, version, role, layer, res, filters), store
    )


def overview_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's hex layers after disclosure control for ``role``: incidents,
    missing found / last seen, youth-work coverage and A&E assaults (empty when no
    emergency department feed is loaded: pages leave it out and say so).

    Found / last-seen places, youth-work coverage and A&E assaults are drawn at
    resolution 9 at the finest. Each layer is cached on its own, once for every choice
    of incident categories where they do not bear on it."""
    return tuple(
        _overview_layer(
            fingerprint, version, role, x, _shown_res(x, res), layer_filters(x, filters)
        )
        for x in OVERVIEW_LAYERS
    )


def overview_map_layers(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> tuple[HexLayer, ...]:
    """The Overview's layers for the map: each hexagon's tooltip led by its place name."""
    return tuple(
        _named_overview_layer(
            fingerprint, version, role, x, _shown_res(x, res), layer_filters(x, filters)
        )
        for x in OVERVIEW_LAYERS
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
