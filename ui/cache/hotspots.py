"""Cached wrappers of the Hot spots page: the Gi* and emerging hot spot report, its map
layers after disclosure control, and one cell's hot spot history (the Location profile)."""

from __future__ import annotations

import functools
from typing import Any, cast

import pandas as pd

from geo.core import hexes
from geo.core.filters import Filters
from geo.lenses.hotspot_report import HotspotReport, run_trend_hotspots
from geo.render import layers
from geo.render.hexlayer import HexLayer
from geo.stats.emerging import describe_category
from geo.store.cube import layer_filters
from ui.cache.base import (
    F,
    cache_data,
    cache_resource,
    get_area,
    get_config,
    months,
    store_as,
)

__all__ = ["cell_hotspot_history", "hotspot_layers", "hotspot_report"]


def _per_layer_filters(cached: F) -> F:
    """``cached(fingerprint, version, role, layer, res, filters, ...)`` called with only
    the filters that bear on ``layer`` (:func:`geo.store.cube.layer_filters`), so that
    it is worked out once for every choice of incident categories where they do not
    bear on the layer."""

    @functools.wraps(cached)
    def call(
        fingerprint: str, version: str, role: str, layer: str, res: int, filters: Filters,
        *rest: Any,
    ) -> Any:  # fmt: skip
        return cached(fingerprint, version, role, layer, res, layer_filters(layer, filters), *rest)

    return cast(F, call)


@_per_layer_filters
@cache_data(show_spinner="Running hot spot analysis…", max_entries=32)
def hotspot_report(
    fingerprint: str,
    version: str,
    role: str,
    layer: str,
    res: int,
    filters: Filters,
    k: int = 1,
    fdr: bool = True,
) -> HotspotReport:
    """Gi* over the chosen period and emerging hot spots over the trend window ending with
    it (:func:`geo.lenses.hotspot_report.trend_window`, month by month, worked out at
    :data:`~geo.lenses.hotspot_report.TREND_RESOLUTION` and shown at ``res``): exact results on
    the store ``role``'s analyses run on; pages pass them through the disclosure-controlled
    layers. Cached once for every choice of incident categories where they do not bear on
    ``layer``."""
    config = get_config()
    return run_trend_hotspots(
        store_as(config, role),
        get_area(config),
        layer,
        res,
        filters,
        months(fingerprint, version),
        k,
        fdr,
    )


# the same layer objects every run (no copy per hit), so their packed form is remembered
@_per_layer_filters
@cache_resource(show_spinner=False, max_entries=32)
def hotspot_layers(
    fingerprint: str,
    version: str,
    role: str,
    layer: str,
    res: int,
    filters: Filters,
    k: int = 1,
    fdr: bool = True,
) -> tuple[HexLayer | None, HexLayer | None]:
    """The Gi* and emerging hot spot map layers after disclosure control for ``role``
    (cached like :func:`hotspot_report`)."""
    report = hotspot_report(fingerprint, version, role, layer, res, filters, k, fdr)
    config = get_config()
    store = store_as(config, role)  # names come from public sources only
    gi = layers.gi_layer(report.gi, role, res, config) if report.gi is not None else None
    em = None
    if report.emerging is not None:
        em = layers.emerging_layer(
            report.emerging.cells, report.periods, report.period, role, res, config
        )
    return (
        None if gi is None else layers.named_layer(gi, store),
        None if em is None else layers.named_layer(em, store),
    )


def cell_hotspot_history(
    fingerprint: str, version: str, role: str, cell: str, filters: Filters
) -> tuple[str, pd.DataFrame] | None:
    """A cell's emerging hot spot category sentence and its per-month significance bins
    (from the incidents cube at the cell's resolution), or None when not available."""
    res = int(hexes.cell_resolution(hexes.str_to_cells([cell]))[0])
    report = hotspot_report(fingerprint, version, role, "incidents", res, filters)
    if report.emerging is None or cell not in report.emerging.cells.index:
        return None
    row = pd.Series(report.emerging.cells.loc[cell])
    sentence = f"{row['category']}: " + describe_category(row, report.periods, "month")
    bins = pd.Series(report.emerging.bins.loc[cell], name="hot (+) / cold (-) confidence, 1-3")
    return sentence, bins.to_frame()
