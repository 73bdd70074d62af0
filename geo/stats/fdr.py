"""The Benjamini-Hochberg false discovery rate rule (arrays in, arrays out).

* :func:`benjamini_hochberg` — the step-up FDR rule; :func:`geo.stats.getis_ord.confidence_bins`
  applies it at 0.10, 0.05 and 0.01.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["benjamini_hochberg"]


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
