"""Rates, relative rate indices and their intervals: arrays in, arrays out.

Definitions
-----------
* **Rate** per 1,000 = ``1000 · a / n`` for a group's count ``a`` and population ``n``.
* **Relative rate index** (RRI) of group g against the reference group r
  = ``(a_g / n_g) / (a_r / n_r)``.
* **Confidence interval, log method**: ``exp(ln RRI ± z · se)`` with ``z`` the normal
  quantile of the level (1.959964 for 95 %) and, by default (``method="poisson"``),
  ``se = sqrt(1/a_g + 1/a_r)``: the counts are events (one person searched twice
  counts twice), so they are treated as Poisson counts over a fixed population.
  ``method="binomial"`` uses the Katz risk-ratio form
  ``se = sqrt(1/a_g − 1/n_g + 1/a_r − 1/n_r)``, for counts of distinct people out of
  the population; the two differ by the ``1/n`` terms, which are negligible for
  populations in the thousands. The interval is only meaningful where both counts and
  both populations are positive (and, for the binomial form, no count exceeds its
  population); callers mask the rest.
* **Proportion with a Wilson interval** (hit rates): ``hits / n`` with the Wilson
  score interval.

No store, no roles, no group names: callers arrange counts and populations as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "Method",
    "RateRatios",
    "check_rate_options",
    "proportions",
    "rate_ratios",
    "wilson_interval",
    "z_value",
]

Method = Literal["poisson", "binomial"]


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for an interval of level ``confidence``."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def check_rate_options(method: str, confidence: float) -> None:
    """Raise ``ValueError`` for an unknown ``method`` or a ``confidence`` outside (0, 1)."""
    if method not in ("poisson", "binomial"):
        raise ValueError("method must be 'poisson' or 'binomial'")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")


@dataclass(frozen=True)
class RateRatios:
    """Rates and rate ratios, element by element.

    Attributes
    ----------
    share : ndarray of float
        ``a / totals`` (NaN where the total is 0).
    rate_per_1000 : ndarray of float
        ``1000 · a / n`` (NaN where the population is missing or 0).
    has_population : ndarray of bool
        The population is finite and positive.
    rri : ndarray of float
        ``(a / n) / (b / nb)`` (NaN or infinite where not calculable).
    ci_low, ci_high : ndarray of float
        The log-method interval around ``rri`` (meaningless where not calculable).
    """

    share: npt.NDArray[np.float64]
    rate_per_1000: npt.NDArray[np.float64]
    has_population: npt.NDArray[np.bool_]
    rri: npt.NDArray[np.float64]
    ci_low: npt.NDArray[np.float64]
    ci_high: npt.NDArray[np.float64]


def rate_ratios(
    a: npt.ArrayLike,
    n: npt.ArrayLike,
    b: npt.ArrayLike,
    nb: npt.ArrayLike,
    totals: npt.ArrayLike,
    *,
    method: Method = "poisson",
    confidence: float = 0.95,
) -> RateRatios:
    """Rates per 1,000 and RRIs of counts ``a`` over populations ``n`` against a reference.

    Parameters
    ----------
    a, n : array_like of float
        Each group's count and population.
    b, nb : array_like of float
        The reference group's count and population, aligned with ``a``.
    totals : array_like of float
        The total count each ``a`` is a share of, aligned with ``a``.
    method : {"poisson", "binomial"}
        Standard error of ln RRI (see the module docstring).
    confidence : float
        Interval level.

    Returns
    -------
    RateRatios
    """
    a, n, b, nb, totals = (np.asarray(x, dtype=np.float64) for x in (a, n, b, nb, totals))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(totals > 0, a / totals, np.nan)
        has_pop = np.isfinite(n) & (n > 0)
        rate = np.where(has_pop, 1000.0 * a / n, np.nan)
        ref_rate = np.where(np.isfinite(nb) & (nb > 0), b / nb, np.nan)
        rri = (a / n) / ref_rate
        poisson_var = 1 / a + 1 / b
        var = poisson_var if method == "poisson" else poisson_var - 1 / n - 1 / nb
        se = np.sqrt(np.where(var >= 0, var, np.nan))
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_rri = np.log(rri)
        low = np.exp(log_rri - z * se)
        high = np.exp(log_rri + z * se)
    return RateRatios(share, rate, has_pop, rri, low, high)


def wilson_interval(
    hits: npt.NDArray[np.float64], n: npt.NDArray[np.float64], z: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson score interval for ``hits / n`` (NaN where ``n`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    ok = n > 0
    return np.where(ok, centre - half, np.nan), np.where(ok, centre + half, np.nan)


def proportions(
    hits: npt.NDArray[np.float64], n: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``hits / n`` (NaN where ``n`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: npt.NDArray[np.float64] = np.where(n > 0, hits / n, np.nan)
    return out
