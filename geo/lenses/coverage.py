"""Youth-work coverage, unmet need, gaps and a deployment planner.

Everything here is per **cell and time-of-week block**: the study-area grid at an
analysis resolution (H3 strings at every public boundary, ``uint64`` inside) crossed
with a small set of :class:`TimeBlock` windows of the week.

Model
-----
**Blocks** (:data:`DEFAULT_BLOCKS`, configurable; windows are half-open
``[start, end)`` in UK local clock time, and a window whose ``end`` is not after its
``start`` runs past midnight into the next day, belonging to the day it *starts*):

============================  =====================================
``after_school``              Monday-Friday 15:00-19:00
``weekday_evening``           Monday-Thursday 19:00-23:00
``weekend_day``               Saturday-Sunday 10:00-19:00
``weekend_evening``           Friday-Sunday 19:00-23:00
============================  =====================================

Friday evening counts as a *weekend* evening: it is the first night with no school
next morning, youth services and the night-time economy treat it so, and the synthetic
demo plants its weekend-evening harm on Friday to Sunday evenings. Blocks may not
overlap (:func:`check_blocks`); times outside every block belong to no block (``''``).

**Coverage** (:func:`session_hours`, :func:`coverage_hours`): a session covers an
analysis cell when the straight-line distance in British National Grid metres
(EPSG:27700) from the cell's centre to the centre of the session's storage cell — or,
for an area session, to the centre of *any* of its storage cells — is at most
``reach_m`` (inclusive; default 400 m). The hours a session adds to a (cell, block)
are its overlap with the block in hours (a 18:00-21:00 Tuesday session gives 1 h
after school and 2 h on a weekday evening); an area session counts once per cell
however many of its cells are in reach. Times are to the minute and seconds
(fractions of a minute) are kept.

**Need** (:func:`need`, :func:`need_from_events`): per (cell, block), serious youth
violence incidents (:data:`geo.core.schema.SYV_CATEGORIES` less harmful sexual behaviour,
narrowed by the filter's categories), harmful sexual behaviour incidents (always
counted, whatever the category filter) and missing children found or last seen there
(by default at the time they were found, ``returned_at``, else ``reported_at``).
Only incidents with ``time_precision == "minute"`` can be placed in a block; the
others are counted and reported as left out (:class:`NeedResult`). Missing episodes
carry no precision column, so a time of exactly 00:00:00 is read as a date typed
without a time and left out too. The weighted need is::

    need = 1.0·syv + 2.0·hsb + 1.5·missing      (NeedWeights defaults)

HSB weighs double because it is under-reported and detached youth work is one of
the few routes to disclosure; a found-location weighs 1.5 because each is a child
known to be at risk who was in that place at that time. Change them with
:class:`NeedWeights`.

**Unmet need**: existing sessions count as coverage in proportion to their weekly
hours in reach, up to ``min_weekly_hours`` (default 1 h a week averaged over the
period)::

    unmet = need · (1 − min(1, hours_per_week / min_weekly_hours))

so a weekly three-hour session leaves nothing unmet in its block and a monthly one
leaves most of the need unmet. Fixed sites (already committed deployments) cover
everything within reach in their block completely.

**Gaps** (:func:`gaps`, :func:`rank_gaps`): the (cell, block) pairs of recurring
locations (the top of :func:`geo.lenses.recurring.rank_recurring_locations`) and of hot
cells (Getis-Ord Gi* of the block's need over the grid, 95 % after FDR) that have
need of at least ``min_need`` in the block, ranked by unmet need (ties: more need
first), each with a plain-English reason ("312 incidents and 4 missing children
found on weekend evenings (Fri-Sun 19:00-23:00) in 2023-01 to 2024-12; no
youth-work session within 400 m at those times").

**Planner** (:func:`coverage_problem`, :func:`plan_greedy`, :func:`plan_exact`):
a deployment is a (cell, block) pair — one team for one weekly session in that
block at that cell — and it covers the unmet need of every cell within ``reach_m``
in the same block. With K deployments, maximise the unmet need covered (weighted
maximum coverage). :func:`plan_greedy` takes the deployment with the largest marginal
gain K times (guaranteed at least ``1 − 1/e`` ≈ 63 % of the optimum);
:func:`plan_exact` solves the same problem with :func:`scipy.optimize.milp` (HiGHS)
when it is small enough (status ``too_large`` otherwise).

**Health sites** (:func:`nearest_sites`): straight-line distance (EPSG:27700 metres)
from each gap's cell centre to the nearest site (A&E, GP, sexual-health clinic...),
which may lie outside the study area.

Public API
----------
- ``TimeBlock(name, label, weekdays, start, end)``, ``DEFAULT_BLOCKS``,
  ``check_blocks(blocks)``, ``block_of(times, blocks) -> ndarray[str]``,
  ``block_index(times, blocks) -> ndarray[int]``,
  ``block_hours(started, ended, blocks) -> ndarray (sessions, blocks)``
- ``NeedWeights``, ``CoverageSettings`` (frozen, hashable: cache keys)
- ``period_weeks(filters) -> float``, ``period_text(filters) -> str``
- ``coverage_hours(sessions, cells, reach_m, blocks) -> DataFrame(cell, block, hours,
  sessions)``; ``session_hours(store, filters, res, reach_m, blocks, cells)`` the same
  from the store
- ``need_from_events(incidents, missing, blocks, weights, categories) -> NeedResult``;
  ``need(store, filters, res, blocks, weights, missing_time) -> NeedResult`` with
  ``.table`` = DataFrame(cell, block, syv, hsb, incidents, missing, need)
- ``unmet_need(need_table, hours, weeks, min_weekly_hours) -> DataFrame``
- ``hot_cells(need_table, grid, blocks) -> DataFrame(cell, block, z, bin)``
- ``rank_gaps(unmet_table, places, hot, blocks, reach_m, min_need, period, exact_counts,
  min_count) -> DataFrame``, ``gaps(store, area, filters, settings) -> DataFrame``,
  ``analyse(store, area, filters, settings) -> CoverageAnalysis``
- ``coverage_problem(unmet_table, reach_m, allowed_blocks, candidates, fixed, blocks)
  -> CoverProblem``
- ``greedy_max_cover(cover, weights, k)``, ``exact_max_cover(cover, weights, k, ...)``
  (the solvers on a plain sparse matrix) and ``brute_force_max_cover`` (tiny
  instances, for checks)
- ``plan_greedy(problem, k) -> Plan``, ``plan_exact(problem, k, ...) -> Plan``,
  ``greedy_ratio(greedy, exact) -> float | None``
- ``nearest_sites(gaps, sites, kinds) -> DataFrame``
- ``disclose_gaps(frame, role, min_count)``, ``plan_frame(plan)``,
  ``plan_to_csv(plan) -> bytes``, ``plan_summary(plan, ...) -> str`` (Markdown, printable)
"""

from __future__ import annotations

import itertools
import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geo.core import hexes, schema
from geo.core.area import StudyArea, to_bng
from geo.core.errors import InsufficientDataError
from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.core.roles import Role
from geo.core.schema import SYV_CATEGORIES
from geo.disclosure import small_counts
from geo.lenses.recurring import RankingSettings, rank_recurring_locations
from geo.lenses.schools import cells_bng, pairs_within
from geo.render.export import to_csv_bytes
from geo.stats.getis_ord import gi_star
from geo.store.database import Store

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CellArray = npt.NDArray[np.uint64]

