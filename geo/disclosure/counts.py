"""Counts per cell and headline figures as a role may see them.

For the partnership role, counts are controlled jointly over every resolution the role may
choose and the layer's total (so no withheld cell can be found by differencing
resolutions or the headline figure), and the headline figures are protected as one
hierarchy. Analysts get the exact figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.core.config import Config
from geo.core.filters import Filters
from geo.core.roles import Role
from geo.disclosure import (
    DisclosedLevels,
    allowed_resolutions,
    check_resolution,
    disclose_levels,
    protect_hierarchy,
    publish_counts,
    small_counts,
    store_for,
)
from geo.store import queries as overview
from geo.store.database import Store

__all__ = ["disclosed_counts", "disclosed_kpis", "few_children"]


def few_children(counts: pd.DataFrame, min_count: int) -> np.ndarray:
    """Which cells' distinct children number 1 to ``min_count - 1``."""
    children = counts["children"].to_numpy(dtype=float)
    return small_counts(children, min_count)


def disclosed_counts(
    store: Store, layer: str, role: str, res: int, filters: Filters, config: Config
) -> DisclosedLevels:
    """Counts of ``layer`` (``incidents``, ``missing`` or ``ed_assaults``) at ``res`` for
    ``role``.

    For the partnership role the counts are controlled jointly over every
    resolution it may choose and the layer's total, so that no withheld cell can be
    found by differencing resolutions or the headline figure. The total counts every
    event in the period, with a cell or not (missing episodes with no found location,
    A&E assaults at a private home or not placed): those without a cell are one
    always-withheld part of it.
    """
    store = store_for(store, role, config)
    d = config.disclosure
    check_resolution(role, res, config)
    if role == Role.PARTNERSHIP:
        resolutions = sorted(set(allowed_resolutions(role, config)) | {res})
    else:
        resolutions = [res]
    if layer == "incidents":
        counts = {r: overview.incident_counts(store, r, filters) for r in resolutions}
        extra = None
    elif layer == "missing":
        counts = {r: overview.missing_found_counts(store, r, filters) for r in resolutions}
        extra = {r: few_children(c, d.min_count) for r, c in counts.items()}
    elif layer == "ed_assaults":
        counts = {r: overview.ed_assault_counts(store, r, filters) for r in resolutions}
        extra = None
    else:
        raise ValueError("layer must be 'incidents', 'missing' or 'ed_assaults'")
    total, total_key = overview.layer_total_and_key(store, layer, filters)
    return disclose_levels(counts, float(total), role, config, extra, total_key=total_key)


def disclosed_kpis(store: Store, role: str, filters: Filters, config: Config) -> pd.DataFrame:
    """Headline figures for the period and the previous equal period, as ``role`` may see them.

    For the partnership role the incident and missing-episode totals are the totals
    of the jointly controlled layers (:func:`disclosed_counts`); other counts of 1 to
    ``min_count - 1`` are withheld. Knife crime, harmful sexual behaviour and the
    (never shown) other incidents add up to the incident total, so they are protected
    as one more hierarchy under it (:func:`geo.disclosure.protect_hierarchy`): e.g. a
    total of 8 beside 7 harmful-sexual-behaviour incidents would otherwise pin a
    withheld knife-crime figure to 1. Withheld figures are NaN.
    """
    store = store_for(store, role, config)
    exact, key_sums = overview.kpis_with_keys(store, filters)
    if role != Role.PARTNERSHIP:
        return exact
    d = config.disclosure
    out = exact.astype(float).copy()
    for column, f in (("current", filters), ("previous", filters.previous())):
        for layer, key in (("incidents", "incidents"), ("missing", "missing_episodes")):
            levels = disclosed_counts(store, layer, role, d.partnership_max_resolution, f, config)
            out.loc[key, column] = np.nan if levels.total is None else levels.total
        col = exact[column].astype(float)
        if 1 <= col["children_missing"] < d.min_count:
            out.loc["children_missing", column] = np.nan
        parts = np.array(
            [
                col["knife_crime"],
                col["harmful_sexual_behaviour"],
                col["incidents"] - col["knife_crime"] - col["harmful_sexual_behaviour"],
            ]
        )
        # "other incidents" is never shown; treating it as known unless it is small
        # only makes the protection stricter
        small = small_counts(parts, d.min_count)
        held, total_held = protect_hierarchy(
            [parts],
            [small],
            [np.zeros(3, dtype=np.int64)],
            float(col["incidents"]),
            bool(np.isnan(float(out[column]["incidents"]))),
            d.min_count,
        )
        keys = key_sums[column]
        for key, h in zip(("knife_crime", "harmful_sexual_behaviour"), held[0][:2], strict=True):
            value = np.nan if h else float(col[key])
            shown = publish_counts(np.array([value]), np.array([keys[key]]), config)
            out.loc[key, column] = shown[0]
        children = float(out[column]["children_missing"])
        out.loc["children_missing", column] = publish_counts(
            np.array([children]), np.array([keys["children_missing"]]), config
        )[0]
        if total_held:
            out.loc["incidents", column] = np.nan
    return out
