"""One hot spot analysis run: cube, Gi* on the whole window, emerging hot spots,
plain-English findings — used by the Hotspots page and ``python -m geo hotspots``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.errors import InsufficientDataError
from geo.core.filters import Filters, month_quarter_label
from geo.stats.emerging import (
    CATEGORY_NAMES,
    MIN_TIME_STEPS,
    EmergingHotspots,
    describe_category,
    emerging_hotspots,
)
from geo.stats.getis_ord import gi_star
from geo.store.cube import Period, build_cube
from geo.store.database import Store

#: Fewest events in the window for a hot spot analysis to mean anything.
MIN_EVENTS = 30


#: Fewer grid cells than this and a Gi* hot spot means little (the whole area is a few cells).
MIN_GRID_CELLS: Final[int] = 30

#: Resolution emerging hot spots are worked out at (about 0.1 km² a cell): a street-corner
#: pattern is averaged away in a 0.7 km² (res 8) or 5 km² (res 7) cell, so coarser maps show
#: the pattern found inside each of their cells (:func:`roll_up_emerging`).
TREND_RESOLUTION: Final[int] = 9

#: Months of the trend window: the 24 months (8 whole quarters) ending with the chosen period.
TREND_MONTHS: Final[int] = 24

#: Which category a coarse cell shows when its finer cells differ: hot before cold, and
#: among those the pattern of the busiest finer cell (its core), ties broken in this order.
_CATEGORY_ORDER: Final[dict[int, int]] = {3: 0, 4: 1, 1: 2, 2: 3, 5: 4, 7: 5, 6: 6, 8: 7}


def trend_window(period: Filters, months: list[str] | tuple[str, ...]) -> Filters:
    """The emerging hot spot trend window for a chosen period: the :data:`TREND_MONTHS`
    months ending with the period's last month, from the first month with data.

    For a partnership quarter this is a union of whole quarters of the fixed grid.
    """
    end = pd.Period(period.month_to, freq="M")
    start = str(end - (TREND_MONTHS - 1))
    first = months[0] if months else period.month_from
    return Filters(max(start, first, key=str), period.month_to, period.categories)


def trend_text(trend: Filters, *, unit: str = "month") -> str:
    """The trend window in words: "trend over the 24 months to 2024-12 (2023-01 to 2024-12)"."""
    n = len(pd.period_range(trend.month_from, trend.month_to, freq="M"))
    if unit == "quarter":
        return f"trend over the {n // 3} quarters to {month_quarter_label(trend.month_to)}"
    return f"trend over the {n} months to {trend.month_to} ({trend.month_from} to {trend.month_to})"


def roll_up_emerging(
    em: EmergingHotspots, fine_cube: pd.DataFrame, res: int, grid: np.ndarray | None = None
) -> tuple[EmergingHotspots, pd.DataFrame]:
    """Emerging hot spot results at a coarser resolution, from results at a finer one.

    Each coarse cell takes the category, trend and per-period bins of one finer cell
    inside it: a cell with a hot pattern before one with a cold pattern, then the busiest
    (most events over the window), then :data:`_CATEGORY_ORDER`. A coarse cell with no
    patterned finer cell shows no pattern.

    Parameters
    ----------
    em : EmergingHotspots
        Results on ``fine_cube``'s grid.
    fine_cube : DataFrame
        The counts the results came from (cells × periods).
    res : int
        The coarser resolution.
    grid : array of uint64, optional
        The coarse grid to report on (default: every parent of a fine cell).

    Returns
    -------
    (EmergingHotspots, DataFrame)
        The results and the counts cube, both indexed by the coarse cells.
    """
    fine = hexes.str_to_cells(fine_cube.index)
    parent = hexes.cells_to_str(hexes.cells_to_parent(fine, res))
    cube = fine_cube.groupby(parent).sum()
    if grid is not None:
        keep = hexes.cells_to_str(np.sort(np.asarray(grid, dtype=np.uint64)))
        cube = cube.reindex(keep, fill_value=0.0)
    cells = em.cells.loc[fine_cube.index]
    code = cells["code"].to_numpy()
    rank = pd.Series(code).map(_CATEGORY_ORDER).fillna(9).to_numpy()
    order = pd.DataFrame(
        {
            "parent": parent,
            "side": np.where(code > 0, 0, np.where(code < 0, 1, 2)),
            "events": -fine_cube.sum(axis=1).to_numpy(),
            "rank": rank,
            "pos": np.arange(len(fine)),
        }
    ).sort_values(["parent", "side", "events", "rank"])
    first = order.drop_duplicates("parent")
    first = first.loc[first["parent"].isin(cube.index)]
    pick = first["pos"].to_numpy()
    index = pd.Index(first["parent"].to_numpy(), name=cube.index.name)

    def take(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.iloc[pick].copy()
        out.index = index
        return out.reindex(cube.index)

    rolled = take(cells)
    missing = rolled["code"].isna()
    if missing.any():  # a coarse grid cell with no finer cell of the grid inside it
        rolled.loc[missing, ["code", "hot_bins", "cold_bins", "final_run"]] = 0
        rolled.loc[missing, ["trend_z", "trend_p"]] = [0.0, 1.0]
        rolled.loc[missing, "category"] = CATEGORY_NAMES[0]
    for col in ("code", "hot_bins", "cold_bins", "final_run"):
        rolled[col] = rolled[col].astype(np.int64)
    bins = take(em.bins.loc[fine_cube.index]).fillna(0).astype(np.int64)
    z = take(em.z.loc[fine_cube.index]).fillna(0.0)
    return EmergingHotspots(cells=rolled, bins=bins, z=z), cube


@dataclass(frozen=True)
class HotspotReport:
    """Everything one analysis produced.

    Attributes
    ----------
    cube : DataFrame
        Counts, grid cells × periods (zeros included).
    gi : DataFrame or None
        Gi* on the window's totals (``z``, ``p``, ``bin``), or None with ``gi_message``.
    emerging : EmergingHotspots or None
        Emerging hot spots, or None with ``emerging_message``.
    recurrence : DataFrame or None
        Fallback when there are too few periods: per cell, the number of periods in
        which its own-period Gi* bin was hot / cold (``hot_periods``, ``cold_periods``).
    trend_cube : DataFrame
        Counts over the trend window at the reported resolution (the emerging hot spot
        periods; the same as ``cube`` when no separate trend window was asked for).
    trend : Filters or None
        The trend window (None: the chosen period).
    analysis_res : int
        The resolution emerging hot spots were worked out at.
    """

    cube: pd.DataFrame
    gi: pd.DataFrame | None
    emerging: EmergingHotspots | None
    recurrence: pd.DataFrame | None
    gi_message: str | None
    emerging_message: str | None
    period: str
    trend_cube: pd.DataFrame | None = None
    trend: Filters | None = None
    analysis_res: int | None = None

    @property
    def series(self) -> pd.DataFrame:
        """The counts behind the emerging hot spot results (cells × trend periods)."""
        return self.cube if self.trend_cube is None else self.trend_cube

    @property
    def grid_warning(self) -> str | None:
        """A warning when the grid is too small for Gi* to mean much (None otherwise)."""
        n = len(self.cube.index)
        if n >= MIN_GRID_CELLS:
            return None
        return (
            f"The study area has only {n} cells at this resolution. Gi* compares each cell and "
            f"its neighbours with the whole area, so with fewer than {MIN_GRID_CELLS} cells a "
            "hot spot means little: choose a finer resolution."
        )

    @property
    def periods(self) -> int:
        """Number of time steps of the emerging hot spot analysis."""
        return int(self.series.shape[1])

    def hot_list(self) -> pd.DataFrame:
        """Cells with a hot category, strongest first, with a sentence each."""
        if self.emerging is None:
            return pd.DataFrame(columns=["cell", "category", "finding", "hot_bins", "trend_p"])
        cells = self.emerging.cells
        hot = cells.loc[cells["code"] > 0].copy()
        order = {3: 0, 4: 1, 1: 2, 2: 3, 5: 4, 7: 5, 6: 6, 8: 7}
        hot["rank"] = hot["code"].map(order)
        hot["events"] = self.series.loc[hot.index].sum(axis=1)
        hot = hot.sort_values(["rank", "hot_bins", "events"], ascending=[True, False, False])
        findings = [describe_category(row, self.periods, self.period) for _, row in hot.iterrows()]
        return pd.DataFrame(
            {
                "cell": hot.index.to_numpy(),
                "category": hot["category"].to_numpy(),
                "finding": findings,
                "hot_bins": hot["hot_bins"].to_numpy(),
                "trend_p": hot["trend_p"].round(3).to_numpy(),
            }
        )


#: Human headers of :meth:`HotspotReport.hot_list` on pages and in exports.
HOT_LIST_HEADERS: Final[dict[str, str]] = {
    "category": "Category",
    "finding": "Finding",
    "hot_bins": "Months hot",
    "trend_p": "Trend p-value",
}


def no_hot_spot_message(report: HotspotReport) -> str:
    """Why no place is a hot spot, and what would help, in words."""
    events = int(report.series.to_numpy().sum())
    periods = report.periods
    unit = report.period
    return (
        f"No place is a significant hot spot over the {periods} {unit}s of the trend window: "
        f"with {events:,} records spread over {len(report.series):,} hexagons, no place stands "
        "out from chance. More months of data, a broader layer (all incidents rather than one "
        "kind) or two rings of neighbours (under “How this is worked out”) would help."
    )


def recurrence(cube: pd.DataFrame, *, k: int = 1, fdr: bool = True) -> pd.DataFrame:
    """Per cell, in how many periods its own-period Gi* was a significant hot / cold spot.

    The fallback when a cube is too short for emerging hot spot analysis; periods
    without variance count as neither.
    """
    hot = np.zeros(cube.shape[0], dtype=np.int64)
    cold = np.zeros(cube.shape[0], dtype=np.int64)
    for col in cube.columns:
        try:
            bins = gi_star(cube[col], k=k, fdr=fdr)["bin"].to_numpy()
        except InsufficientDataError:
            continue
        hot += bins > 0
        cold += bins < 0
    return pd.DataFrame({"hot_periods": hot, "cold_periods": cold}, index=cube.index.copy())


def run_hotspots(
    store: Store,
    area: StudyArea,
    layer: str,
    res: int,
    filters: Filters,
    period: Period = "month",
    k: int = 1,
    fdr: bool = True,
    *,
    trend: Filters | None = None,
    analysis_res: int | None = None,
) -> HotspotReport:
    """Build the cubes and run Gi* and emerging hot spot analysis, explaining failures.

    Gi* runs on the totals of ``filters`` at ``res`` with ``fdr`` as given. Emerging hot
    spots run on ``trend`` (default ``filters``) in steps of ``period``, always with FDR
    over all bins (Esri's default) when ``fdr`` is true, at ``analysis_res`` (default
    ``res``); when that is finer than ``res``, results are shown per ``res`` cell by
    :func:`roll_up_emerging`.
    """
    cube = build_cube(store, area, layer, res, filters, period if trend is None else "month")
    total = cube.sum(axis=1)
    events = int(total.sum())
    gi = em = rec = None
    gi_message = em_message = None
    fine_res = max(res, analysis_res or res)
    trend_cube = None
    if trend is not None or fine_res != res:
        trend_cube = build_cube(store, area, layer, res, trend or filters, period)
    series = cube if trend_cube is None else trend_cube
    trend_events = int(series.to_numpy().sum())

    def report() -> HotspotReport:
        return HotspotReport(
            cube, gi, em, rec, gi_message, em_message, period, trend_cube, trend, fine_res
        )

    if events < MIN_EVENTS:
        gi_message = (
            f"Only {events} events in this period and layer; at least {MIN_EVENTS} are "
            "needed for a hot spot analysis to mean anything."
        )
    else:
        try:
            gi = gi_star(total, k=k, fdr=fdr)
        except InsufficientDataError as exc:
            gi_message = str(exc).capitalize() + "."
    if trend_events < MIN_EVENTS:
        em_message = (
            f"Only {trend_events} events in the trend window; at least {MIN_EVENTS} are "
            "needed for a hot spot analysis to mean anything. Loading more months of this "
            "feed would help."
        )
        return report()
    if series.shape[1] < MIN_TIME_STEPS:
        em_message = (
            f"Emerging hot spot analysis needs at least {MIN_TIME_STEPS} {period}s of data; "
            f"there are {series.shape[1]} up to the chosen period. Showing, instead, how often "
            f"each place was a hot spot {period} by {period}. Loading earlier months would help."
        )
        rec = recurrence(series, k=k, fdr=fdr)
        return report()
    try:
        if fine_res == res:
            em = emerging_hotspots(series, k=k, time_steps=1, fdr=fdr)
        else:
            fine = build_cube(store, area, layer, fine_res, trend or filters, period)
            em, trend_cube = roll_up_emerging(
                emerging_hotspots(fine, k=k, time_steps=1, fdr=fdr), fine, res, area.grid(res)
            )
    except InsufficientDataError as exc:
        em_message = str(exc).capitalize() + "."
    return report()


def run_trend_hotspots(
    store: Store,
    area: StudyArea,
    layer: str,
    res: int,
    period: Filters,
    months: list[str] | tuple[str, ...],
    k: int = 1,
    fdr: bool = True,
) -> HotspotReport:
    """:func:`run_hotspots` as the pages, the pack and the CLI run it: Gi* over ``period``,
    emerging hot spots month by month over :func:`trend_window` (``months`` = months with
    data), worked out at :data:`TREND_RESOLUTION` or finer and shown at ``res``."""
    return run_hotspots(
        store, area, layer, res, period, "month", k, fdr,
        trend=trend_window(period, months), analysis_res=max(res, TREND_RESOLUTION),
    )  # fmt: skip


def report_records(report: HotspotReport) -> list[dict[str, object]]:
    """Per-cell results for ``--json``: categories, trend and Gi* z-scores."""
    frame = pd.DataFrame(index=report.cube.index)
    frame["events"] = report.cube.sum(axis=1).astype(int)
    if report.gi is not None:
        frame["gi_z"] = report.gi["z"].round(6)
        frame["gi_p"] = report.gi["p"].round(6)
        frame["gi_bin"] = report.gi["bin"]
    if report.emerging is not None:
        cells = report.emerging.cells
        frame["code"] = cells["code"]
        frame["category"] = cells["category"]
        frame["trend_z"] = cells["trend_z"].round(6)
        frame["trend_p"] = cells["trend_p"].round(6)
        frame["hot_bins"] = cells["hot_bins"]
        frame["cold_bins"] = cells["cold_bins"]
    if report.recurrence is not None:
        frame = frame.join(report.recurrence)
    frame.index.name = "cell"
    return [
        {str(key): value for key, value in record.items()}
        for record in frame.reset_index().to_dict(orient="records")
    ]