HSB: Final = "harmful_sexual_behaviour"
#: Minutes in a week; minute-of-week 0 is Monday 00:00.
WEEK_MINUTES: Final = 7 * 24 * 60
_DAY_MINUTES: Final = 24 * 60
#: A Monday, so that minutes since it modulo a week are minutes of the week.
_EPOCH: Final = pd.Timestamp("1970-01-05")
_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# =========================================================================== blocks
@dataclass(frozen=True)
class TimeBlock:
    """A recurring window of the week (UK local clock time).

    Attributes
    ----------
    name : str
        Machine name (``"weekend_evening"``).
    label : str
        Plain-English label (fixed text, safe to display).
    weekdays : tuple of int
        Days the window *starts* on, 0 = Monday .. 6 = Sunday.
    start, end : datetime.time
        Half-open ``[start, end)``. When ``end <= start`` the window runs past midnight
        into the next day (Friday 20:00-02:00 includes Saturday 01:00); ``start ==
        end`` is a whole day from ``start``.
    words : str
        How reasons name the block ("weekend evenings"); default: the label before
        any parenthesis, in lower case.
    """

    name: str
    label: str
    weekdays: tuple[int, ...]
    start: time
    end: time
    words: str = ""

    def __post_init__(self) -> None:
        if not self.weekdays or any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError(f"block {self.name!r}: weekdays must be 0 (Monday) .. 6 (Sunday)")

    @property
    def phrase(self) -> str:
        """Words for reasons: ``"weekend evenings (Fri-Sun 19:00-23:00)"``."""
        head, _, tail = self.label.partition(" (")
        words = self.words or head.lower()
        return f"{words} ({tail}" if tail else words

    def minute_mask(self) -> BoolArray:
        """Which minutes of the week (0 = Monday 00:00) fall in the block."""
        mask = np.zeros(WEEK_MINUTES, dtype=bool)
        s = self.start.hour * 60 + self.start.minute
        e = self.end.hour * 60 + self.end.minute
        length = e - s if e > s else e - s + _DAY_MINUTES
        for d in self.weekdays:  # at most seven days
            first = d * _DAY_MINUTES + s
            idx = np.arange(first, first + length) % WEEK_MINUTES
            mask[idx] = True
        return mask


#: The default blocks (see the module docstring for why Friday evening is "weekend").
DEFAULT_BLOCKS: Final[tuple[TimeBlock, ...]] = (
    TimeBlock(
        "after_school", "Weekday after school (Mon-Fri 15:00-19:00)",
        (0, 1, 2, 3, 4), time(15), time(19), "weekday afternoons after school",
    ),
    TimeBlock(
        "weekday_evening", "Weekday evenings (Mon-Thu 19:00-23:00)",
        (0, 1, 2, 3), time(19), time(23),
    ),
    TimeBlock("weekend_day", "Weekend days (Sat-Sun 10:00-19:00)", (5, 6), time(10), time(19)),
    TimeBlock(
        "weekend_evening", "Weekend evenings (Fri-Sun 19:00-23:00)",
        (4, 5, 6), time(19), time(23),
    ),
)  # fmt: skip


def check_blocks(blocks: Sequence[TimeBlock]) -> None:
    """Raise ValueError unless ``blocks`` are non-empty, uniquely named and disjoint."""
    if not blocks:
        raise ValueError("at least one time block is needed")
    names = [b.name for b in blocks]
    if len(set(names)) != len(names) or "" in names:
        raise ValueError("time blocks need distinct, non-empty names")
    owners = np.zeros(WEEK_MINUTES, dtype=np.int64)
    for b in blocks:
        owners += b.minute_mask()
    if (owners > 1).any():
        first = int(np.flatnonzero(owners > 1)[0])
        day, minute = divmod(first, _DAY_MINUTES)
        raise ValueError(
            f"time blocks overlap (first at {_DAY_NAMES[day]} {minute // 60:02d}:{minute % 60:02d})"
        )


def _block_lookup(blocks: Sequence[TimeBlock]) -> IntArray:
    """Block index of every minute of the week (-1 outside every block)."""
    check_blocks(blocks)
    lookup = np.full(WEEK_MINUTES, -1, dtype=np.int64)
    for i, b in enumerate(blocks):
        lookup[b.minute_mask()] = i
    return lookup


def _week_minutes(times: Any) -> tuple[FloatArray, BoolArray]:
    """Minutes (fractional) since a Monday epoch, and which times are present."""
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(times)))
    ok = np.asarray(stamps.notna(), dtype=bool)
    delta = (stamps - _EPOCH).to_numpy(dtype="timedelta64[ns]")
    minutes = np.where(ok, delta.astype(np.int64) / 60e9, 0.0)
    return np.asarray(minutes, dtype=np.float64), ok


