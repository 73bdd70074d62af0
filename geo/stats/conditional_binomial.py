"""The conditional binomial test of two counts per place (arrays in, arrays out).

Two agencies record the same kind of event at the same places, say an emergency
department (ED, "health") and the police. For place ``i`` with health count ``a_i`` and
police count ``b_i``, condition on the place's total ``n_i = a_i + b_i``. If neither
agency records this place's events any more readily than the area as a whole (H0), each
of the ``n_i`` records is a health record with the area-wide share

``p0 = Σa / Σn``,

so ``a_i ~ Binomial(n_i, p0)``. The test is one-sided, for more health records than
that:

* ``p_i = P(X >= a_i | n_i, p0)`` (exact; ``scipy.stats.binom.sf(a_i - 1, n_i, p0)``);
* ``expected_i = n_i p0``, ``ratio_i = a_i / expected_i`` and ``excess_i = a_i -
  expected_i`` (assaults above what the area's share gives);
* ``odds_ratio_i = (a_i / b_i) / (Σa / Σb)``: how many times the area's health-to-police
  odds the place's are (infinite where the police recorded none);
* q-values by the Benjamini-Hochberg rule over every place tested
  (:func:`geo.stats.fdr.benjamini_hochberg_q`).

Conditioning on ``n_i`` removes how busy a place is (a town centre has more of
everything): only the *mix* of the two records is tested. Places with ``n_i = 0`` hold no
information and are not tested (p and q NaN, outside the family). With ``p0`` 0 or 1 one
agency recorded nothing anywhere and every p-value is 1.

A **finding** is significant *and* large enough to matter, so that a place with
thousands of records is not reported for a difference nobody would act on:

* ``q <= alpha`` (default 0.05), and
* ``excess >= min_excess`` (default 5 records above expected over the period), and
* ``odds_ratio >= min_odds_ratio`` (default 2: the place's health-to-police odds at least
  twice the area's).

The effect floor is an odds ratio rather than a multiple of the share ``p0``, because a
share cannot exceed 1: where the ED records most assaults (``p0`` = 0.7, say) a place's
share can never reach 1.5 ``p0``, yet its police may still see far fewer of them.

* :class:`ConditionalBinomial` — the result, one entry per place (esda style).
* :func:`conditional_binomial` — the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.stats import binom

from geo.stats.fdr import benjamini_hochberg_q

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_MIN_EXCESS",
    "DEFAULT_MIN_ODDS_RATIO",
    "ConditionalBinomial",
    "conditional_binomial",
]

#: False discovery rate at which a place is significant.
DEFAULT_ALPHA: Final = 0.05
#: The fewest records above expected (over the period) that make a finding.
DEFAULT_MIN_EXCESS: Final = 5.0
#: The smallest odds ratio (place's health-to-police odds over the area's) that makes a
#: finding.
DEFAULT_MIN_ODDS_RATIO: Final = 2.0


@dataclass(frozen=True)
class ConditionalBinomial:
    """The conditional binomial test of health against police counts, per place.

    Attributes
    ----------
    health, police : ndarray of int64
        The counts ``a`` and ``b`` as given.
    totals : ndarray of int64
        ``n = a + b``.
    p0 : float
        The area-wide health share ``Σa / Σn`` (NaN when there are no records).
    expected : ndarray of float
        ``n p0``: health records expected under H0.
    ratio : ndarray of float
        ``a / expected`` (NaN where nothing is expected).
    excess : ndarray of float
        ``a - expected``: health records above expected.
    odds_ratio : ndarray of float
        ``(a / b) / (Σa / Σb)`` (inf where ``b`` is 0 and ``a`` is not; NaN where
        undefined).
    p : ndarray of float
        One-sided exact p-value ``P(X >= a | n, p0)`` (NaN where ``n`` is 0).
    q : ndarray of float
        Benjamini-Hochberg q-values over the places tested (NaN where ``n`` is 0).
    tested : ndarray of bool
        ``n > 0``.
    significant : ndarray of bool
        ``q <= alpha``.
    substantial : ndarray of bool
        ``excess >= min_excess`` and ``odds_ratio >= min_odds_ratio``.
    finding : ndarray of bool
        Significant and substantial.
    alpha, min_excess, min_odds_ratio : float
        The thresholds used.
    """

    health: npt.NDArray[np.int64]
    police: npt.NDArray[np.int64]
    totals: npt.NDArray[np.int64]
    p0: float
    expected: npt.NDArray[np.float64]
    ratio: npt.NDArray[np.float64]
    excess: npt.NDArray[np.float64]
    odds_ratio: npt.NDArray[np.float64]
    p: npt.NDArray[np.float64]
    q: npt.NDArray[np.float64]
    tested: npt.NDArray[np.bool_]
    significant: npt.NDArray[np.bool_]
    substantial: npt.NDArray[np.bool_]
    finding: npt.NDArray[np.bool_]
    alpha: float
    min_excess: float
    min_odds_ratio: float

    @property
    def n_tested(self) -> int:
        """How many places were tested (the size of the FDR family)."""
        return int(self.tested.sum())


def _counts(values: npt.ArrayLike, name: str) -> npt.NDArray[np.int64]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(arr).all() or (arr < 0).any() or (arr != np.round(arr)).any():
        raise ValueError(f"{name} must be non-negative whole numbers")
    return arr.astype(np.int64)


def conditional_binomial(
    health: npt.ArrayLike,
    police: npt.ArrayLike,
    *,
    alpha: float = DEFAULT_ALPHA,
    min_excess: float = DEFAULT_MIN_EXCESS,
    min_odds_ratio: float = DEFAULT_MIN_ODDS_RATIO,
) -> ConditionalBinomial:
    """One-sided conditional binomial test of health counts against police counts.

    Parameters
    ----------
    health, police : array_like of int
        Records per place (non-negative whole numbers, aligned).
    alpha : float
        The false discovery rate of a significant place (0 < alpha < 1).
    min_excess : float
        The fewest health records above expected that make a finding (records over the
        period).
    min_odds_ratio : float
        The smallest place-to-area odds ratio that makes a finding.

    Returns
    -------
    ConditionalBinomial

    Raises
    ------
    ValueError
        Counts that are negative, fractional, non-finite or of different lengths; alpha
        outside (0, 1).
    """
    a = _counts(health, "health counts")
    b = _counts(police, "police counts")
    if a.size != b.size:
        raise ValueError("health and police counts must have the same length")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    n = a + b
    total_a, total_b = int(a.sum()), int(b.sum())
    total = total_a + total_b
    p0 = total_a / total if total else float("nan")
    tested = n > 0
    expected = n * p0 if total else np.full(a.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, a / expected, np.nan)
        area_odds = total_a / total_b if total_b else np.nan
        odds = np.where(b > 0, a / np.maximum(b, 1), np.where(a > 0, np.inf, np.nan))
        odds_ratio = np.asarray(odds / area_odds, dtype=np.float64)
    excess = a - expected
    p = np.full(a.size, np.nan)
    if tested.any():
        p[tested] = binom.sf(a[tested] - 1, n[tested], p0)
    q = benjamini_hochberg_q(p)
    significant = np.asarray(tested & (q <= alpha), dtype=bool)
    with np.errstate(invalid="ignore"):
        substantial = np.asarray(
            tested & (excess >= min_excess) & (odds_ratio >= min_odds_ratio), dtype=bool
        )
    return ConditionalBinomial(
        health=a,
        police=b,
        totals=n,
        p0=float(p0),
        expected=np.asarray(expected, dtype=np.float64),
        ratio=np.asarray(ratio, dtype=np.float64),
        excess=np.asarray(excess, dtype=np.float64),
        odds_ratio=odds_ratio,
        p=p,
        q=q,
        tested=tested,
        significant=significant,
        substantial=substantial,
        finding=significant & substantial,
        alpha=float(alpha),
        min_excess=float(min_excess),
        min_odds_ratio=float(min_odds_ratio),
    )
