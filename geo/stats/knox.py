"""Near repeats: the Knox space-time interaction test (DESIGN §5), arrays in, arrays out.

* :func:`knox` — counts every unordered pair of events in a table of spatial bands
  (rows) by temporal bands (columns) and compares it with Monte Carlo permutations of
  the event times among the events: Knox ratios and one-sided p-values per cell.
* :func:`pool` — the same statistics for a block of cells taken together.
* :func:`verdict` — a plain-English verdict, like the Near Repeat Calculator's but
  with exact intervals and pooled significance.

Near-repeat chains (events linked by being close in space and time) are in
:mod:`geo.stats.near_repeat_chains`; both find close pairs with :mod:`geo.stats.event_pairs`.

Coordinates are British National Grid metres (EPSG:27700); distances are Euclidean,
``d = hypot(x_i - x_j, y_i - y_j)``. Times are whole day numbers (for example days
since 1970-01-01); the time between two events is ``Δ = |day_i - day_j|`` in whole days.

Bands of the Knox table, with spatial band width ``s`` metres and temporal band width
``τ`` days:

* row 0, "same location": ``d < 1`` m;
* row k = 1..n_spatial: ``(k - 1)·s <= d < k·s``, same-location pairs excluded;
* the last row, "more than": ``d >= n_spatial·s``;
* column k = 1..n_temporal (positions 0..n_temporal-1): ``(k - 1)·τ <= Δ < k·τ``;
* the last column, "more than": ``Δ >= n_temporal·τ``.

Labels state each interval exactly in whole units, distances read as whole metres
rounded down ("same location (under 1 m)", "1 to 99 m", "100 to 199 m", ...,
"500 m or more"; "0 to 6 days", ..., "28 days or more"). The Near Repeat Calculator's
labels ("0 to 100", "101 to 200") are off by one; these are not.

Performance: pairs closer than ``n_spatial·s`` are found once with a KD-tree. The
temporal histogram of *all* pairs is computed from the sorted times alone
(``searchsorted``, O(N log N)); it does not change when the times are permuted among
the events, so the "more than" row follows by subtraction and only the close pairs
are recounted for each permutation.

This module is longer than ~600 lines because it is one topic: the pooled claims and the
verdict read the test's simulated tables, bands and labels, and its pair counter is tuned
for the permutations it runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.core.errors import InsufficientDataError
from geo.stats.event_pairs import close_pairs, event_coords

__all__ = [
    "MIN_PATTERN_RATIO",
    "SAME_LOCATION_M",
    "KnoxResult",
    "Pooled",
    "knox",
    "pool",
    "spatial_labels",
    "temporal_labels",
    "verdict",
]

#: Pairs closer than this many metres are at the "same location" (row 0).
SAME_LOCATION_M: Final = 1.0
#: Smallest pooled Knox ratio called a near-repeat (or repeat) pattern: below it an excess
#: may be statistically detectable in a large sample but is too small to plan patrols or
#: outreach around (practitioners' near-repeat calculators flag ratios from 1.2).
MIN_PATTERN_RATIO: Final = 1.2
#: Elements per chunk of pre-generated permuted times (a chunk is chunk x n events).
_CHUNK_ELEMENTS: Final = 4_000_000
#: Close pairs per piece processed at once (small enough to stay in the CPU cache).
_PIECE_PAIRS: Final = 1 << 17


# --- labels ------------------------------------------------------------------------------


def _num(value: float) -> str:
    """A number for a label: whole numbers without decimals, thousands separated."""
    v = float(value)
    if v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.6g}"


def spatial_labels(spatial_band_m: float, n_spatial: int) -> list[str]:
    """Row labels of the Knox table (same location, bands 1..n, "more than").

    With a whole-metre band width the bands are stated in whole metres, distances
    rounded down: band k is "(k-1)·s to k·s - 1 m" and band 1 starts at 1 m because
    same-location pairs (under 1 m) have a row of their own. With a fractional width
    the upper bound is stated as "under k·s m".

    Examples
    --------
    >>> spatial_labels(100, 2)
    ['same location (under 1 m)', '1 to 99 m', '100 to 199 m', '200 m or more']
    >>> spatial_labels(150, 2)[1:3]
    ['1 to 149 m', '150 to 299 m']
    """
    s = float(spatial_band_m)
    whole = s.is_integer()
    labels = [f"same location (under {_num(SAME_LOCATION_M)} m)"]
    for k in range(1, n_spatial + 1):
        lo = SAME_LOCATION_M if k == 1 else (k - 1) * s
        hi = k * s
        if whole:
            top = int(hi) - 1
            labels.append(f"{_num(lo)} m" if top == lo else f"{_num(lo)} to {_num(top)} m")
        else:
            labels.append(f"{_num(lo)} to under {_num(hi)} m")
    labels.append(f"{_num(n_spatial * s)} m or more")
    return labels


def _days(n: int) -> str:
    return f"{n:,} day" if n == 1 else f"{n:,} days"


def temporal_labels(temporal_band_days: int, n_temporal: int) -> list[str]:
    """Column labels of the Knox table (bands 1..n, then "more than"), in whole days.

    Examples
    --------
    >>> temporal_labels(7, 2)
    ['0 to 6 days', '7 to 13 days', '14 days or more']
    """
    tau = int(temporal_band_days)
    labels = []
    for k in range(1, n_temporal + 1):
        lo, top = (k - 1) * tau, k * tau - 1
        labels.append(_days(lo) if lo == top else f"{lo:,} to {_days(top)}")
    labels.append(f"{_days(n_temporal * tau)} or more")
    return labels


# --- inputs ------------------------------------------------------------------------------


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1 (got {value!r})")
    return int(value)


# --- the Knox test -----------------------------------------------------------------------


@dataclass(frozen=True)
class KnoxResult:
    """Result of :func:`knox`.

    Every table has the spatial bands as rows (``"same location (under 1 m)"``, bands
    1..n_spatial, then "more than") and the temporal bands as columns (bands
    1..n_temporal, then "more than"), labelled exactly (see :func:`spatial_labels`).

    Attributes
    ----------
    observed : DataFrame of int64
        Number of unordered pairs of events in each cell.
    expected : DataFrame of float64
        Mean count over the permutations of the event times.
    ratio : DataFrame of float64
        Knox ratio ``observed / expected`` (NaN where ``expected`` is 0).
    p : DataFrame of float64
        One-sided Monte Carlo p-value ``(1 + #{sim >= obs}) / (1 + permutations)``.
    simulated : ndarray of int64, shape (permutations, rows, columns)
        The count tables of every permutation, for pooled tests (:func:`pool`).
    n_events, n_pairs : int
        Events and unordered pairs ``n(n-1)/2``.
    n_close_pairs : int
        Pairs less than ``n_spatial·spatial_band_m`` metres apart (all rows but the last).
    permutations, seed : int
        Monte Carlo runs and the ``numpy.random.default_rng`` seed.
    spatial_band_m : float
        Spatial band width s in metres (EPSG:27700).
    n_spatial : int
        Spatial bands after "same location" and before "more than".
    temporal_band_days : int
        Temporal band width τ in whole days.
    n_temporal : int
        Temporal bands before "more than".
    """

    observed: pd.DataFrame
    expected: pd.DataFrame
    ratio: pd.DataFrame
    p: pd.DataFrame
    simulated: npt.NDArray[np.int64]
    n_events: int
    n_pairs: int
    n_close_pairs: int
    permutations: int
    seed: int
    spatial_band_m: float
    n_spatial: int
    temporal_band_days: int
    n_temporal: int


def _spatial_band(d: npt.NDArray[np.float64], s: float, n: int) -> npt.NDArray[np.intp]:
    """Row of each distance: 0 same location, k for (k-1)·s <= d < k·s, n+1 beyond."""
    edges = s * np.arange(1, n + 1, dtype=np.float64)  # k·s, the same float as k * s
    band = np.searchsorted(edges, d, side="right") + 1
    band[d < SAME_LOCATION_M] = 0
    return np.asarray(band, dtype=np.intp)


def _all_pairs_temporal(t_sorted: npt.NDArray[np.int64], tau: int, n_t: int) -> np.ndarray:
    """Histogram of Δ over all unordered pairs in the n_t bands and "more than".

    For each event i (in sorted order) the events j > i with ``t_j < t_i + D`` are
    ``searchsorted(t, t_i + D) - i - 1``; summing gives #{pairs with Δ < D}.
    """
    n = t_sorted.size
    total = n * (n - 1) // 2
    rank = np.arange(n, dtype=np.int64)
    below = [0]
    for k in range(1, n_t + 1):
        stop = np.searchsorted(t_sorted, t_sorted + k * tau, side="left")
        below.append(int((stop - rank - 1).sum()))
    below.append(total)
    return np.diff(np.asarray(below, dtype=np.int64))


class _PairCounter:
    """Counts close pairs by spatial row and temporal band for many time assignments.

    Each close pair goes to bin ``row·width + cap + clip(t_i - t_j, -cap, cap)`` of one
    ``bincount`` (``cap = n_temporal·τ``, ``width = 2·cap + 1``); a 0/1 matrix then
    folds the signed differences into temporal bands. The pairs are ordered by their
    first event, so the first endpoints' times are ``np.repeat(times, pairs per
    event)``, and processed in pieces of whole events small enough for the CPU cache.
    """

    def __init__(
        self,
        i: npt.NDArray[np.intp],
        j: npt.NDArray[np.intp],
        band: npt.NDArray[np.intp],
        n: int,
        n_s: int,
        tau: int,
        n_t: int,
        span: int,
    ) -> None:
        self.cap = n_t * tau
        width = 2 * self.cap + 1
        self.n_rows = n_s + 1
        self.n_bins = self.n_rows * width
        small = max(self.n_bins, span) < 2**30
        self.dtype: type[np.signedinteger[Any]] = np.int32 if small else np.int64
        delta = np.abs(np.arange(-self.cap, self.cap + 1))
        self.fold = np.zeros((width, n_t + 1), dtype=np.int64)
        self.fold[np.arange(width), np.minimum(delta // tau, n_t)] = 1
        self.base = (band * width + self.cap).astype(self.dtype)
        self.j = j.astype(np.intp)
        self.per_event = np.bincount(i, minlength=n)
        # Pieces of whole events, about _PIECE_PAIRS pairs each.
        cum = np.concatenate([[0], np.cumsum(self.per_event)])
        cuts = np.searchsorted(cum, np.arange(_PIECE_PAIRS, int(cum[-1]), _PIECE_PAIRS))
        events = np.unique(np.concatenate([[0], cuts, [n]]))
        self.pieces = [
            (int(e0), int(e1), int(cum[e0]), int(cum[e1]))
            for e0, e1 in zip(events[:-1], events[1:], strict=True)
            if cum[e1] > cum[e0]
        ]

    def tables(self, times: np.ndarray) -> npt.NDArray[np.int64]:
        """Close-pair count tables, shape (m, n_spatial + 1, n_temporal + 1).

        ``times`` has shape (m, n): m assignments of day numbers (shifted to start at 0,
        at most ``span``) to the n events, in ``self.dtype``.
        """
        m = times.shape[0]
        hist = np.zeros((m, self.n_bins), dtype=np.int64)
        cap = self.cap
        for e0, e1, p0, p1 in self.pieces:
            per_event = self.per_event[e0:e1]
            j = self.j[p0:p1]
            base = self.base[p0:p1]
            other = np.empty(p1 - p0, dtype=self.dtype)
            for r in range(m):
                row = times[r]
                a = np.repeat(row[e0:e1], per_event)
                np.take(row, j, out=other, mode="wrap")  # indices are valid: no wrapping
                np.subtract(a, other, out=a)
                np.clip(a, -cap, cap, out=a)
                np.add(a, base, out=a)
                hist[r] += np.bincount(a, minlength=self.n_bins)
        return np.asarray(hist.reshape(m, self.n_rows, -1) @ self.fold, dtype=np.int64)


def knox(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    days: npt.ArrayLike,
    spatial_band_m: float = 100.0,
    n_spatial: int = 5,
    temporal_band_days: int = 7,
    n_temporal: int = 4,
    permutations: int = 999,
    seed: int = 0,
) -> KnoxResult:
    """Knox test of space-time interaction with Monte Carlo expected counts.

    Parameters
    ----------
    x_m, y_m : array of float
        Event coordinates in British National Grid metres (EPSG:27700).
    days : array of int (or datetime64)
        Event day numbers in whole days (for example days since 1970-01-01); a
        datetime64 array is converted to whole days (rounded down).
    spatial_band_m : float
        Spatial band width s in metres; must be more than the 1 m same-location limit.
    n_spatial : int
        Number of spatial bands before "more than" (``d >= n_spatial·s``).
    temporal_band_days : int
        Temporal band width τ in whole days.
    n_temporal : int
        Number of temporal bands before "more than" (``Δ >= n_temporal·τ``).
    permutations : int
        Monte Carlo runs (99 or 999 are usual).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same result.

    Returns
    -------
    KnoxResult

    Raises
    ------
    ValueError
        Inputs of different lengths, non-finite coordinates, days that are not whole
        numbers, or invalid band settings.
    InsufficientDataError
        Fewer than 3 events (fewer than 3 pairs).

    Notes
    -----
    The expected count of a cell under the null hypothesis (times independent of
    places) is also available exactly: ``row total × column total / n_pairs``, since a
    random permutation gives each pair a uniformly random pair of times. The Monte
    Carlo mean converges to it; the p-values need the simulated distribution.
    """
    x, y, t = event_coords(x_m, y_m, days)
    s = float(spatial_band_m)
    if not math.isfinite(s) or s <= SAME_LOCATION_M:
        raise ValueError(
            f"spatial_band_m must be a finite number of metres above {SAME_LOCATION_M:g} "
            f"(the same-location limit); got {spatial_band_m!r}"
        )
    n_s = _positive_int(n_spatial, "n_spatial")
    tau = _positive_int(temporal_band_days, "temporal_band_days")
    n_t = _positive_int(n_temporal, "n_temporal")
    runs = _positive_int(permutations, "permutations")
    n = x.size
    if n < 3:
        raise InsufficientDataError(
            f"the Knox test needs at least 3 events (at least 3 pairs); got {n}"
        )
    n_pairs = n * (n - 1) // 2
    rows, cols = n_s + 2, n_t + 1

    # Close pairs, found once, ordered by their first event, and the temporal
    # histogram of all pairs, which no permutation of the times changes.
    i, j, d = close_pairs(x, y, n_s * s)
    t0 = t - t.min()
    col_totals = _all_pairs_temporal(np.sort(t0), tau, n_t)
    counter = _PairCounter(i, j, _spatial_band(d, s, n_s), n, n_s, tau, n_t, int(t0.max()))
    times0 = t0.astype(counter.dtype)

    def tables(close: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Full tables from close-pair tables: the last row by subtraction."""
        out = np.empty((close.shape[0], rows, cols), dtype=np.int64)
        out[:, :-1] = close
        out[:, -1] = col_totals[None, :] - close.sum(axis=1)
        return out

    observed = tables(counter.tables(times0[None, :]))[0]
    rng = np.random.default_rng(seed)
    simulated = np.empty((runs, rows, cols), dtype=np.int64)
    chunk = max(1, min(runs, _CHUNK_ELEMENTS // n))
    for done in range(0, runs, chunk):
        m = min(chunk, runs - done)
        permuted = rng.permuted(np.broadcast_to(times0, (m, n)), axis=1)
        simulated[done : done + m] = tables(counter.tables(permuted))

    expected = simulated.mean(axis=0)
    ratio = np.full(expected.shape, np.nan)
    np.divide(observed, expected, out=ratio, where=expected > 0)
    p = (1.0 + (simulated >= observed[None]).sum(axis=0)) / (1.0 + runs)

    index = pd.Index(spatial_labels(s, n_s), name="distance")
    columns = pd.Index(temporal_labels(tau, n_t), name="time apart")

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=index.copy(), columns=columns.copy())

    return KnoxResult(
        observed=frame(observed),
        expected=frame(expected),
        ratio=frame(ratio),
        p=frame(p),
        simulated=simulated,
        n_events=n,
        n_pairs=n_pairs,
        n_close_pairs=int(i.size),
        permutations=runs,
        seed=int(seed),
        spatial_band_m=s,
        n_spatial=n_s,
        temporal_band_days=tau,
        n_temporal=n_t,
    )


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
        _num(claim.top_s * result.spatial_band_m),
        _days(claim.top_t * result.temporal_band_days),
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


def verdict(result: KnoxResult, *, alpha: float = 0.05) -> str:
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
    sentences = []
    rows = list(range(1, result.n_spatial + 1))
    near = _claims(result, rows, alpha, MIN_PATTERN_RATIO)
    small = None if near is not None else _claims(result, rows, alpha)
    if small is not None:
        dist, days = _extent(small, result)
        sentences.append(
            f"No near-repeat pattern worth acting on: within {dist} m and {days} of an "
            f"incident, another incident is {small.block.ratio:.2f} times as likely as chance "
            "would give "
            f"({_p(small.adjusted_p)}, allowing for the {small.tried} combinations tried) — "
            f"detectable, but under the {MIN_PATTERN_RATIO:g} times this tool calls a pattern."
        )
    elif near is not None:
        dist, days = _extent(near, result)
        sentences.append(
            f"Near-repeat pattern: within {dist} m and {days} of an incident (less than "
            f"{dist} m apart, not at the same place, and less than {days} apart), another "
            f"incident is {_times(near.block.ratio)} ({_p(near.adjusted_p)}, allowing for "
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
            "No near-repeat pattern: pairs of incidents close in space and time are about "
            "as common as chance would give (no combination of distance under "
            f"{_num(result.n_spatial * result.spatial_band_m)} m and time under "
            f"{_days(result.n_temporal * result.temporal_band_days)} reaches "
            f"p <= {alpha:g} once the {tried} combinations tried are allowed for; less "
            f"than {_num(result.spatial_band_m)} m and {_days(result.temporal_band_days)} "
            f"apart: {ratio}, {_p(first.p)})."
        )
    same = _claims(result, [0], alpha, MIN_PATTERN_RATIO)
    if same is not None:
        days = _days(same.top_t * result.temporal_band_days)
        sentences.append(
            f"Repeat victimisation at the same place: another incident at the same "
            f"location (under {_num(SAME_LOCATION_M)} m away) less than {days} before or "
            f"after an incident is {_times(same.block.ratio)} ({_p(same.adjusted_p)}, allowing "
            f"for the {same.tried} time bands tried)."
        )
    return " ".join(sentences)
