"""Near repeats: the Knox space-time interaction test (DESIGN §5), arrays in, arrays out.

* :func:`knox` — counts every unordered pair of events in a table of spatial bands
  (rows) by temporal bands (columns) and compares it with Monte Carlo permutations of
  the event times among the events: Knox ratios and one-sided p-values per cell.

Pooling cells and the plain-English verdict are :mod:`geo.stats.knox_verdict`.

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
    "day_words",
    "label_number",
    "SAME_LOCATION_M",
    "KnoxResult",
    "knox",
    "spatial_labels",
    "temporal_labels",
]

#: Pairs closer than this many metres are at the "same location" (row 0).
SAME_LOCATION_M: Final = 1.0
#: Elements per chunk of pre-generated permuted times (a chunk is chunk x n events).
_CHUNK_ELEMENTS: Final = 4_000_000
#: Close pairs per piece processed at once (small enough to stay in the CPU cache).
_PIECE_PAIRS: Final = 1 << 17


# --- labels ------------------------------------------------------------------------------


def label_number(value: float) -> str:
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
    labels = [f"same location (under {label_number(SAME_LOCATION_M)} m)"]
    for k in range(1, n_spatial + 1):
        lo = SAME_LOCATION_M if k == 1 else (k - 1) * s
        hi = k * s
        if whole:
            top = int(hi) - 1
            labels.append(
                f"{label_number(lo)} m"
                if top == lo
                else f"{label_number(lo)} to {label_number(top)} m"
            )
        else:
            labels.append(f"{label_number(lo)} to under {label_number(hi)} m")
    labels.append(f"{label_number(n_spatial * s)} m or more")
    return labels


def day_words(n: int) -> str:
    """``1 day``, ``7 days`` (thousands separated)."""
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
        labels.append(day_words(lo) if lo == top else f"{lo:,} to {day_words(top)}")
    labels.append(f"{day_words(n_temporal * tau)} or more")
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
