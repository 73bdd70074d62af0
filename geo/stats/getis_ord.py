"""Getis-Ord Gi* hot spots on the H3 grid, exactly as Esri defines them (DESIGN §5).

* :func:`gi_star` — Getis-Ord Gi* ("Hot Spot Analysis") with binary weights over
  ``grid_disk(cell, k)`` including the cell itself, on scipy.sparse.
* :func:`disk_weights` — those weights.
* :func:`confidence_bins` — bins -3..3 at 90/95/99 % confidence, optionally with the
  Benjamini-Hochberg rule (:mod:`geo.stats.fdr`) at each level.
* :func:`two_sided_p` — two-sided normal p-values of z-scores.

Every input is a pandas object indexed by H3 hex strings covering the whole study
area grid, zeros included: Gi* compares each neighbourhood with the whole area, so
leaving out empty cells would change every answer.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geo.core import hexes
from geo.core.errors import InsufficientDataError
from geo.stats.fdr import benjamini_hochberg

__all__ = [
    "ALPHAS",
    "confidence_bins",
    "disk_weights",
    "gi_star",
    "two_sided_p",
]

#: Confidence levels of the bins ±1, ±2, ±3.
ALPHAS: Final[tuple[float, float, float]] = (0.10, 0.05, 0.01)


# --- weights --------------------------------------------------------------------------


def _cell_index(index: pd.Index) -> npt.NDArray[np.uint64]:
    if index.has_duplicates:
        raise ValueError("the cells index has duplicates")
    try:
        return hexes.str_to_cells(index.astype(str))
    except ValueError:
        raise ValueError("the index must hold H3 cell strings") from None


def disk_weights(cells: npt.ArrayLike, k: int = 1) -> sp.csr_matrix:
    """Binary spatial weights: ``w_ij = 1`` when j is within ``k`` grid steps of i.

    The cell itself is included (Gi*, not Gi); neighbours that are not among
    ``cells`` (outside the study-area grid) are left out.

    Parameters
    ----------
    cells : array of uint64
        The grid's cells, all at one resolution.
    k : int
        Grid-disk radius in cell steps (1 default; 2 for sparse data).

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (n, n)
    """
    arr = np.asarray(cells, dtype=np.uint64)
    # a copy: the cached matrix must not be changed through the returned one
    return _disk_weights(arr.tobytes(), int(k)).copy()


@functools.lru_cache(maxsize=16)
def _disk_weights(cells_bytes: bytes, k: int) -> sp.csr_matrix:
    if k < 1:
        raise ValueError("k must be at least 1")
    cells = np.frombuffer(cells_bytes, dtype=np.uint64)
    n = cells.size
    order = np.argsort(cells, kind="stable")
    sorted_cells = cells[order]
    origin, neighbour = hexes.grid_disk(cells, k)
    pos = np.searchsorted(sorted_cells, neighbour)
    pos = np.minimum(pos, n - 1)
    inside = sorted_cells[pos] == neighbour
    rows = origin[inside]
    cols = order[pos[inside]]
    data = np.ones(rows.size, dtype=np.float64)
    w = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    w.sum_duplicates()
    return w


# --- significance ----------------------------------------------------------------------


def confidence_bins(z: npt.ArrayLike, p: npt.ArrayLike, fdr: bool) -> npt.NDArray[np.int64]:
    """Bins -3..3: the strictest confidence level (90/95/99 %) passed, signed by z.

    Without FDR a test passes level alpha when ``p <= alpha``; with FDR the
    Benjamini-Hochberg rule is applied separately at each level over all tests.
    """
    z_arr = np.asarray(z, dtype=np.float64)
    p_arr = np.asarray(p, dtype=np.float64)
    level = np.zeros(z_arr.shape, dtype=np.int64)
    for strength, alpha in enumerate(ALPHAS, start=1):
        passed = benjamini_hochberg(p_arr, alpha) if fdr else (p_arr <= alpha)
        level = np.where(passed, strength, level)
    sign = np.sign(np.where(np.isfinite(z_arr), z_arr, 0.0)).astype(np.int64)
    return sign * level


def two_sided_p(z: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Two-sided normal p-value of z-scores (NaN stays NaN)."""
    z_arr = np.asarray(z, dtype=np.float64)
    return np.asarray(2.0 * ndtr(-np.abs(z_arr)), dtype=np.float64)


# --- Gi* --------------------------------------------------------------------------------


def _gi_star_z(
    window_sum: npt.NDArray[np.float64],
    w_sum: npt.NDArray[np.float64],
    mean: float,
    s: float,
    n: int,
) -> npt.NDArray[np.float64]:
    """Getis-Ord G* z-scores for binary weights (so that sum w^2 = sum w)."""
    denom = s * np.sqrt((n * w_sum - w_sum**2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (window_sum - mean * w_sum) / denom
    return np.asarray(z, dtype=np.float64)


def gi_star(counts: pd.Series, k: int = 1, fdr: bool = False) -> pd.DataFrame:
    """Getis-Ord Gi* hot spot statistic for counts on the study-area grid.

    Parameters
    ----------
    counts : Series
        Counts (or any values) indexed by H3 cell strings covering the whole grid,
        zeros included, all at one resolution.
    k : int
        Neighbourhood radius in grid steps (``grid_disk(cell, k)``, cell included).
    fdr : bool
        Apply the Benjamini-Hochberg correction when binning.

    Returns
    -------
    DataFrame
        Indexed like ``counts``: ``z`` (the G* z-score), ``p`` (two-sided) and ``bin``
        (-3..3: cold/hot at 99/95/90 % confidence, 0 not significant).

    Raises
    ------
    InsufficientDataError
        Fewer than 3 cells, or all values equal (no variance).
    """
    cells = _cell_index(counts.index)
    x = counts.to_numpy(dtype=np.float64)
    n = x.size
    if n < 3:
        raise InsufficientDataError("Gi* needs at least 3 cells")
    if not np.isfinite(x).all():
        raise ValueError("counts must be finite (use 0 for cells without events)")
    mean = float(x.mean())
    s = float(np.sqrt(max((x**2).mean() - mean**2, 0.0)))
    if s == 0.0:
        raise InsufficientDataError("every cell has the same value: there is no variance")
    w = disk_weights(cells, k)
    w_sum = np.asarray(w.sum(axis=1)).ravel()
    z = _gi_star_z(w @ x, w_sum, mean, s, n)
    p = two_sided_p(z)
    return pd.DataFrame(
        {"z": z, "p": p, "bin": confidence_bins(z, p, fdr)}, index=counts.index.copy()
    )
