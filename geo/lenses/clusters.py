"""Clusters of events per period from the store, and their persistence (a lens).

DESIGN §5 "Clustering". The statistics — weighted HDBSCAN of storage-cell centres in
EPSG:27700 metres and the matching of clusters by overlap — are arrays in, arrays out in
:mod:`geo.stats.clustering`; this module reads the events from the store, clusters every
period and the whole window, and assembles the tables the pages show.

* :func:`event_cells` — events per storage cell and period from the store.
* :func:`clusters_for_period` — one clustering per period plus one of the whole
  window, clusters matched into persistent tracks.
* :meth:`ClusterResult.outlines` — cluster outlines for analysts (EPSG:4326 polygons).

Persistence
-----------
Each period is clustered on its own. A cluster's footprint is the set of
analysis-resolution cells (default 9) of its members. Clusters of consecutive periods
whose footprints overlap with Jaccard index >= 0.2
(:data:`~geo.stats.clustering.JACCARD_THRESHOLD`) are matched greedily, best overlap
first and one to one, and share a track id; persistence is the number of periods a
track appears in. Without the membership strength rule
(:data:`~geo.stats.clustering.MIN_STRENGTH`) the footprints swing with the background
noise from month to month and the demo's planted persistent hot spots break into several
tracks.

The module is a little over ~600 lines because it is one topic: the result tables of
one clustering run and their assembly (:func:`_assemble`) belong together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.core import hexes
from geo.core.area import cells_to_bng, from_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters
from geo.core.schema import INCIDENT_CATEGORIES
from geo.stats.clustering import (
    JACCARD_THRESHOLD,
    MIN_STRENGTH,
    NOISE,
    FloatArray,
    IntArray,
    cell_edge_m,
    cell_spacing_m,
    cluster_points_with_strength,
    default_min_cluster_size,
    match_clusters,
)
from geo.store.cube import CUBE_LAYERS, Period, period_labels
from geo.store.database import Store
from geo.store.queries import category_sql

__all__ = [
    "ANALYSIS_RESOLUTION",
    "ClusterParams",
    "ClusterResult",
    "clusters_for_period",
    "event_cells",
]

#: Default analysis resolution of footprints and of the membership table.
ANALYSIS_RESOLUTION: Final = 9


def _check_cells(cells: npt.NDArray[np.uint64]) -> None:
    """Raise ValueError unless every integer is a valid H3 cell."""
    try:
        ok = np.array_equal(hexes.str_to_cells(hexes.cells_to_str(cells)), cells)
    except (ValueError, TypeError, OverflowError):
        ok = False
    if not ok:
        raise ValueError("cell must hold valid H3 cells (uint64)")


# --- store access ---------------------------------------------------------------------------


def event_cells(
    store: Store,
    filters: Filters,
    *,
    categories: Sequence[str] | None = None,
    layer: str = "incidents",
    period: Period = "month",
) -> pd.DataFrame:
    """Events per storage cell and period.

    Parameters
    ----------
    store : Store
        The data.
    filters : Filters
        Month range; its categories apply to incident layers unless ``categories``
        is given.
    categories : sequence of str, optional
        Canonical incident categories (overrides ``filters.categories``; empty = all).
    layer : str
        One of :data:`geo.store.cube.CUBE_LAYERS` (``incidents``, ``missing`` — found/last-seen
        cells — or ``knife_crime``).
    period : {"month", "quarter"}
        Length of a period; quarters are whole calendar quarters overlapping the range.

    Returns
    -------
    DataFrame
        ``cell`` (uint64 storage cell), ``period`` (ordered categorical of every period
        label in the range, ``2024-03`` or ``2024Q1``, empty periods included) and
        ``events`` (int64). Events without a cell are left out.
    """
    if layer not in CUBE_LAYERS:
        raise ValueError(f"layer must be one of {sorted(CUBE_LAYERS)}")
    if period not in ("month", "quarter"):
        raise ValueError("period must be 'month' or 'quarter'")
    table, time_col, extra_sql = CUBE_LAYERS[layer]
    cats = tuple(filters.categories if categories is None else categories)
    unknown = sorted(set(cats) - set(INCIDENT_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown incident categories: {unknown}")
    cat_sql, cat_params = category_sql(cats) if table == "incidents" else ("", [])
    labels = period_labels(filters, period)
    freq = "M" if period == "month" else "Q"
    start = pd.Period(labels[0], freq=freq).start_time
    end = (pd.Period(labels[-1], freq=freq) + 1).start_time
    rows = store.query(
        f"SELECT cell, date_trunc('{period}', {time_col}) AS p, count(*) AS events "
        f"FROM {table} WHERE {time_col} >= ? AND {time_col} < ?{extra_sql}{cat_sql} "
        "AND cell IS NOT NULL GROUP BY 1, 2 ORDER BY 2, 1",
        [start, end, *cat_params],
    )
    plabels = pd.PeriodIndex(pd.to_datetime(rows["p"]), freq=freq).astype(str)
    return pd.DataFrame(
        {
            "cell": rows["cell"].to_numpy(dtype=np.uint64),
            "period": pd.Categorical(plabels, categories=labels, ordered=True),
            "events": rows["events"].to_numpy(dtype=np.int64),
        }
    )


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterParams:
    """Parameters a :class:`ClusterResult` was computed with (all counts in events)."""

    min_cluster_size: int
    min_samples: int
    window_min_cluster_size: int
    window_min_samples: int
    analysis_res: int
    storage_res: int
    resolution_m: float
    jaccard: float
    max_gap: int
    min_strength: float
    cut_m: float | None
    seed: int
    periods: tuple[str, ...]


@dataclass(frozen=True)
class ClusterResult:
    """Clusters per period, their tracks across periods, and the whole-window clusters.

    Cells are H3 hex strings. Coordinates are WGS84 (EPSG:4326) degrees, computed as
    event-weighted means of storage-cell centres in EPSG:27700 metres.

    Attributes
    ----------
    clusters : DataFrame
        One row per track and period: ``track``, ``period``, ``label`` (the period's
        HDBSCAN label), ``events``, ``cells`` (storage cells), ``analysis_cells``
        (the footprint matched across periods: cells at the analysis resolution),
        ``lat``, ``lng``, ``persistence``.
    tracks : DataFrame
        One row per track: ``track``, ``first``, ``last``, ``persistence`` (number of
        periods the track appears in), ``events``, ``cells`` (distinct storage cells
        over all its periods), ``lat``, ``lng``.
    membership : DataFrame
        Analysis-resolution cells in tracks: ``cell``, ``track``, ``periods`` (number of
        periods the cell was in the track's cluster). Only these hex cells, never storage
        cells, are meant for the partnership view (after disclosure control).
    cells : DataFrame
        Per storage cell and period: ``cell``, ``period``, ``events``, ``label``,
        ``strength`` (HDBSCAN membership strength, 0 to 1) and ``track`` (-1 for noise).
    window_clusters : DataFrame
        The whole-window clustering: ``label``, ``events``, ``cells``,
        ``analysis_cells``, ``lat``, ``lng``.
    window_cells : DataFrame
        Per storage cell over the window: ``cell``, ``events``, ``label``, ``strength``.
    window_membership : DataFrame
        Analysis cells in whole-window clusters: ``cell``, ``label``, ``events``.
    params : ClusterParams
    """

    clusters: pd.DataFrame
    tracks: pd.DataFrame
    membership: pd.DataFrame
    cells: pd.DataFrame
    window_clusters: pd.DataFrame
    window_cells: pd.DataFrame
    window_membership: pd.DataFrame
    params: ClusterParams

    def outlines(
        self, level: Literal["track", "window"] = "track", concave_ratio: float | None = 0.3
    ) -> pd.Series:
        """Outline polygons of tracks (or whole-window clusters) for analysts.

        The hull of the member storage-cell centres (over all of a track's periods),
        computed in EPSG:27700 metres — ``shapely.concave_hull(ratio=concave_ratio)``, or
        the convex hull when ``concave_ratio`` is None — buffered by one storage-cell
        edge (half a cell, corner to centre, so member cells lie inside), then
        projected to EPSG:4326.

        Returns
        -------
        Series of shapely Polygon
            Indexed by track id (or window label), lng/lat order, EPSG:4326.
        """
        if concave_ratio is not None and not 0 <= concave_ratio <= 1:
            raise ValueError("concave_ratio must be in [0, 1] or None")
        if level == "track":
            members = self.cells.loc[self.cells["track"] >= 0, ["cell", "track"]]
            key = members["track"].to_numpy(dtype=np.int64)
        elif level == "window":
            members = self.window_cells.loc[self.window_cells["label"] >= 0, ["cell", "label"]]
            key = members["label"].to_numpy(dtype=np.int64)
        else:
            raise ValueError("level must be 'track' or 'window'")
        name = "track" if level == "track" else "label"
        if members.empty:
            return pd.Series([], index=pd.Index([], name=name), dtype=object, name="geometry")
        cells = hexes.str_to_cells(members["cell"])
        x, y = cells_to_bng(cells)
        buffer_m = cell_edge_m(self.params.storage_res)
        keys = np.unique(key)
        geoms: list[object] = []
        for k in keys:
            sel = key == k
            pts = shapely.multipoints(np.unique(np.column_stack([x[sel], y[sel]]), axis=0))
            hull = (
                shapely.convex_hull(pts)
                if concave_ratio is None
                else shapely.concave_hull(pts, ratio=concave_ratio)
            )
            shape = shapely.buffer(hull, buffer_m)
            outline = shapely.transform(shape, _bng_to_lnglat)
            geoms.append(outline if shapely.is_valid(outline) else shapely.make_valid(outline))
        return pd.Series(geoms, index=pd.Index(keys, name=name), dtype=object, name="geometry")


def _bng_to_lnglat(coords: FloatArray) -> FloatArray:
    lng, lat = from_bng(coords[:, 0], coords[:, 1])
    return np.column_stack([lng, lat])


def _summaries(
    group: IntArray, events: IntArray, x: FloatArray, y: FloatArray, footprint: IntArray
) -> pd.DataFrame:
    """Per group: events, storage cells, footprint size, weighted centroid (lat, lng)."""
    frame = pd.DataFrame(
        {"g": group, "w": events, "wx": events * x, "wy": events * y, "fp": footprint}
    )
    agg = frame.groupby("g").agg(
        events=("w", "sum"),
        cells=("w", "size"),
        analysis_cells=("fp", "nunique"),
        wx=("wx", "sum"),
        wy=("wy", "sum"),
    )
    lng, lat = from_bng(agg["wx"] / agg["events"], agg["wy"] / agg["events"])
    out = agg[["events", "cells", "analysis_cells"]].astype(np.int64)
    out["lat"] = lat
    out["lng"] = lng
    return out


def clusters_for_period(
    events: pd.DataFrame,
    min_cluster_size: int | None = None,
    min_samples: int | None = None,
    seed: int = 0,
    *,
    analysis_res: int = ANALYSIS_RESOLUTION,
    jaccard_threshold: float = JACCARD_THRESHOLD,
    max_gap: int = 0,
    min_strength: float = MIN_STRENGTH,
    cut_m: float | None = None,
    periods: Sequence[str] | None = None,
    window_min_cluster_size: int | None = None,
    window_min_samples: int | None = None,
) -> ClusterResult:
    """Cluster each period's events, match clusters into tracks, and cluster the window.

    Parameters
    ----------
    events : DataFrame
        ``cell`` (uint64 storage cells, all one resolution), ``period`` (label) and
        optionally ``events`` (count per row, default 1) — as :func:`event_cells` returns.
    min_cluster_size, min_samples : int, optional
        Per-period HDBSCAN parameters in events (see
        :func:`~geo.stats.clustering.cluster_points`). Default
        :func:`~geo.stats.clustering.default_min_cluster_size` of the median events per
        non-empty period (one value for every period, so that clusters of different
        periods are comparable); ``min_samples`` defaults to ``min_cluster_size``.
    seed : int
        Recorded (the method has no random step).
    analysis_res : int
        Resolution of the footprints (parents of storage cells) used for matching and
        for :attr:`ClusterResult.membership`; 7 to 10, coarser than the storage cells.
    jaccard_threshold : float
        A cluster continues a track when the Jaccard overlap of their footprints is at
        least this (default 0.2). Greedy best match, one to one
        (:func:`~geo.stats.clustering.match_clusters`).
    max_gap : int
        Periods a track may be absent and still continue (0, the default: only
        consecutive periods match). The footprint matched is the track's latest.
    min_strength : float
        Passed to :func:`~geo.stats.clustering.cluster_points`: weakly attached members
        are noise (default 0.5). It also keeps footprints stable from period to period.
    cut_m : float, optional
        Passed to :func:`~geo.stats.clustering.cluster_points` (a fixed-distance cut
        instead of HDBSCAN's selection), for every period and the window.
    periods : sequence of str, optional
        Period labels in time order (default: the categories of an ordered categorical
        ``period`` column, else the sorted labels present).
    window_min_cluster_size, window_min_samples : int, optional
        The same for the whole-window clustering; default
        :func:`~geo.stats.clustering.default_min_cluster_size` of the window's events.

    Returns
    -------
    ClusterResult

    Raises
    ------
    InsufficientDataError
        The whole window has too few events to cluster. Periods that are too small
        on their own simply have no clusters.
    """
    missing = {"cell", "period"} - set(events.columns)
    if missing:
        raise ValueError(f"events needs columns {sorted(missing)}")
    if analysis_res not in (7, 8, 9, 10):
        raise ValueError("analysis_res must be 7, 8, 9 or 10")
    if max_gap < 0:
        raise ValueError("max_gap must be 0 or more")
    if not 0 < jaccard_threshold <= 1:
        raise ValueError("jaccard_threshold must be in (0, 1]")
    if not 0 <= min_strength <= 1:
        raise ValueError("min_strength must be in [0, 1]")
    if events.empty:
        raise InsufficientDataError("there are no events to cluster")
    cells_in = events["cell"].to_numpy(dtype=np.uint64)
    _check_cells(np.unique(cells_in))
    res_all = np.unique(hexes.cell_resolution(cells_in))
    if res_all.size != 1:
        raise ValueError("all storage cells must have one resolution")
    storage_res = int(res_all[0])
    if storage_res <= analysis_res:
        raise ValueError("analysis_res must be coarser than the storage cells")
    counts = (
        events["events"].to_numpy(dtype=np.int64)
        if "events" in events.columns
        else np.ones(len(events), dtype=np.int64)
    )
    if (counts < 1).any():
        raise ValueError("events counts must be at least 1")
    if periods is None:
        col = events["period"]
        if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.ordered:
            periods = [str(p) for p in col.cat.categories]
        else:
            periods = sorted(col.astype(str).unique())
    labels_order = [str(p) for p in periods]
    if len(set(labels_order)) != len(labels_order):
        raise ValueError("periods must be distinct")
    period_idx = pd.Index(labels_order).get_indexer(pd.Index(events["period"].astype(str)))
    if (period_idx < 0).any():
        raise ValueError("events has periods that are not in periods")

    # Aggregate to one row per (period, storage cell).
    agg = (
        pd.DataFrame({"p": period_idx, "cell": cells_in, "n": counts})
        .groupby(["p", "cell"], sort=True)["n"]
        .sum()
        .reset_index()
    )
    p_arr = agg["p"].to_numpy(dtype=np.int64)
    c_arr = agg["cell"].to_numpy(dtype=np.uint64)
    n_arr = agg["n"].to_numpy(dtype=np.int64)
    ucells, inv = np.unique(c_arr, return_inverse=True)
    ux, uy = cells_to_bng(ucells)
    uparent = hexes.cells_to_parent(ucells, analysis_res)
    resolution_m = cell_spacing_m(storage_res)

    per_period = np.bincount(p_arr, weights=n_arr, minlength=len(labels_order))
    nonempty = per_period[per_period > 0]
    mcs = (
        default_min_cluster_size(int(np.median(nonempty)))
        if min_cluster_size is None
        else int(min_cluster_size)
    )
    ms = mcs if min_samples is None else int(min_samples)

    # Whole window.
    win = pd.DataFrame({"u": inv, "n": n_arr}).groupby("u", sort=True)["n"].sum()
    win_u = win.index.to_numpy(dtype=np.int64)
    win_n = win.to_numpy(dtype=np.int64)
    win_mcs = (
        default_min_cluster_size(int(win_n.sum()))
        if window_min_cluster_size is None
        else int(window_min_cluster_size)
    )
    win_ms = win_mcs if window_min_samples is None else int(window_min_samples)
    win_labels, win_strength = cluster_points_with_strength(
        ux[win_u], uy[win_u], win_n, win_mcs, win_ms, seed,
        resolution_m=resolution_m, cut_m=cut_m, min_strength=min_strength,
    )  # fmt: skip

    # Each period, then matching.
    period_labels_arr = np.full(p_arr.size, NOISE, dtype=np.int64)
    strength_arr = np.zeros(p_arr.size, dtype=np.float64)
    track_arr = np.full(p_arr.size, NOISE, dtype=np.int64)
    last_seen: dict[int, tuple[int, npt.NDArray[np.uint64]]] = {}
    next_track = 1
    for t in range(len(labels_order)):
        rows = np.flatnonzero(p_arr == t)
        if rows.size == 0 or int(n_arr[rows].sum()) < 2 * mcs:
            continue
        lab, strength = cluster_points_with_strength(
            ux[inv[rows]], uy[inv[rows]], n_arr[rows], mcs, ms, seed,
            resolution_m=resolution_m, cut_m=cut_m, min_strength=min_strength,
        )  # fmt: skip
        period_labels_arr[rows] = lab
        strength_arr[rows] = strength
        footprints = {
            int(c): np.unique(uparent[inv[rows[lab == c]]]) for c in np.unique(lab[lab >= 0])
        }
        active = {k: fp for k, (when, fp) in last_seen.items() if t - when <= max_gap + 1}
        matched = match_clusters(active, footprints, jaccard_threshold)
        for c in sorted(footprints):
            if c in matched:
                track = matched[c]
            else:
                track = next_track
                next_track += 1
            track_arr[rows[lab == c]] = track
            last_seen[track] = (t, footprints[c])

    return _assemble(
        labels_order=labels_order,
        p_arr=p_arr,
        inv=inv,
        n_arr=n_arr,
        ucells=ucells,
        ux=ux,
        uy=uy,
        uparent=uparent,
        period_labels_arr=period_labels_arr,
        track_arr=track_arr,
        strength_arr=strength_arr,
        win_u=win_u,
        win_n=win_n,
        win_labels=win_labels,
        win_strength=win_strength,
        params=ClusterParams(
            min_cluster_size=mcs,
            min_samples=ms,
            window_min_cluster_size=win_mcs,
            window_min_samples=win_ms,
            analysis_res=analysis_res,
            storage_res=storage_res,
            resolution_m=resolution_m,
            jaccard=float(jaccard_threshold),
            max_gap=int(max_gap),
            min_strength=float(min_strength),
            cut_m=cut_m,
            seed=int(seed),
            periods=tuple(labels_order),
        ),
    )


def _assemble(
    *,
    labels_order: list[str],
    p_arr: IntArray,
    inv: IntArray,
    n_arr: IntArray,
    ucells: npt.NDArray[np.uint64],
    ux: FloatArray,
    uy: FloatArray,
    uparent: npt.NDArray[np.uint64],
    period_labels_arr: IntArray,
    track_arr: IntArray,
    strength_arr: FloatArray,
    win_u: IntArray,
    win_n: IntArray,
    win_labels: IntArray,
    win_strength: FloatArray,
    params: ClusterParams,
) -> ClusterResult:
    ustr = hexes.cells_to_str(ucells)
    pstr = np.asarray(labels_order, dtype=object)
    cells = pd.DataFrame(
        {
            "cell": ustr[inv],
            "period": pd.Categorical(pstr[p_arr], categories=labels_order, ordered=True),
            "events": n_arr,
            "label": period_labels_arr,
            "strength": strength_arr,
            "track": track_arr,
        }
    )

    # Per track and period.
    inc = track_arr >= 0
    n_periods = len(labels_order)
    key = track_arr[inc] * n_periods + p_arr[inc]
    summ = _summaries(key, n_arr[inc], ux[inv[inc]], uy[inv[inc]], uparent[inv[inc]].view(np.int64))
    tp = summ.index.to_numpy(dtype=np.int64)
    first_row = pd.Series(period_labels_arr[inc]).groupby(key).first()
    clusters = pd.DataFrame(
        {
            "track": tp // n_periods,
            "period": pd.Categorical(pstr[tp % n_periods], categories=labels_order, ordered=True),
            "label": first_row.reindex(tp).to_numpy(dtype=np.int64),
            "events": summ["events"].to_numpy(),
            "cells": summ["cells"].to_numpy(),
            "analysis_cells": summ["analysis_cells"].to_numpy(),
            "lat": summ["lat"].to_numpy(),
            "lng": summ["lng"].to_numpy(),
        }
    )
    persistence = clusters.groupby("track")["period"].size()
    clusters["persistence"] = persistence.reindex(clusters["track"]).to_numpy(dtype=np.int64)

    # Per track over all its periods.
    tracks_cols = ["track", "first", "last", "persistence", "events", "cells", "lat", "lng"]
    if inc.any():
        ts = _summaries(
            track_arr[inc], n_arr[inc], ux[inv[inc]], uy[inv[inc]], uparent[inv[inc]].view(np.int64)
        )
        distinct = pd.DataFrame({"t": track_arr[inc], "c": inv[inc]}).groupby("t")["c"].nunique()
        span = clusters.groupby("track")["period"].agg(["min", "max"])
        tracks = pd.DataFrame(
            {
                "track": ts.index.to_numpy(dtype=np.int64),
                "first": span["min"].astype(str).reindex(ts.index).to_numpy(),
                "last": span["max"].astype(str).reindex(ts.index).to_numpy(),
                "persistence": persistence.reindex(ts.index).to_numpy(dtype=np.int64),
                "events": ts["events"].to_numpy(),
                "cells": distinct.reindex(ts.index).to_numpy(dtype=np.int64),
                "lat": ts["lat"].to_numpy(),
                "lng": ts["lng"].to_numpy(),
            }
        )
    else:
        tracks = pd.DataFrame({c: pd.Series(dtype=object) for c in tracks_cols})

    # Analysis cells per track: in how many periods each was in the track's cluster.
    memb = (
        pd.DataFrame({"parent": uparent[inv[inc]], "track": track_arr[inc], "p": p_arr[inc]})
        .drop_duplicates()
        .groupby(["parent", "track"], sort=True)["p"]
        .size()
        .reset_index(name="periods")
    )
    membership = pd.DataFrame(
        {
            "cell": hexes.cells_to_str(memb["parent"].to_numpy(dtype=np.uint64)),
            "track": memb["track"].to_numpy(dtype=np.int64),
            "periods": memb["periods"].to_numpy(dtype=np.int64),
        }
    )

    # Whole window.
    window_cells = pd.DataFrame(
        {"cell": ustr[win_u], "events": win_n, "label": win_labels, "strength": win_strength}
    )
    wi = win_labels >= 0
    if wi.any():
        ws = _summaries(
            win_labels[wi],
            win_n[wi],
            ux[win_u[wi]],
            uy[win_u[wi]],
            uparent[win_u[wi]].view(np.int64),
        )
        window_clusters = ws.reset_index(names="label")
    else:
        window_clusters = pd.DataFrame(
            {
                c: pd.Series(dtype=object)
                for c in ("label", "events", "cells", "analysis_cells", "lat", "lng")
            }
        )
    wm = (
        pd.DataFrame({"parent": uparent[win_u[wi]], "label": win_labels[wi], "n": win_n[wi]})
        .groupby(["parent", "label"], sort=True)["n"]
        .sum()
        .reset_index()
    )
    window_membership = pd.DataFrame(
        {
            "cell": hexes.cells_to_str(wm["parent"].to_numpy(dtype=np.uint64)),
            "label": wm["label"].to_numpy(dtype=np.int64),
            "events": wm["n"].to_numpy(dtype=np.int64),
        }
    )
    return ClusterResult(
        clusters=clusters.sort_values(["track", "period"], ignore_index=True),
        tracks=tracks,
        membership=membership,
        cells=cells,
        window_clusters=window_clusters,
        window_cells=window_cells,
        window_membership=window_membership,
        params=params,
    )