def block_index(times: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> IntArray:
    """Position in ``blocks`` of each time's block (-1 outside every block or NaT)."""
    minutes, ok = _week_minutes(times)
    lookup = _block_lookup(blocks)
    mow = np.floor(minutes).astype(np.int64) % WEEK_MINUTES
    return np.where(ok, lookup[mow], -1).astype(np.int64)


def block_of(times: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS) -> npt.NDArray[np.object_]:
    """The block name of each time (UK local, naive), or ``''`` outside every block.

    Missing times (NaT) are ``''``.
    """
    idx = block_index(times, blocks)
    names = np.array([b.name for b in blocks] + [""], dtype=object)
    out: npt.NDArray[np.object_] = names[idx]  # -1 picks the trailing ''
    return out


def block_hours(
    started: Any, ended: Any, blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS
) -> FloatArray:
    """Hours of each ``[started, ended)`` interval inside each block.

    Vectorised with the cumulative minute count of each block over the week, so an
    interval of any length (across midnight, across several days) is split exactly.

    Returns
    -------
    float64 array of shape ``(len(started), len(blocks))``
        Hours; zero for missing times or intervals that end before they start.
    """
    check_blocks(blocks)
    s, ok_s = _week_minutes(started)
    e, ok_e = _week_minutes(ended)
    ok = ok_s & ok_e & (e > s)
    out = np.zeros((s.size, len(blocks)), dtype=np.float64)
    for j, b in enumerate(blocks):  # a handful of blocks
        mask = b.minute_mask()
        cum = np.concatenate(([0.0], np.cumsum(mask, dtype=np.float64)))

        out[:, j] = np.where(ok, (_integral(e, mask, cum) - _integral(s, mask, cum)) / 60.0, 0.0)
    return out


def _integral(m: FloatArray, mask: BoolArray, cum: FloatArray) -> FloatArray:
    """Minutes of the block from the epoch up to (fractional) minute ``m``."""
    whole = np.floor(m)
    weeks, mow = np.divmod(whole.astype(np.int64), WEEK_MINUTES)
    return np.asarray(weeks * cum[-1] + cum[mow] + (m - whole) * mask[mow], dtype=np.float64)


# =========================================================================== settings
@dataclass(frozen=True)
class NeedWeights:
    """Weights of the need score (hashable).

    Attributes
    ----------
    syv, hsb, missing : float
        Weight of a serious youth violence incident, a harmful sexual behaviour
        incident and a missing child found / last seen (defaults 1, 2, 1.5; see the
        module docstring for why).
    categories : tuple of str
        The incident categories that count as serious youth violence (HSB is counted
        apart, so it is ignored here).
    """

    syv: float = 1.0
    hsb: float = 2.0
    missing: float = 1.5
    categories: tuple[str, ...] = SYV_CATEGORIES


MissingTime = Literal["found", "reported"]


@dataclass(frozen=True)
class CoverageSettings:
    """Everything that shapes the analysis (hashable, so it can key caches).

    Attributes
    ----------
    res : int
        Analysis resolution (7-10).
    reach_m : float
        Reach of a session or deployment, metres (EPSG:27700), inclusive.
    blocks : tuple of TimeBlock
        The time-of-week blocks.
    weights : NeedWeights
        Need weights.
    min_weekly_hours : float
        Weekly hours in reach at which a (cell, block) counts as fully covered.
    min_need : float
        Least weighted need for a (cell, block) to be listed as a gap.
    recurring_top : int
        How many places of the recurring-location ranking are gap candidates.
    missing_time : {"found", "reported"}
        Which time places a missing episode in a block.
    exact_counts : bool
        Whether reasons may quote counts from 1 to ``min_count - 1`` and the place's
        number in the full recurring-location ranking (False for the partnership role).
    min_count : int
        The disclosure threshold.
    """

    res: int = 9
    reach_m: float = 400.0
    blocks: tuple[TimeBlock, ...] = DEFAULT_BLOCKS
    weights: NeedWeights = NeedWeights()
    min_weekly_hours: float = 1.0
    min_need: float = 3.0
    recurring_top: int = 20
    missing_time: MissingTime = "found"
    exact_counts: bool = True
    min_count: int = 6


def period_weeks(filters: Filters) -> float:
    """Length of the filter's period in weeks."""
    start, end = filters.bounds()
    return float((end - start) / pd.Timedelta(days=7))


def period_text(filters: Filters) -> str:
    """``"2023-01 to 2024-12"`` (or one month)."""
    if filters.month_from == filters.month_to:
        return filters.month_from
    return f"{filters.month_from} to {filters.month_to}"


# =========================================================================== cells
def _as_cells(values: Any) -> CellArray:
    """uint64 cells from H3 strings or integers."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.empty(0, dtype=np.uint64)
    if arr.dtype.kind in "iuf":
        return arr.astype(np.uint64)
    return hexes.str_to_cells(pd.Series(arr, dtype=object))


def _to_str(cells: CellArray) -> npt.NDArray[np.object_]:
    return np.asarray(hexes.cells_to_str(cells), dtype=object)


def _rings_for(res: int, reach_m: float) -> int:
    """Grid steps that certainly include every cell centre within ``reach_m``."""
    area_m2 = hexes.average_cell_area_km2(res) * 1e6
    edge = math.sqrt(2.0 * area_m2 / (3.0 * math.sqrt(3.0)))
    # neighbouring centres are about sqrt(3)·edge apart; H3 cells vary by ~±20 %
    return int(math.ceil(reach_m / (math.sqrt(3.0) * edge * 0.8))) + 1


def _cells_near(cells: Any, res: int, reach_m: float) -> CellArray:
    """Cells at ``res`` whose centres lie within ``reach_m`` of any of ``cells``' centres.

    ``cells`` may be at any resolution (storage cells of sessions, for instance).
    Returns sorted unique uint64 cells.
    """
    src = np.unique(_as_cells(cells))
    if src.size == 0:
        return np.empty(0, dtype=np.uint64)
    src_res = hexes.cell_resolution(src)
    if (src_res < res).any():
        raise ValueError(f"_cells_near needs cells at res {res} or finer")
    base = src.copy()
    finer = src_res > res
    if finer.any():
        base[finer] = hexes.cells_to_parent(src[finer], res)
    _, ring = hexes.grid_disk(np.unique(base), _rings_for(res, reach_m))
    ring = np.unique(ring)
    rx, ry = cells_bng(ring)
    sx, sy = cells_bng(src)
    centre, _, _ = pairs_within(rx, ry, sx, sy, reach_m)
    return np.asarray(ring[np.unique(centre)], dtype=np.uint64)


def _reach_matrix(targets: CellArray, points: CellArray, reach_m: float) -> sp.csr_matrix:
    """Sparse boolean ``(len(targets), len(points))``: centres within ``reach_m``."""
    tx, ty = cells_bng(targets)
    px, py = cells_bng(points)
    t_idx, p_idx, _ = pairs_within(tx, ty, px, py, reach_m)
    data = np.ones(t_idx.size, dtype=np.float64)
    return sp.csr_matrix((data, (t_idx, p_idx)), shape=(targets.size, points.size))


# =========================================================================== coverage
_HOURS_COLUMNS: Final = ["cell", "block", "hours", "sessions"]


def coverage_hours(
    sessions: pd.DataFrame,
    cells: Any,
    reach_m: float = 400.0,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
) -> pd.DataFrame:
    """Youth-work hours within reach of each cell, per block.

    Parameters
    ----------
    sessions : DataFrame
        One row per session *location*: ``session_id`` (with ``source`` when ids are
        only unique within a source), ``started_at``, ``ended_at`` (UK local, naive) and
        ``cell`` (H3 string or uint64, any resolution: a point session has one row,
        an area session one row per cell of its area).
    cells : array_like
        The cells to report (H3 strings or uint64, any one resolution).
    reach_m : float
        Inclusive reach in metres between the reported cell's centre and a session
        cell's centre (EPSG:27700).
    blocks : sequence of TimeBlock
        Time-of-week blocks.

    Returns
    -------
    DataFrame
        One row per cell and block, zeros included, cells in the order given:
        ``cell`` (H3 string), ``block`` (name), ``hours`` (session hours overlapping the
        block, each session counted once per cell however many of its cells are in
        reach) and ``sessions`` (sessions with any hours in the block).
    """
    targets = _as_cells(cells)
    hours, count = _coverage_matrix(sessions, targets, reach_m, blocks)
    return _long(targets, blocks, {"hours": hours, "sessions": count})


def _coverage_matrix(
    sessions: pd.DataFrame, targets: CellArray, reach_m: float, blocks: Sequence[TimeBlock]
) -> tuple[FloatArray, IntArray]:
    n_b = len(blocks)
    check_blocks(blocks)
    hours = np.zeros((targets.size, n_b), dtype=np.float64)
    count = np.zeros((targets.size, n_b), dtype=np.int64)
    located = sessions.loc[sessions["cell"].notna()]
    if located.empty or targets.size == 0:
        return hours, count
    keys = ["source", "session_id"] if "source" in located.columns else ["session_id"]
    session_idx = located.groupby(keys, sort=False).ngroup().to_numpy(dtype=np.int64)
    _, rows = np.unique(session_idx, return_index=True)  # first row of each session
    per_session = block_hours(
        located["started_at"].to_numpy()[rows], located["ended_at"].to_numpy()[rows], blocks
    )
    loc_cells, loc_inv = np.unique(_as_cells(located["cell"].to_numpy()), return_inverse=True)
    n_s = rows.size
    where = sp.csr_matrix(
        (np.ones(loc_inv.size), (session_idx, loc_inv.ravel())), shape=(n_s, loc_cells.size)
    )
    reach = _reach_matrix(targets, loc_cells, reach_m)  # targets × locations
    touches = (reach @ where.T).tocsr()  # targets × sessions: locations in reach
    touches.data = np.ones_like(touches.data)
    hours = np.asarray(touches @ per_session, dtype=np.float64)
    count = np.asarray(touches @ (per_session > 0).astype(np.float64)).round().astype(np.int64)
    return hours, count


def _long(
    targets: CellArray, blocks: Sequence[TimeBlock], values: Mapping[str, Any]
) -> pd.DataFrame:
    n_b = len(blocks)
    out = pd.DataFrame(
        {
            "cell": np.repeat(_to_str(targets), n_b),
            "block": np.tile(np.array([b.name for b in blocks], dtype=object), targets.size),
        }
    )
    for name, matrix in values.items():
        out[name] = np.asarray(matrix).reshape(-1)
    return out


def _session_frame(store: Store, filters: Filters) -> pd.DataFrame:
    """Session locations in the period (storage cells, uint64), one row per location."""
    start, end = filters.bounds()
    return store.query(
        "SELECT s.source, s.session_id, s.started_at, s.ended_at, s.cell FROM youth_sessions s "
        "WHERE NOT s.is_area AND s.cell IS NOT NULL AND s.started_at >= ? AND s.started_at < ? "
        "UNION ALL SELECT s.source, s.session_id, s.started_at, s.ended_at, c.cell "
        "FROM youth_sessions s JOIN youth_session_cells c USING (source, session_id) "
        "WHERE s.is_area AND c.cell IS NOT NULL AND s.started_at >= ? AND s.started_at < ?",
        [start, end, start, end],
    )


def session_hours(
    store: Store,
    filters: Filters,
    res: int = 9,
    reach_m: float = 400.0,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    cells: Any = None,
) -> pd.DataFrame:
    """Detached youth-work hours within ``reach_m`` of each cell at ``res``, per block.

    Sessions starting in the filter's period count; see :func:`coverage_hours` for the
    model and the columns. ``cells`` (H3 strings at ``res``) defaults to every cell
    at ``res`` within reach of some session.
    """
    _check_res(res)
    frame = _session_frame(store, filters)
    targets = (
        _cells_near(frame["cell"].to_numpy(dtype=np.uint64), res, reach_m)
        if cells is None
        else _as_cells(cells)
    )
    return coverage_hours(frame, targets, reach_m, blocks)


def _check_res(res: int) -> None:
    if res not in ANALYSIS_RESOLUTIONS:
        raise ValueError(f"analysis resolution must be one of {ANALYSIS_RESOLUTIONS}")


# =========================================================================== need
_NEED_COLUMNS: Final = ["cell", "block", "syv", "hsb", "incidents", "missing", "need"]


@dataclass(frozen=True, eq=False)
class NeedResult:
    """Need per (cell, block) and what could not be placed in a block.

    Attributes
    ----------
    table : DataFrame
        Rows with any events: ``cell`` (H3 string), ``block``, ``syv``, ``hsb``,
        ``incidents`` (= syv + hsb), ``missing`` (counts) and ``need`` (weighted).
    incidents_used, missing_used : int
        Events placed in a block.
    incidents_imprecise, missing_imprecise : int
        Events left out because their time is not precise to the minute.
    incidents_outside, missing_outside : int
        Precisely timed events at times outside every block.
    """

    table: pd.DataFrame
    incidents_used: int = 0
    missing_used: int = 0
    incidents_imprecise: int = 0
    missing_imprecise: int = 0
    incidents_outside: int = 0
    missing_outside: int = 0

    @property
    def note(self) -> str:
        """One sentence on what was left out."""
        parts = [
            f"{self.incidents_imprecise:,} incidents and {self.missing_imprecise:,} missing "
            "episodes were left out because their time of day is not known",
            f"{self.incidents_outside:,} incidents and {self.missing_outside:,} episodes fell "
            "outside every time block",
        ]
        return (
            f"Need counts {self.incidents_used:,} incidents and {self.missing_used:,} missing "
            f"episodes; " + "; ".join(parts) + "."
        )


def need_from_events(
    incidents: pd.DataFrame,
    missing: pd.DataFrame,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    weights: NeedWeights = NeedWeights(),
    categories: Sequence[str] = (),
) -> NeedResult:
    """Need per (cell, block) from event frames.

    Parameters
    ----------
    incidents : DataFrame
        ``cell`` (H3 string or uint64 at the analysis resolution; missing cells are
        dropped), ``category``, ``occurred_at``, ``time_precision``.
    missing : DataFrame
        ``cell`` (found / last-seen cell), ``at`` (the time that places the episode)
        and optionally ``precise`` (bool; default: the time is not exactly 00:00:00).
    blocks : sequence of TimeBlock
    weights : NeedWeights
    categories : sequence of str
        When non-empty, serious youth violence is narrowed to these categories
        (harmful sexual behaviour is counted whatever they are).

    Returns
    -------
    NeedResult
    """
    n_b = len(blocks)
    syv_cats = [c for c in weights.categories if c != HSB]
    if categories:
        syv_cats = [c for c in syv_cats if c in set(categories)]
    inc = incidents.loc[incidents["cell"].notna()]
    cat = inc["category"].astype(str)
    is_hsb = cat.eq(HSB).to_numpy()
    is_syv = (
        schema.is_syv(cat, inc["source"], syv_cats)
        if "source" in inc.columns
        else cat.isin(syv_cats).to_numpy()
    )
    relevant = is_hsb | is_syv
    precise = inc["time_precision"].eq("minute").to_numpy() & inc["occurred_at"].notna().to_numpy()
    b_inc = block_index(inc["occurred_at"], blocks)
    use_inc = relevant & precise & (b_inc >= 0)

    mis = missing.loc[missing["cell"].notna()]
    at = pd.to_datetime(mis["at"])
    m_precise = (
        mis["precise"].to_numpy(dtype=bool)
        if "precise" in mis.columns
        else (at.notna() & (at != at.dt.normalize())).to_numpy(dtype=bool)
    )
    b_mis = block_index(at, blocks)
    use_mis = m_precise & (b_mis >= 0)

    inc_cells = _as_cells(inc["cell"].to_numpy())
    mis_cells = _as_cells(mis["cell"].to_numpy())
    all_cells = np.unique(np.concatenate([inc_cells[use_inc], mis_cells[use_mis]]))
    n_c = all_cells.size

    def tally(cells: CellArray, blk: IntArray, mask: BoolArray) -> IntArray:
        pos = np.searchsorted(all_cells, cells[mask]) * n_b + blk[mask]
        return np.bincount(pos, minlength=n_c * n_b).reshape(n_c, n_b).astype(np.int64)

    syv = tally(inc_cells, b_inc, use_inc & is_syv & ~is_hsb)
    hsb = tally(inc_cells, b_inc, use_inc & is_hsb)
    mis_n = tally(mis_cells, b_mis, use_mis)
    need_w = weights.syv * syv + weights.hsb * hsb + weights.missing * mis_n
    table = _long(
        all_cells,
        blocks,
        {"syv": syv, "hsb": hsb, "incidents": syv + hsb, "missing": mis_n, "need": need_w},
    )
    table = table.loc[table["need"].gt(0) | table["incidents"].gt(0) | table["missing"].gt(0)]
    return NeedResult(
        table=table.reset_index(drop=True),
        incidents_used=int(use_inc.sum()),
        missing_used=int(use_mis.sum()),
        incidents_imprecise=int((relevant & ~precise).sum()),
        missing_imprecise=int((~m_precise).sum()),
        incidents_outside=int((relevant & precise & (b_inc < 0)).sum()),
        missing_outside=int((m_precise & (b_mis < 0)).sum()),
    )


def need(
    store: Store,
    filters: Filters,
    res: int = 9,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    weights: NeedWeights = NeedWeights(),
    missing_time: MissingTime = "found",
) -> NeedResult:
    """Need per (cell at ``res``, block) in the filter's period, from the store.

    Incidents by ``occurred_at``; missing episodes reported in the period, placed at
    their found / last-seen cell and, with ``missing_time="found"``, at ``returned_at``
    (``reported_at`` when the child had not returned), else at ``reported_at``. See
    :func:`need_from_events`.
    """
    _check_res(res)
    col = f"cell_{res}"
    start, end = filters.bounds()
    incidents = store.query(
        f"SELECT {col} AS cell, category, source, occurred_at, time_precision FROM incidents "
        f"WHERE occurred_at >= ? AND occurred_at < ? AND {col} IS NOT NULL",
        [start, end],
    )
    at = "coalesce(returned_at, reported_at)" if missing_time == "found" else "reported_at"
    missing = store.query(
        f"SELECT {col} AS cell, {at} AS at FROM missing_episodes "
        f"WHERE reported_at >= ? AND reported_at < ? AND {col} IS NOT NULL",
        [start, end],
    )
    return need_from_events(incidents, missing, blocks, weights, filters.categories)


def unmet_need(
    need_table: pd.DataFrame,
    hours: pd.DataFrame,
    weeks: float,
    min_weekly_hours: float = 1.0,
) -> pd.DataFrame:
    """Need joined with coverage: adds ``hours``, ``sessions``, ``hours_per_week``,
    ``coverage`` (0-1, weekly hours over ``min_weekly_hours``, capped) and ``unmet``
    (``need · (1 − coverage)``). (cell, block) pairs missing from ``hours`` have none."""
    if weeks <= 0:
        raise ValueError("weeks must be positive")
    if min_weekly_hours <= 0:
        raise ValueError("min_weekly_hours must be positive")
    cov = hours[["cell", "block", "hours", "sessions"]]
    out = need_table.merge(cov, on=["cell", "block"], how="left")
    out["hours"] = out["hours"].fillna(0.0).astype(float)
    out["sessions"] = out["sessions"].fillna(0).astype(np.int64)
    out["hours_per_week"] = out["hours"] / weeks
    out["coverage"] = np.minimum(out["hours_per_week"] / min_weekly_hours, 1.0)
    out["unmet"] = out["need"] * (1.0 - out["coverage"])
    return out


# =========================================================================== gaps
def hot_cells(
    need_table: pd.DataFrame,
    grid: Any,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    k: int = 1,
) -> pd.DataFrame:
    """Getis-Ord Gi* of each block's need over the whole grid (zeros included, FDR on).

    Returns ``cell``, ``block``, ``z``, ``bin`` (-3..3) for grid cells; blocks with no
    variance are left out.
    """
    grid_str = pd.Index(_to_str(np.sort(_as_cells(grid))))
    frames = []
    for b in blocks:  # a handful of blocks
        sub = need_table.loc[need_table["block"] == b.name]
        values = sub.groupby("cell")["need"].sum().reindex(grid_str, fill_value=0.0)
        try:
            gi = gi_star(values.astype(float), k=k, fdr=True)
        except InsufficientDataError:
            continue
        frames.append(
            pd.DataFrame(
                {"cell": grid_str.to_numpy(), "block": b.name, "z": gi["z"].to_numpy(),
                 "bin": gi["bin"].to_numpy()}
            )
        )  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["cell", "block", "z", "bin"])
    return pd.concat(frames, ignore_index=True)


_GAP_COLUMNS: Final = [
    "rank", "cell", "block", "block_label", "need", "unmet", "incidents", "syv", "hsb",
    "missing", "hours", "hours_per_week", "sessions", "coverage", "recurring_rank",
    "category", "hot_bin", "why", "reason",
]  # fmt: skip


def rank_gaps(
    table: pd.DataFrame,
    places: pd.DataFrame | None = None,
    hot: pd.DataFrame | None = None,
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
    reach_m: float = 400.0,
    min_need: float = 3.0,
    period: str = "the period",
    exact_counts: bool = True,
    *,
    min_count: int,
) -> pd.DataFrame:
    """Rank the recurring places and hot cells by the need left unmet in their blocks.

    Parameters
    ----------
    table : DataFrame
        From :func:`unmet_need`.
    places : DataFrame, optional
        Recurring places: ``cell`` (H3 string at the same resolution), ``rank``,
        ``category``. Every block of a place with enough need is a candidate.
    hot : DataFrame, optional
        From :func:`hot_cells`; (cell, block) pairs with ``bin >= 2`` are candidates.
    blocks, reach_m : the blocks (for labels) and the reach (for reasons), metres.
    min_need : float
        Least weighted need in the block.
    period : str
        How reasons name the period ("2023-01 to 2024-12", "this quarter").
    exact_counts, min_count : bool, int
        When ``exact_counts`` is False, counts from 1 to ``min_count - 1`` are never
        quoted in reasons, nor a place's number in the full recurring-location ranking
        (the partnership's ranking is renumbered without sensitive places).

    Returns
    -------
    DataFrame
        Gaps, most unmet need first (ties: more need, then cell): ``rank``, ``cell``,
        ``block``, ``block_label``, ``need``, ``unmet``, the counts, ``hours``,
        ``hours_per_week``, ``sessions``, ``coverage``, ``recurring_rank`` (0 when not
        a recurring place), ``category``, ``hot_bin``, ``why`` and ``reason``.
        Only pairs with unmet need are listed.
    """
    frame = table.copy()
    frame["recurring_rank"] = 0
    frame["category"] = ""
    frame["hot_bin"] = 0
    if places is not None and len(places):
        p = places.drop_duplicates("cell").set_index("cell")
        frame["recurring_rank"] = frame["cell"].map(p["rank"]).fillna(0).astype(np.int64)
        frame["category"] = frame["cell"].map(p["category"]).fillna("").astype(str)
    if hot is not None and len(hot):
        h = hot.set_index(["cell", "block"])["bin"]
        key = pd.MultiIndex.from_frame(frame[["cell", "block"]])
        frame["hot_bin"] = h.reindex(key).fillna(0).astype(np.int64).to_numpy()
    is_place = frame["recurring_rank"].gt(0)
    is_hot = frame["hot_bin"].ge(2)
    keep = (is_place | is_hot) & frame["need"].ge(min_need) & frame["unmet"].gt(1e-9)
    frame = frame.loc[keep].copy()
    frame["why"] = np.select(
        [is_place[keep] & is_hot[keep], is_place[keep]],
        ["recurring location and hot spot", "recurring location"],
        "hot spot",
    )
    labels = {b.name: b.label for b in blocks}
    frame["block_label"] = frame["block"].map(labels).fillna(frame["block"])
    frame = frame.sort_values(
        ["unmet", "need", "cell", "block"], ascending=[False, False, True, True], kind="stable"
    )
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    phrases = {b.name: b.phrase for b in blocks}
    frame["reason"] = [
        _gap_reason(row, phrases, reach_m, period, exact_counts, min_count)
        for row in frame.to_dict("records")
    ]
    return frame[_GAP_COLUMNS].reset_index(drop=True)


def _gap_reason(
    row: Mapping[Any, Any],
    phrases: Mapping[str, str],
    reach_m: float,
    period: str,
    exact_counts: bool,
    min_count: int,
) -> str:
    def n_text(n: int, one: str, many: str) -> str:
        if exact_counts or n >= min_count:
            return f"{n:,} {one if n == 1 else many}"
        return many  # a withheld count is never quoted

    when = phrases.get(str(row["block"]), str(row["block"]))
    what = []
    if int(row["incidents"]):
        what.append(n_text(int(row["incidents"]), "incident", "incidents"))
    if int(row["missing"]):
        what.append(n_text(int(row["missing"]), "missing child", "missing children") + " found")
    first = " and ".join(what) + f" on {when} in {period}"
    hpw = float(row["hours_per_week"])
    if int(row["sessions"]) == 0:
        cover = f"no youth-work session within {reach_m:g} m at those times"
    else:
        cover = f"sessions within {reach_m:g} m average only {hpw:.1f} h a week at those times"
    text = f"{first}; {cover}"
    if int(row["recurring_rank"]):
        # the partnership's ranking leaves out sensitive places and is renumbered, so
        # the full ranking's number is quoted to analysts only
        text += (
            f"; recurring location #{int(row['recurring_rank'])}"
            if exact_counts
            else "; a recurring location"
        )
        if row["category"] and row["category"] != "No Pattern Detected":
            text += f" ({str(row['category']).lower()})"
    return text[0].upper() + text[1:] + "."


@dataclass(frozen=True, eq=False)
class CoverageAnalysis:
    """Need, coverage and gaps for one period and settings (see :func:`analyse`).

    Attributes
    ----------
    need : NeedResult
    hours : DataFrame
        :func:`coverage_hours` for the grid and every cell with need.
    table : DataFrame
        :func:`unmet_need` (rows with need).
    gaps : DataFrame
        :func:`rank_gaps`.
    weeks : float
        Length of the period in weeks.
    grid : ndarray of str
        The study-area grid at the analysis resolution (H3 strings).
    settings : CoverageSettings
    """

    need: NeedResult
    hours: pd.DataFrame
    table: pd.DataFrame
    gaps: pd.DataFrame
    weeks: float
    grid: npt.NDArray[np.object_]
    settings: CoverageSettings


def analyse(
    store: Store,
    area: StudyArea,
    filters: Filters,
    settings: CoverageSettings = CoverageSettings(),
) -> CoverageAnalysis:
    """Need, coverage, unmet need and ranked gaps over the study area for the period.

    Gap candidates are the top ``settings.recurring_top`` places of the recurring-location
    ranking (skipped when the period is under 10 months) and the hot cells of each
    block's need (:func:`hot_cells`).
    """
    s = settings
    _check_res(s.res)
    need_result = need(store, filters, s.res, s.blocks, s.weights, s.missing_time)
    grid = np.asarray(area.grid(s.res), dtype=np.uint64)
    need_cells = _as_cells(need_result.table["cell"].to_numpy())
    cells = np.unique(np.concatenate([grid, need_cells]))
    frame = _session_frame(store, filters)
    hours = coverage_hours(frame, cells, s.reach_m, s.blocks)
    weeks = period_weeks(filters)
    table = unmet_need(need_result.table, hours, weeks, s.min_weekly_hours)
    try:
        ranked = rank_recurring_locations(
            store, area, filters, RankingSettings(res=s.res, reach_m=s.reach_m)
        )
        places: pd.DataFrame | None = ranked.head(s.recurring_top)[["rank", "cell", "category"]]
    except InsufficientDataError:
        places = None
    hot = hot_cells(need_result.table, grid, s.blocks)
    ranked_gaps = rank_gaps(
        table, places, hot, s.blocks, s.reach_m, s.min_need, period_text(filters),
        s.exact_counts, min_count=s.min_count,
    )  # fmt: skip
    return CoverageAnalysis(need_result, hours, table, ranked_gaps, weeks, _to_str(grid), settings)


def gaps(
    store: Store,
    area: StudyArea,
    filters: Filters,
    settings: CoverageSettings = CoverageSettings(),
) -> pd.DataFrame:
    """The ranked gaps of :func:`analyse`."""
    return analyse(store, area, filters, settings).gaps


def disclose_gaps(frame: pd.DataFrame, role: str, min_count: int) -> pd.DataFrame:
    """What ``role`` may see of a gap table.

    Analysts see everything. For the ``partnership`` role counts from 1 to
    ``min_count - 1`` are withheld (``<NA>``), and the weighted ``need`` and ``unmet``
    (from which counts could be worked out) are dropped; the rank, hours and reasons
    (built with ``exact_counts=False``) stay.
    """
    if role != Role.PARTNERSHIP:
        return frame.copy()
    out = frame.drop(columns=[c for c in ("need", "unmet") if c in frame.columns])
    for c in ("incidents", "syv", "hsb", "missing"):
        if c in out.columns:
            v = out[c].astype("Int64")
            out[c] = v.mask(small_counts(v.fillna(0), min_count))
    # incidents = syv + hsb: one hidden part beside a shown total is recoverable
    if {"incidents", "syv", "hsb"} <= set(out.columns):
        hidden = out[["syv", "hsb"]].isna().sum(axis=1)
        out.loc[(hidden == 1) & out["incidents"].notna(), "incidents"] = pd.NA
    return out


# =========================================================================== planner
@dataclass(frozen=True, eq=False)
class CoverProblem:
    """A weighted maximum-coverage instance built from unmet need.

    Attributes
    ----------
    cover : scipy.sparse.csr_matrix
        ``(candidates, items)``, 1 where the candidate deployment covers the item.
    weights : ndarray
        Unmet need of each item (after existing sessions and fixed sites).
    cand_cells : ndarray of str
        Cell of each candidate deployment (H3 strings).
    cand_blocks : ndarray of str
        Block of each candidate deployment.
    item_cells, item_blocks : ndarray of str
        Cell (H3 string) and block of each item.
    need_total : float
        Need in the allowed blocks, covered or not.
    unmet_total : float
        Unmet need in the allowed blocks before any deployment (= ``weights.sum()``).
    fixed_covered : float
        Need taken out by the fixed sites.
    reach_m : float
    block_labels : dict
    """

    cover: sp.csr_matrix
    weights: FloatArray
    cand_cells: npt.NDArray[np.object_]
    cand_blocks: npt.NDArray[np.object_]
    item_cells: npt.NDArray[np.object_]
    item_blocks: npt.NDArray[np.object_]
    need_total: float
    unmet_total: float
    fixed_covered: float
    reach_m: float
    block_labels: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int, int]:
        """Candidates, items and non-zeros of the cover matrix."""
        return self.cover.shape[0], self.cover.shape[1], int(self.cover.nnz)


def coverage_problem(
    table: pd.DataFrame,
    reach_m: float = 400.0,
    allowed_blocks: Sequence[str] | None = None,
    candidates: Any = None,
    fixed: Sequence[tuple[str, str]] = (),
    blocks: Sequence[TimeBlock] = DEFAULT_BLOCKS,
) -> CoverProblem:
    """Build the deployment problem from a table of unmet need.

    Parameters
    ----------
    table : DataFrame
        From :func:`unmet_need`: ``cell`` (H3 strings, one resolution), ``block``,
        ``need`` and ``unmet``.
    reach_m : float
        A deployment at cell c in block b covers the unmet need of every cell whose
        centre is within ``reach_m`` metres (EPSG:27700, inclusive) in block b.
    allowed_blocks : sequence of str, optional
        Blocks the teams may work (all of ``blocks`` when None).
    candidates : array_like, optional
        Cells where a team may be deployed (H3 strings at the table's resolution);
        default every cell within ``reach_m`` of a cell with unmet need.
    fixed : sequence of (cell, block)
        Sites already covered (any resolution); a block of ``""`` means every allowed
        block. The need they reach is taken out before planning.
    blocks : sequence of TimeBlock
        For names and labels.
    """
    labels = {b.name: b.label for b in blocks}
    allowed = list(labels) if allowed_blocks is None else list(allowed_blocks)
    unknown = [b for b in allowed if b not in labels]
    if unknown:
        raise ValueError(f"unknown blocks: {unknown}")
    rows = table.loc[table["block"].isin(allowed)]
    item_cells = _as_cells(rows["cell"].to_numpy())
    item_blocks = rows["block"].to_numpy(dtype=object)
    weights = rows["unmet"].to_numpy(dtype=float).copy()
    need_total = float(rows["need"].sum())
    before = float(weights.sum())
    for f_cell, f_block in fixed:  # a few fixed sites
        where = _as_cells([f_cell])
        hit = _reach_matrix(where, item_cells, reach_m).toarray()[0] > 0
        if f_block:
            hit &= item_blocks == f_block
        weights[hit] = 0.0
    fixed_covered = before - float(weights.sum())
    live = weights > 1e-12
    item_cells, item_blocks, weights = item_cells[live], item_blocks[live], weights[live]
    if candidates is None:
        res = int(hexes.cell_resolution(item_cells[:1])[0]) if item_cells.size else 9
        cand = _cells_near(item_cells, res, reach_m) if item_cells.size else item_cells
    else:
        cand = np.unique(_as_cells(candidates))
    reach = _reach_matrix(cand, item_cells, reach_m)  # candidate cells × items
    cand_cells: list[CellArray] = []
    cand_blocks: list[npt.NDArray[np.object_]] = []
    mats = []
    for name in allowed:  # a handful of blocks
        in_block = sp.diags((item_blocks == name).astype(np.float64))
        m = (reach @ in_block).tocsr()
        m.eliminate_zeros()
        useful = np.diff(m.indptr) > 0
        mats.append(m[useful])
        cand_cells.append(cand[useful])
        cand_blocks.append(np.full(int(useful.sum()), name, dtype=object))
    cover = sp.vstack(mats, format="csr") if mats else sp.csr_matrix((0, item_cells.size))
    cover.data = np.ones_like(cover.data)
    return CoverProblem(
        cover=cover,
        weights=weights,
        cand_cells=_to_str(np.concatenate(cand_cells) if cand_cells else np.empty(0, np.uint64)),
        cand_blocks=np.concatenate(cand_blocks) if cand_blocks else np.empty(0, object),
        item_cells=_to_str(item_cells),
        item_blocks=item_blocks,
        need_total=need_total,
        unmet_total=float(weights.sum()),
        fixed_covered=fixed_covered,
        reach_m=float(reach_m),
        block_labels={b: labels[b] for b in allowed},
    )


def greedy_max_cover(
    cover: sp.spmatrix, weights: npt.ArrayLike, k: int
) -> tuple[IntArray, FloatArray]:
    """Greedy weighted maximum coverage.

    At each of ``k`` steps take the candidate (row of ``cover``) whose uncovered items
    (columns) weigh most; stop early when nothing is left to gain. Ties go to the
    lowest row. Achieves at least ``1 − 1/e`` of the optimum.

    Returns
    -------
    chosen : int64 array
        Rows in the order taken.
    gains : float64 array
        The weight each step newly covered.
    """
    a = sp.csr_matrix(cover, dtype=np.float64)
    a.data = np.ones_like(a.data)
    w = np.asarray(weights, dtype=np.float64).copy()
    a_csc = a.tocsc()
    gains = np.asarray(a @ w, dtype=np.float64)
    chosen: list[int] = []
    got: list[float] = []
    for _ in range(max(int(k), 0)):  # K greedy steps
        if gains.size == 0:
            break
        j = int(np.argmax(gains))
        if gains[j] <= 1e-12:
            break
        items = a.indices[a.indptr[j] : a.indptr[j + 1]]
        items = items[w[items] > 0]
        gain = float(w[items].sum())
        gains -= np.asarray(a_csc[:, items] @ w[items], dtype=np.float64)
        w[items] = 0.0
        chosen.append(j)
        got.append(gain)
    return np.asarray(chosen, dtype=np.int64), np.asarray(got, dtype=np.float64)


@dataclass(frozen=True)
class ExactResult:
    """What :func:`exact_max_cover` found."""

    chosen: IntArray
    objective: float
    bound: float
    status: str  # "optimal", "time_limit", "too_large", "failed"
    message: str


def exact_max_cover(
    cover: sp.spmatrix,
    weights: npt.ArrayLike,
    k: int,
    max_nonzeros: int = 2_000_000,
    time_limit_s: float = 30.0,
) -> ExactResult:
    """Weighted maximum coverage solved exactly with :func:`scipy.optimize.milp`.

    maximise ``Σ w_i y_i`` subject to ``y_i ≤ Σ_j A_ji x_j``, ``Σ x_j ≤ k``, ``x``
    binary, ``0 ≤ y ≤ 1`` (y is integral at an optimum given binary x).

    Parameters
    ----------
    max_nonzeros : int
        Refuse (status ``too_large``) when the constraint matrix would have more
        non-zeros than this.
    time_limit_s : float
        HiGHS time limit; at the limit the best plan found is returned with status
        ``time_limit`` and the solver's upper bound.
    """
    a = sp.csr_matrix(cover, dtype=np.float64)
    a.data = np.ones_like(a.data)
    w = np.asarray(weights, dtype=np.float64)
    n_c, n_i = a.shape
    size = int(a.nnz) + n_i + n_c
    if size > max_nonzeros:
        return ExactResult(
            np.empty(0, np.int64), math.nan, math.nan, "too_large",
            f"{n_c:,} candidates × {n_i:,} items ({size:,} non-zeros) exceeds {max_nonzeros:,}",
        )  # fmt: skip
    if n_c == 0 or n_i == 0 or k <= 0:
        return ExactResult(np.empty(0, np.int64), 0.0, 0.0, "optimal", "nothing to cover")
    # y_i - Σ_j A_ji x_j <= 0 ; Σ x_j <= k
    link = sp.hstack([-a.T.tocsr(), sp.identity(n_i, format="csr")], format="csr")
    budget = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_i)])[None, :])
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(budget, 0.0, float(k)),
    ]
    c = np.concatenate([np.zeros(n_c), -w])
    integrality = np.concatenate([np.ones(n_c), np.zeros(n_i)])
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": float(time_limit_s), "disp": False},
    )
    if res.x is None:
        return ExactResult(np.empty(0, np.int64), math.nan, math.nan, "failed", str(res.message))
    x = np.asarray(res.x[:n_c]) > 0.5
    chosen = np.flatnonzero(x).astype(np.int64)
    covered = np.asarray(a[chosen].sum(axis=0)).ravel() > 0
    objective = float(w[covered].sum())
    bound = getattr(res, "mip_dual_bound", None)
    bound_v = -float(bound) if bound is not None and np.isfinite(bound) else objective
    status = "optimal" if res.status == 0 else "time_limit"
    return ExactResult(chosen, objective, max(bound_v, objective), status, str(res.message))


@dataclass(frozen=True, eq=False)
class Plan:
    """A deployment plan.

    Attributes
    ----------
    method : str
        ``"greedy"`` or ``"exact"``.
    status : str
        ``"ok"`` (greedy), ``"optimal"``, ``"time_limit"``, ``"too_large"`` or
        ``"failed"``.
    k : int
        Deployments asked for.
    steps : DataFrame
        One row per deployment: ``step``, ``cell`` (H3 string), ``block``,
        ``block_label``, ``gain`` (unmet need newly covered), ``cells_reached``
        (cells with unmet need it reaches in its block), ``cumulative``,
        ``share_unmet`` (cumulative / unmet need before planning) and ``share_need``
        (share of all need in the allowed blocks covered by existing sessions, fixed
        sites and the plan so far). For an exact plan the steps are ordered greedily
        within the chosen set.
    covered : float
        Unmet need the plan covers.
    unmet_total, need_total : float
        As in :class:`CoverProblem`.
    bound : float
        Upper bound on the optimum (exact: the solver's bound; greedy: ``covered /
        (1 − 1/e)``).
    seconds : float
        Solve time.
    reach_m : float
    message : str
    """

    method: str
    status: str
    k: int
    steps: pd.DataFrame
    covered: float
    unmet_total: float
    need_total: float
    bound: float
    seconds: float
    reach_m: float
    message: str = ""

    @property
    def share(self) -> float:
        """Share of the unmet need the plan covers (0 when there was none)."""
        return self.covered / self.unmet_total if self.unmet_total > 0 else 0.0


_GREEDY_FACTOR: Final = 1.0 - 1.0 / math.e


def _steps(problem: CoverProblem, chosen: IntArray, gains: FloatArray) -> pd.DataFrame:
    cells = problem.cand_cells[chosen].astype(object)
    blocks = problem.cand_blocks[chosen]
    reached = np.diff(problem.cover.indptr)[chosen]
    cumulative = np.cumsum(gains)
    already = problem.need_total - problem.unmet_total
    return pd.DataFrame(
        {
            "step": np.arange(1, chosen.size + 1, dtype=np.int64),
            "cell": cells,
            "block": blocks.astype(object),
            "block_label": [problem.block_labels.get(str(b), str(b)) for b in blocks],
            "gain": gains,
            "cells_reached": reached.astype(np.int64),
            "cumulative": cumulative,
            "share_unmet": cumulative / problem.unmet_total if problem.unmet_total else 0.0,
            "share_need": (already + cumulative) / problem.need_total
            if problem.need_total
            else 0.0,
        }
    )


def plan_greedy(problem: CoverProblem, k: int) -> Plan:
    """Greedy plan of up to ``k`` deployments (fewer when nothing is left to cover)."""
    t = _time.perf_counter()
    chosen, gains = greedy_max_cover(problem.cover, problem.weights, k)
    seconds = _time.perf_counter() - t
    covered = float(gains.sum())
    return Plan(
        method="greedy",
        status="ok",
        k=int(k),
        steps=_steps(problem, chosen, gains),
        covered=covered,
        unmet_total=problem.unmet_total,
        need_total=problem.need_total,
        bound=min(covered / _GREEDY_FACTOR, problem.unmet_total),
        seconds=seconds,
        reach_m=problem.reach_m,
        message=f"{chosen.size} of {k} deployments add coverage",
    )


def plan_exact(
    problem: CoverProblem, k: int, max_nonzeros: int = 2_000_000, time_limit_s: float = 30.0
) -> Plan:
    """The optimal plan of ``k`` deployments by mixed-integer programming (HiGHS).

    Status ``too_large`` (no steps) when the instance exceeds ``max_nonzeros``;
    ``time_limit`` with the best plan found and the solver's bound when HiGHS runs out
    of time.
    """
    t = _time.perf_counter()
    result = exact_max_cover(problem.cover, problem.weights, k, max_nonzeros, time_limit_s)
    seconds = _time.perf_counter() - t
    chosen = result.chosen
    if chosen.size:
        # order the chosen deployments greedily so the steps read as marginal gains
        order, gains = greedy_max_cover(problem.cover[chosen], problem.weights, chosen.size)
        chosen = chosen[order]
    else:
        gains = np.empty(0, dtype=np.float64)
    empty = 0.0 if result.status == "optimal" else math.nan
    covered = float(gains.sum()) if chosen.size else empty
    return Plan(
        method="exact",
        status=result.status,
        k=int(k),
        steps=_steps(problem, chosen, gains),
        covered=covered,
        unmet_total=problem.unmet_total,
        need_total=problem.need_total,
        bound=result.bound,
        seconds=seconds,
        reach_m=problem.reach_m,
        message=result.message,
    )


def greedy_ratio(greedy: Plan, exact: Plan) -> float | None:
    """Greedy coverage over the exact optimum (None when the exact plan has none)."""
    if exact.status not in ("optimal", "time_limit") or not exact.covered > 0:
        return None
    return greedy.covered / exact.covered


def brute_force_max_cover(cover: sp.spmatrix, weights: npt.ArrayLike, k: int) -> float:
    """The optimum by enumerating every set of ``k`` candidates (tiny instances only)."""
    a = sp.csr_matrix(cover).toarray() > 0
    w = np.asarray(weights, dtype=np.float64)
    n = a.shape[0]
    if math.comb(n, min(k, n)) > 200_000:
        raise ValueError("too many combinations for brute force")
    best = 0.0
    for combo in itertools.combinations(range(n), min(k, n)):
        best = max(best, float(w[a[list(combo)].any(axis=0)].sum()))
    return best


# =========================================================================== sites
def nearest_sites(
    gap_table: pd.DataFrame, sites: pd.DataFrame, kinds: Sequence[str] = ()
) -> pd.DataFrame:
    """Distance from each gap's cell centre to the nearest health site.

    Parameters
    ----------
    gap_table : DataFrame
        With ``cell`` (H3 strings).
    sites : DataFrame
        ``kind`` (``"a_and_e"``, ``"gp"``, ``"sexual_health"``...), ``name`` and either
        ``latitude``/``longitude`` (WGS84 degrees) or ``cell`` (H3 string); sites may
        lie outside the study area. Rows without a location are ignored.
    kinds : sequence of str
        Also add ``distance_{kind}_m`` and ``name_{kind}`` for each of these kinds.

    Returns
    -------
    DataFrame
        ``gap_table`` with ``site_distance_m`` (straight line, EPSG:27700 metres,
        rounded to the metre), ``site_kind`` and ``site_name`` of the nearest site
        (NaN / empty when there are no sites).
    """
    out = gap_table.copy()
    if "latitude" in sites.columns and "longitude" in sites.columns:
        located = sites.loc[sites["latitude"].notna() & sites["longitude"].notna()]
        sx, sy = to_bng(located["longitude"].to_numpy(float), located["latitude"].to_numpy(float))
    else:
        located = sites.loc[sites["cell"].notna()]
        sx, sy = cells_bng(_as_cells(located["cell"].to_numpy()))
    gx, gy = cells_bng(_as_cells(out["cell"].to_numpy()))
    site_kind = located["kind"].astype(str).to_numpy() if len(located) else np.empty(0, object)
    site_name = located["name"].astype(str).to_numpy() if len(located) else np.empty(0, object)

    def nearest(mask: BoolArray) -> tuple[FloatArray, npt.NDArray[np.object_], Any]:
        n = len(out)
        if not mask.any() or n == 0:
            return np.full(n, np.nan), np.full(n, "", dtype=object), np.full(n, "", dtype=object)
        tree = cKDTree(np.column_stack([sx[mask], sy[mask]]))
        dist, idx = tree.query(np.column_stack([gx, gy]), k=1)
        return (
            np.round(np.asarray(dist, dtype=float)),
            site_kind[mask][idx].astype(object),
            site_name[mask][idx].astype(object),
        )

    every = np.ones(len(located), dtype=bool)
    out["site_distance_m"], out["site_kind"], out["site_name"] = nearest(every)
    for kind in kinds:
        d, _, nm = nearest(site_kind == kind)
        out[f"distance_{kind}_m"] = d
        out[f"name_{kind}"] = nm
    return out


# =========================================================================== export
def plan_frame(plan: Plan) -> pd.DataFrame:
    """The plan's steps with rounded figures, as exported."""
    frame = plan.steps.copy()
    for col in ("gain", "cumulative"):
        frame[col] = frame[col].round(2)
    for col in ("share_unmet", "share_need"):
        frame[col] = (frame[col] * 100).round(1)
    frame = frame.rename(
        columns={"share_unmet": "share_of_unmet_need_pct", "share_need": "share_of_all_need_pct"}
    )
    frame.insert(0, "method", plan.method)
    frame["reach_m"] = plan.reach_m
    return frame


def plan_to_csv(plan: Plan) -> bytes:
    """The plan as a UTF-8 CSV (BOM, spreadsheet formulas neutralised; geo.render.export)."""
    return to_csv_bytes(plan_frame(plan))


def plan_summary(
    plan: Plan,
    gap_table: pd.DataFrame | None = None,
    exact: Plan | None = None,
    title: str = "Youth-work deployment plan",
    period: str = "",
    top_gaps: int = 5,
    show_need: bool = True,
) -> str:
    """A printable Markdown summary of the plan (and the top gaps, and the exact check).

    For the partnership pass ``show_need=False`` (weighted need totals, which are sums
    of counts, are left out and only shares shown) and a disclosure-controlled
    ``gap_table`` (:func:`disclose_gaps` of a ranking built with ``exact_counts=False``).
    Cells are H3 strings; all text is fixed wording, numbers or the gap reasons.
    """
    lines = [f"# {title}", ""]
    if period:
        lines += [f"Period: {period}.", ""]
    lines += [
        f"Plan: {len(plan.steps)} of {plan.k} weekly deployments ({plan.method}), each covering "
        f"cells within {plan.reach_m:g} m in its time block.",
        "",
    ]
    met = 1.0 - plan.unmet_total / plan.need_total if plan.need_total > 0 else 0.0
    if show_need:
        lines += [
            f"Need in the allowed blocks: {plan.need_total:,.1f} (weighted); already met by "
            f"existing sessions and fixed sites: {plan.need_total - plan.unmet_total:,.1f}; "
            f"unmet: {plan.unmet_total:,.1f}.",
            f"The plan covers {plan.covered:,.1f} of the unmet need ({plan.share:.0%}).",
            "",
        ]
    else:
        lines += [
            f"Existing sessions and fixed sites meet {met:.0%} of the need in the allowed "
            f"blocks; the plan covers {plan.share:.0%} of the rest.",
            "",
        ]
    if exact is not None:
        ratio = greedy_ratio(plan, exact)
        if ratio is not None:
            optimum = f"optimum {exact.covered:,.1f}; " if show_need else ""
            lines += [
                f"Exact check (MILP, {exact.status}): {optimum}this plan reaches {ratio:.1%} of "
                "the best possible.",
                "",
            ]
        else:
            lines += [f"Exact check not available ({exact.status}: {exact.message}).", ""]
    if len(plan.steps):
        head = "| Step | Cell | Time block |" + (" Need covered |" if show_need else "")
        lines += [
            head + " Cumulative share of unmet need |",
            "|---:|---|---|" + ("---:|" if show_need else "") + "---:|",
        ]
        for r in plan.steps.to_dict("records"):
            gain = f" {r['gain']:,.1f} |" if show_need else ""
            lines.append(
                f"| {r['step']} | {r['cell']} | {r['block_label']} |{gain} {r['share_unmet']:.0%} |"
            )
        lines.append("")
    if gap_table is not None and len(gap_table):
        lines += ["## Largest gaps", ""]
        for r in gap_table.head(top_gaps).to_dict("records"):
            lines.append(f"{r['rank']}. {r['cell']}, {r['block_label']}: {r['reason']}")
        lines.append("")
    lines.append(
        "Distances are straight lines between hexagon centres; walking routes are longer. "
        "Only incidents recorded to the minute are counted."
    )
    return "\n".join(lines) + "\n"
