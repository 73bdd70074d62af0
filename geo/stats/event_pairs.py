"""Events as points in space and time: checked coordinates and day numbers, close pairs.

Shared by the Knox test (:mod:`geo.stats.knox`) and near-repeat chains
(:mod:`geo.stats.near_repeat_chains`). Coordinates are British National Grid metres
(EPSG:27700); distances are Euclidean, ``d = hypot(x_i - x_j, y_i - y_j)``. Times are
whole day numbers (for example days since 1970-01-01).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

__all__ = ["close_pairs", "event_coords"]

#: Relative slack on the KD-tree search radius, so that no pair the exact ``hypot``
#: puts inside the radius is lost to rounding in the tree's own distance arithmetic.
_RADIUS_SLACK: Final = 1e-9


def event_coords(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, days: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Validated 1-D float coordinates and int64 day numbers."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    raw = np.asarray(days)
    if x.ndim != 1 or y.ndim != 1 or raw.ndim != 1:
        raise ValueError("x_m, y_m and days must be 1-D arrays")
    if not x.size == y.size == raw.size:
        raise ValueError(
            f"x_m, y_m and days must have the same length (got {x.size}, {y.size}, {raw.size})"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x_m and y_m must be finite (British National Grid metres)")
    if np.issubdtype(raw.dtype, np.datetime64):
        if np.isnat(raw).any():
            raise ValueError("days must not contain missing times (NaT)")
        t = raw.astype("datetime64[D]").astype(np.int64)
    elif np.issubdtype(raw.dtype, np.integer):
        t = raw.astype(np.int64)
    elif np.issubdtype(raw.dtype, np.floating):
        if not np.isfinite(raw).all():
            raise ValueError("days must be finite")
        if (raw != np.floor(raw)).any():
            raise ValueError("days must be whole day numbers (integers)")
        t = raw.astype(np.int64)
    else:
        raise ValueError(f"days must be integer day numbers, not {raw.dtype}")
    return x, y, t


def close_pairs(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], radius: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Pairs i < j with ``hypot(dx, dy) < radius`` metres and their distances, grouped by i."""
    tree = cKDTree(np.column_stack([x, y]))
    pairs = tree.query_pairs(
        r=radius * (1.0 + _RADIUS_SLACK) + _RADIUS_SLACK, output_type="ndarray"
    )
    # Group by the first event with a stable sort; on uint16 keys numpy uses radix sort.
    key_type = np.uint16 if x.size <= 1 << 16 else np.int64
    order = np.argsort(pairs[:, 0].astype(key_type), kind="stable")
    i = pairs[order, 0].astype(np.intp)
    j = pairs[order, 1].astype(np.intp)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    keep = d < radius
    return i[keep], j[keep], d[keep]
