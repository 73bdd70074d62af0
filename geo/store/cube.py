"""Space-time cubes of counts from the store: cells of the whole study-area grid ×
equal periods (months or quarters), zeros included."""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import pandas as pd

from geo.core import hexes
from geo.core.area import StudyArea
from geo.core.filters import ANALYSIS_RESOLUTIONS, Filters
from geo.store.database import Store
from geo.store.queries import category_sql

Period = Literal["month", "quarter"]
#: Layers a cube can be built from: table, time column, optional filter SQL.
CUBE_LAYERS: Final[dict[str, tuple[str, str, str]]] = {
    "incidents": ("incidents", "occurred_at", ""),
    "missing": ("missing_episodes", "reported_at", ""),
    "knife_crime": ("incidents", "occurred_at", " AND category = 'knife_crime'"),
    # assaults treated at an emergency department, at the assault's time (else the
    # arrival's), timed to the minute; assaults at a private home have no cell
    "ed_assaults": ("ed_assaults", "occurred_at", ""),
}
LAYER_LABELS: Final[dict[str, str]] = {
    "incidents": "Incidents",
    "missing": "Missing episodes (found / last-seen location)",
    "knife_crime": "Knife crime",
    "ed_assaults": "A&E assaults (ED, ISTV)",
}


def layer_filters(layer: str, filters: Filters) -> Filters:
    """The part of ``filters`` that bears on ``layer``: incident categories narrow the
    layers read from the incidents table only, so a missing-episode, A&E or youth-work
    layer (any layer not read from incidents) is the same whatever categories are chosen,
    and caches can say so."""
    table = CUBE_LAYERS[layer][0] if layer in CUBE_LAYERS else None
    return filters if table == "incidents" else filters.period_only()


#: The feed (store table) each layer is read from, for "not loaded" notes.
LAYER_TABLES: Final[dict[str, str]] = {layer: spec[0] for layer, spec in CUBE_LAYERS.items()}


def period_labels(filters: Filters, period: Period) -> list[str]:
    """Labels of the periods covering the filter's months (``2024-03`` or ``2024Q1``).

    Quarters are whole calendar quarters overlapping the range.
    """
    start, end = filters.bounds()
    last = end - pd.Timedelta(days=1)
    freq = "M" if period == "month" else "Q"
    return [str(p) for p in pd.period_range(start, last, freq=freq)]


def build_cube(
    store: Store,
    area: StudyArea,
    layer: str,
    res: int,
    filters: Filters,
    period: Period = "month",
) -> pd.DataFrame:
    """Counts per grid cell and period.

    Parameters
    ----------
    store : Store
        The data.
    area : StudyArea
        Supplies the full grid at ``res`` (cells with no events are zero rows).
    layer : str
        One of :data:`CUBE_LAYERS`; the filters' categories apply to incident layers.
    res : int
        Analysis resolution, 7 to 10.
    filters : Filters
        The month range (whole quarters are used when ``period="quarter"``).
    period : {"month", "quarter"}
        Length of each time step.

    Returns
    -------
    DataFrame
        Index: H3 cell strings of the grid (sorted); columns: period labels, oldest first.
        Events in cells outside the grid (the edge buffer) are left out.
    """
    if res not in ANALYSIS_RESOLUTIONS:
        raise ValueError(f"resolution must be one of {ANALYSIS_RESOLUTIONS}")
    if layer not in CUBE_LAYERS:
        raise ValueError(f"layer must be one of {sorted(CUBE_LAYERS)}")
    table, time_col, extra_sql = CUBE_LAYERS[layer]
    labels = period_labels(filters, period)
    first = pd.Period(labels[0]).start_time
    last = pd.Period(labels[-1]).end_time
    cat_sql: str = ""
    cat_params: list[object] = []
    if table == "incidents":
        cat_sql, cat_params = category_sql(filters.categories)
    trunc = "month" if period == "month" else "quarter"
    counts = store.query(
        f"SELECT cell_{res} AS cell, date_trunc('{trunc}', {time_col}) AS period, "
        f"count(*) AS n FROM {table} WHERE {time_col} >= ? AND {time_col} <= ?"
        f"{extra_sql}{cat_sql} AND cell_{res} IS NOT NULL GROUP BY 1, 2",
        [first, last, *cat_params],
    )
    grid = np.sort(area.grid(res))
    cube = np.zeros((grid.size, len(labels)), dtype=np.float64)
    if len(counts):
        cell = counts["cell"].to_numpy(dtype=np.uint64)
        row = np.searchsorted(grid, cell)
        row = np.minimum(row, grid.size - 1)
        inside = grid[row] == cell
        freq = "M" if period == "month" else "Q"
        plabels = pd.PeriodIndex(pd.to_datetime(counts["period"]), freq=freq).astype(str)
        col = pd.Index(labels).get_indexer(plabels)
        ok = inside & (col >= 0)
        np.add.at(cube, (row[ok], col[ok]), counts["n"].to_numpy(dtype=np.float64)[ok])
    return pd.DataFrame(cube, index=hexes.cells_to_str(grid), columns=labels)
