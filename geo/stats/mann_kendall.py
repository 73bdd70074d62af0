"""The Mann-Kendall trend test, vectorised over many series (arrays in, arrays out).

* :func:`mann_kendall` — the trend test of one series with tie-corrected variance and
  continuity correction.
* :func:`mann_kendall_many` — the same for every row of a 2-D array.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from geo.stats.getis_ord import two_sided_p

__all__ = ["mann_kendall", "mann_kendall_many"]


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


def mann_kendall_many(x: npt.ArrayLike, *, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
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
