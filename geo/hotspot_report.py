"""One hot spot analysis run: cube, Gi* on the whole window, emerging hot spots,
plain-English findings — used by the Hotspots page and ``python -m geo hotspots``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo.area import StudyArea
from geo.cube import Period, build_cube
from geo.hotspots import (
    MIN_TIME_STEPS,
    EmergingHotspots,
    InsufficientDataError,
    describe_category,
    emerging_hotspots,
    gi_star,
)
from geo.overview import Filters
from geo.store import Store

#: Fewest events in the window for a hot spot analysis to mean anything.
MIN_EVENTS = 30


#: Fewer grid cells than this and a Gi* hot spot means little (the whole area is a few cells).
MIN_GRID_CELLS: Final[int] = 30


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
    """

    cube: pd.DataFrame
    gi: pd.DataFrame | None
    emerging: EmergingHotspots | None
    recurrence: pd.DataFrame | None
    gi_message: str | None
    emerging_message: str | None
    period: str

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
        """Number of time steps in the cube."""
        return int(self.cube.shape[1])

    def hot_list(self) -> pd.DataFrame:
        """Cells with a hot category, strongest first, with a sentence each."""
        if self.emerging is None:
            return pd.DataFrame(columns=["cell", "category", "finding", "hot_bins", "trend_p"])
        cells = self.emerging.cells
        hot = cells.loc[cells["code"] > 0].copy()
        order = {3: 0, 4: 1, 1: 2, 2: 3, 5: 4, 7: 5, 6: 6, 8: 7}
        hot["rank"] = hot["code"].map(order)
        hot["events"] = self.cube.loc[hot.index].sum(axis=1)
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
    "hot_bins": "Periods hot",
    "trend_p": "Trend p-value",
}


def recurrence(cube: pd.DataFrame, k: int = 1, fdr: bool = True) -> pd.DataFrame:
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
) -> HotspotReport:
    """Build the cube and run Gi* and emerging hot spot analysis, explaining failures.

    Gi* on the window's totals uses ``fdr`` as given; emerging hot spots always use
    FDR over all bins (Esri's default) when ``fdr`` is true.
    """
    cube = build_cube(store, area, layer, res, filters, period)
    total = cube.sum(axis=1)
    events = int(total.sum())
    gi = em = rec = None
    gi_message = em_message = None
    if events < MIN_EVENTS:
        gi_message = em_message = (
            f"Only {events} events in this window and layer; at least {MIN_EVENTS} are "
            "needed for a hot spot analysis to mean anything."
        )
        return HotspotReport(cube, None, None, None, gi_message, em_message, period)
    try:
        gi = gi_star(total, k=k, fdr=fdr)
    except InsufficientDataError as exc:
        gi_message = str(exc).capitalize() + "."
    if cube.shape[1] < MIN_TIME_STEPS:
        em_message = (
            f"Emerging hot spot analysis needs at least {MIN_TIME_STEPS} {period}s; this window "
            f"has {cube.shape[1]}. Showing, instead, how often each cell was a hot spot "
            f"{period} by {period}."
        )
        rec = recurrence(cube, k=k, fdr=fdr)
    else:
        try:
            em = emerging_hotspots(cube, k=k, time_steps=1, fdr=fdr)
        except InsufficientDataError as exc:
            em_message = str(exc).capitalize() + "."
    return HotspotReport(cube, gi, em, rec, gi_message, em_message, period)


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
