"""The Knox test's verdict: pooled cells and a plain-English reading of a
:class:`geo.stats.knox.KnoxResult`, like the Near Repeat Calculator's but with exact
intervals and pooled significance (arrays in, words out).

* :func:`pool` — the Knox statistics for a block of cells taken together;
* :func:`verdict` — the plain-English verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from geo.stats.knox import SAME_LOCATION_M, KnoxResult, day_words, label_number

__all__ = ["MIN_PATTERN_RATIO", "Pooled", "pool", "verdict"]

#: Smallest pooled Knox ratio called a near-repeat (or repeat) pattern: below it an excess
#: may be statistically detectable in a large sample but is too small to plan patrols or
#: outreach around (practitioners' near-repeat calculators flag ratios from 1.2).
MIN_PATTERN_RATIO: Final = 1.2


# --- pooling and the verdict -----------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """Knox statistics of a block of cells taken together (see :func:`pool`).

    Attributes
    ----------
    observed : int
        Pairs in the block.
    expected : float
        Mean pooled count over the permutations.
    ratio : float
        ``observed / expected`` (NaN when ``expected`` is 0 and ``observed`` is 0,
        infinity when only ``expected`` is 0).
    p : float
        ``(1 + #{pooled sim >= observed}) / (1 + permutations)``.
    """

    observed: int
    expected: float
    ratio: float
    p: float


def pool(result: KnoxResult, rows: range | list[int], cols: range | list[int]) -> Pooled:
    """Pool the Knox cells at row positions ``rows`` and column positions ``cols``.

    Positions count from 0 in the tables of ``result``: row 0 is "same location",
    rows 1..n_spatial the spatial bands, the last row "more than"; columns
    0..n_temporal-1 the temporal bands, the last column "more than". The simulated
    tables are pooled the same way, so the p-value is an exact Monte Carlo test of
    the pooled count.
    """
    r = list(rows)
    c = list(cols)
    if not r or not c:
        raise ValueError("pool needs at least one row and one column")
    n_rows, n_cols = result.observed.shape
    if not all(0 <= k < n_rows for k in r) or not all(0 <= k < n_cols for k in c):
        raise ValueError(f"row positions must be in 0..{n_rows - 1}, columns in 0..{n_cols - 1}")
    obs = int(result.observed.to_numpy()[np.ix_(r, c)].sum())
    sims = result.simulated[:, r][:, :, c].sum(axis=(1, 2))
    expected = float(sims.mean())
    ratio = obs / expected if expected > 0 else (math.inf if obs > 0 else math.nan)
    p = (1.0 + float((sims >= obs).sum())) / (1.0 + result.permutations)
    return Pooled(obs, expected, ratio, p)


def _significant(cell: Pooled, alpha: float) -> bool:
    return cell.ratio > 1.0 and cell.p <= alpha


def _min_p_adjusted(observed: np.ndarray, simulated: np.ndarray) -> npt.NDArray[np.float64]:
    """Family-wise adjusted Monte Carlo p-values (single-step min-p, Westfall-Young).

    ``observed`` has shape (K,) and ``simulated`` (R, K): K pooled counts per table.
    Each of the R + 1 tables (the observed one included) gets the upper-tail p of each
    count among the R + 1; the adjusted p of test k is the share of tables whose
    smallest p is at most the observed p of test k. Under the null hypothesis the
    chance that any adjusted p is at most alpha is at most alpha.
    """
    counts = np.vstack([observed[None, :], simulated])  # (R + 1, K)
    total = counts.shape[0]
    p_all = np.empty(counts.shape, dtype=np.float64)
    for k in range(counts.shape[1]):
        column = np.sort(counts[:, k])
        below = np.searchsorted(column, counts[:, k], side="left")
        p_all[:, k] = (total - below) / total
    min_p = np.sort(p_all.min(axis=1))
    at_most = np.searchsorted(min_p, p_all[0], side="right")
    return np.asarray(at_most / total, dtype=np.float64)


@dataclass(frozen=True)
class _Claim:
    top_s: int  # spatial bands 1..top_s (0 for the same-location row)
    top_t: int  # temporal bands 1..top_t
    block: Pooled
    adjusted_p: float
    tried: int


def _claims(
    result: KnoxResult, rows: list[int], alpha: float, min_ratio: float = 1.0
) -> _Claim | None:
    """The largest supported significant block of rows[:S] × temporal bands 1..T.

    ``rows`` are the candidate row positions in order (1..n_spatial for near repeats,
    ``[0]`` for the same location). Every block rows[:S] × bands 1..T is a test; their
    p-values are adjusted together (:func:`_min_p_adjusted`). A block qualifies when
    its pooled count exceeds the expected one with adjusted p <= alpha and its outer
    row and outer column also exceed theirs with (unadjusted) p <= alpha on their own,
    so that the extent stated is one the data support rather than one carried by a
    strong core. Among qualifying blocks the one with most cells wins (then smaller
    p, then larger ratio). With ``min_ratio`` above 1 a block must also reach that pooled
    ratio.
    """
    n_t = result.n_temporal
    obs_table = result.observed.to_numpy()[rows][:, :n_t]
    sim_table = result.simulated[:, rows][:, :, :n_t]
    obs_cum = obs_table.cumsum(axis=0).cumsum(axis=1).ravel()
    sim_cum = sim_table.cumsum(axis=1).cumsum(axis=2).reshape(result.permutations, -1)
    adjusted = _min_p_adjusted(obs_cum, sim_cum)
    best: tuple[tuple[int, float, float], _Claim] | None = None
    for s_idx in range(len(rows)):
        for t_idx in range(n_t):
            top_s, top_t = s_idx + 1, t_idx + 1
            block = pool(result, rows[:top_s], range(top_t))
            adj = float(adjusted[s_idx * n_t + t_idx])
            if not (block.ratio > 1.0 and block.ratio >= min_ratio and adj <= alpha):
                continue
            if top_s > 1 and not _significant(pool(result, [rows[s_idx]], range(top_t)), alpha):
                continue
            if top_t > 1 and not _significant(pool(result, rows[:top_s], [t_idx]), alpha):
                continue
            key = (top_s * top_t, -adj, block.ratio)
            if best is None or key > best[0]:
                claim = _Claim(top_s if rows[0] else 0, top_t, block, adj, adjusted.size)
                best = (key, claim)
    return None if best is None else best[1]


def _extent(claim: _Claim, result: KnoxResult) -> tuple[str, str]:
    """The claimed block's outer distance (metres) and time ("14 days") as words."""
    return (
        label_number(claim.top_s * result.spatial_band_m),
        day_words(claim.top_t * result.temporal_band_days),
    )


def _ratio(ratio: float) -> str:
    """A ratio to 1 decimal, or 2 when near 1 (so an excess never reads as "1.0")."""
    return f"{ratio:.2f}" if abs(ratio - 1.0) < 0.095 else f"{ratio:.1f}"


def _times(ratio: float) -> str:
    if math.isinf(ratio):
        return "far more likely than chance would give (chance gives almost none)"
    return f"{_ratio(ratio)} times as likely as chance would give"


def _p(p: float) -> str:
    return f"p = {p:.2g}"


def verdict(
    result: KnoxResult, *, alpha: float = 0.05, events: tuple[str, str] = ("incident", "incidents")
) -> str:
    """A plain-English verdict on near repeats, with exact distances and times.

    The near-repeat claim pools cells. Every rectangle of spatial bands 1..S and
    temporal bands 1..T (same location and "more than" left out) is a test of its
    pooled count against the pooled simulated counts; the p-values of these
    ``n_spatial·n_temporal`` tests are adjusted together (Westfall-Young single-step
    min-p over the same permutations), so that on data without space-time interaction
    a near-repeat pattern is claimed in at most about ``alpha`` of cases. A pattern is
    only claimed when it is also large enough to matter: a pooled ratio of at least
    :data:`MIN_PATTERN_RATIO` (a smaller significant excess is reported as such). The verdict
    names the largest rectangle (most cells; then smaller p, then larger ratio) whose
    pooled ratio is above 1 with adjusted ``p <= alpha`` and whose outer spatial row
    and outer temporal column also have ratio above 1 and ``p <= alpha`` on their own,
    so the extent stated is one the data support rather than one carried by a strong
    core. Same-location pairs (under 1 m) are judged the same way, over temporal bands
    1..T, and reported in a sentence of their own.

    The ratio stated is the rectangle's pooled ``observed / expected``; the p-value is
    its adjusted p. Distances and times are exact: "within 200 m and 14 days" means
    less than 200 m (and at least 1 m) and less than 14 whole days apart.

    Parameters
    ----------
    result : KnoxResult
    alpha : float
        Significance level.
    events : (str, str)
        What the events are, one and many, after "an" ("assault", "assaults").

    Returns
    -------
    str
        For example::

            Near-repeat pattern: within 200 m and 14 days of an incident (less than
            200 m apart, not at the same place, and less than 14 days apart), another
            incident is 1.7 times as likely as chance would give (p = 0.01, allowing
            for the 20 combinations of distance and time tried).

            No near-repeat pattern: pairs of incidents close in space and time are about
            as common as chance would give (no combination of distance under 500 m and
            time under 28 days reaches p <= 0.05 once the 20 combinations tried are
            allowed for; less than 100 m and 7 days apart: 1.1 times, p = 0.21).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be between 0 and 1")
    one, many = events
    sentences = []
    rows = list(range(1, result.n_spatial + 1))
    near = _claims(result, rows, alpha, MIN_PATTERN_RATIO)
    small = None if near is not None else _claims(result, rows, alpha)
    if small is not None:
        dist, days = _extent(small, result)
        sentences.append(
            f"No near-repeat pattern worth acting on: within {dist} m and {days} of an "
            f"{one}, another {one} is {small.block.ratio:.2f} times as likely as chance "
            "would give "
            f"({_p(small.adjusted_p)}, allowing for the {small.tried} combinations tried) — "
            f"detectable, but under the {MIN_PATTERN_RATIO:g} times this tool calls a pattern."
        )
    elif near is not None:
        dist, days = _extent(near, result)
        sentences.append(
            f"Near-repeat pattern: within {dist} m and {days} of an {one} (less than "
            f"{dist} m apart, not at the same place, and less than {days} apart), another "
            f"{one} is {_times(near.block.ratio)} ({_p(near.adjusted_p)}, allowing for "
            f"the {near.tried} combinations of distance and time tried)."
        )
    else:
        first = pool(result, [1], [0])
        tried = result.n_spatial * result.n_temporal
        if math.isnan(first.ratio):
            ratio = "no pairs expected"
        elif math.isinf(first.ratio):
            ratio = f"{first.observed} pairs where chance gives almost none"
        else:
            ratio = f"{_ratio(first.ratio)} times"
        sentences.append(
            f"No near-repeat pattern: pairs of {many} close in space and time are about "
            "as common as chance would give (no combination of distance under "
            f"{label_number(result.n_spatial * result.spatial_band_m)} m and time under "
            f"{day_words(result.n_temporal * result.temporal_band_days)} reaches "
            f"p <= {alpha:g} once the {tried} combinations tried are allowed for; less "
            f"than {label_number(result.spatial_band_m)} m and "
            f"{day_words(result.temporal_band_days)} apart: {ratio}, {_p(first.p)})."
        )
    same = _claims(result, [0], alpha, MIN_PATTERN_RATIO)
    if same is not None:
        days = day_words(same.top_t * result.temporal_band_days)
        sentences.append(
            f"Repeat victimisation at the same place: another {one} at the same "
            f"location (under {label_number(SAME_LOCATION_M)} m away) less than {days} before or "
            f"after an {one} is {_times(same.block.ratio)} ({_p(same.adjusted_p)}, allowing "
            f"for the {same.tried} time bands tried)."
        )
    return " ".join(sentences)
