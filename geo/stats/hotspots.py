"""Hot spot statistics on the H3 grid, exactly as Esri defines them (DESIGN §5).

* :func:`gi_star` — Getis-Ord Gi* ("Hot Spot Analysis") with binary weights over
  ``grid_disk(cell, k)`` including the cell itself, on scipy.sparse.
* :func:`benjamini_hochberg` — the step-up FDR rule applied at 0.10, 0.05 and 0.01.
* :func:`mann_kendall` — the trend test with tie-corrected variance and continuity
  correction, vectorised over many series.
* :func:`emerging_hotspots` — Esri's "Emerging Hot Spot Analysis": space-time Gi*
  over a cube (spatial neighbours at the current and ``time_steps`` previous steps,
  global mean and standard deviation over the whole cube, FDR over all bins), a
  Mann-Kendall trend on each cell's z-scores, and the 17 categories.

Every input is a pandas object indexed by H3 hex strings covering the whole study
area grid, zeros included: Gi* compares each neighbourhood with the whole area, so
leaving out empty cells would change every answer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geo.core import hexes
from geo.core.errors import InsufficientDataError

#: Confidence levels of the bins ±1, ±2, ±3.
ALPHAS: Final[tuple[float, float, float]] = (0.10, 0.05, 0.01)
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


# --- multiple testing -------------------------------------------------------------------


def benjamini_hochberg(p: npt.ArrayLike, alpha: float) -> npt.NDArray[np.bool_]:
    """Which tests pass the Benjamini-Hochberg step-up rule at level ``alpha``.

    All finite p-values form the family; NaN never passes. Unlike ``esda.fdr`` there
    is no fallback to Bonferroni when nothing passes.
    """
    arr = np.asarray(p, dtype=np.float64).ravel()
    ok = np.isfinite(arr)
    m = int(ok.sum())
    passed = np.zeros(arr.size, dtype=bool)
    if m == 0:
        return passed.reshape(np.shape(p))
    finite_idx = np.flatnonzero(ok)
    order = np.argsort(arr[ok], kind="stable")
    ranked = arr[ok][order]
    below = ranked <= alpha * np.arange(1, m + 1) / m
    if below.any():
        cutoff = int(np.flatnonzero(below).max())
        passed[finite_idx[order[: cutoff + 1]]] = True
    return passed.reshape(np.shape(p))


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


# --- Mann-Kendall -----------------------------------------------------------------------


def _mann_kendall_rows(x: npt.NDArray[np.float64]) -> tuple[np.ndarray, np.ndarray]:
    n_rows, t = x.shape
    diff = x[:, None, :] - x[:, :, None]  # diff[r, i, j] = x[r, j] - x[r, i]
    upper = np.triu(np.ones((t, t), dtype=bool), k=1)
    s = np.sign(diff[:, upper]).sum(axis=1)
    # tie groups per row, from sorted values
    srt = np.sort(x, axis=1)
    new_group = np.ones_like(srt, dtype=bool)
    new_group[:, 1:] = srt[:, 1:] != srt[:, :-1]
    group_id = np.cumsum(new_group, axis=1) - 1 + (np.arange(n_rows) * t)[:, None]
    sizes = np.bincount(group_id.ravel(), minlength=n_rows * t).reshape(n_rows, t).astype(float)
    ties = (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    z = np.where(var > 0, z, 0.0)
    return z.astype(np.float64), two_sided_p(z)


def mann_kendall(values: npt.ArrayLike) -> tuple[float, float]:
    """Mann-Kendall trend test of one series.

    Uses the tie-corrected variance ``[n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18`` and the
    continuity correction ``z = (S - sign(S)) / sqrt(var)``.

    Returns
    -------
    (z, p)
        The z-score (positive for an upward trend) and its two-sided p-value.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size < 3:
        raise ValueError("mann_kendall needs a 1-D series of at least 3 values")
    z, p = _mann_kendall_rows(x[None, :])
    return float(z[0]), float(p[0])


def mann_kendall_many(x: npt.ArrayLike, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall z and p for every row of a 2-D array (rows = series)."""
    arr = np.asarray(x, dtype=np.float64)
    zs, ps = [], []
    for start in range(0, arr.shape[0], chunk):
        z, p = _mann_kendall_rows(arr[start : start + chunk])
        zs.append(z)
        ps.append(p)
    if not zs:
        return np.empty(0), np.empty(0)
    return np.concatenate(zs), np.concatenate(ps)


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
