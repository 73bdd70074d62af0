"""Youth-work coverage and unmet need, per cell and time-of-week block.

Everything here is per **cell and time-of-week block**: the study-area grid at an
analysis resolution (H3 strings at every public boundary, ``uint64`` inside) crossed
with a small set of :class:`~geo.core.time_of_week.TimeBlock` windows of the week
(:data:`~geo.core.time_of_week.DEFAULT_BLOCKS`: after school, weekday evenings, weekend
days, weekend evenings with Friday evening a weekend evening; see
:mod:`geo.core.time_of_week`). :func:`analyse` runs the whole analysis for the Youth work
page and the pack: need, coverage, unmet need and the ranked gaps
(:mod:`geo.lenses.coverage_gaps`); the deployment planner is
:mod:`geo.lenses.youth_work_plan`, what a role may see :mod:`geo.disclosure.coverage`.

Model
-----
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

Public API
----------
- ``NeedWeights``, ``CoverageSettings`` (frozen, hashable: cache keys)
- ``period_weeks(filters) -> float``, ``period_text(filters) -> str``
- ``coverage_hours(sessions, cells, reach_m, blocks) -> DataFrame(cell, block, hours,
  sessions)``; ``session_hours(store, filters, res, reach_m, blocks, cells)`` the same
  from the store
- ``need_from_events(incidents, missing, blocks, weights, categories) -> NeedResult``;
  ``need(store, filters, res, blocks, weights, missing_time) -> NeedResult`` with
  ``.table`` = DataFrame(cell, block, syv, hsb, incidents, missing, need)
- ``unmet_need(need_table, hours, weeks, min_weekly_hours) -> DataFrame``
- ``analyse(store, area, filters, settings) -> CoverageAnalysis``,
  ``gaps(store, area, filters, settings) -> DataFrame``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geo.core import hexes, schema
from geo.core.area import StudyArea
from geo.core.errors import InsufficientDataError
from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.core.schema import HSB, SYV_CATEGORIES
from geo.core.time_of_week import (
    DEFAULT_BLOCKS,
    TimeBlock,
    block_hours,
    block_index,
    check_blocks,
)
from geo.core.types import BoolArray, CellArray, FloatArray, IntArray
from geo.lenses.coverage_gaps import hot_cells, rank_gaps
from geo.lenses.reach import cells_near, reach_matrix
from geo.lenses.recurring import RankingSettings, rank_recurring_locations
from geo.store.database import Store

__all__ = [
    "CoverageAnalysis",
    "CoverageSettings",
    "MissingTime",
    "NeedResult",
    "NeedWeights",
    "analyse",
    "coverage_hours",
    "gaps",
    "need",
    "need_from_events",
    "period_text",
    "period_weeks",
    "session_hours",
    "unmet_need",
]


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
    targets = hexes.as_cells(cells)
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
    loc_cells, loc_inv = np.unique(hexes.as_cells(located["cell"].to_numpy()), return_inverse=True)
    n_s = rows.size
    where = sp.csr_matrix(
        (np.ones(loc_inv.size), (session_idx, loc_inv.ravel())), shape=(n_s, loc_cells.size)
    )
    reach = reach_matrix(targets, loc_cells, reach_m)  # targets × locations
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
            "cell": np.repeat(hexes.cells_to_str(targets).astype(object), n_b),
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
        cells_near(frame["cell"].to_numpy(dtype=np.uint64), res, reach_m)
        if cells is None
        else hexes.as_cells(cells)
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

    inc_cells = hexes.as_cells(inc["cell"].to_numpy())
    mis_cells = hexes.as_cells(mis["cell"].to_numpy())
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


# =========================================================================== analysis
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
        :func:`geo.lenses.coverage_gaps.rank_gaps`.
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
    block's need (:func:`geo.lenses.coverage_gaps.hot_cells`).
    """
    s = settings
    _check_res(s.res)
    need_result = need(store, filters, s.res, s.blocks, s.weights, s.missing_time)
    grid = np.asarray(area.grid(s.res), dtype=np.uint64)
    need_cells = hexes.as_cells(need_result.table["cell"].to_numpy())
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
    grid_str = hexes.cells_to_str(grid).astype(object)
    return CoverageAnalysis(need_result, hours, table, ranked_gaps, weeks, grid_str, settings)


def gaps(
    store: Store,
    area: StudyArea,
    filters: Filters,
    settings: CoverageSettings = CoverageSettings(),
) -> pd.DataFrame:
    """The ranked gaps of :func:`analyse`."""
    return analyse(store, area, filters, settings).gaps
