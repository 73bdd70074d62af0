"""Esri's Emerging Hot Spot Analysis on a space-time cube of counts (DESIGN §5).

* :func:`emerging_hotspots` — space-time Gi* over a cube (spatial neighbours at the
  current and ``time_steps`` previous steps, global mean and standard deviation over
  the whole cube, FDR over all bins), a Mann-Kendall trend (:mod:`geo.stats.mann_kendall`)
  on each cell's z-scores, and the 17 categories.
* :func:`categorise` — Esri's categories from significant bins and trends.
* :func:`describe_category` — one plain-English sentence per cell.

The cube is indexed by H3 hex strings covering the whole study area grid, zeros
included (see :mod:`geo.stats.getis_ord`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.errors import InsufficientDataError
from geo.stats.getis_ord import (
    _cell_index,
    _gi_star_z,
    confidence_bins,
    disk_weights,
    two_sided_p,
)
from geo.stats.mann_kendall import mann_kendall_many

__all__ = [
    "CATEGORY_NAMES",
    "MIN_TIME_STEPS",
    "PERSISTENCE_SHARE",
    "TREND_ALPHA",
    "EmergingHotspots",
    "categorise",
    "describe_category",
    "emerging_hotspots",
]

#: Minimum number of time steps for emerging hot spot analysis (Esri's rule).
MIN_TIME_STEPS: Final = 10
#: Share of time steps that makes a location persistent / historical.
PERSISTENCE_SHARE: Final = 0.9
#: Mann-Kendall significance for intensifying / diminishing.
TREND_ALPHA: Final = 0.10

#: Emerging hot spot codes and Esri's category names (cold codes are negative).
CATEGORY_NAMES: Final[dict[int, str]] = {
    1: "New Hot Spot",
    2: "Consecutive Hot Spot",
    3: "Intensifying Hot Spot",
    4: "Persistent Hot Spot",
    5: "Diminishing Hot Spot",
    6: "Sporadic Hot Spot",
    7: "Oscillating Hot Spot",
    8: "Historical Hot Spot",
    0: "No Pattern Detected",
    -1: "New Cold Spot",
    -2: "Consecutive Cold Spot",
    -3: "Intensifying Cold Spot",
    -4: "Persistent Cold Spot",
    -5: "Diminishing Cold Spot",
    -6: "Sporadic Cold Spot",
    -7: "Oscillating Cold Spot",
    -8: "Historical Cold Spot",
}


# --- emerging hot spots -------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingHotspots:
    """Result of :func:`emerging_hotspots`.

    Attributes
    ----------
    cells : DataFrame
        Per cell: ``code`` (-8..8), ``category``, ``trend_z``, ``trend_p``,
        ``hot_bins``, ``cold_bins``, ``final_run``.
    bins : DataFrame
        Per cell and period: the space-time Gi* bin (-3..3).
    z : DataFrame
        Per cell and period: the space-time Gi* z-score.
    """

    cells: pd.DataFrame
    bins: pd.DataFrame
    z: pd.DataFrame


def _final_run(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Length of the run of True values ending at the last column, per row."""
    t = flags.shape[1]
    not_flag = ~flags[:, ::-1]
    first_false = np.where(not_flag.any(axis=1), not_flag.argmax(axis=1), t)
    return np.asarray(first_false, dtype=np.int64)


