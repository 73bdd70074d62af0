"""Near-repeat chains: events linked by being close in space and time (DESIGN §5).

* :func:`near_repeat_chains` — events less than a distance and at most a number of days
  apart are linked; a chain is a connected component of at least 2 events.
* :func:`chain_summary` — one row per chain.

Coordinates are British National Grid metres (EPSG:27700); distances are Euclidean,
``d = hypot(x_i - x_j, y_i - y_j)``. Times are whole day numbers (for example days
since 1970-01-01); the time between two events is ``Δ = |day_i - day_j|`` in whole days.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from geo.stats.event_pairs import close_pairs, event_coords

__all__ = [
    "CHAIN_SUMMARY_COLUMNS",
    "chain_summary",
    "near_repeat_chains",
]

#: Column names of :func:`chain_summary`.
CHAIN_SUMMARY_COLUMNS: Final = (
    "chain",
    "events",
    "first_day",
    "last_day",
    "span_days",
    "x_m",
    "y_m",
)


def near_repeat_chains(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    days: npt.ArrayLike,
    distance_m: float = 200.0,
    max_days: int = 14,
) -> npt.NDArray[np.int64]:
    """Chains of events linked by being close in space and time.

    Two events are linked when they are less than ``distance_m`` metres apart
    (``hypot(dx, dy) < distance_m``, EPSG:27700) and at most ``max_days`` whole days
    apart (``|day_i - day_j| <= max_days``, i.e. ``< max_days + 1``). A chain is a
    connected component of these links with at least 2 events.

    Parameters
    ----------
    x_m, y_m : array of float
        Event coordinates in British National Grid metres (EPSG:27700).
    days : array of int (or datetime64)
        Event day numbers in whole days.
    distance_m : float
        Link distance in metres (strictly less than).
    max_days : int
        Link time in whole days (at most).

    Returns
    -------
    ndarray of int64
        Chain id per event, ``-1`` for events in no chain. Chains are numbered 0, 1, ...
        in order of their first day (then of their first event's position).
    """
    x, y, t = event_coords(x_m, y_m, days)
    dist = float(distance_m)
    if not math.isfinite(dist) or dist <= 0:
        raise ValueError(f"distance_m must be a positive number of metres; got {distance_m!r}")
    if isinstance(max_days, bool) or int(max_days) != max_days or max_days < 0:
        raise ValueError(f"max_days must be a whole number of days, 0 or more; got {max_days!r}")
    n = x.size
    chains = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return chains
    i, j, _ = close_pairs(x, y, dist)
    linked = np.abs(t[i] - t[j]) <= int(max_days)
    i, j = i[linked], j[linked]
    graph = sp.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=False)
    label = np.asarray(label, dtype=np.int64)
    size = np.bincount(label)
    in_chain = size[label] >= 2
    if not in_chain.any():
        return chains
    comp = label[in_chain]
    idx = np.flatnonzero(in_chain)
    # order components by (first day, first event position)
    first_day = np.full(size.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, comp, t[idx])
    first_pos = np.full(size.size, n, dtype=np.int64)
    np.minimum.at(first_pos, comp, idx)
    members = np.unique(comp)
    order = members[np.lexsort((first_pos[members], first_day[members]))]
    new_id = np.full(size.size, -1, dtype=np.int64)
    new_id[order] = np.arange(order.size)
    chains[idx] = new_id[comp]
    return chains


def chain_summary(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    days: npt.ArrayLike,
    chains: npt.ArrayLike,
) -> pd.DataFrame:
    """One row per chain from :func:`near_repeat_chains`.

    Parameters
    ----------
    x_m, y_m : array of float
        Event coordinates in British National Grid metres (EPSG:27700).
    days : array of int (or datetime64)
        Event day numbers in whole days.
    chains : array of int
        Chain id per event (``-1`` for none), as :func:`near_repeat_chains` returns.

    Returns
    -------
    DataFrame
        Columns ``chain`` (id), ``events``, ``first_day``, ``last_day`` (day numbers),
        ``span_days`` (last - first, whole days), ``x_m``, ``y_m`` (centroid, EPSG:27700
        metres); sorted by chain id, with a plain 0..k-1 index.
    """
    x, y, t = event_coords(x_m, y_m, days)
    ids = np.asarray(chains)
    if ids.shape != x.shape or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError("chains must be integer chain ids, one per event")
    keep = ids >= 0
    frame = pd.DataFrame(
        {"chain": ids[keep].astype(np.int64), "day": t[keep], "x": x[keep], "y": y[keep]}
    )
    grouped = frame.groupby("chain", sort=True)
    out = pd.DataFrame(
        {
            "chain": grouped["day"].size().index.to_numpy(dtype=np.int64),
            "events": grouped["day"].size().to_numpy(dtype=np.int64),
            "first_day": grouped["day"].min().to_numpy(dtype=np.int64),
            "last_day": grouped["day"].max().to_numpy(dtype=np.int64),
            "x_m": grouped["x"].mean().to_numpy(dtype=np.float64),
            "y_m": grouped["y"].mean().to_numpy(dtype=np.float64),
        }
    )
    out.insert(4, "span_days", out["last_day"] - out["first_day"])
    return out[list(CHAIN_SUMMARY_COLUMNS)]
