"""Cached wrappers of the Recurring locations page: the ranking and its map layer, the
Knox near-repeat test, near-repeat chains and clusters."""

from __future__ import annotations

import pandas as pd

from geo.core import hexes
from geo.core.filters import Filters
from geo.disclosure import as_role
from geo.lenses.clusters import clusters_for_period, event_cells
from geo.lenses.recurring import (
    NEAR_REPEAT_NOUNS,
    RankingSettings,
    knox_for_window,
    month_precision_note,
    near_repeat_chain_table,
    rank_recurring_locations,
    untimed_in_window,
)
from geo.render import layers
from geo.render.hexlayer import HexLayer
from geo.stats.knox import KnoxResult
from geo.stats.knox_verdict import verdict
from ui.cache.base import cache_data, get_area, get_config, get_store, store_as

__all__ = [
    "cell_ranking_row",
    "chains",
    "cluster_map_layer",
    "knox",
    "knox_verdict",
    "ranking_layer",
    "recurring",
    "untimed_note",
]


@cache_data(show_spinner="Ranking recurring locations…", max_entries=16)
def recurring(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> pd.DataFrame:
    """The recurring-location ranking (reasons disclosure-controlled for the partnership)."""
    config = get_config()
    settings = RankingSettings(
        res=res, min_count=config.disclosure.min_count, exact_counts=as_role(role).sees_exact_counts
    )
    ranking = rank_recurring_locations(store_as(config, role), get_area(config), filters, settings)
    if as_role(role).is_published_to:
        ranking = layers.hot_cells_table(ranking, role, res, config)
    return ranking


@cache_data(show_spinner=False, max_entries=16)
def ranking_layer(
    fingerprint: str, version: str, role: str, res: int, filters: Filters, top: int
) -> HexLayer:
    """The top of the ranking as a map layer (score as colour, rank and reason as label)."""
    return layers.ranking_layer_from(recurring(fingerprint, version, role, res, filters), top)


def cell_ranking_row(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> dict[str, object] | None:
    """The recurring-location ranking's entry for ``cell`` (or the place it is part of)."""
    res = int(hexes.cell_resolution(hexes.str_to_cells([cell]))[0])
    try:
        ranking = recurring(fingerprint, version, role, res, filters)
    except ValueError:
        return None
    for row in ranking.to_dict("records"):
        if row["cell"] == cell or cell in row.get("part_of", []):
            return {str(k): v for k, v in row.items()}
    return None


@cache_data(show_spinner="Testing for near repeats…", max_entries=16)
def knox(
    fingerprint: str, version: str, role: str, filters: Filters, layer: str = "incidents"
) -> KnoxResult | None:
    """The Knox test on the records of ``layer`` (incidents or A&E assaults) with a time
    of day in the window (None if too few)."""
    return knox_for_window(store_as(get_config(), role), filters, layer=layer)


def knox_verdict(
    fingerprint: str, version: str, role: str, filters: Filters, layer: str = "incidents"
) -> str:
    """The plain-English verdict of :func:`knox`."""
    result = knox(fingerprint, version, role, filters, layer)
    return "" if result is None else verdict(result, events=NEAR_REPEAT_NOUNS[layer])


@cache_data(show_spinner=False, max_entries=64)
def untimed_note(fingerprint: str, version: str, role: str, filters: Filters) -> str:
    """How many incidents in the window are known only to the month, and why they are left
    out of timed analyses ("" when none)."""
    return month_precision_note(untimed_in_window(store_as(get_config(), role), filters))


@cache_data(show_spinner=False, max_entries=16)
def chains(
    fingerprint: str, version: str, res: int, filters: Filters, layer: str = "incidents"
) -> pd.DataFrame:
    """Near-repeat chains of ``layer``'s records in the window (analysts only)."""
    return near_repeat_chain_table(get_store(get_config()), filters, res, layer=layer)


@cache_data(show_spinner="Finding clusters…", max_entries=16)
def cluster_map_layer(
    fingerprint: str, version: str, role: str, res: int, filters: Filters
) -> HexLayer | None:
    """Monthly HDBSCAN clusters matched into tracks, as the role may see them."""
    config = get_config()
    events = event_cells(store_as(config, role), filters)
    try:
        result = clusters_for_period(events, analysis_res=res)
    except ValueError:  # too few events
        return None
    return layers.cluster_layer(result, role, res, config)