def categorise(
    hot: npt.NDArray[np.bool_],
    cold: npt.NDArray[np.bool_],
    trend_z: npt.NDArray[np.float64],
    trend_p: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Esri's emerging hot spot categories from significant bins and trends.

    Rules are checked in the order of DESIGN §5; cold categories mirror hot ones
    with hot and cold swapped and the trend direction reversed.
    """
    t = hot.shape[1]

    def side(a: np.ndarray, b: np.ndarray, up: np.ndarray, down: np.ndarray) -> np.ndarray:
        final = a[:, -1]
        h = a.sum(axis=1)
        c = b.sum(axis=1)
        r = _final_run(a)
        share = h / t
        code = np.zeros(a.shape[0], dtype=np.int64)
        rules = [
            (1, final & (h == 1)),
            (2, final & (r >= 2) & (h == r) & (share < PERSISTENCE_SHARE)),
            (3, final & (share >= PERSISTENCE_SHARE) & up),
            (4, final & (share >= PERSISTENCE_SHARE) & ~up & ~down),
            (5, final & (share >= PERSISTENCE_SHARE) & down),
            (6, final & (share < PERSISTENCE_SHARE) & (c == 0)),
            (7, final & (share < PERSISTENCE_SHARE) & (c >= 1)),
            (8, ~final & (share >= PERSISTENCE_SHARE)),
        ]
        for value, mask in reversed(rules):  # earlier rules win
            code = np.where(mask, value, code)
        return code

    significant = trend_p <= TREND_ALPHA
    rising = significant & (trend_z > 0)
    falling = significant & (trend_z < 0)
    hot_code = side(hot, cold, rising, falling)
    cold_code = side(cold, hot, falling, rising)
    return np.asarray(np.where(hot_code > 0, hot_code, -cold_code), dtype=np.int64)


def emerging_hotspots(
    cube: pd.DataFrame, k: int = 1, time_steps: int = 1, fdr: bool = True
) -> EmergingHotspots:
    """Esri's Emerging Hot Spot Analysis on a space-time cube of counts.

    Parameters
    ----------
    cube : DataFrame
        Counts; index = H3 cell strings of the whole grid (zeros included), columns
        = equal time periods, oldest first (at least 10).
    k : int
        Spatial neighbourhood: ``grid_disk(cell, k)`` including the cell.
    time_steps : int
        Temporal neighbourhood N: the current and N previous steps (backward only).
    fdr : bool
        Benjamini-Hochberg over all bins of the cube (Esri's default).

    Returns
    -------
    EmergingHotspots

    Raises
    ------
    InsufficientDataError
        Fewer than 10 periods, too few cells, or no variance in the cube.
    """
    t = cube.shape[1]
    if t < MIN_TIME_STEPS:
        raise InsufficientDataError(
            f"emerging hot spot analysis needs at least {MIN_TIME_STEPS} time periods; "
            f"this cube has {t}"
        )
    if time_steps < 0:
        raise ValueError("time_steps must be 0 or more")
    cells = _cell_index(cube.index)
    x = cube.to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("cube values must be finite (use 0 for empty bins)")
    n_bins = x.size
    if cube.shape[0] < 3:
        raise InsufficientDataError("emerging hot spot analysis needs at least 3 cells")
    mean = float(x.mean())
    s = float(np.sqrt(max((x**2).mean() - mean**2, 0.0)))
    if s == 0.0:
        raise InsufficientDataError("every bin has the same value: there is no variance")

    w = disk_weights(cells, k)
    spatial_sum = np.asarray(w @ x)  # (n, T): neighbourhood sums within each step
    spatial_count = np.asarray(w.sum(axis=1)).ravel()
    csum = np.cumsum(spatial_sum, axis=1)
    lagged = np.zeros_like(csum)
    if time_steps + 1 < t:
        lagged[:, time_steps + 1 :] = csum[:, : t - time_steps - 1]
    window_sum = csum - lagged
    steps = np.minimum(np.arange(t) + 1, time_steps + 1).astype(np.float64)
    w_sum = spatial_count[:, None] * steps[None, :]
    z = _gi_star_z(window_sum, w_sum, mean, s, n_bins)
    p = two_sided_p(z)
    bins = confidence_bins(z, p, fdr)

    trend_z, trend_p = mann_kendall_many(z)
    hot = bins > 0
    cold = bins < 0
    code = categorise(hot, cold, trend_z, trend_p)
    cells_frame = pd.DataFrame(
        {
            "code": code,
            "category": [CATEGORY_NAMES[int(c)] for c in code],
            "trend_z": trend_z,
            "trend_p": trend_p,
            "hot_bins": hot.sum(axis=1),
            "cold_bins": cold.sum(axis=1),
            "final_run": np.where(hot[:, -1], _final_run(hot), -_final_run(cold)),
        },
        index=cube.index.copy(),
    )
    return EmergingHotspots(
        cells=cells_frame,
        bins=pd.DataFrame(bins, index=cube.index.copy(), columns=cube.columns.copy()),
        z=pd.DataFrame(z, index=cube.index.copy(), columns=cube.columns.copy()),
    )


# --- plain English ------------------------------------------------------------------------


def describe_category(row: pd.Series, periods: int, unit: str = "month") -> str:
    """One plain-English sentence for a cell's emerging hot spot result.

    ``row`` is a row of :attr:`EmergingHotspots.cells`.
    """
    code = int(row["code"])
    hot_bins, cold_bins = int(row["hot_bins"]), int(row["cold_bins"])
    trend = f"trend p = {float(row['trend_p']):.2f}"
    run = abs(int(row["final_run"]))
    units = f"{unit}s"

    def count(n: int, what: str = unit) -> str:
        return f"{n} {what}" if n == 1 else f"{n} {what}s"

    n_hot = f"{hot_bins} of the last {periods} {units}"
    n_cold = f"{cold_bins} of the last {periods} {units}"
    sentences = {
        1: f"a significant hot spot for the first time in the latest {unit}",
        2: f"a significant hot spot for each of the last {count(run)}, and never before",
        3: f"a significant hot spot in {n_hot}, and getting more intense ({trend})",
        4: f"a significant hot spot in {n_hot}, with no clear trend in intensity",
        5: f"a significant hot spot in {n_hot}, but becoming less intense ({trend})",
        6: f"an on-and-off hot spot: significant in {n_hot}, including the latest",
        7: (
            f"hot in the latest {unit} and in {hot_bins} of {periods} {units}, "
            f"but a cold spot in {count(cold_bins, 'earlier ' + unit)}"
        ),
        8: f"a significant hot spot in {n_hot}, but not in the latest {unit}",
        0: "no significant pattern over time",
        -1: f"a significant cold spot for the first time in the latest {unit}",
        -2: f"a significant cold spot for each of the last {count(run)}, and never before",
        -3: f"a significant cold spot in {n_cold}, and getting colder ({trend})",
        -4: f"a significant cold spot in {n_cold}, with no clear trend",
        -5: f"a significant cold spot in {n_cold}, but becoming less cold ({trend})",
        -6: f"an on-and-off cold spot: significant in {n_cold}, including the latest",
        -7: (
            f"cold in the latest {unit} and in {cold_bins} of {periods} {units}, "
            f"but a hot spot in {count(hot_bins, 'earlier ' + unit)}"
        ),
        -8: f"a significant cold spot in {n_cold}, but not in the latest {unit}",
    }
    text = sentences[code]
    return text[0].upper() + text[1:] + "."
