"""The Benjamini-Hochberg false discovery rate rule (arrays in, arrays out).

* :func:`benjamini_hochberg` — the step-up FDR rule; :func:`geo.stats.getis_ord.confidence_bins`
  applies it at 0.10, 0.05 and 0.01.
* :func:`benjamini_hochberg_q` — the rule's q-values (adjusted p-values): a test passes at
  level alpha exactly when its q-value is at most alpha.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["benjamini_hochberg", "benjamini_hochberg_q"]


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


def benjamini_hochberg_q(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini-Hochberg q-values: ``q_(k) = min_{j >= k} min(1, m p_(j) / j)``.

    All finite p-values form the family of ``m`` tests (ranked ``1..m`` from the
    smallest); NaN stays NaN and is not counted in ``m``. ``q <= alpha`` is the same
    decision as :func:`benjamini_hochberg` at level ``alpha`` (statsmodels calls these
    ``multipletests(p, method="fdr_bh")[1]``).

    Parameters
    ----------
    p : array_like of float
        p-values in [0, 1] (NaN for tests not made).

    Returns
    -------
    ndarray of float
        q-values, shaped like ``p``.
    """
    arr = np.asarray(p, dtype=np.float64)
    flat = arr.ravel()
    ok = np.isfinite(flat)
    out = np.full(flat.size, np.nan)
    m = int(ok.sum())
    if m:
        order = np.argsort(flat[ok], kind="stable")
        scaled = flat[ok][order] * m / np.arange(1, m + 1)
        # the running minimum from the largest p down, capped at 1
        q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        positions = np.flatnonzero(ok)[order]
        out[positions] = q
    return out.reshape(arr.shape)
